import { describe, expect, it } from 'vitest';
import { splitSentences } from '../../../src/core/rag/index.ts';

const TEXT = '  Cells divide. Do they?  "Yes," she said. Three cells remain.\n\nNew part here';

describe('splitSentences', () => {
  for (const useIntl of [true, false]) {
    it(`splits with ${useIntl ? 'Intl.Segmenter' : 'the fallback'} and keeps offsets`, () => {
      const sentences = splitSentences(TEXT, useIntl);
      expect(sentences.map((s) => s.text)).toEqual([
        'Cells divide.',
        'Do they?',
        '"Yes," she said.',
        'Three cells remain.',
        'New part here',
      ]);
      for (const s of sentences) expect(TEXT.slice(s.start, s.end)).toBe(s.text);
    });
  }
});
