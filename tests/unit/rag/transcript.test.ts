import { describe, expect, it } from 'vitest';
import {
  transcriptJsonl,
  transcriptMarkdown,
  turnFromJson,
  turnToJson,
  type AskTurn,
  type RagAnswer,
} from '../../../src/core/rag/index.ts';

const GUIDE = 'Water plants in the morning. Roses need full sun.\nPrune roses in late winter.';

const answered: RagAnswer = {
  question: 'When should I prune roses?',
  mode: 'bm25',
  text: 'Prune roses in late winter. [1]',
  citations: [
    {
      n: 1,
      docId: 'guide',
      chunkIds: ['guide#1', 'guide#2'],
      charStart: 29,
      charEnd: 78,
      score: 2.5,
    },
  ],
  passages: [
    {
      id: 'guide#2',
      docId: 'guide',
      index: 2,
      text: 'Prune roses in late winter.',
      charStart: 51,
      charEnd: 78,
      score: 2.5,
      rank: 1,
      lexicalScore: 0.41,
      semanticScore: null,
      neighbourOf: null,
    },
    {
      id: 'guide#1',
      docId: 'guide',
      index: 1,
      text: 'Roses need full sun.',
      charStart: 29,
      charEnd: 49,
      score: 2.5,
      rank: 1,
      lexicalScore: null,
      semanticScore: null,
      neighbourOf: 'guide#2',
    },
  ],
  sources: [
    {
      sourceNumber: 1,
      docId: 'guide',
      chunkIds: ['guide#1', 'guide#2'],
      text: GUIDE.slice(29),
      score: 2.5,
      charStart: 29,
      charEnd: 78,
      truncated: false,
    },
  ],
  abstained: false,
  timings: { retrieveMs: 1, assembleMs: 2, answerMs: 3 },
};

const abstained: RagAnswer = {
  question: 'Who won the match?',
  mode: 'bm25',
  text: 'I could not find this in garden.',
  citations: [],
  passages: [],
  sources: [],
  abstained: true,
  timings: { retrieveMs: 1, assembleMs: 0, answerMs: 0 },
};

const settings: AskTurn['options'] = {
  answerer: 'extractive',
  mode: 'bm25',
  k: 5,
  mmrLambda: 0.7,
  neighbours: 1,
  thresholds: { lexical: 0.12, semantic: 0.3 },
  setId: null,
};

const turns: AskTurn[] = [
  {
    question: answered.question,
    answer: answered,
    options: settings,
    createdAt: Date.UTC(2026, 0, 2),
  },
  {
    question: abstained.question,
    answer: abstained,
    options: { ...settings, mmrLambda: null, neighbours: 0 },
    createdAt: Date.UTC(2026, 0, 3),
  },
];
const info = { title: 'Roses', datasetName: 'garden', conversationId: 'c1' };

describe('Ask transcripts', () => {
  it('writes Markdown with questions, [n] answers and a quoted Sources list', () => {
    expect(transcriptMarkdown(info, turns)).toBe(
      [
        '# Roses',
        '',
        'Dataset: garden',
        '',
        '## 1. When should I prune roses?',
        '',
        '_retriever bm25 · top 5 · MMR λ 0.7 · neighbours 1 · answer extractive_',
        '',
        'Prune roses in late winter. [1]',
        '',
        '### Sources',
        '',
        '- [1] guide (chunks guide#1, guide#2; score 2.500)',
        '',
        '> Roses need full sun.',
        '> Prune roses in late winter.',
        '',
        '## 2. Who won the match?',
        '',
        '_retriever bm25 · top 5 · no MMR · neighbours 0 · answer extractive_',
        '',
        'I could not find this in garden.',
        '',
        'Nothing retrieved scored above the abstention threshold; no sources cited.',
        '',
      ].join('\n'),
    );
  });

  it('writes one JSON line per turn with answer, citations, passages and scores', () => {
    const text = transcriptJsonl(info, turns);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      conversationId: 'c1',
      dataset: 'garden',
      turn: 1,
      createdAt: '2026-01-02T00:00:00.000Z',
      question: 'When should I prune roses?',
      answer: 'Prune roses in late winter. [1]',
      abstained: false,
      options: settings,
      citations: [
        {
          n: 1,
          docId: 'guide',
          chunkIds: ['guide#1', 'guide#2'],
          score: 2.5,
          text: 'Roses need full sun.\nPrune roses in late winter.',
        },
      ],
      passages: [
        {
          chunkId: 'guide#2',
          rank: 1,
          score: 2.5,
          lexicalScore: 0.41,
          semanticScore: null,
          neighbourOf: null,
        },
        {
          chunkId: 'guide#1',
          lexicalScore: null,
          neighbourOf: 'guide#2',
          text: 'Roses need full sun.',
        },
      ],
      timings: { retrieveMs: 1, assembleMs: 2, answerMs: 3 },
    });
    expect(lines[1]).toMatchObject({ turn: 2, abstained: true, citations: [], passages: [] });
    expect(transcriptJsonl(info, [])).toBe('');
  });

  it('stores turns as plain JSON and reads them back, rejecting foreign records', () => {
    const stored = turnToJson(turns[0] as AskTurn);
    expect(turnFromJson(structuredClone(stored))).toEqual(turns[0]);
    expect(() => turnFromJson({ question: 'q' })).toThrow(/no createdAt/);
    expect(() =>
      turnFromJson({
        question: 'q',
        createdAt: 1,
        options: { mode: 'bm25' },
        answer: { text: 't', abstained: false },
      }),
    ).toThrow(/no citations/);
    expect(() => turnFromJson([1, 2])).toThrow(/not an object/);
  });
});
