/** A bundle's summary and validation result, for `lumina bundle inspect` and the app. */

import type { BundleManifest } from './format.ts';
import {
  validateBundle,
  type BundleSource,
  type ValidateBundleOptions,
} from './validate-bundle.ts';

export interface BundleInspection {
  valid: boolean;
  /** Why the bundle is refused; absent when valid. */
  error?: string;
  bytes: number;
  /** sha256 of the bundle file; only computed for a valid bundle. */
  sha256?: string;
  format?: string;
  formatVersion?: number;
  appVersion?: string;
  created?: string;
  model?: BundleManifest['model'];
  chunking?: BundleManifest['chunking'];
  counts?: BundleManifest['counts'];
  missingDocEmbeddings?: number;
  hasDocumentTexts?: boolean;
  files?: BundleManifest['files'];
  /** Present when the bundle holds part of an embedding set. */
  selection?: BundleManifest['selection'];
}

/** Never throws for a bad bundle: the reason is in `error` (an abort still throws). */
export async function inspectBundle(
  input: BundleSource,
  options: ValidateBundleOptions = {},
): Promise<BundleInspection> {
  const bytes = input instanceof Blob ? input.size : input.byteLength;
  try {
    const { bundle, hash } = await validateBundle(input, options);
    const { manifest } = bundle;
    return {
      valid: true,
      bytes,
      sha256: hash,
      format: manifest.format,
      formatVersion: manifest.formatVersion,
      appVersion: manifest.appVersion,
      created: manifest.created,
      model: manifest.model,
      chunking: manifest.chunking,
      counts: manifest.counts,
      missingDocEmbeddings: manifest.missingDocEmbeddings.length,
      hasDocumentTexts:
        bundle.documents.length > 0 && bundle.documents.every((doc) => doc.text !== undefined),
      files: manifest.files,
      ...(manifest.selection ? { selection: manifest.selection } : {}),
    };
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
    return { valid: false, error: error instanceof Error ? error.message : String(error), bytes };
  }
}
