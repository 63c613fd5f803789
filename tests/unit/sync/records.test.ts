import { describe, expect, it } from 'vitest';
import {
  buildMetadata,
  convertUserFields,
  idProblem,
  PINECONE_LIMITS,
  splitUpserts,
  truncateToBytes,
  upsertBody,
  vectorId,
  type UpsertRecord,
} from '../../../src/core/sync/index.ts';

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('vector ids', () => {
  it('are <doc_id>#<chunk_index>', () => {
    expect(vectorId('doc-7', 3)).toBe('doc-7#3');
    expect(vectorId('a#b', 0)).toBe('a#b#0');
  });

  it('names the document when an id is over 512 bytes, counting UTF-8 bytes', () => {
    const fits = 'é'.repeat(254); // 508 bytes, + '#0' = 510
    expect(idProblem(vectorId(fits, 0), fits)).toBeNull();
    const tooLong = 'é'.repeat(256); // 256 characters but 512 bytes, + '#0' = 514
    const problem = idProblem(vectorId(tooLong, 0), tooLong);
    expect(problem).toMatch(/514 bytes, the limit is 512/);
    expect(problem).toContain('é'.repeat(10));
  });
});

describe('metadata', () => {
  it('holds source, doc_id, chunk_index, text and the converted user fields', () => {
    const { metadata, notes, truncated } = buildMetadata({
      docId: 'd1',
      chunkIndex: 2,
      source: 'a/b.txt',
      text: 'hello',
      metadata: {
        author: 'Ann',
        year: 2020,
        ok: true,
        tags: ['x', 'y'],
        nested: { n: 1 },
        mixed: [1, 'a'],
        gone: null,
        text: 'user text field',
        source: 'user source',
      },
    });
    expect(metadata).toEqual({
      source: 'a/b.txt',
      doc_id: 'd1',
      chunk_index: 2,
      text: 'hello',
      author: 'Ann',
      year: 2020,
      ok: true,
      tags: ['x', 'y'],
      nested: '{"n":1}',
      mixed: '[1,"a"]',
      user_text: 'user text field',
      user_source: 'user source',
    });
    expect(truncated).toBe(false);
    expect(notes).toEqual(
      expect.arrayContaining([
        'field "nested" sent as a JSON string',
        'field "gone" dropped: null has no Pinecone type',
        'field "text" is reserved: sent as "user_text"',
      ]),
    );
  });

  it('converts non-finite numbers by dropping them', () => {
    const { fields, notes } = convertUserFields({ bad: Number.NaN, good: 1.5 });
    expect(fields).toEqual({ good: 1.5 });
    expect(notes).toHaveLength(1);
  });

  it('cuts multi-byte text on a code point so the JSON stays within 40 KB', () => {
    // 3-byte, 4-byte (surrogate pair) and escaped characters, far over the limit.
    const text = 'ä€😀"\n'.repeat(5000);
    const { metadata, truncated } = buildMetadata({
      docId: 'd',
      chunkIndex: 0,
      source: 's',
      text,
      metadata: { author: 'Ann' },
    });
    expect(truncated).toBe(true);
    const size = bytes(metadata);
    expect(size).toBeLessThanOrEqual(PINECONE_LIMITS.maxMetadataBytes);
    expect(size).toBeGreaterThan(PINECONE_LIMITS.maxMetadataBytes - 8); // as full as possible
    const cut = metadata['text'] as string;
    expect(text.startsWith(cut)).toBe(true);
    // No lone surrogate: encoding round-trips.
    expect(new TextDecoder().decode(new TextEncoder().encode(cut))).toBe(cut);
  });

  it('never splits a surrogate pair and never goes over the byte budget', () => {
    const text = '😀😀😀';
    for (let budget = 0; budget <= 12; budget += 1) {
      const cut = truncateToBytes(text, budget);
      expect(Buffer.byteLength(JSON.stringify(cut)) - 2).toBeLessThanOrEqual(budget);
      expect(cut.length % 2).toBe(0);
      expect(cut).toBe('😀'.repeat(Math.floor(budget / 4)));
    }
  });

  it('drops the largest user fields when they alone exceed the limit', () => {
    const { metadata, notes } = buildMetadata({
      docId: 'd',
      chunkIndex: 0,
      source: 's',
      text: 'short',
      metadata: { huge: 'x'.repeat(50_000), small: 'kept' },
    });
    expect(metadata['huge']).toBeUndefined();
    expect(metadata['small']).toBe('kept');
    expect(metadata['text']).toBe('short');
    expect(notes.some((n) => n.includes('"huge" dropped'))).toBe(true);
  });
});

describe('upsert batches', () => {
  const record = (i: number, dims: number, textBytes = 0): UpsertRecord => ({
    id: `doc#${i}`,
    values: Array.from({ length: dims }, (_, j) => (i + j) / 7),
    metadata: { text: 'a'.repeat(textBytes) },
  });

  it('hold at most 1000 vectors', () => {
    const records = Array.from({ length: 2500 }, (_, i) => record(i, 2));
    const batches = splitUpserts(records, 'ns');
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(batches.flat().map((r) => r.id)).toEqual(records.map((r) => r.id));
  });

  it('hold at most 2 MB of request body, measured on the serialized body', () => {
    // ~40 KB each: 2 MB holds about 51, far fewer than 1000.
    const records = Array.from({ length: 200 }, (_, i) => record(i, 16, 40_000));
    const batches = splitUpserts(records, 'ns');
    expect(batches.length).toBeGreaterThan(3);
    for (const batch of batches) {
      expect(bytes(upsertBody(batch, 'ns'))).toBeLessThanOrEqual(PINECONE_LIMITS.maxRequestBytes);
    }
    // Greedy: one more record would not have fitted.
    const first = batches[0] ?? [];
    const next = records[first.length];
    if (!next) throw new Error('expected more records');
    expect(bytes(upsertBody([...first, next], 'ns'))).toBeGreaterThan(
      PINECONE_LIMITS.maxRequestBytes,
    );
    expect(batches.flat()).toHaveLength(200);
  });

  it('reports a record too large for any request instead of sending it', () => {
    const tooBig = record(1, 2, 3_000_000);
    const skipped: string[] = [];
    const batches = splitUpserts([record(0, 2), tooBig, record(2, 2)], 'ns', undefined, (r) =>
      skipped.push(r.id),
    );
    expect(skipped).toEqual(['doc#1']);
    expect(batches.flat().map((r) => r.id)).toEqual(['doc#0', 'doc#2']);
    expect(() => splitUpserts([tooBig], 'ns')).toThrow(/over the 2097152-byte limit/);
  });
});
