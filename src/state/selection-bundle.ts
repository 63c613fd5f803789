import * as Comlink from 'comlink';
import { BUNDLE_EXTENSION } from '../core/bundle/format.ts';
import type { SelectionRequest } from '../core/bundle/index.ts';
import type { Progress } from '../core/progress.ts';
import { prepareClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import { appVersion } from './system.svelte.ts';

export interface SelectionBundleRequest {
  datasetId: string;
  setId: string;
  /** Dataset name, the start of the file name. */
  datasetName: string;
  /** Short tag for the file name, e.g. "map" or "search". */
  tag: string;
  selection: SelectionRequest;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** A file-name-safe piece of text. */
export function fileSafe(text: string): string {
  return text.replace(/[\\/:*?"<>|\s]+/g, '_');
}

/**
 * Writes the chosen rows of a set as a bundle in the prepare worker and downloads it as
 * `<dataset>-<tag>-selection.lumina`; returns the file name.
 */
export async function downloadSelectionBundle(request: SelectionBundleRequest): Promise<string> {
  const { datasetId, setId, selection, signal } = request;
  const report = request.onProgress;
  const onProgress = report
    ? Comlink.proxy((event: Progress) => report(event.fraction, event.message))
    : undefined;
  const bytes = await prepareClient.call(
    (api) => api.exportBundle(datasetId, setId, appVersion, signal, onProgress, selection),
    signal,
  );
  const fileName = `${fileSafe(request.datasetName)}-${fileSafe(request.tag)}-selection${BUNDLE_EXTENSION}`;
  downloadBlob(bytes as Uint8Array<ArrayBuffer>, fileName, 'application/zip');
  return fileName;
}
