import {
  AutoModel,
  AutoTokenizer,
  Tensor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type ProgressInfo,
} from '@huggingface/transformers';
import { throwIfAborted } from '../../abort.ts';
import { halfToFloat } from '../../model/safetensors.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import { ModelLoadError, errorText } from './errors.ts';
import { onnxFileFor } from './model-files.ts';
import { openModelSource, type OpenedModelSource } from './open-model-source.ts';
import { normalizeRows, poolTokens, truncateRows } from './pooling.ts';
import {
  SENTENCE_TRANSFORMERS_FILES,
  sentenceTransformersDefaults,
} from './sentence-transformers-config.ts';
import { buildTokenBatch, specialTokenLayout, type SpecialTokenLayout } from './token-batch.ts';
import { transformersDevice } from './transformers-env.ts';
import type {
  EmbeddingModelInfo,
  EmbeddingOptions,
  HiddenStates,
  ModelSource,
  TextKind,
  TokenBatch,
} from './types.ts';

export const DEFAULT_HUB_MODEL = 'Xenova/all-MiniLM-L6-v2';

export interface LoadControls {
  signal?: AbortSignal | undefined;
  onProgress?: ProgressCallback | undefined;
}

/**
 * A text embedding model run by transformers.js (AutoTokenizer + AutoModel). Lumina does the
 * truncation, pooling, Matryoshka truncation and normalisation itself on `last_hidden_state`,
 * so every pooling works with every model and the result does not depend on the ONNX export.
 */
export class EmbeddingModel {
  private disposed = false;

  private constructor(
    readonly info: EmbeddingModelInfo,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    private readonly layout: SpecialTokenLayout,
  ) {}

