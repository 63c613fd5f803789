import { describe, expect, it } from 'vitest';
import { assembleContext, mergePassages, splitSentences } from '../../../src/core/rag/index.ts';
import { whitespaceCounter } from '../../../src/core/tokenizer/index.ts';
import { minilmTokenizer, readShared } from '../../support/shared-data.ts';
import { chunkAt, passageOf } from './helpers.ts';

const DOC = 'One two three. Four five six. Seven eight nine. Ten eleven twelve.';

describe('mergePassages', () => {
  it('merges overlapping chunks of a document without repeating the overlap', () => {
    // [0, 29) and [15, 47) overlap on "Four five six."
    const first = chunkAt('d', 0, DOC, 0, 29);
    const second = chunkAt('d', 1, DOC, 15, 47);
    const [span, ...rest] = mergePassages([passageOf(second, 2), passageOf(first, 1)]);
    expect(rest).toHaveLength(0);
    expect(span?.text).toBe(DOC.slice(0, 47));
    expect(span?.text.match(/Four five six/g)).toHaveLength(1);
    expect(span).toMatchObject({ charStart: 0, charEnd: 47, score: 2, chunkIds: ['d#0', 'd#1'] });
  });

  it('joins consecutive chunks across a whitespace gap, and keeps distant chunks and other documents apart', () => {
    const a = chunkAt('d', 0, DOC, 0, 14);
    const b = chunkAt('d', 1, DOC, 15, 29);
    const far = chunkAt('d', 3, DOC, 48, DOC.length);
    const other = chunkAt('e', 0, DOC, 0, 14);
    const spans = mergePassages([a, b, far, other].map((c, i) => passageOf(c, 4 - i)));
    expect(spans.map((s) => [s.docId, s.text])).toEqual([
      ['d', 'One two three. Four five six.'],
      ['d', 'Ten eleven twelve.'],
      ['e', 'One two three.'],
    ]);
  });

  it('drops a passage listed twice and a chunk contained in another', () => {
    const whole = chunkAt('d', 0, DOC, 0, DOC.length);
    const inner = chunkAt('d', 1, DOC, 15, 29);
    const spans = mergePassages([passageOf(whole, 1), passageOf(whole, 1), passageOf(inner, 3)]);
    expect(spans).toHaveLength(1);
    expect(spans[0]?.text).toBe(DOC);
    expect(spans[0]?.score).toBe(3);
  });
});

describe('assembleContext', () => {
  it('numbers sources by score and formats them as [n] text', () => {
    const low = chunkAt('x', 0, DOC, 0, 14);
    const high = chunkAt('y', 0, DOC, 15, 29);
    const context = assembleContext([passageOf(low, 1), passageOf(high, 5)], {
      counter: whitespaceCounter,
      budgetTokens: 100,
    });
    expect(context.text).toBe('[1] Four five six.\n\n[2] One two three.');
    expect(context.sources.map((s) => [s.sourceNumber, s.docId, s.truncated])).toEqual([
      [1, 'y', false],
      [2, 'x', false],
    ]);
  });

  it('keeps within the budget of the real MiniLM tokenizer, cutting at a sentence end', () => {
    const counter = minilmTokenizer();
    const lines = readShared('datasets/scifact/corpus.jsonl').split('\n').slice(0, 6);
    const passages = lines.map((line, i) => {
      const { _id, text } = JSON.parse(line) as { _id: string; text: string };
      return passageOf(chunkAt(_id, 0, text, 0, text.length), 10 - i, i + 1);
    });
    let cuts = 0;
    for (const budget of [60, 200, 450]) {
      const context = assembleContext(passages, { counter, budgetTokens: budget });
      expect(context.tokens).toBe(counter.count(context.text));
      expect(context.tokens).toBeLessThanOrEqual(budget);
      const last = context.sources.at(-1);
      expect(last).toBeDefined();
      if (last?.truncated) {
        cuts++;
        expect(last.text).toMatch(/[.!?)\]]$/);
        const original = passages.find((p) => p.docId === last.docId)?.text ?? '';
        expect(original.startsWith(last.text)).toBe(true);
        expect(last.charEnd).toBe(last.charStart + last.text.length);
        // The cut is as late as possible: one more sentence would have gone over the budget.
        const next = splitSentences(original).find((s) => s.end > last.text.length);
        expect(next).toBeDefined();
        const longer =
          context.text.slice(0, context.text.length - last.text.length) +
          original.slice(0, next?.end);
        expect(counter.count(longer)).toBeGreaterThan(budget);
      }
      expect(context.sources.length + context.dropped).toBe(passages.length);
    }
    expect(cuts).toBeGreaterThan(0);
  });

  it('drops a source whose first sentence alone is over the budget', () => {
    const context = assembleContext([passageOf(chunkAt('d', 0, DOC, 0, DOC.length), 1)], {
      counter: whitespaceCounter,
      budgetTokens: 2,
    });
    expect(context.sources).toEqual([]);
    expect(context.dropped).toBe(1);
  });
});
