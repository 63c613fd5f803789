import { describe, expect, it } from 'vitest';
import {
  buildTokenBatch,
  specialTokenLayout,
  truncateKeepingSpecials,
} from '../../../../src/core/embed/runtime/token-batch.ts';

describe('special token layout', () => {
  it('finds [CLS] … [SEP] and text … EOS', () => {
    expect(specialTokenLayout([101, 7592, 2088, 102], [7592, 2088])).toEqual({
      before: 1,
      after: 1,
    });
    expect(specialTokenLayout([5, 6, 2], [5, 6])).toEqual({ before: 0, after: 1 });
  });

  it('refuses a tokenizer that changes the text when adding specials', () => {
    expect(() => specialTokenLayout([101, 9, 102], [7592])).toThrow(/changes the text/);
  });
});

describe('truncation', () => {
  const layout = { before: 1, after: 1 };

  it('cuts the text and keeps the trailing special token', () => {
    expect(truncateKeepingSpecials([101, 1, 2, 3, 4, 102], 4, layout)).toEqual([101, 1, 2, 102]);
    expect(truncateKeepingSpecials([101, 1, 102], 4, layout)).toEqual([101, 1, 102]);
    expect(() => truncateKeepingSpecials([101, 1, 2, 102], 2, layout)).toThrow(/no room/);
  });

  it('right-pads a batch to its longest truncated text', () => {
    const batch = buildTokenBatch(
      {
        inputIds: [
          [101, 1, 2, 3, 4, 102],
          [101, 7, 102],
        ],
        tokenTypeIds: [
          [0, 0, 0, 0, 0, 0],
          [0, 1, 1],
        ],
      },
      5,
      layout,
      0,
    );
    expect(batch).toMatchObject({ batch: 2, seq: 5 });
    expect(Array.from(batch.inputIds)).toEqual([101, 1, 2, 3, 102, 101, 7, 102, 0, 0]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(Array.from(batch.tokenTypeIds ?? [])).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 0, 0]);
    expect(Array.from(batch.lengths)).toEqual([5, 3]);
  });
});
