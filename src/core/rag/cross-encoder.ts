import {
  AutoModelForSequenceClassification,
  Tensor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { ModelLoadError } from '../embed/runtime/errors.ts';
import { loadPretrained } from '../embed/runtime/load-pretrained.ts';
import type { EmbedDevice, ModelSource } from '../embed/runtime/types.ts';
import type { ProgressCallback } from '../progress.ts';
import type { Reranker } from './rerank.ts';

export interface CrossEncoderLoadOptions {
  /** Default wasm (ONNX Runtime's CPU provider in Node). */
  device?: EmbedDevice;
  /** (query, passage) pairs per forward pass. Default 16. */
  batchSize?: number;
  /** Tokens per pair; the passage end is cut beyond. Default min(512, the model's limit). */
  maxTokens?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface CrossEncoderInfo {
  name: string;
  source: ModelSource['kind'];
  numLabels: number;
  maxTokens: number;
  device: EmbedDevice;
  /** config.json says the weights are Lumina's seeded random ones: the scores are meaningless. */
  seeded: boolean;
}

const DEFAULT_BATCH = 16;
const DEFAULT_MAX_TOKENS = 512;

/**
 * A transformers.js sequence-classification model (an ms-marco style BERT cross-encoder) as a
 * {@link Reranker}: each (query, passage) pair is encoded together (`[CLS] q [SEP] p [SEP]`) and
 * its logit is the score. With one label that logit is the relevance; with two, label 1 is taken
 * as "relevant" and the score is its log-odds over label 0, as sentence-transformers' CrossEncoder
 * ranks binary models.
 */
export class CrossEncoderReranker implements Reranker {
  private constructor(
    readonly info: CrossEncoderInfo,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    private readonly batchSize: number,
  ) {}

  static async load(
    source: ModelSource,
    options: CrossEncoderLoadOptions = {},
  ): Promise<CrossEncoderReranker> {
    const device = options.device ?? 'wasm';
    return loadPretrained(
      source,
      {
        dtype: 'fp32',
        label: 'The cross-encoder folder',
        modelClass: AutoModelForSequenceClassification,
        device,
        weights: 'fp32',
        downloadShare: 0.9,
        startFailure: (name) => ({
          why: `${name} could not be started as a cross-encoder on ${device}`,
          whatToDo:
            'A cross-encoder is a sequence-classification export (onnx/model.onnx with a logits output).',
        }),
        signal: options.signal,
        onProgress: options.onProgress,
      },
      async ({ opened, tokenizer, model }) => {
        const config = asObject(await opened.readJson('config.json'));
        const labels = asObject(config?.['id2label']);
        const numLabels = labels ? Object.keys(labels).length : 1;
        if (numLabels < 1 || numLabels > 2) {
          throw new ModelLoadError(
            `${opened.name} has ${numLabels} labels; a reranker needs one relevance logit (or two: not relevant, relevant).`,
            'Pick a cross-encoder such as an ms-marco MiniLM reranker.',
          );
        }
        const limit = [config?.['max_position_embeddings'], tokenizer.model_max_length].filter(
          (v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0,
        );
        const info: CrossEncoderInfo = {
          name: opened.name,
          source: source.kind,
          numLabels,
          maxTokens: Math.min(options.maxTokens ?? DEFAULT_MAX_TOKENS, ...limit),
          device,
          seeded: config?.['lumina_seeded'] === true,
        };
        return new CrossEncoderReranker(info, tokenizer, model, options.batchSize ?? DEFAULT_BATCH);
      },
    );
  }

  async rerank(
    query: string,
    passages: readonly string[],
    signal?: AbortSignal,
  ): Promise<number[]> {
    const scores: number[] = [];
    for (let start = 0; start < passages.length; start += this.batchSize) {
      throwIfAborted(signal);
      const batch = passages.slice(start, start + this.batchSize);
      const inputs = this.tokenizer(
        batch.map(() => query),
        {
          text_pair: batch,
          padding: true,
          truncation: true,
          max_length: this.info.maxTokens,
        },
      );
      const output = (await this.model(inputs)) as { logits?: unknown };
      const logits = output.logits;
      if (!(logits instanceof Tensor) || logits.dims.length !== 2) {
        throw new Error(`${this.info.name} returned no [batch, labels] logits.`);
      }
      const [rows = 0, labels = 0] = logits.dims;
      if (rows !== batch.length || labels !== this.info.numLabels) {
        throw new Error(
          `${this.info.name} returned logits [${logits.dims.join(', ')}] for ${batch.length} pairs.`,
        );
      }
      const data = logits.data as Float32Array;
      for (let i = 0; i < rows; i++) {
        scores.push(
          labels === 1
            ? (data[i] as number)
            : (data[i * labels + 1] as number) - (data[i * labels] as number),
        );
      }
      // Lets a worker read an abort message between batches (ORT steps resolve as microtasks).
      await yieldToEventLoop();
    }
    return scores;
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}
