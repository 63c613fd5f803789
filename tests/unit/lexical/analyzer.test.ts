import { describe, expect, it } from 'vitest';
import {
  analyze,
  createAnalyzer,
  LUCENE_ENGLISH_STOPWORDS,
} from '../../../src/core/lexical/index.ts';

describe('analyze', () => {
  it('lowercases, drops Lucene English stopwords and Porter-stems', () => {
    expect(analyze('The Cats are running into the Houses')).toEqual(['cat', 'run', 'hous']);
    // Porter's own examples (Porter 1980): relational → relat, generalizations → gener.
    expect(analyze('relational generalizations')).toEqual(['relat', 'gener']);
  });

  it('removes possessives and keeps UAX #29 words whole', () => {
    expect(analyze("The patient's IL-6 was 3.5 mg/kg, don't e.g. 1,000")).toEqual([
      'patient',
      'il',
      '6',
      '3.5',
      'mg',
      'kg',
      "don't",
      'e.g',
      '1,000',
    ]);
  });

  it('applies NFKC, so compatibility forms match their plain letters', () => {
    // U+FB01 is the "fi" ligature; full-width letters fold to ASCII.
    expect(analyze('ﬁsh ＣＡＴ')).toEqual(['fish', 'cat']);
    expect(createAnalyzer({ normalization: false, stem: false })('ﬁsh')).toEqual(['ﬁsh']);
  });

  it('tokenises non-Latin scripts on Unicode letters', () => {
    expect(analyze('Ünïcödé naïve café β-cell Москва')).toEqual([
      'ünïcödé',
      'naïv',
      'café',
      'β',
      'cell',
      'москва',
    ]);
  });

  it('can be configured', () => {
    const raw = createAnalyzer({ stopwords: false, stem: false, lowercase: false });
    expect(raw('The Cats are')).toEqual(['The', 'Cats', 'are']);
    expect(createAnalyzer({ stopwords: ['cats'], stem: false })('the cats')).toEqual(['the']);
    expect(createAnalyzer({ possessive: false, stem: false })("john's")).toEqual(["john's"]);
  });

  it('uses the 33-word Lucene stop set', () => {
    expect(LUCENE_ENGLISH_STOPWORDS).toHaveLength(33);
    expect(new Set(LUCENE_ENGLISH_STOPWORDS).size).toBe(33);
    expect(analyze(LUCENE_ENGLISH_STOPWORDS.join(' '))).toEqual([]);
  });
});
