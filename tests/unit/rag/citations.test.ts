import { describe, expect, it } from 'vitest';
import { parseCitations, type ContextSource } from '../../../src/core/rag/index.ts';

function source(n: number, docId: string): ContextSource {
  return {
    sourceNumber: n,
    docId,
    chunkIds: [`${docId}#0`],
    text: 't',
    score: 1 / n,
    charStart: 0,
    charEnd: 1,
    truncated: false,
  };
}

describe('parseCitations', () => {
  const sources = [source(1, 'a'), source(2, 'b'), source(3, 'c')];

  it('maps markers to sources, each once in first-citation order, and flags unknown numbers', () => {
    const text = 'X holds [2]. Y too [1, 3]. Z [2][7]. See [a] and [] and [2–3].';
    const parsed = parseCitations(text, sources);
    expect(parsed.citations.map((c) => [c.n, c.docId])).toEqual([
      [2, 'b'],
      [1, 'a'],
      [3, 'c'],
    ]);
    expect(parsed.invalid).toEqual([7]);
    expect(parsed.markers.map((m) => m.numbers)).toEqual([[2], [1, 3], [2], [7], [2, 3]]);
    const first = parsed.markers[0];
    expect(text.slice(first?.start, first?.end)).toBe('[2]');
  });

  it('expands ranges and treats a huge span as two numbers', () => {
    expect(parseCitations('[1-3]', sources).markers[0]?.numbers).toEqual([1, 2, 3]);
    const years = parseCitations('in [1990-2020]', sources);
    expect(years.markers[0]?.numbers).toEqual([1990, 2020]);
    expect(years.invalid).toEqual([1990, 2020]);
  });

  it('finds nothing in text without markers', () => {
    expect(parseCitations('No sources here.', sources)).toEqual({
      markers: [],
      citations: [],
      invalid: [],
    });
  });
});
