import {
  AutoModelForCausalLM,
  DynamicCache,
  InterruptableStoppingCriteria,
  Tensor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { throwIfAborted, yieldToEventLoop } from '../../abort.ts';
import { loadPretrained } from '../../embed/runtime/load-pretrained.ts';
import { loadModelTokenCounter } from '../../embed/runtime/model-tokenizer.ts';
import type { EmbedDevice, EmbedDtype, ModelSource } from '../../embed/runtime/types.ts';
import type { ProgressCallback } from '../../progress.ts';
import type { GenerateOptions, GenerationResult, TextGenerator } from '../../rag/generate.ts';
import type { TokenCounter } from '../../tokenizer/index.ts';

/** Weight files transformers.js picks by suffix; small instruct models on the Hub ship q4/q4f16. */
export type GeneratorDtype = 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16';

export interface GeneratorLoadOptions {
  /** Default wasm. WebGPU that cannot start is an error, never a silent switch to wasm. */
  device?: EmbedDevice;
  /** Default fp32 (the file Lumina writes). */
  dtype?: GeneratorDtype;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface GeneratorInfo {
  name: string;
  source: ModelSource['kind'];
  modelType: string;
  device: EmbedDevice;
  dtype: GeneratorDtype;
  maxPositions: number;
  hasChatTemplate: boolean;
  /** config.json says the weights are Lumina's seeded random ones: the text is meaningless. */
  seeded: boolean;
  /** The text a scripted seeded model emits after its assistant marker, when it has one. */
  scriptedText: string | null;
  /** config.json says Lumina trained it (`lumina_trained`): its text is the model's own. */
  trained: boolean;
}

/** Larger than any real context; `model_max_length` is often a 1e30 "unset" placeholder. */
const UNSET_LENGTH = 1e6;
const DEFAULT_POSITIONS = 2048;

/**
 * A transformers.js causal LM as a RAG {@link TextGenerator}: streams decoded text through
 * TextStreamer, stops on an AbortSignal through InterruptableStoppingCriteria (the text so far is
 * returned, marked interrupted), and samples with temperature / top-p or decodes greedily at 0.
 */
export class TransformersTextGenerator implements TextGenerator {
  private busy = false;

  private constructor(
    readonly info: GeneratorInfo,
    readonly counter: TokenCounter,
    readonly tokenizerConfig: Record<string, unknown> | null,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
  ) {}

  get maxPositions(): number {
    return this.info.maxPositions;
  }

  static async load(
    source: ModelSource,
    options: GeneratorLoadOptions = {},
  ): Promise<TransformersTextGenerator> {
    const device = options.device ?? 'wasm';
    const dtype = options.dtype ?? 'fp32';
    return loadPretrained(
      source,
      {
        // q4/q4f16 are Hub quantisations: their files are the Hub's to name, not Lumina's to check.
        dtype: isLocalDtype(dtype) ? dtype : null,
        label: 'The model folder',
        modelClass: AutoModelForCausalLM,
        device,
        weights: dtype,
        downloadShare: 0.85,
        startFailure: (name) => ({
          why: `${name} could not be started on ${device} with dtype ${dtype}`,
          whatToDo:
            device === 'webgpu'
              ? 'WebGPU is not available or failed here: choose the wasm device.'
              : 'Check that the folder is a text-generation export (onnx/model.onnx with past_key_values) or try another dtype.',
        }),
        signal: options.signal,
        onProgress: options.onProgress,
      },
      async ({ opened, tokenizer, model, progress }) => {
        progress.update(0.9, 1, 'Reading the tokenizer');
        const [config, tokenizerConfig, counter] = await Promise.all([
          opened.readJson('config.json'),
          opened.readJson('tokenizer_config.json'),
          loadModelTokenCounter(source),
        ]);
        const configObject = asObject(config);
        const tokenizerObject = asObject(tokenizerConfig);
        const hasChatTemplate =
          tokenizerObject !== null &&
          (typeof tokenizerObject['chat_template'] === 'string' ||
            Array.isArray(tokenizerObject['chat_template']));
        const scripted = configObject?.['lumina_scripted_text'];
        const info: GeneratorInfo = {
          name: opened.name,
          source: source.kind,
          modelType:
            typeof configObject?.['model_type'] === 'string'
              ? configObject['model_type']
              : 'unknown',
          device,
          dtype,
          maxPositions: positions(configObject, tokenizer),
          hasChatTemplate,
          seeded: configObject?.['lumina_seeded'] === true,
          scriptedText: typeof scripted === 'string' ? scripted : null,
          trained: configObject?.['lumina_trained'] === true,
        };
        return new TransformersTextGenerator(info, counter, tokenizerObject, tokenizer, model);
      },
    );
  }

  /**
   * One `generate` call per token, with the KV cache carried between calls and a macrotask yield
   * after each: ONNX Runtime's wasm (and often WebGPU) steps resolve as microtasks only, so inside
   * one long `generate` a worker never reads the abort message that the page's Stop sends, and
   * InterruptableStoppingCriteria would never fire. Text is decoded from all new ids each step and
   * the new suffix streamed, held back while it ends in a partial UTF-8 character.
   */
  async generate(prompt: string, options: GenerateOptions): Promise<GenerationResult> {
    throwIfAborted(options.signal);
    if (this.busy) throw new Error('This model is already generating; stop it first.');
    this.busy = true;
    const stopping = new InterruptableStoppingCriteria();
    const onAbort = (): void => stopping.interrupt();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const started = performance.now();
    let firstTokenMs: number | null = null;
    let cache: DynamicCache | null = null;
    const generated: bigint[] = [];
    let emitted = '';
    const emit = (final: boolean): void => {
      const text = this.tokenizer.decode(generated, { skip_special_tokens: true });
      if (!final && text.endsWith('\uFFFD')) return;
      if (text.length > emitted.length && text.startsWith(emitted)) {
        options.onToken?.(text.slice(emitted.length));
        emitted = text;
      }
    };
    try {
      const encoded = this.tokenizer(prompt, { add_special_tokens: false });
      const ids = Array.from((encoded.input_ids as Tensor).data as BigInt64Array);
      const room = this.info.maxPositions - ids.length;
      if (room < 1) {
        throw new RangeError(
          `The prompt takes ${ids.length} tokens; the model takes at most ${this.info.maxPositions}.`,
        );
      }
      const limit = Math.min(options.maxNewTokens, room);
      const eos = eosIds(this.model);
      const sample = options.temperature > 0;
      while (generated.length < limit && !stopping.interrupted) {
        const output: unknown = await this.model.generate({
          input_ids: new Tensor('int64', BigInt64Array.from(ids), [1, ids.length]),
          attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [
            1,
            ids.length,
          ]),
          past_key_values: cache,
          max_new_tokens: 1,
          do_sample: sample,
          ...(sample ? { temperature: options.temperature, top_p: options.topP } : {}),
          return_dict_in_generate: true,
          stopping_criteria: [stopping],
        });
        const step = generationStep(output);
        cache = step.cache;
        firstTokenMs ??= performance.now() - started;
        ids.push(step.token);
        if (eos.has(step.token)) break;
        generated.push(step.token);
        emit(false);
        await yieldToEventLoop();
      }
      emit(true);
      return {
        text: this.tokenizer.decode(generated, { skip_special_tokens: true }),
        tokens: generated.length,
        ms: performance.now() - started,
        firstTokenMs,
        interrupted: stopping.interrupted,
      };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      await cache?.dispose();
      this.busy = false;
    }
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}

function isLocalDtype(dtype: GeneratorDtype): dtype is EmbedDtype {
  return dtype === 'fp32' || dtype === 'fp16' || dtype === 'q8';
}

function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** The model's window: its position count, else the tokenizer's limit, else a cautious default. */
function positions(config: Record<string, unknown> | null, tokenizer: PreTrainedTokenizer): number {
  const candidates = [
    config?.['n_positions'],
    config?.['max_position_embeddings'],
    config?.['n_ctx'],
    tokenizer.model_max_length,
  ].filter(
    (v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v < UNSET_LENGTH,
  );
  return candidates[0] ?? DEFAULT_POSITIONS;
}

/** The sampled token and the cache of one `generate(..., return_dict_in_generate)` step. */
function generationStep(output: unknown): { token: bigint; cache: DynamicCache } {
  const { sequences, past_key_values: cache } = (output ?? {}) as {
    sequences?: unknown;
    past_key_values?: unknown;
  };
  if (!(sequences instanceof Tensor) || !(cache instanceof DynamicCache)) {
    throw new Error('generate() returned no sequences or cache');
  }
  const data = sequences.data as BigInt64Array;
  const token = data[data.length - 1];
  if (token === undefined) throw new Error('generate() returned an empty sequence');
  return { token, cache };
}

/** End-of-sequence ids from generation_config.json (or config.json): a number or a list. */
function eosIds(model: PreTrainedModel): Set<bigint> {
  const config = (model as unknown as { generation_config?: { eos_token_id?: unknown } })
    .generation_config;
  const value = config?.eos_token_id ?? (model.config as { eos_token_id?: unknown }).eos_token_id;
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  return new Set(list.filter((v): v is number => typeof v === 'number').map((v) => BigInt(v)));
}
