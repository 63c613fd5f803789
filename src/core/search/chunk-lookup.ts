import type { ChunkRecord, LuminaStore } from '../store/index.ts';

/** The document fields a search result shows next to its chunk. */
export interface HitDocument {
  id: string;
  source: string;
}

export interface JoinedChunk {
  chunk: ChunkRecord;
  document: HitDocument | null;
}

/**
 * Reads chunks by id with their document's source, in one read transaction. The store has no
 * chunk-by-id lookup, so this reads `store.db` directly (chunks are keyed [datasetId, chunkId]).
 * Ids whose chunk no longer exists are missing from the map.
 */
export async function lookupChunks(
  store: LuminaStore,
  datasetId: string,
  chunkIds: readonly string[],
): Promise<Map<string, JoinedChunk>> {
  const tx = store.db.transaction(['chunks', 'documents']);
  const chunks = await Promise.all(
    chunkIds.map((id) => tx.objectStore('chunks').get([datasetId, id])),
  );
  const docIds = [...new Set(chunks.flatMap((chunk) => (chunk ? [chunk.docId] : [])))];
  const documents = await Promise.all(
    docIds.map((id) => tx.objectStore('documents').get([datasetId, id])),
  );
  await tx.done;
  const sources = new Map(documents.flatMap((doc) => (doc ? [[doc.id, doc.source] as const] : [])));
  const joined = new Map<string, JoinedChunk>();
  for (const chunk of chunks) {
    if (!chunk) continue;
    const source = sources.get(chunk.docId);
    joined.set(chunk.id, {
      chunk,
      document: source === undefined ? null : { id: chunk.docId, source },
    });
  }
  return joined;
}
