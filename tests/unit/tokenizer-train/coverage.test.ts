import { describe, expect, it } from 'vitest';
import {
  coverageReport,
  createEncoder,
  trainTokenizer,
} from '../../../src/core/tokenizer/train/index.ts';

describe('coverageReport', () => {
  it('counts unknown tokens, split words and vocabulary use on held-out text', async () => {
    const trained = await trainTokenizer(['aaa bbb', 'aaa'], {
      type: 'wordpiece',
      vocabSize: 1000,
      minFrequency: 1,
    });
    const encoder = createEncoder(trained.tokenizerJson);
    // 'zzz' has no known character: one [UNK]; 'ab' was never seen whole: 'a' + '##b'.
    expect(encoder.encode('aaa zzz', { addSpecialTokens: false }).tokens).toEqual(['aaa', '[UNK]']);
    expect(encoder.encode('bbb ab', { addSpecialTokens: false }).tokens).toEqual([
      'bbb',
      'a',
      '##b',
    ]);
    const report = await coverageReport(encoder, ['aaa zzz', 'bbb ab']);
    const vocabSize = Object.keys(trained.tokenizerJson.model.vocab).length;
    expect(report).toEqual({
      texts: 2,
      chars: 13,
      tokens: 5,
      words: 4,
      unknownTokens: 1,
      unknownRate: 0.2,
      distinctTokens: 5,
      vocabUsed: 5 / vocabSize,
      charsPerToken: 13 / 5,
      tokensPerWord: 5 / 4,
      wordsSplitRate: 0.25,
    });
  });

  it('gives byte-level BPE no unknown tokens, whatever the script', async () => {
    const trained = await trainTokenizer(['plain ascii text only'], {
      type: 'bpe',
      vocabSize: 300,
    });
    const report = await coverageReport(createEncoder(trained.tokenizerJson), [
      '日本語 😀 ünïcödé',
    ]);
    expect(report.unknownTokens).toBe(0);
    expect(report.tokens).toBeGreaterThan(10);
  });
});
