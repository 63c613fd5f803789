import {
  checkModelFiles,
  filesResolver,
  modelFolderFiles,
  urlResolver,
  type FileResolver,
} from './model-files.ts';
import { allowHubDownloads, openServedFolder, readHubJson } from './transformers-env.ts';
import type { EmbedDtype, ModelSource } from './types.ts';

/** A model source made ready for transformers.js's `from_pretrained`, whatever its kind. */
export interface OpenedModelSource {
  /** Downloaded from the Hub (download failures deserve their own message). */
  hub: boolean;
  modelId: string;
  revision: string;
  name: string;
  readJson(path: string): Promise<unknown>;
  release(): void;
}

export interface OpenModelSourceOptions {
  /** The weight file a local folder must have, or null when the dtype's file is not Lumina's to check. */
  dtype: EmbedDtype | null;
  /** How errors name the folder: `The model folder`, `The cross-encoder folder`… */
  label: string;
}

/**
 * Opens a Hub id (downloads allowed), a picked folder or a served URL (hub switched off, files
 * checked first so a missing weight file is named, not a transformers.js 404).
 */
export async function openModelSource(
  source: ModelSource,
  options: OpenModelSourceOptions,
): Promise<OpenedModelSource> {
  if (source.kind === 'hub') {
    const revision = source.revision ?? 'main';
    allowHubDownloads(true);
    return {
      hub: true,
      modelId: source.id,
      revision,
      name: source.id,
      readJson: (path) => readHubJson(source.id, revision, path),
      release: () => undefined,
    };
  }
  let resolve: FileResolver;
  let listing: string[] | null = null;
  let releaseFiles = (): void => undefined;
  if (source.kind === 'files') {
    const files = modelFolderFiles(source.files);
    resolve = filesResolver(files);
    listing = [...files.keys()];
  } else {
    const served = urlResolver(source.baseUrl);
    resolve = served.resolve;
    releaseFiles = served.release;
  }
  const name = source.name ?? (source.kind === 'url' ? source.baseUrl : 'local model folder');
  if (options.dtype !== null) {
    await checkModelFiles(resolve, options.dtype, listing, `${options.label} "${name}"`);
  }
  return { hub: false, ...openServedFolder(resolve, releaseFiles), name };
}
