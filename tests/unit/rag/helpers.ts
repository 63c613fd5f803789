import type { BundleChunk } from '../../../src/core/bundle/index.ts';
import type { RetrievedPassage } from '../../../src/core/rag/index.ts';

/** A chunk of `text` covering [start, end), as the bundle stores it. */
export function chunkAt(
  docId: string,
  chunkIndex: number,
  text: string,
  start: number,
  end: number,
  metadata: BundleChunk['metadata'] = {},
): BundleChunk {
  return {
    docId,
    chunkIndex,
    source: `${docId}.txt`,
    text: text.slice(start, end),
    charStart: start,
    charEnd: end,
    tokenCount: 0,
    metadata,
  };
}

export function passageOf(chunk: BundleChunk, score: number, rank = 1): RetrievedPassage {
  return {
    id: `${chunk.docId}#${chunk.chunkIndex}`,
    docId: chunk.docId,
    index: chunk.chunkIndex,
    text: chunk.text,
    charStart: chunk.charStart,
    charEnd: chunk.charEnd,
    score,
    rank,
    lexicalScore: null,
    semanticScore: null,
    neighbourOf: null,
  };
}
