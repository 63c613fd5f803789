import { describe, expect, it } from 'vitest';
import { isWikiHeadingLine } from '../../../src/core/chunk/index.ts';
import {
  defaultPrepareOptions,
  prepareTexts,
  splitParagraphs,
  type PrepareOptions,
} from '../../../src/core/prepare/index.ts';
import type { SourceDocument } from '../../../src/core/types.ts';
import { minilmTokenizer, readShared } from '../../support/shared-data.ts';

const minilm = minilmTokenizer();
const valid = readShared('datasets/wikitext-2/valid.txt');
const docs: SourceDocument[] = [
  { id: 'valid', source: 'wikitext-2/valid.txt', text: valid, metadata: {} },
];

const options = (changes: Partial<PrepareOptions> = {}): PrepareOptions => ({
  ...defaultPrepareOptions,
  paragraphs: 'split',
  tokenFilter: null,
  ...changes,
  cleaning: { ...defaultPrepareOptions.cleaning, ...changes.cleaning },
  split: { ...defaultPrepareOptions.split, ...changes.split },
});

const headingLines = valid.split('\n').filter((line) => /^ (= )+[^=].* (= )+$/u.test(line));
const paragraphLines = valid.split('\n').filter((line) => line.trim().length > 0);

describe('prepareTexts on WikiText-2 valid.txt (one document, paragraphs split)', () => {
  const { texts, report } = prepareTexts(docs, options(), minilm);

  it('removes headings, @-@ artifacts and <unk>', () => {
    expect(headingLines.length).toBe(620);
    for (const { text } of texts) {
      expect(text.split('\n').some(isWikiHeadingLine)).toBe(false);
      expect(text).not.toMatch(/@[-.,]@|<unk>/u);
      expect(text).toBe(text.trim());
    }
    expect(texts.some((t) => t.text.includes('north-eastern Atlantic'))).toBe(true);
    expect(texts.some((t) => t.text.includes('1,000'))).toBe(true);
  });

  it('reports counts that add up', () => {
    expect(report.inputDocuments).toBe(1);
    expect(report.outputTexts).toBe(texts.length);
    const rule = (name: string) => report.rules.find((r) => r.rule === name);
    expect(rule('wikiHeadings')?.textsRemoved).toBe(headingLines.length);
    // WikiText has one paragraph per line (a few lists of short lines form one paragraph).
    const artifactLines = paragraphLines.filter((l) => /@[-.,]@/u.test(l)).length;
    expect(rule('wikiArtifacts')?.textsChanged).toBeGreaterThan(artifactLines * 0.95);
    expect(rule('wikiArtifacts')?.textsChanged).toBeLessThanOrEqual(artifactLines);
    expect(rule('unk')?.textsChanged).toBeGreaterThan(1000);
    expect(rule('whitespace')?.textsChanged).toBeGreaterThan(1000);
    const removed = report.rules.reduce((sum, r) => sum + r.textsRemoved, 0);
    expect(texts.length + removed).toBe(splitParagraphs(valid).length);
    expect(splitParagraphs(valid).length).toBeGreaterThan(paragraphLines.length - 100);
    expect(report.splits.train + report.splits.validation + report.splits.test).toBe(texts.length);
    expect(report.tokens.total).toBe(texts.reduce((sum, t) => sum + t.token_count, 0));
    expect(report.tokens.mean).toBeCloseTo(report.tokens.total / texts.length, 9);
    expect(report.tokens.min).toBe(Math.min(...texts.map((t) => t.token_count)));
    expect(report.tokens.max).toBe(Math.max(...texts.map((t) => t.token_count)));
  });

  it('fills every field: stable ids, MiniLM token counts, character counts', () => {
    expect(new Set(texts.map((t) => t.text_id)).size).toBe(texts.length);
    expect(texts[0]?.text_id).toBe('valid:1');
    for (const t of texts.slice(0, 200)) {
      expect(t.token_count).toBe(minilm.count(t.text));
      expect(t.char_count).toBe([...t.text].length);
      expect(t.doc_id).toBe('valid');
      expect(t.source).toBe('wikitext-2/valid.txt');
    }
  });

  it('splits 0.8 / 0.1 / 0.1 within 1 %', () => {
    const n = texts.length;
    expect(Math.abs(report.splits.train / n - 0.8)).toBeLessThan(0.01);
    expect(Math.abs(report.splits.validation / n - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(report.splits.test / n - 0.1)).toBeLessThan(0.01);
  });

  it('gives the same split for the same seed and a different one for another seed', () => {
    const again = prepareTexts(docs, options(), minilm).texts;
    expect(again.map((t) => [t.text_id, t.split])).toEqual(texts.map((t) => [t.text_id, t.split]));
    const reseeded = prepareTexts(
      docs,
      options({ split: { ...defaultPrepareOptions.split, seed: 7 } }),
      minilm,
    ).texts;
    const moved = reseeded.filter((t, i) => t.split !== texts[i]?.split).length;
    expect(moved).toBeGreaterThan(texts.length * 0.1);
  });

  it('keeps or replaces <unk> when asked', () => {
    const kept = prepareTexts(
      docs,
      options({ cleaning: { ...defaultPrepareOptions.cleaning, unk: 'keep' } }),
      minilm,
    );
    expect(kept.texts.some((t) => t.text.includes('<unk>'))).toBe(true);
    expect(kept.report.rules.some((r) => r.rule === 'unk')).toBe(false);
    const replaced = prepareTexts(
      docs,
      options({
        cleaning: { ...defaultPrepareOptions.cleaning, unk: 'replace', unkReplacement: '[UNK]' },
      }),
      minilm,
    );
    expect(replaced.texts.some((t) => t.text.includes('<unk>'))).toBe(false);
    expect(replaced.texts.filter((t) => t.text.includes('[UNK]')).length).toBeGreaterThan(1000);
  });

  it('keeps only texts whose MiniLM token count lies in the filter range', () => {
    const filter = { min: 32, max: 128 };
    const filtered = prepareTexts(docs, options({ tokenFilter: filter }), minilm);
    expect(filtered.texts.length).toBeGreaterThan(100);
    for (const t of filtered.texts) {
      expect(t.token_count).toBeGreaterThanOrEqual(32);
      expect(t.token_count).toBeLessThanOrEqual(128);
      expect(minilm.count(t.text)).toBe(t.token_count);
    }
    const outside = texts.filter((t) => t.token_count < 32 || t.token_count > 128).length;
    const effect = filtered.report.rules.find((r) => r.rule === 'tokenFilter');
    expect(effect?.textsRemoved).toBe(outside);
    expect(filtered.texts.length).toBe(texts.length - outside);
  });

  it('keep-documents gives one cleaned text per document', () => {
    const whole = prepareTexts(docs, options({ paragraphs: 'keep-documents' }), minilm);
    expect(whole.texts).toHaveLength(1);
    const text = whole.texts[0]?.text ?? '';
    expect(text).not.toMatch(/@[-.,]@|<unk>| = = /u);
    expect(text.split('\n').length).toBeGreaterThan(1500);
    expect(whole.texts[0]?.text_id).toBe('valid:0');
  });
});
