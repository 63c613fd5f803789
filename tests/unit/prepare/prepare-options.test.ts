import { describe, expect, it } from 'vitest';
import { isAbortError } from '../../../src/core/abort.ts';
import {
  assignSplits,
  defaultPrepareOptions,
  prepareTexts,
  splitSizes,
  validatePrepareOptions,
  type PrepareOptions,
} from '../../../src/core/prepare/index.ts';
import { whitespaceCounter } from '../../../src/core/tokenizer/index.ts';
import type { SourceDocument } from '../../../src/core/types.ts';

const doc = (id: string, text: string): SourceDocument => ({
  id,
  source: `${id}.txt`,
  text,
  metadata: {},
});
const plain: PrepareOptions = {
  ...defaultPrepareOptions,
  cleaning: { ...defaultPrepareOptions.cleaning, dropNoisy: false },
  tokenFilter: null,
};

describe('validatePrepareOptions', () => {
  it('accepts the defaults', () => {
    expect(validatePrepareOptions(defaultPrepareOptions)).toEqual([]);
  });

  it('explains ratios that do not add up to 1, and other bad fields', () => {
    const split = { train: 0.8, validation: 0.1, test: 0.2, seed: 1 };
    expect(validatePrepareOptions({ ...plain, split }).join(' ')).toMatch(
      /split ratios must add up to 1 \(train 0\.8 \+ validation 0\.1 \+ test 0\.2 = 1\.1/,
    );
    expect(validatePrepareOptions({ ...plain, split: { ...split, test: 0.1 + 1e-12 } })).toEqual(
      [],
    );
    expect(
      validatePrepareOptions({ ...plain, split: { ...split, test: -0.1, train: 1 } }).join(' '),
    ).toMatch(/split\.test/);
    expect(
      validatePrepareOptions({ ...plain, split: { ...split, test: 0.1, seed: 1.5 } }).join(' '),
    ).toMatch(/split\.seed/);
    expect(
      validatePrepareOptions({ ...plain, tokenFilter: { min: 10, max: 5 } }).join(' '),
    ).toMatch(/tokenFilter\.min \(10\) must not exceed tokenFilter\.max \(5\)/);
    expect(validatePrepareOptions({ ...plain, mergeMinChars: 0 }).join(' ')).toMatch(
      /mergeMinChars/,
    );
    expect(
      validatePrepareOptions({ ...plain, cleaning: { ...plain.cleaning, noisyThreshold: 2 } }).join(
        ' ',
      ),
    ).toMatch(/noisyThreshold/);
  });

  it('makes prepareTexts throw a clear error', () => {
    const split = { train: 0.5, validation: 0.1, test: 0.1, seed: 1 };
    expect(() => prepareTexts([doc('a', 'text')], { ...plain, split }, whitespaceCounter)).toThrow(
      /split ratios must add up to 1/,
    );
  });
});

describe('splits', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `doc:${i}`);
  const ratios = { train: 0.8, validation: 0.1, test: 0.1, seed: 42 };

  it('cut exactly by the ratios, the sizes always adding up', () => {
    expect(splitSizes(10, ratios)).toEqual({ train: 8, validation: 1, test: 1 });
    expect(splitSizes(7, { ...ratios, train: 1 / 3, validation: 1 / 3, test: 1 / 3 })).toEqual({
      train: 3,
      validation: 2,
      test: 2,
    });
    const counts = { train: 0, validation: 0, test: 0 };
    for (const s of assignSplits(ids, ratios)) counts[s]++;
    expect(counts).toEqual({ train: 800, validation: 100, test: 100 });
  });

  it('are reproducible, follow the text not its position, and change with the seed', () => {
    const first = assignSplits(ids, ratios);
    expect(assignSplits(ids, ratios)).toEqual(first);
    const reversed = assignSplits([...ids].reverse(), ratios).reverse();
    expect(reversed).toEqual(first);
    // Dropping a tenth of the texts leaves almost every other text in its split.
    const kept = ids.filter((_, i) => i % 10 !== 0);
    const after = assignSplits(kept, ratios);
    const same = kept.filter((id, i) => after[i] === first[ids.indexOf(id)]).length;
    expect(same / kept.length).toBeGreaterThan(0.95);
    const other = assignSplits(ids, { ...ratios, seed: 43 });
    expect(other.filter((s, i) => s !== first[i]).length).toBeGreaterThan(100);
  });
});

