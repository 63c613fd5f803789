import { describe, expect, it } from 'vitest';
import { toPineconeFilter } from '../../../src/core/sync/index.ts';
import { matchesFilter } from '../../../tools/pinecone-local/filter.ts';

describe('toPineconeFilter', () => {
  it('maps sources and field=value conditions to $eq / $in, reserved names as user_<key>', () => {
    expect(toPineconeFilter(undefined)).toBeUndefined();
    expect(toPineconeFilter({ metadata: { split: ['train'] } })).toEqual({
      split: { $eq: 'train' },
    });
    expect(
      toPineconeFilter({
        sources: ['a.txt', 'b.txt'],
        metadata: { year: [2020, 2021], text: ['x'], ok: [true, false] },
      }),
    ).toEqual({
      $and: [
        { source: { $in: ['a.txt', 'b.txt'] } },
        { year: { $in: [2020, 2021] } },
        { user_text: { $eq: 'x' } },
        { $or: [{ ok: { $eq: true } }, { ok: { $eq: false } }] },
      ],
    });
  });

  it('selects in the emulator what the local filter selects', () => {
    const filter = toPineconeFilter({ sources: ['a.txt'], metadata: { year: [2020, 2021] } });
    const rows = [
      { source: 'a.txt', year: 2020 },
      { source: 'a.txt', year: 2022 },
      { source: 'b.txt', year: 2021 },
      { source: 'a.txt', year: 2021 },
    ];
    expect(rows.map((row) => matchesFilter(row, filter))).toEqual([true, false, false, true]);
  });
});
