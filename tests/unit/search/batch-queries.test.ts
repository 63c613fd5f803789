import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import {
  batchResultsToCsv,
  batchResultsToJsonl,
  parseBatchQueries,
  scoreQa,
  type BatchResultRow,
} from '../../../src/core/search/index.ts';

describe('parseBatchQueries', () => {
  it('reads plain text one query per line, skipping blanks and keeping line numbers', () => {
    const { queries, problems } = parseBatchQueries('q.txt', 'first query\n\n  second  \r\n');
    expect(problems).toEqual([]);
    expect(queries).toEqual([
      { line: 1, id: '1', text: 'first query' },
      { line: 3, id: '3', text: 'second' },
    ]);
  });

  it('reads JSONL fields and reports bad lines by number while keeping the rest', () => {
    const content = [
      '{"id": "q1", "query": "what is bm25"}',
      '{"question": "who wrote it", "qid": 7}',
      '{not json',
      '{"other": 1}',
      '["array"]',
    ].join('\n');
    const { queries, problems } = parseBatchQueries('queries.jsonl', content);
    expect(queries).toEqual([
      { line: 1, id: 'q1', text: 'what is bm25' },
      { line: 2, id: '7', text: 'who wrote it' },
    ]);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^queries\.jsonl line 3: not valid JSON/);
    expect(problems[1]).toBe('queries.jsonl line 4: no "query", "question" or "text" field.');
    expect(problems[2]).toBe('queries.jsonl line 5: expected a JSON object.');
  });

  it('reads CSV by header name, else the first column', () => {
    const headed = parseBatchQueries('q.csv', 'id,query\na,"cats, dogs"\nb,birds\n');
    expect(headed.queries).toEqual([
      { line: 2, id: 'a', text: 'cats, dogs' },
      { line: 3, id: 'b', text: 'birds' },
    ]);
    const bare = parseBatchQueries('q.csv', 'cats\ndogs\n');
    expect(bare.queries.map((q) => q.text)).toEqual(['cats', 'dogs']);
  });
});

describe('batch results', () => {
  const rows: BatchResultRow[] = [
    {
      queryId: 'q1',
      query: 'a "quoted", query',
      rank: 1,
      score: 0.5,
      chunkId: 'd1#0',
      docId: 'd1',
      source: 'x.txt',
      text: 'line one\nline two',
    },
  ];

  it('writes CSV that parses back to the same values', () => {
    const parsed = Papa.parse<Record<string, string>>(batchResultsToCsv(rows), { header: true });
    expect(parsed.data[0]).toEqual({
      query_id: 'q1',
      query: 'a "quoted", query',
      rank: '1',
      score: '0.5',
      chunk_id: 'd1#0',
      doc_id: 'd1',
      source: 'x.txt',
      text: 'line one\nline two',
    });
  });

  it('writes one JSON object per line', () => {
    const lines = batchResultsToJsonl(rows).trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ query_id: 'q1', rank: 1, chunk_id: 'd1#0' });
  });
});

describe('scoreQa', () => {
  it('counts a question found when a chunk of its own document comes back', () => {
    const scores = scoreQa(
      [
        { docId: 'a', chunkIds: ['a#2', 'b#0'] },
        { docId: 'b', chunkIds: ['a#0', 'c#1', 'b#3'] },
        { docId: 'c', chunkIds: ['a#0', 'b#0'] },
        { docId: 'd#x', chunkIds: ['d#x#0'] },
      ],
      2,
    );
    expect(scores.questions).toBe(4);
    expect(scores.hitAt1).toBe(0.5);
    // b's document is 3rd: outside k = 2.
    expect(scores.hitAtK).toBe(0.5);
    expect(scores.mrrAtK).toBe(0.5);
  });
});
