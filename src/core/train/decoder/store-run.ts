import type { LuminaStore } from '../../store/store.ts';
import type { RunRecord } from '../../store/records.ts';
import { serializeTokenizerJson } from '../../tokenizer/train/tokenizer-files.ts';
import type { JsonValue } from '../../types.ts';
import { validateTrainConfig } from '../config/validate.ts';
import type { TrainConfig } from '../config/types.ts';
import { stateFromJson } from '../loop/state.ts';
import {
  corpusTexts,
  runInStore,
  storedConfig,
  type MlmCorpus,
  type MlmRunControls,
  type StoredRunConfig,
} from '../loop/store-run.ts';
import { assertDecoderTrainConfig, decoderConfigFromTrainConfig } from './config.ts';
import { causalTokenizerFromJson, prepareCausalLmData } from './data.ts';
import { trainedDecoderFolder } from './export.ts';
import { decoderTokenizerJson, trainDecoderTokenizer } from './tokenizer.ts';
import { trainCausalLm, type TrainCausalLmResult } from './trainer.ts';
import { readGpt2Safetensors } from './weights-io.ts';

export const DECODER_RUN_KIND = 'clm';

export interface DecoderRunRequest {
  config: TrainConfig;
  corpus: MlmCorpus;
  /**
   * A byte-level BPE tokenizer.json holding the decoder's special tokens; left out, one of
   * `vocabSize` tokens is trained on the corpus first and stored with the run.
   */
  tokenizerJson?: string;
  vocabSize?: number;
  runId?: string;
}

export interface DecoderRunResult extends Omit<
  TrainCausalLmResult,
  'weights' | 'safetensors' | 'config'
> {
  runId: string;
}

async function execute(
  store: LuminaStore,
  run: RunRecord,
  stored: StoredRunConfig,
  resume: boolean,
  controls: MlmRunControls,
): Promise<DecoderRunResult> {
  const { signal } = controls;
  const tokenizer = causalTokenizerFromJson(decoderTokenizerJson(JSON.parse(stored.tokenizerJson)));
  const data = await prepareCausalLmData(
    corpusTexts(store, stored.corpus, signal),
    tokenizer,
    stored.train.data,
    signal ? { signal } : {},
  );
  const result = await runInStore(store, run, resume, controls, (sinks) =>
    trainCausalLm({ config: stored.train, tokenizer, data, ...sinks }),
  );
  const { weights: _w, safetensors: _s, config: _c, ...rest } = result;
  return { ...rest, runId: run.id };
}

/**
 * A new causal-LM run of a GPT-2 decoder recorded in the store like an MLM run (kind `clm`):
 * metrics, checkpoints, pause/stop/resume. Without a tokenizer, a byte-level BPE with the
 * decoder's special tokens is trained on the corpus first.
 */
export async function startDecoderRun(
  store: LuminaStore,
  request: DecoderRunRequest,
  controls: MlmRunControls = {},
): Promise<DecoderRunResult> {
  const checked = validateTrainConfig(request.config);
  if (!checked.ok) {
    throw new RangeError(
      `Invalid training config: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    );
  }
  assertDecoderTrainConfig(checked.config);
  let tokenizerJson = request.tokenizerJson;
  if (tokenizerJson === undefined) {
    const trained = await trainDecoderTokenizer(
      corpusTexts(store, request.corpus, controls.signal),
      { vocabSize: request.vocabSize ?? 4000, modelMaxLength: checked.config.model.max_seq_len },
      controls.signal ? { signal: controls.signal } : {},
    );
    tokenizerJson = serializeTokenizerJson(trained.tokenizerJson);
  }
  const stored: StoredRunConfig = {
    train: checked.config,
    corpus: request.corpus,
    tokenizerJson,
    tokenizerConfig: null,
  };
  const run: RunRecord = {
    id: request.runId ?? crypto.randomUUID(),
    kind: DECODER_RUN_KIND,
    createdAt: Date.now(),
    config: JSON.parse(JSON.stringify(stored)) as JsonValue,
    state: 'pending',
  };
  await store.putRun(run);
  return execute(store, run, stored, false, controls);
}

/** Continues a stored decoder run from its newest checkpoint, on the same data and tokenizer. */
export async function resumeDecoderRun(
  store: LuminaStore,
  runId: string,
  controls: MlmRunControls = {},
): Promise<DecoderRunResult> {
  const run = await store.getRun(runId);
  if (!run) throw new RangeError(`Run ${runId} does not exist`);
  if (run.kind !== DECODER_RUN_KIND) throw new RangeError(`Run ${runId} is not a decoder run`);
  return execute(store, run, storedConfig(run), true, controls);
}

/**
 * A checkpoint of a decoder run (the newest when `step` is left out) as the HF text-generation
 * folder (config.json with `lumina_trained: true`, tokenizer, safetensors, ONNX).
 */
export async function decoderRunFolder(
  store: LuminaStore,
  runId: string,
  step: number | undefined,
  name: string,
): Promise<{ files: Map<string, Uint8Array>; step: number }> {
  const run = await store.getRun(runId);
  if (!run || run.kind !== DECODER_RUN_KIND) throw new RangeError(`No decoder run ${runId}`);
  const checkpoint =
    step === undefined
      ? await store.latestCheckpoint(runId)
      : await store.getCheckpoint(runId, step);
  if (!checkpoint) throw new RangeError(`No checkpoint of run ${runId} at ${step ?? 'latest'}`);
  const stored = storedConfig(run);
  const state = stateFromJson(checkpoint.state);
  const tokenizerJson = decoderTokenizerJson(JSON.parse(stored.tokenizerJson));
  const config = decoderConfigFromTrainConfig(state.config, causalTokenizerFromJson(tokenizerJson));
  const { weights } = readGpt2Safetensors(config, checkpoint.tensors);
  const { summary } = state;
  const files = await trainedDecoderFolder({
    config,
    weights,
    tokenizer: tokenizerJson,
    name,
    training: {
      steps: state.step,
      epochs: state.step / state.stepsPerEpoch,
      ...(summary.lastTrain ? { trainLoss: summary.lastTrain.loss } : {}),
      ...(summary.lastValidation
        ? {
            validationLoss: summary.lastValidation.loss,
            validationPerplexity: summary.lastValidation.perplexity,
          }
        : {}),
    },
  });
  return { files, step: checkpoint.step };
}