describe('prepareTexts', () => {
  it('removes exact duplicates after cleaning, keeping the first', () => {
    const { texts, report } = prepareTexts(
      [
        doc('a', 'Hello , world .\n\nUnique one.\n\nHello, world.'),
        doc('b', 'Hello,   world.\n\nAnother.'),
      ],
      plain,
      whitespaceCounter,
    );
    expect(texts.map((t) => [t.text_id, t.text])).toEqual([
      ['a:0', 'Hello, world.'],
      ['a:1', 'Unique one.'],
      ['b:1', 'Another.'],
    ]);
    const dedupe = report.rules.find((r) => r.rule === 'dedupe');
    expect(dedupe).toMatchObject({ textsRemoved: 2, charsRemoved: 26 });
    const withDuplicates = prepareTexts(
      [doc('a', 'x y\n\nx y')],
      { ...plain, dedupe: false },
      whitespaceCounter,
    );
    expect(withDuplicates.texts).toHaveLength(2);
    expect(withDuplicates.report.rules.some((r) => r.rule === 'dedupe')).toBe(false);
  });

  it('merges short paragraphs within a document and names the merged ids', () => {
    const { texts, report } = prepareTexts(
      [doc('a', 'one two\n\nthree\n\nfour five six seven eight nine ten'), doc('b', 'short')],
      { ...plain, paragraphs: 'merge', mergeMinChars: 12 },
      whitespaceCounter,
    );
    expect(texts.map((t) => [t.text_id, t.text])).toEqual([
      ['a:0-1', 'one two\n\nthree'],
      ['a:2', 'four five six seven eight nine ten'],
      ['b:0', 'short'],
    ]);
    expect(report.rules.find((r) => r.rule === 'merge')).toMatchObject({
      textsChanged: 1,
      textsRemoved: 1,
    });
  });

  it('drops noisy paragraphs and counts what every rule did', () => {
    const { texts, report } = prepareTexts(
      [
        doc(
          'a',
          'Real words here.\n\n1 – 2 ( 3 ) 4 , 5\n\n = Heading = \n\nA <unk> word @-@ joined',
        ),
      ],
      { ...defaultPrepareOptions, tokenFilter: { min: 2, max: 100 } },
      whitespaceCounter,
    );
    expect(texts.map((t) => t.text)).toEqual(['Real words here.', 'A word-joined']);
    const byRule = Object.fromEntries(report.rules.map((r) => [r.rule, r]));
    expect(byRule['wikiHeadings']).toMatchObject({ textsRemoved: 1, charsRemoved: 13 });
    expect(byRule['wikiArtifacts']).toMatchObject({ textsChanged: 1, charsRemoved: 4 });
    expect(byRule['unk']).toMatchObject({ textsChanged: 1, charsRemoved: 6 });
    expect(byRule['dropNoisy']).toMatchObject({ textsRemoved: 1 });
    expect(byRule['tokenFilter']).toMatchObject({ textsRemoved: 0 });
    expect(report.rules.map((r) => r.rule)).toEqual([
      'wikiHeadings',
      'wikiArtifacts',
      'unk',
      'whitespace',
      'dropNoisy',
      'dedupe',
      'tokenFilter',
    ]);
  });

  it('reports progress in characters up to the total, and stops when aborted', () => {
    const docs = Array.from({ length: 20 }, (_, i) =>
      doc(`d${i}`, `text number ${i}\n\nmore words`),
    );
    const total = docs.reduce((sum, d) => sum + d.text.length, 0);
    const seen: number[] = [];
    prepareTexts(docs, plain, whitespaceCounter, {
      onProgress: (done, all) => {
        expect(all).toBe(total);
        seen.push(done);
      },
    });
    expect(seen.length).toBeGreaterThanOrEqual(20);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(total);

    // One large document still reports as it goes, about every percent.
    const big = doc('big', Array.from({ length: 5000 }, (_, i) => `paragraph ${i}`).join('\n\n'));
    const steps: number[] = [];
    prepareTexts([big], plain, whitespaceCounter, { onProgress: (done) => steps.push(done) });
    expect(steps.length).toBeGreaterThan(50);
    expect(steps.length).toBeLessThanOrEqual(101);
    expect(steps.at(-1)).toBe(big.text.length);

    const controller = new AbortController();
    let error: unknown;
    try {
      prepareTexts(docs, plain, whitespaceCounter, {
        signal: controller.signal,
        onProgress: (done) => {
          if (done > total / 2) controller.abort();
        },
      });
    } catch (caught) {
      error = caught;
    }
    expect(isAbortError(error)).toBe(true);
  });
});
