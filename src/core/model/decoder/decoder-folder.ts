import { throwIfAborted } from '../../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import { companionFiles } from '../../tokenizer/train/tokenizer-files.ts';
import type { TrainedTokenizerJson } from '../../tokenizer/train/types.ts';
import type { JsonValue } from '../../types.ts';
import { encodeSafetensors } from '../safetensors.ts';
import { gpt2ConfigToJson, type Gpt2Config } from './gpt2-config.ts';
import { exportGpt2Onnx } from './gpt2-onnx.ts';
import { initGpt2Weights, type Gpt2Weights } from './gpt2-weights.ts';
import { scriptContinuation } from './scripted-continuation.ts';
import { uniqueTokenSegmentation } from './script-tokens.ts';

/** Special tokens a decoder tokenizer is trained with: RoBERTa's four plus the chat roles. */
export const DECODER_SPECIAL_TOKENS = [
  '<s>',
  '<pad>',
  '</s>',
  '<unk>',
  '<|system|>',
  '<|user|>',
  '<|assistant|>',
] as const;

/** Role markers, content, end of turn; the prompt ends on `<|assistant|>`, one special token. */
export const DECODER_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] + eos_token }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";

export interface DecoderFolderInput {
  config: Gpt2Config;
  seed: number;
  /** A byte-level BPE tokenizer.json holding {@link DECODER_SPECIAL_TOKENS}. */
  tokenizer: TrainedTokenizerJson;
  /**
   * Greedy decoding after `<|assistant|>` emits exactly this text, then `</s>`
   * (see {@link scriptContinuation}); needs `tieWordEmbeddings: false`.
   */
  scriptedText?: string;
  producerVersion?: string;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface DecoderFolder {
  config: Gpt2Config;
  weights: Gpt2Weights;
  parameters: number;
  /** The token ids greedy decoding emits after `<|assistant|>` when scripted. */
  scriptedIds: number[] | null;
  /** Relative path → bytes, in the Hugging Face layout. */
  files: Map<string, Uint8Array>;
}

/**
 * A complete HF-layout text-generation folder for a GPT-2 with seeded random weights:
 * config.json (with `lumina_seeded: true`), generation_config.json, tokenizer files with a chat
 * template, model.safetensors and onnx/model.onnx, which transformers.js' `text-generation`
 * pipeline loads. Its text is meaningless (or scripted); apps say so from the config flag.
 */
export async function buildSeededDecoderFolder(input: DecoderFolderInput): Promise<DecoderFolder> {
  const { config } = input;
  const ids = specialIds(input.tokenizer);
  if (ids.get('</s>') !== config.eosTokenId || ids.get('<s>') !== config.bosTokenId) {
    throw new Error(
      'config bosTokenId/eosTokenId must be the ids of <s> and </s> in the tokenizer',
    );
  }
  const vocabSize = Object.keys(input.tokenizer.model.vocab).length;
  if (vocabSize > config.vocabSize) {
    throw new Error(`The tokenizer has ${vocabSize} tokens, the config only ${config.vocabSize}`);
  }
  const progress = new ProgressReporter(input.onProgress);
  progress.start('Building decoder folder');
  const initPhase = progress.sub(0, 0.7);
  const weights = await initGpt2Weights(config, {
    seed: input.seed,
    ...(input.signal ? { signal: input.signal } : {}),
    onProgress: (event) => initPhase(event.fraction, 1, event.message),
  });
  // Generation must not get <s> … </s> around the prompt: no post-processor.
  const tokenizerJson: TrainedTokenizerJson = { ...input.tokenizer, post_processor: null };
  let scriptedIds: number[] | null = null;
  if (input.scriptedText !== undefined) {
    scriptedIds = [
      ...uniqueTokenSegmentation(tokenizerJson, input.scriptedText),
      config.eosTokenId,
    ];
    const trigger = ids.get('<|assistant|>') as number;
    scriptContinuation(config, weights, [trigger, ...scriptedIds], { seed: input.seed });
  }
  const parameters = [...weights.values()].reduce((sum, t) => sum + t.data.length, 0);
  const files = await decoderFolderFiles({
    config,
    weights,
    tokenizer: tokenizerJson,
    configExtra: {
      lumina_seeded: true,
      lumina_seed: input.seed,
      ...(input.scriptedText !== undefined ? { lumina_scripted_text: input.scriptedText } : {}),
    },
    description: `Seeded random GPT-2 weights (seed ${input.seed}) written by Lumina; its text is meaningless`,
    metadata: { seed: String(input.seed) },
    ...(input.producerVersion ? { producerVersion: input.producerVersion } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    onProgress: (event) => progress.update(0.7 + 0.3 * event.fraction, 1, event.message),
  });
  progress.finish('Decoder folder ready');
  return { config, weights, parameters, scriptedIds, files };
}

export interface DecoderFilesInput {
  config: Gpt2Config;
  weights: Gpt2Weights;
  /** A byte-level BPE tokenizer.json holding {@link DECODER_SPECIAL_TOKENS}. */
  tokenizer: TrainedTokenizerJson;
  /** Extra config.json fields: `lumina_seeded` or `lumina_trained` and what goes with them. */
  configExtra: Record<string, JsonValue>;
  /** The ONNX model's doc string. */
  description: string;
  /** String metadata for model.safetensors and the ONNX model. */
  metadata?: Record<string, string>;
  producerVersion?: string;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/**
 * The files of an HF-layout text-generation folder for GPT-2 weights: config.json,
 * generation_config.json, tokenizer files with the chat template (no post-processor, so
 * generation gets no <s> … </s> around the prompt), model.safetensors and onnx/model.onnx with
 * the KV cache, which transformers.js' `text-generation` pipeline loads.
 */
export async function decoderFolderFiles(
  input: DecoderFilesInput,
): Promise<Map<string, Uint8Array>> {
  const { config, weights } = input;
  const ids = specialIds(input.tokenizer);
  if (ids.get('</s>') !== config.eosTokenId || ids.get('<s>') !== config.bosTokenId) {
    throw new Error(
      'config bosTokenId/eosTokenId must be the ids of <s> and </s> in the tokenizer',
    );
  }
  const progress = new ProgressReporter(input.onProgress);
  progress.start('Writing decoder files');
  const tokenizerJson: TrainedTokenizerJson = { ...input.tokenizer, post_processor: null };
  const metadata = input.metadata ?? {};
  const files = new Map<string, Uint8Array>();
  files.set('config.json', jsonBytes(gpt2ConfigToJson(config, input.configExtra)));
  files.set(
    'generation_config.json',
    jsonBytes({
      bos_token_id: config.bosTokenId,
      eos_token_id: config.eosTokenId,
      pad_token_id: ids.get('<pad>') as number,
    }),
  );
  const companions = companionFiles(tokenizerJson, config.nPositions);
  files.set('tokenizer.json', jsonBytes(tokenizerJson as unknown as JsonValue));
  files.set(
    'tokenizer_config.json',
    jsonBytes({
      ...companions.tokenizerConfig,
      tokenizer_class: 'GPT2Tokenizer',
      add_bos_token: false,
      add_eos_token: false,
      chat_template: DECODER_CHAT_TEMPLATE,
    }),
  );
  files.set('special_tokens_map.json', jsonBytes(companions.specialTokensMap));
  throwIfAborted(input.signal);
  files.set(
    'model.safetensors',
    encodeSafetensors(weights, { format: 'pt', producer: 'lumina', ...metadata }),
  );
  progress.update(0.3, 1, 'model.safetensors');
  throwIfAborted(input.signal);
  files.set(
    'onnx/model.onnx',
    exportGpt2Onnx(config, weights, {
      // transformers.js feeds decoder-only models one new token per step: the cache is required.
      kvCache: true,
      producerVersion: input.producerVersion ?? '0',
      docString: input.description,
      metadata,
    }),
  );
  progress.finish('Decoder files ready');
  return files;
}

function specialIds(tokenizer: TrainedTokenizerJson): Map<string, number> {
  const ids = new Map(tokenizer.added_tokens.map((t) => [t.content, t.id]));
  const missing = DECODER_SPECIAL_TOKENS.filter((token) => !ids.has(token));
  if (missing.length > 0) {
    throw new Error(`The tokenizer lacks the special tokens ${missing.join(', ')}`);
  }
  return ids;
}

function jsonBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}
