import { describe, expect, it } from 'vitest';
import {
  FilterError,
  matchesFilter,
  validateFilter,
  type Metadata,
} from '../../../tools/pinecone-local/filter.ts';

const movies: Record<string, Metadata> = {
  a: { genre: 'drama', year: 2019, rating: 8.1, tags: ['award', 'classic'], streaming: true },
  b: { genre: 'comedy', year: 2021, rating: 6.5, tags: ['family'] },
  c: { genre: 'documentary', year: 2019, streaming: false },
  d: { year: 2023, rating: 7 },
};

function select(filter: object): string[] {
  validateFilter(filter);
  return Object.entries(movies)
    .filter(([, metadata]) => matchesFilter(metadata, filter))
    .map(([id]) => id);
}

describe('metadata filter language', () => {
  it('treats a plain value as $eq', () => {
    expect(select({ genre: 'drama' })).toEqual(['a']);
    expect(select({ year: 2019 })).toEqual(['a', 'c']);
    expect(select({ streaming: false })).toEqual(['c']);
  });

  it('$eq and $ne (missing fields match $ne)', () => {
    expect(select({ genre: { $eq: 'comedy' } })).toEqual(['b']);
    expect(select({ genre: { $ne: 'comedy' } })).toEqual(['a', 'c', 'd']);
  });

  it('$gt $gte $lt $lte compare numbers only', () => {
    expect(select({ year: { $gt: 2019 } })).toEqual(['b', 'd']);
    expect(select({ year: { $gte: 2021 } })).toEqual(['b', 'd']);
    expect(select({ rating: { $lt: 7 } })).toEqual(['b']);
    expect(select({ rating: { $lte: 7 } })).toEqual(['b', 'd']);
    expect(select({ year: { $gte: 2019, $lt: 2023 } })).toEqual(['a', 'b', 'c']);
    expect(select({ genre: { $gt: 0 } })).toEqual([]);
  });

  it('$in and $nin', () => {
    expect(select({ genre: { $in: ['comedy', 'documentary'] } })).toEqual(['b', 'c']);
    expect(select({ genre: { $nin: ['comedy', 'documentary'] } })).toEqual(['a', 'd']);
  });

  it('list fields match element-wise', () => {
    expect(select({ tags: 'classic' })).toEqual(['a']);
    expect(select({ tags: { $in: ['family', 'nope'] } })).toEqual(['b']);
    expect(select({ tags: { $nin: ['award'] } })).toEqual(['b', 'c', 'd']);
    expect(select({ tags: { $ne: 'family' } })).toEqual(['a', 'c', 'd']);
  });

  it('$exists', () => {
    expect(select({ genre: { $exists: true } })).toEqual(['a', 'b', 'c']);
    expect(select({ genre: { $exists: false } })).toEqual(['d']);
  });

  it('$and, $or and implicit and of several fields', () => {
    expect(select({ $and: [{ year: 2019 }, { streaming: true }] })).toEqual(['a']);
    expect(select({ $or: [{ genre: 'comedy' }, { rating: { $gte: 7 } }] })).toEqual([
      'a',
      'b',
      'd',
    ]);
    expect(select({ year: 2019, genre: { $ne: 'drama' } })).toEqual(['c']);
    expect(
      select({
        $or: [{ $and: [{ year: 2019 }, { genre: 'documentary' }] }, { year: { $gt: 2022 } }],
      }),
    ).toEqual(['c', 'd']);
  });

  it('an empty filter matches everything', () => {
    expect(select({})).toEqual(['a', 'b', 'c', 'd']);
  });

  it.each([
    [{ genre: { $regex: 'x' } }, /unknown operator \$regex/],
    [{ $not: { genre: 'x' } }, /unknown top-level operator/],
    [{ year: { $gt: '2019' } }, /\$gt .* takes a number/],
    [{ genre: { $in: 'drama' } }, /\$in .* takes an array/],
    [{ genre: { $exists: 1 } }, /\$exists .* takes a boolean/],
    [{ $and: [] }, /non-empty array/],
    [{ genre: ['drama'] }, /must be a string, number, boolean or an operator object/],
    [{ genre: { $eq: null } }, /\$eq .* takes a string/],
    [[], /must be a JSON object/],
  ])('rejects %j', (filter, message) => {
    expect(() => validateFilter(filter)).toThrow(FilterError);
    expect(() => validateFilter(filter)).toThrow(message);
  });
});
