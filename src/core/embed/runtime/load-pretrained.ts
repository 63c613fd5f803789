import {
  AutoTokenizer,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type PretrainedModelOptions,
} from '@huggingface/transformers';
import { throwIfAborted } from '../../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import { errorText, ModelLoadError } from './errors.ts';
import {
  openModelSource,
  type OpenedModelSource,
  type OpenModelSourceOptions,
} from './open-model-source.ts';
import { transformersDevice } from './transformers-env.ts';
import type { EmbedDevice, ModelSource } from './types.ts';

/** An `AutoModelFor…` class of transformers.js. */
export interface PretrainedModelClass {
  from_pretrained(id: string, options?: PretrainedModelOptions): Promise<PreTrainedModel>;
}

export interface PretrainedLoadOptions extends OpenModelSourceOptions {
  /** The head to load the ONNX graph with: `AutoModelForCausalLM`, `AutoModelForSequenceClassification`… */
  modelClass: PretrainedModelClass;
  device: EmbedDevice;
  /** The weight file transformers.js picks by suffix (`fp32`, `q4f16`…). */
  weights: NonNullable<PretrainedModelOptions['dtype']>;
  /** The share of the progress bar the downloads fill; the rest is the caller's. */
  downloadShare: number;
  /** What a model that would not start is told, before the runtime's own reason. */
  startFailure: (name: string) => { why: string; whatToDo: string };
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** A tokenizer and model freshly loaded, with the opened source still readable. */
export interface LoadedPretrained {
  opened: OpenedModelSource;
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  progress: ProgressReporter;
}

/**
 * Loads a model source's tokenizer and ONNX model into transformers.js and hands them to `build`,
 * which reads what else it needs (config.json…) and wraps them. The model is disposed when
 * anything after it fails or is aborted, the source released either way, and the progress
 * finished as `<name> ready on <device>` once `build` returns.
 */
export async function loadPretrained<T>(
  source: ModelSource,
  options: PretrainedLoadOptions,
  build: (loaded: LoadedPretrained) => Promise<T>,
): Promise<T> {
  const { signal, device } = options;
  throwIfAborted(signal);
  const progress = new ProgressReporter(options.onProgress);
  const opened = await openModelSource(source, options);
  progress.start(`Loading ${opened.name}`);
  let model: PreTrainedModel | null = null;
  try {
    const fromPretrained = {
      revision: opened.revision,
      progress_callback: (info: { status: string; file?: string; progress?: number }) => {
        if (info.status === 'progress' && typeof info.progress === 'number') {
          const fraction = Math.min(options.downloadShare, info.progress / 100);
          progress.update(fraction, 1, `Loading ${info.file ?? ''}`);
        }
      },
    };
    const tokenizer = await AutoTokenizer.from_pretrained(opened.modelId, fromPretrained);
    throwIfAborted(signal);
    try {
      model = await options.modelClass.from_pretrained(opened.modelId, {
        ...fromPretrained,
        dtype: options.weights,
        device: transformersDevice(device),
      });
    } catch (error) {
      const { why, whatToDo } = options.startFailure(opened.name);
      throw new ModelLoadError(`${why} (${errorText(error)}).`, whatToDo, { cause: error });
    }
    throwIfAborted(signal);
    const built = await build({ opened, tokenizer, model, progress });
    progress.finish(`${opened.name} ready on ${device}`);
    return built;
  } catch (error) {
    await model?.dispose().catch(() => undefined);
    throw error;
  } finally {
    opened.release();
  }
}
