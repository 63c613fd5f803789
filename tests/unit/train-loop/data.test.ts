import { describe, expect, it } from 'vitest';
import { chunkDocuments, epochOrder, prepareMlmData } from '../../../src/core/train/data/index.ts';
import { tinyConfig, tinyTokenizer, wikiLines } from './fixture.ts';

const CLS = 2;
const SEP = 3;
const PAD = 0;

describe('MLM data', () => {
  it('concatenates documents with [SEP] and frames every chunk as [CLS] … [SEP]', () => {
    const set = chunkDocuments([[10, 11, 12], [], [13, 14, 15, 16]], 6, {
      clsId: CLS,
      sepId: SEP,
      padId: PAD,
    });
    // stream: 10 11 12 SEP 13 14 15 16 → pieces of 4
    expect(set.inputIds).toEqual([
      [CLS, 10, 11, 12, SEP, SEP],
      [CLS, 13, 14, 15, 16, SEP],
    ]);
    expect(set.attentionMask).toEqual([
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1],
    ]);
    const short = chunkDocuments([[10, 11, 12, 13, 14]], 6, { clsId: CLS, sepId: SEP, padId: PAD });
    expect(short.inputIds[1]).toEqual([CLS, 14, SEP, PAD, PAD, PAD]);
    expect(short.attentionMask[1]).toEqual([1, 1, 1, 0, 0, 0]);
    expect(short.tokens).toBe(5 + 4);
  });

  it('shuffles each epoch differently but reproducibly', () => {
    const a = epochOrder(50, 7, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...epochOrder(50, 7, 0)]).toEqual([...a]);
    expect([...epochOrder(50, 7, 1)]).not.toEqual([...a]);
    expect([...epochOrder(50, 8, 0)]).not.toEqual([...a]);
  });

  it('tokenises, splits by text and honours max_samples', async () => {
    const lines = wikiLines(200);
    const tokenizer = await tinyTokenizer(lines);
    const config = tinyConfig();
    const data = await prepareMlmData(lines, tokenizer, config.data);
    expect(data.texts).toBe(200);
    expect(data.train.inputIds.length).toBeGreaterThan(data.validation.inputIds.length);
    expect(data.validation.inputIds.length).toBeGreaterThan(0);
    for (const row of data.train.inputIds) {
      expect(row).toHaveLength(32);
      expect(row[0]).toBe(tokenizer.clsId);
    }
    // Every token of every text lands in exactly one split (plus one [SEP] between texts).
    const tokenCount = lines.reduce((n, line) => n + tokenizer.encode(line).length, 0);
    const content = (set: typeof data.train) => set.tokens - 2 * set.inputIds.length;
    const total = content(data.train) + content(data.validation) + content(data.test);
    const docs = lines.filter((line) => tokenizer.encode(line).length > 0).length;
    const splitsWithText = [data.train, data.validation, data.test].filter(
      (set) => set.inputIds.length > 0,
    ).length;
    expect(total).toBe(tokenCount + docs - splitsWithText);
    const limited = await prepareMlmData(lines, tokenizer, { ...config.data, max_samples: 50 });
    expect(limited.texts).toBe(50);
    expect(limited.fingerprint).not.toBe(data.fingerprint);
    const again = await prepareMlmData(lines, tokenizer, config.data);
    expect(again.fingerprint).toBe(data.fingerprint);
  });
});
