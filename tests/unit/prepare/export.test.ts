import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { toJsonl, toParquet, type PreparedText } from '../../../src/core/prepare/index.ts';

const texts: PreparedText[] = [
  {
    text_id: 'a:0',
    text: 'Hello, world.',
    token_count: 3,
    char_count: 13,
    split: 'train',
    doc_id: 'a',
    source: 'a.txt',
  },
  {
    text_id: 'a:1',
    text: 'Ünïcödé 😀 "quotes"\nand a newline',
    token_count: 7,
    char_count: 31,
    split: 'validation',
    doc_id: 'a',
    source: 'a.txt',
  },
  {
    text_id: 'b:0-2',
    text: '',
    token_count: 0,
    char_count: 0,
    split: 'test',
    doc_id: 'b',
    source: 'dir/b.md',
  },
];

describe('exports', () => {
  it('JSONL: one object per line that parses back to the input', () => {
    const jsonl = toJsonl(texts);
    expect(jsonl.endsWith('\n')).toBe(true);
    const lines = jsonl.trimEnd().split('\n');
    expect(lines).toHaveLength(texts.length);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(texts);
    expect(Object.keys(JSON.parse(lines[0] ?? '{}') as object)).toEqual([
      'text_id',
      'text',
      'token_count',
      'char_count',
      'split',
      'doc_id',
      'source',
    ]);
    expect(toJsonl([])).toBe('');
  });

  it('Parquet: read back with hyparquet equals the input', async () => {
    const bytes = await toParquet(texts);
    const file = new Uint8Array(bytes).buffer;
    const rows = await parquetReadObjects({ file });
    expect(rows).toEqual(texts);
    const columns = parquetMetadata(file)
      .schema.slice(1)
      .map((c) => c.name);
    expect(columns).toEqual([
      'text_id',
      'text',
      'token_count',
      'char_count',
      'split',
      'doc_id',
      'source',
    ]);
  });

  it('Parquet: many rows survive the round trip', async () => {
    const many = Array.from({ length: 2500 }, (_, i): PreparedText => ({
      text_id: `d:${i}`,
      text: `text ${i} `.repeat(i % 7),
      token_count: 2 * (i % 7),
      char_count: 7 * (i % 7),
      split: i % 10 === 0 ? 'test' : 'train',
      doc_id: 'd',
      source: 'd.txt',
    }));
    const bytes = await toParquet(many);
    const rows = await parquetReadObjects({ file: new Uint8Array(bytes).buffer });
    expect(rows).toEqual(many);
  });
});
