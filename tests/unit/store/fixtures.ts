import type { SourceDocument, TextChunk } from '../../../src/core/types.ts';

export function makeDocs(count: number, prefix = 'doc', start = 0): SourceDocument[] {
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    return {
      id: `${prefix}-${String(n).padStart(5, '0')}`,
      source: 'data.jsonl',
      text: `text number ${n}`,
      metadata: { n },
    };
  });
}

/** Chunks that cover `text` in pieces of `size` characters. */
export function makeChunks(text: string, size: number): TextChunk[] {
  const chunks: TextChunk[] = [];
  for (let start = 0, index = 0; start < text.length; start += size, index++) {
    const end = Math.min(text.length, start + size);
    chunks.push({
      index,
      text: text.slice(start, end),
      charStart: start,
      charEnd: end,
      tokenCount: 1,
    });
  }
  return chunks;
}

export function textBytes(docs: readonly SourceDocument[]): number {
  return docs.reduce((sum, doc) => sum + doc.text.length, 0);
}
