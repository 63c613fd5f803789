import { createHash } from 'node:crypto';
import fc from 'fast-check';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { ingestFile } from '../../../src/core/ingest/index.ts';
import { ChunkedBlob } from '../../support/fixtures/chunked-blob.ts';
import { ingestBytes } from './helpers.ts';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('streaming', () => {
  it('keeps quoted CSV fields whole across chunk boundaries, down to 1-byte chunks', async () => {
    const csv =
      'id,text,note\n1,"first line\nsecond, line\n""quoted"" ünïcödé ✓",a\n2,"x\r\ny",b\n3,plain,"c\n"\n';
    const whole = await ingestBytes('a.csv', csv);
    expect(whole.docs.map((d) => d.text)).toEqual([
      'first line\nsecond, line\n"quoted" ünïcödé ✓',
      'x\r\ny',
      'plain',
    ]);
    expect(whole.docs[2]?.metadata).toEqual({ note: 'c\n' });
    for (const chunkSize of [1, 2, 3, 5, 7, 16]) {
      const chunked = await ingestBytes('a.csv', csv, {}, { chunkSize });
      expect(chunked.docs).toEqual(whole.docs);
      expect(chunked.result.messages).toEqual(whole.result.messages);
    }
  });

  it('reads any CSV table papaparse writes, in any chunk size (property)', async () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r\n', 'é', '😀', '\t'),
      maxLength: 12,
    });
    const table = fc.array(
      fc.tuple(
        cell.filter((s) => s.trim() !== ''),
        cell,
      ),
      { minLength: 1, maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(table, fc.integer({ min: 1, max: 40 }), async (rows, chunkSize) => {
        const csv = Papa.unparse(
          { fields: ['text', 'other'], data: rows },
          { quotes: true, newline: '\n' },
        );
        const { docs, result } = await ingestBytes(
          'p.csv',
          csv,
          { csvHeader: 'yes', textField: 'text' },
          { chunkSize },
        );
        expect(result.messages.filter((m) => m.level !== 'info')).toEqual([]);
        expect(docs.map((d) => [d.text, d.metadata.other])).toEqual(rows);
      }),
      { numRuns: 150 },
    );
  });

  it('splits lines and decodes multi-byte characters across chunk boundaries', async () => {
    const text = 'één\r\ntwee ✓\n\ndrie 😀\nvier';
    for (const chunkSize of [1, 2, 3, 4, 64]) {
      const { docs } = await ingestBytes('a.txt', text, { txtMode: 'lines' }, { chunkSize });
      expect(docs.map((d) => [d.id, d.text])).toEqual([
        ['a.txt#1', 'één'],
        ['a.txt#2', 'twee ✓'],
        ['a.txt#4', 'drie 😀'],
        ['a.txt#5', 'vier'],
      ]);
    }
  });

  it('hands documents to the sink in batches of batchSize', async () => {
    const jsonl = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ id: `r${i}`, text: `t${i}` }),
    ).join('\n');
    const { batches, result } = await ingestBytes(
      'b.jsonl',
      jsonl,
      {},
      { batchSize: 4, chunkSize: 9 },
    );
    expect(batches).toEqual([4, 4, 2]);
    expect(result.documents).toBe(10);
  });

  it('reports progress per chunk, never backwards, ending at the file size', async () => {
    const text = 'line\n'.repeat(1000);
    const seen: [number, number][] = [];
    await ingestBytes(
      'p.txt',
      text,
      { txtMode: 'lines' },
      { chunkSize: 512, onProgress: (read, total) => seen.push([read, total]) },
    );
    expect(seen).toHaveLength(Math.ceil(text.length / 512));
    expect(seen.every(([, total]) => total === text.length)).toBe(true);
    expect(seen.every(([read], i) => i === 0 || read > (seen[i - 1]?.[0] ?? 0))).toBe(true);
    expect(seen.at(-1)).toEqual([text.length, text.length]);
  });

  it('computes the sha256 of the file bytes while streaming', async () => {
    const bytes = encode('{"text": "a"}\n{"text": "b"}\n'.repeat(200));
    const { result } = await ingestBytes('h.jsonl', bytes, {}, { chunkSize: 7 });
    expect(result.contentHash).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('stops with an AbortError when aborted mid-file, and before starting', async () => {
    const bytes = encode('line\n'.repeat(10_000));
    const controller = new AbortController();
    const input = { name: 'a.txt', path: 'a.txt', blob: new ChunkedBlob(bytes, 100) };
    let batches = 0;
    const run = ingestFile(
      input,
      { txtMode: 'lines' },
      async () => {
        batches++;
        controller.abort();
      },
      { signal: controller.signal, batchSize: 10 },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(batches).toBe(1);
    await expect(
      ingestFile(input, {}, async () => undefined, { signal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
