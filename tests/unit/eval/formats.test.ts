import { describe, expect, it } from 'vitest';
import {
  BeirFormatError,
  formatTrecRun,
  loadBeir,
  parseBeirCorpus,
  parseSts,
} from '../../../src/core/eval/index.ts';

describe('BEIR loader', () => {
  const files: Record<string, string[]> = {
    'corpus.jsonl': [
      '{"_id": "d1", "title": "Cats", "text": "Cats purr."}',
      '',
      '{"_id": 2, "text": "No title here."}',
    ],
    'queries.jsonl': ['{"_id": "q1", "text": "purring"}', '{"_id": "q9", "text": "unjudged"}'],
    'qrels/test.tsv': ['query-id\tcorpus-id\tscore', 'q1\td1\t1', 'q1\t2\t0'],
  };

  it('reads the corpus, judged queries and graded qrels', async () => {
    const dataset = await loadBeir((relative) => files[relative] ?? []);
    expect(dataset.corpus).toEqual([
      { id: 'd1', title: 'Cats', text: 'Cats purr.' },
      { id: '2', title: '', text: 'No title here.' },
    ]);
    expect([...dataset.queries]).toEqual([['q1', 'purring']]);
    expect(dataset.qrels.get('q1')).toEqual(
      new Map([
        ['d1', 1],
        ['2', 0],
      ]),
    );
  });

  it('names the file and line of a malformed record', async () => {
    const bad = parseBeirCorpus(
      ['{"_id": "a", "text": "ok"}', '{"_id": "b"'],
      undefined,
      'c.jsonl',
    );
    await expect(bad).rejects.toThrow(BeirFormatError);
    await expect(bad).rejects.toThrow(/^c\.jsonl:2: not JSON/);
    await expect(
      loadBeir((relative) => (relative === 'qrels/test.tsv' ? ['q\td'] : [])),
    ).rejects.toThrow(/qrels\/test\.tsv:1/);
  });
});

describe('TREC run file', () => {
  it('writes qid Q0 docid rank score run_name in trec_eval order', () => {
    const run = new Map([
      [
        'q1',
        [
          { id: 'a', score: 0.5 },
          { id: 'b', score: 1.25 },
          { id: 'c', score: 0.5 },
        ],
      ],
      ['q2', [{ id: 'z', score: 3 }]],
    ]);
    expect(formatTrecRun(run, { runName: 'test', depth: 2 })).toBe(
      'q1 Q0 b 1 1.25 test\nq1 Q0 c 2 0.5 test\nq2 Q0 z 1 3 test\n',
    );
    expect(() => formatTrecRun(run, { runName: 'two words' })).toThrow(RangeError);
  });
});

describe('parseSts', () => {
  it('reads STS Benchmark TSV, ignoring extra columns and reporting bad lines', () => {
    const content = [
      'main-captions\tMSRvid\t2012test\t0001\t5.000\tA man "plays".\tA man plays.',
      'main-forums\tqa\t2016\t0002\t3\tOne.\tTwo.\tsource a\tsource b',
      'broken\tline',
      '',
      'main-news\tx\t2014\t0003\tnan?\tA.\tB.',
    ].join('\n');
    const { pairs, badLines } = parseSts(content);
    expect(pairs).toEqual([
      { sentence1: 'A man "plays".', sentence2: 'A man plays.', score: 5 },
      { sentence1: 'One.', sentence2: 'Two.', score: 3 },
    ]);
    expect(badLines.map((bad) => bad.line)).toEqual([3, 5]);
  });

  it('reads a CSV with a sentence1,sentence2,score header', () => {
    const { pairs, badLines } = parseSts('sentence1,sentence2,score\n"A, b",C,2.5\nD,E,x\n');
    expect(pairs).toEqual([{ sentence1: 'A, b', sentence2: 'C', score: 2.5 }]);
    expect(badLines).toEqual([{ line: 3, reason: 'score "x" is not a number' }]);
  });
});