  /** Loads and warms up a model; loads run one at a time since transformers.js's settings are global. */
  static load(
    source: ModelSource = { kind: 'hub', id: DEFAULT_HUB_MODEL },
    options: EmbeddingOptions = {},
    controls: LoadControls = {},
  ): Promise<EmbeddingModel> {
    const run = loadQueue.then(() => EmbeddingModel.loadNow(source, options, controls));
    loadQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Token ids as the model will see them (prefix added, truncated, right-padded). */
  tokenize(texts: readonly string[], kind: TextKind): TokenBatch {
    this.assertUsable();
    const prefix = kind === 'query' ? this.info.queryPrefix : this.info.documentPrefix;
    const encoded = this.tokenizer(
      texts.map((text) => prefix + text),
      { add_special_tokens: true, return_tensor: false },
    );
    return buildTokenBatch(
      { inputIds: encoded.input_ids, tokenTypeIds: encoded.token_type_ids },
      this.info.maxTokens,
      this.layout,
      padTokenId(this.tokenizer),
    );
  }

  /** Length of each text in tokens as embedded (specials included, after truncation). */
  countTokens(texts: readonly string[], kind: TextKind): Int32Array {
    if (texts.length === 0) return new Int32Array(0);
    return this.tokenize(texts, kind).lengths;
  }

  async hiddenStates(
    texts: readonly string[],
    kind: TextKind,
    signal?: AbortSignal,
  ): Promise<HiddenStates> {
    throwIfAborted(signal);
    if (texts.length === 0) {
      return {
        tokens: buildTokenBatch({ inputIds: [] }, 1, this.layout, 0),
        hidden: this.info.hiddenSize,
        data: new Float32Array(0),
      };
    }
    const tokens = this.tokenize(texts, kind);
    const { hidden, data } = await this.run(tokens);
    throwIfAborted(signal);
    return { tokens, hidden, data };
  }

  /** One row of `info.dims` values per text, [texts.length × dims] row-major. */
  async embed(
    texts: readonly string[],
    kind: TextKind,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    if (texts.length === 0) return new Float32Array(0);
    const states = await this.hiddenStates(texts, kind, signal);
    const { tokens, hidden } = states;
    const pooled = poolTokens(
      { ...tokens, hidden, data: states.data, attentionMask: tokens.attentionMask },
      this.info.pooling,
    );
    const vectors = truncateRows(pooled, hidden, this.info.dims);
    return this.info.normalize ? normalizeRows(vectors, this.info.dims) : vectors;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.model.dispose();
  }

  private async run(tokens: TokenBatch): Promise<{ hidden: number; data: Float32Array }> {
    this.assertUsable();
    const dims = [tokens.batch, tokens.seq];
    const feeds: Record<string, Tensor> = {
      input_ids: int64Tensor(tokens.inputIds, dims),
      attention_mask: int64Tensor(tokens.attentionMask, dims),
    };
    if (tokens.tokenTypeIds) feeds['token_type_ids'] = int64Tensor(tokens.tokenTypeIds, dims);
    const outputs = (await this.model(feeds)) as Record<string, unknown>;
    try {
      const state = lastHiddenState(outputs);
      const [batch, seq, hidden] = state.dims;
      if (batch !== tokens.batch || seq !== tokens.seq || hidden === undefined) {
        throw new Error(
          `The model returned a [${state.dims.join(', ')}] hidden state for a [${dims.join(', ')}] input`,
        );
      }
      return { hidden, data: toFloat32(state) };
    } finally {
      for (const value of Object.values(outputs)) if (value instanceof Tensor) value.dispose();
    }
  }

  private static async loadNow(
    source: ModelSource,
    options: EmbeddingOptions,
    { signal, onProgress }: LoadControls,
  ): Promise<EmbeddingModel> {
    throwIfAborted(signal);
    const dtype = options.dtype ?? 'fp32';
    const device = options.device ?? 'wasm';
    const progress = new ProgressReporter(onProgress);
    progress.start(`Loading ${sourceName(source)}`);
    const opened = await openModelSource(source, { dtype, label: 'The model folder' });
    let model: PreTrainedModel | null = null;
    try {
      throwIfAborted(signal);
      const progressCallback = downloadProgress(progress.sub(0, 0.9));
      const fromPretrained = { progress_callback: progressCallback, revision: opened.revision };
      const tokenizer = await step(opened, 'its tokenizer failed to load', () =>
        AutoTokenizer.from_pretrained(opened.modelId, fromPretrained),
      );
      throwIfAborted(signal);
      model = await step(opened, `it could not be started on ${device} with dtype ${dtype}`, () =>
        AutoModel.from_pretrained(opened.modelId, {
          ...fromPretrained,
          dtype,
          device: transformersDevice(device),
        }),
      );
      throwIfAborted(signal);
      progress.update(0.9, 1, 'Reading sentence-transformers settings');
      const [poolingJson, bertJson, stJson] = await Promise.all(
        SENTENCE_TRANSFORMERS_FILES.map((path) => opened.readJson(path)),
      );
      const defaults = sentenceTransformersDefaults(poolingJson, bertJson, stJson);

      const probe = 'hello world';
      const layout = specialTokenLayout(
        tokenizer(probe, { add_special_tokens: true, return_tensor: false }).input_ids,
        tokenizer(probe, { add_special_tokens: false, return_tensor: false }).input_ids,
      );
      const maxPositions = positiveNumber(model.config.max_position_embeddings);
      const maxTokens = resolveMaxTokens(
        options.maxTokens,
        defaults.maxTokens,
        tokenizer,
        maxPositions,
      );
      if (maxTokens < layout.before + layout.after + 1) {
        throw new ModelLoadError(
          `maxTokens ${maxTokens} leaves no room for text next to the model's ${layout.before + layout.after} special tokens.`,
          'Choose a larger maxTokens.',
        );
      }

      const draft: EmbeddingModelInfo = {
        name: opened.name,
        source: source.kind,
        modelType: model.config.model_type ?? 'unknown',
        dims: 0,
        hiddenSize: 0,
        maxTokens,
        pooling: options.pooling ?? defaults.pooling ?? 'mean',
        normalize: options.normalize ?? true,
        queryPrefix: options.queryPrefix ?? defaults.queryPrefix ?? '',
        documentPrefix: options.documentPrefix ?? defaults.documentPrefix ?? '',
        dtype,
        device,
        onnxFile: onnxFileFor(dtype),
      };
      const loaded = model;
      // The warm-up finds the hidden size from a real run and surfaces a broken graph at load time.
      const warm = await step(opened, `it failed its first run on ${device}`, async () => {
        const probeModel = new EmbeddingModel(draft, tokenizer, loaded, layout);
        return (await probeModel.hiddenStates([probe], 'document')).hidden;
      });
      const dims = options.dims ?? warm;
      if (!Number.isInteger(dims) || dims < 1 || dims > warm) {
        throw new ModelLoadError(
          `Matryoshka dims ${dims} is outside 1…${warm}, the model's hidden size.`,
          `Choose dims between 1 and ${warm}.`,
        );
      }
      progress.finish(`${opened.name} ready`);
      return new EmbeddingModel({ ...draft, dims, hiddenSize: warm }, tokenizer, loaded, layout);
    } catch (error) {
      await model?.dispose().catch(() => undefined);
      throw error;
    } finally {
      // ONNX Runtime holds its own copy of the graph: the folder's bytes can go now.
      opened.release();
    }
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('This embedding model was disposed; load it again.');
  }
}

let loadQueue: Promise<unknown> = Promise.resolve();

/** Runs a load step, turning transformers.js's failures into a ModelLoadError that says what to do. */
async function step<T>(opened: OpenedModelSource, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (
      error instanceof ModelLoadError ||
      (error instanceof Error && error.name === 'AbortError')
    ) {
      throw error;
    }
    const detail = errorText(error).trim().replace(/\.$/, '');
    if (opened.hub && isDownloadFailure(detail)) {
      throw new ModelLoadError(
        `${opened.name} could not be downloaded from the Hugging Face Hub and is not in the offline cache (${detail}).`,
        'Check the model id and connect once to download it (it is then kept for offline use), or pick a local model folder.',
        { cause: error },
      );
    }
    throw new ModelLoadError(
      `${opened.name} could not be loaded: ${what} (${detail}).`,
      adviceFor(detail),
      {
        cause: error,
      },
    );
  }
}

