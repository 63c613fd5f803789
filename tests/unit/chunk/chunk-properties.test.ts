import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkText, type ChunkMode, type ChunkOptions } from '../../../src/core/chunk/index.ts';
import { whitespaceCounter, type TokenCounter } from '../../../src/core/tokenizer/index.ts';
import type { TextChunk } from '../../../src/core/types.ts';
import { minilmTokenizer } from '../../support/shared-data.ts';

const minilm = minilmTokenizer();

const MODES: ChunkMode[] = ['recursive', 'paragraph', 'sentence', 'fixed', 'regex', 'section'];
const PATTERNS = ['\\n', '[.!?]', '^#', '\\d+', '(?:)', 'the'];

const fragment = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z]{1,9}$/) },
  { weight: 3, arbitrary: fc.constantFrom(' ', ' ', ' ', '  ', '\n', '\n\n', '\t', ' \n \n ') },
  { weight: 2, arbitrary: fc.constantFrom('. ', ', ', '! ', '? ', ';', '(', ')', '"', '—', '42') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'The',
      'Tokenization',
      'café',
      'naïve',
      'ΟΔΟΣ',
      '中文字',
      'e\u0301',
      'ß',
      '😀',
      'İ',
      '\u0000',
      'antidisestablishmentarianism',
      'x'.repeat(60),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '\n# Heading\n',
      '\n## Sub heading\n',
      '\n = Wiki Title = \n',
      '\n = = Wiki Sub = = \n',
      '\nSetext\n---\n',
    ),
  },
);
const documentText = fc
  .array(fragment, { maxLength: 120, size: 'max' })
  .map((parts) => parts.join(''));
const anyText = fc.oneof(
  { weight: 4, arbitrary: documentText },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
);

const sizes = fc.integer({ min: 1, max: 40 }).chain((chunkTokens) =>
  fc.record({
    chunkTokens: fc.constant(chunkTokens),
    overlapTokens: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: chunkTokens - 1 })),
  }),
);

function optionsFor(mode: ChunkMode) {
  return fc
    .record({
      mode: fc.constant(mode),
      size: sizes,
      pattern: fc.constantFrom(...PATTERNS),
      separators: fc.option(fc.constant<string[]>(['\n', ' ']), { nil: undefined }),
    })
    .map(({ size, pattern, separators, mode: m }): ChunkOptions => ({
      mode: m,
      ...size,
      ...(m === 'regex' ? { pattern } : {}),
      ...(separators ? { separators } : {}),
    }));
}

/** Tokens of the whole text that lie inside [from, to). */
function tokensWithin(offsets: Array<[number, number]>, from: number, to: number): number {
  return offsets.filter(([a, b]) => a >= from && b <= to && b > a).length;
}

/**
 * Whether the fixed window planned after `previous` (a full window of chunkTokens document
 * tokens) fits on its own. Cut inside a word, a window can count more tokens alone than in
 * the document (`##ization` alone is `iz ##ation`) and must then be moved or shortened.
 */
function plannedWindowFits(
  text: string,
  options: ChunkOptions,
  counter: TokenCounter,
  offsets: Array<[number, number]>,
  previous: TextChunk,
): boolean {
  if (tokensWithin(offsets, previous.charStart, previous.charEnd) !== options.chunkTokens)
    return false;
  const first = offsets.filter(([a]) => a < previous.charStart).length;
  const next = first + options.chunkTokens - options.overlapTokens;
  const from = offsets[next]?.[0] ?? text.length;
  const to = offsets[next + options.chunkTokens]?.[0] ?? text.length;
  return counter.count(text.slice(from, to).trim()) <= options.chunkTokens;
}

function checkChunks(
  text: string,
  options: ChunkOptions,
  counter: TokenCounter,
  chunks: TextChunk[],
) {
  // (c) offsets and slice identity, trimmed, non-empty, in order.
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(chunk.text).toBe(text.slice(chunk.charStart, chunk.charEnd));
    expect(chunk.text.length).toBeGreaterThan(0);
    expect(chunk.text.trim()).toBe(chunk.text);
    const previous = chunks[i - 1];
    if (previous) expect(chunk.charStart).toBeGreaterThan(previous.charStart);
    // (b) token limit, counted for real; only a lone code point may exceed it.
    expect(chunk.tokenCount).toBe(counter.count(chunk.text));
    if ([...chunk.text].length > 1)
      expect(chunk.tokenCount).toBeLessThanOrEqual(options.chunkTokens);
  });
  // (a) coverage of every non-whitespace character.
  const uncovered: number[] = [];
  let covered = 0;
  let k = 0;
  for (let i = 0; i < text.length; i++) {
    while (k < chunks.length && (chunks[k]?.charStart ?? 0) <= i) {
      covered = Math.max(covered, chunks[k]?.charEnd ?? 0);
      k++;
    }
    if (i >= covered && !/\s/u.test(text[i] ?? '')) uncovered.push(i);
  }
  expect(uncovered).toEqual([]);
  // (d) overlap.
  const offsets = options.mode === 'fixed' ? counter.encode(text).offsets : [];
  for (let i = 1; i < chunks.length; i++) {
    const previous = chunks[i - 1];
    const chunk = chunks[i];
    if (!previous || !chunk) continue;
    if (options.overlapTokens === 0) {
      expect(chunk.charStart).toBeGreaterThanOrEqual(previous.charEnd);
    } else if (options.mode === 'recursive' || options.mode === 'fixed') {
      expect(chunk.charStart).toBeLessThan(previous.charEnd);
    }
    if (options.mode === 'fixed' && plannedWindowFits(text, options, counter, offsets, previous)) {
      expect(tokensWithin(offsets, chunk.charStart, previous.charEnd)).toBe(options.overlapTokens);
    }
  }
}

describe('chunkText properties', () => {
  for (const mode of MODES) {
    it(`${mode}: coverage, limit, offsets and overlap (whitespace counter)`, () => {
      fc.assert(
        fc.property(anyText, optionsFor(mode), (text, options) => {
          checkChunks(
            text,
            options,
            whitespaceCounter,
            chunkText(text, options, whitespaceCounter),
          );
        }),
        { numRuns: 120 },
      );
    });

    it(`${mode}: coverage, limit, offsets and overlap (MiniLM tokenizer)`, () => {
      fc.assert(
        fc.property(documentText, optionsFor(mode), (text, options) => {
          checkChunks(text, options, minilm, chunkText(text, options, minilm));
        }),
        { numRuns: 50 },
      );
    });
  }

  it('fixed: whitespace windows hold exactly chunkTokens words and share exactly overlapTokens', () => {
    fc.assert(
      fc.property(documentText, sizes, (text, size) => {
        const chunks = chunkText(text, { mode: 'fixed', ...size }, whitespaceCounter);
        const words = whitespaceCounter.count(text);
        chunks.forEach((chunk, i) => {
          if (i < chunks.length - 1) expect(chunk.tokenCount).toBe(size.chunkTokens);
          const next = chunks[i + 1];
          if (next) {
            const shared = text.slice(next.charStart, chunk.charEnd);
            expect(whitespaceCounter.count(shared)).toBe(size.overlapTokens);
          }
        });
        if (words > 0) expect(chunks.at(-1)?.charEnd).toBe(text.trimEnd().length);
      }),
      { numRuns: 150 },
    );
  });
});
