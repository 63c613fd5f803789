/**
 * Merges bundle shards embedded on several machines into one. Shards must have been made the
 * same way (model, weights, dims, pooling, normalisation, dtype, max tokens, prefixes, chunking);
 * a chunk in several shards is kept once, and a document average is kept only from a shard that
 * holds all of that document's chunks, so every average still matches the merged chunks.
 */

import { isDeepStrictEqual } from './deep-equal.ts';
import {
  bundleChunkId,
  BundleError,
  type Bundle,
  type BundleChunk,
  type BundleDocument,
  type BundleInput,
  type BundleModel,
  type MissingDocEmbedding,
} from './format.ts';
import type { BundleSelection } from './selection.ts';

export interface MergeBundlesOptions {
  appVersion: string;
  /** ISO time of the merged bundle; default now. */
  created?: string;
  /** Shard names for messages (file names); default `bundle 1`, `bundle 2`, … */
  names?: readonly string[];
}

const MODEL_FIELDS: readonly (keyof BundleModel)[] = [
  'id',
  'revision',
  'weightsSha256',
  'dims',
  'pooling',
  'normalize',
  'dtype',
  'maxTokens',
  'queryPrefix',
  'documentPrefix',
];

export function mergeBundles(
  bundles: readonly Bundle[],
  options: MergeBundlesOptions,
): BundleInput {
  const [first] = bundles;
  if (first === undefined) throw new BundleError('Nothing to merge: give at least one bundle');
  const name = (i: number): string => options.names?.[i] ?? `bundle ${i + 1}`;
  const { model, chunking } = first.manifest;
  bundles.forEach((bundle, i) => {
    for (const field of MODEL_FIELDS) {
      if (bundle.manifest.model[field] !== model[field]) {
        throw new BundleError(
          `${name(i)} has model.${field} ${JSON.stringify(bundle.manifest.model[field])} but ` +
            `${name(0)} has ${JSON.stringify(model[field])}: only shards embedded the same way can be merged`,
        );
      }
    }
    if (!isDeepStrictEqual(bundle.manifest.chunking, chunking)) {
      throw new BundleError(
        `${name(i)} was chunked with ${JSON.stringify(bundle.manifest.chunking)} but ${name(0)} ` +
          `with ${JSON.stringify(chunking)}: only shards chunked the same way can be merged`,
      );
    }
  });

  const { dims } = model;
  const chunks: BundleChunk[] = [];
  const rows: Float32Array[] = [];
  const chunkAt = new Map<string, number>();
  const chunksPerDoc = new Map<string, number>();
  bundles.forEach((bundle, i) => {
    bundle.chunks.forEach((chunk, row) => {
      const id = bundleChunkId(chunk.docId, chunk.chunkIndex);
      const seen = chunkAt.get(id);
      if (seen !== undefined) {
        if (!sameChunk(chunks[seen], chunk)) {
          throw new BundleError(
            `chunk ${id} differs between shards (${name(i)} has other text, offsets or source): ` +
              'the shards were not made from the same documents',
          );
        }
        return;
      }
      chunkAt.set(id, chunks.length);
      chunks.push(chunk);
      rows.push(bundle.embeddings.subarray(row * dims, (row + 1) * dims));
      chunksPerDoc.set(chunk.docId, (chunksPerDoc.get(chunk.docId) ?? 0) + 1);
    });
  });

  const documents: BundleDocument[] = [];
  const docRows: Float32Array[] = [];
  const averaged = new Set<string>();
  for (const bundle of bundles) {
    bundle.documents.forEach((doc, row) => {
      if (averaged.has(doc.docId)) return;
      // A shard's average covers exactly its chunk_count chunks; more chunks elsewhere would
      // make it the average of a different set.
      if ((chunksPerDoc.get(doc.docId) ?? 0) !== doc.chunkCount) return;
      averaged.add(doc.docId);
      documents.push(doc);
      docRows.push(bundle.docEmbeddings.subarray(row * dims, (row + 1) * dims));
    });
  }
  const missing = new Map<string, MissingDocEmbedding>();
  for (const bundle of bundles) {
    for (const doc of bundle.documents) {
      if (!averaged.has(doc.docId) && !missing.has(doc.docId)) {
        missing.set(doc.docId, {
          docId: doc.docId,
          source: doc.source,
          reason: 'its chunks are split over several shards, so no shard holds its full average',
        });
      }
    }
    for (const entry of bundle.manifest.missingDocEmbeddings) {
      if (!averaged.has(entry.docId) && !missing.has(entry.docId)) missing.set(entry.docId, entry);
    }
  }
  const withTexts = documents.every((doc) => doc.text !== undefined);
  return {
    appVersion: options.appVersion,
    ...(options.created ? { created: options.created } : {}),
    model: { ...model },
    chunking: { ...chunking },
    chunks,
    embeddings: concatRows(rows, dims),
    documents: withTexts ? documents : documents.map(({ text: _text, ...doc }) => doc),
    docEmbeddings: concatRows(docRows, dims),
    missingDocEmbeddings: [...missing.values()],
    ...mergedSelection(bundles, name),
  };
}

/**
 * Shards that hold part of an embedding set keep saying so: the merge of selections is a
 * selection of their chunks, described by its parts. Whole-set shards merge into a whole set.
 */
function mergedSelection(
  bundles: readonly Bundle[],
  name: (i: number) => string,
): { selection?: BundleSelection } {
  const parts = bundles.flatMap((bundle, i) =>
    bundle.manifest.selection ? [{ selection: bundle.manifest.selection, shard: name(i) }] : [],
  );
  if (parts.length === 0) return {};
  const wholeShards = bundles.length - parts.length;
  const described = parts.map(({ selection, shard }) => `${shard}: ${selection.description}`);
  if (wholeShards > 0)
    described.push(`${wholeShards} whole-set shard${wholeShards > 1 ? 's' : ''}`);
  return {
    selection: {
      kind: 'chunks',
      description: `merge of ${described.join('; ')}`,
      from: parts.reduce(
        (largest, { selection }) =>
          selection.from.chunks > largest.chunks ? selection.from : largest,
        parts[0]?.selection.from ?? { documents: 0, chunks: 0 },
      ),
    },
  };
}

function sameChunk(a: BundleChunk | undefined, b: BundleChunk): boolean {
  return (
    a !== undefined &&
    a.text === b.text &&
    a.source === b.source &&
    a.charStart === b.charStart &&
    a.charEnd === b.charEnd
  );
}

function concatRows(rows: readonly Float32Array[], dims: number): Float32Array {
  const out = new Float32Array(rows.length * dims);
  rows.forEach((row, i) => out.set(row, i * dims));
  return out;
}