function isDownloadFailure(detail: string): boolean {
  return /fetch|network|Could not locate|Unauthorized|Forbidden|not found/i.test(detail);
}

function adviceFor(detail: string): string {
  if (/Unsupported device: "webgpu"|adapter/i.test(detail)) {
    return 'WebGPU is not available here: choose the wasm device.';
  }
  if (/f16|float16/i.test(detail)) {
    return 'This device cannot run fp16 weights: choose dtype fp32 or q8, or the wasm device.';
  }
  return 'Check that the folder is a complete Hugging Face export (config.json, tokenizer files, onnx/) of a supported model, or try another dtype or device.';
}

function resolveMaxTokens(
  requested: number | undefined,
  fromSentenceTransformers: number | undefined,
  tokenizer: PreTrainedTokenizer,
  maxPositions: number | undefined,
): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) {
      throw new ModelLoadError(
        `maxTokens must be a positive integer, got ${requested}.`,
        'Fix the setting.',
      );
    }
    if (maxPositions !== undefined && requested > maxPositions) {
      throw new ModelLoadError(
        `maxTokens ${requested} exceeds the ${maxPositions} positions the model has.`,
        `Choose at most ${maxPositions}.`,
      );
    }
    return requested;
  }
  const candidates = [
    fromSentenceTransformers,
    fromSentenceTransformers === undefined ? positiveNumber(tokenizer.model_max_length) : undefined,
    maxPositions,
  ].filter((value): value is number => value !== undefined && value < 1e6);
  return candidates.length ? Math.min(...candidates) : 512;
}

function positiveNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

function padTokenId(tokenizer: PreTrainedTokenizer): number {
  const id: unknown = tokenizer.pad_token_id;
  return typeof id === 'number' ? id : 0;
}

function int64Tensor(values: Int32Array, dims: number[]): Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i] ?? 0);
  return new Tensor('int64', data, dims);
}

/** Encoders name it last_hidden_state; some exports call it token_embeddings. */
function lastHiddenState(outputs: Record<string, unknown>): Tensor {
  const named = outputs['last_hidden_state'] ?? outputs['token_embeddings'];
  if (named instanceof Tensor) return named;
  const threeD = Object.values(outputs).find(
    (value): value is Tensor => value instanceof Tensor && value.dims.length === 3,
  );
  if (threeD) return threeD;
  throw new Error(
    `The model has no per-token output (outputs: ${Object.keys(outputs).join(', ')}); Lumina pools last_hidden_state itself`,
  );
}

function toFloat32(tensor: Tensor): Float32Array {
  const data: unknown = tensor.data;
  // A view into someone else's buffer (ORT's wasm memory) must be copied before it is transferred.
  if (data instanceof Float32Array) {
    const own = data.buffer instanceof ArrayBuffer && data.byteLength === data.buffer.byteLength;
    return own ? data : data.slice();
  }
  if (tensor.type === 'float16' && data instanceof Uint16Array) {
    return Float32Array.from(data, halfToFloat);
  }
  // Chromium hands fp16 outputs over as Float16Array where it has one.
  if (tensor.type === 'float16' && isNumberArray(data)) {
    return Float32Array.from(data);
  }
  throw new Error(`Unsupported hidden state type ${tensor.type}`);
}

function isNumberArray(value: unknown): value is ArrayLike<number> {
  return (
    ArrayBuffer.isView(value) &&
    !(value instanceof DataView) &&
    !(value instanceof BigInt64Array) &&
    !(value instanceof BigUint64Array)
  );
}

/** Folds transformers.js's per-file download events into one monotonic fraction. */
function downloadProgress(
  report: (done: number, total: number, message?: string) => void,
): (info: ProgressInfo) => void {
  const files = new Map<string, { loaded: number; total: number }>();
  return (info) => {
    if (info.status !== 'progress') return;
    files.set(info.file, { loaded: info.loaded, total: info.total });
    let loaded = 0;
    let total = 0;
    for (const file of files.values()) {
      loaded += file.loaded;
      total += file.total;
    }
    report(loaded, total, `Loading ${info.file}`);
  };
}

function sourceName(source: ModelSource): string {
  if (source.kind === 'hub') return source.id;
  if (source.kind === 'url') return source.name ?? source.baseUrl;
  return source.name ?? 'local model folder';
}
