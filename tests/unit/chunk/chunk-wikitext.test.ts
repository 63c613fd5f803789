import { describe, expect, it } from 'vitest';
import { chunkText, isWikiHeadingLine } from '../../../src/core/chunk/index.ts';
import { minilmTokenizer, readShared } from '../../support/shared-data.ts';

const minilm = minilmTokenizer();
const valid = readShared('datasets/wikitext-2/valid.txt');

/** The first `count` articles: an article starts at a top-level ` = Title = ` line. */
function firstArticles(count: number): string {
  const starts = [...valid.matchAll(/^ = [^=].* = $/gmu)].map((m) => m.index);
  return valid.slice(0, starts[count] ?? valid.length);
}

describe('chunking WikiText-2', () => {
  it('section mode: each heading opens a chunk and never sits inside one', () => {
    const text = firstArticles(2);
    const headings = text.split('\n').filter(isWikiHeadingLine);
    expect(headings.length).toBeGreaterThan(10);
    const chunks = chunkText(
      text,
      { mode: 'section', chunkTokens: 256, overlapTokens: 32 },
      minilm,
    );
    const opening = chunks.map((c) => (c.text.split('\n')[0] ?? '').trim());
    for (const heading of headings) expect(opening).toContain(heading.trim());
    for (const chunk of chunks) {
      expect(chunk.text).toBe(text.slice(chunk.charStart, chunk.charEnd));
      expect(chunk.tokenCount).toBeLessThanOrEqual(256);
      expect(chunk.text.split('\n').slice(1).some(isWikiHeadingLine)).toBe(false);
    }
    // Sections longer than 256 tokens were split, so there are more chunks than headings.
    expect(chunks.length).toBeGreaterThan(headings.length);
  });

  it('recursive mode on all of valid.txt (1.1 MB) with MiniLM at 256/32 runs in linear time', () => {
    const started = performance.now();
    const chunks = chunkText(
      valid,
      { mode: 'recursive', chunkTokens: 256, overlapTokens: 32 },
      minilm,
    );
    const seconds = (performance.now() - started) / 1000;
    console.info(
      `chunked ${valid.length} chars into ${chunks.length} chunks in ${seconds.toFixed(2)} s`,
    );
    expect(seconds).toBeLessThan(30);
    const tokens = minilm.count(valid);
    // Full chunks with ~32 tokens repeated: about tokens / (256 - 32) of them, at least.
    expect(chunks.length).toBeGreaterThan(tokens / 256);
    chunks.forEach((chunk, i) => {
      expect(chunk.tokenCount).toBeLessThanOrEqual(256);
      expect(chunk.text).toBe(valid.slice(chunk.charStart, chunk.charEnd));
      const previous = chunks[i - 1];
      if (previous) expect(chunk.charStart).toBeLessThan(previous.charEnd);
    });
    expect(chunks.at(-1)?.charEnd).toBe(valid.trimEnd().length);
  });
});
