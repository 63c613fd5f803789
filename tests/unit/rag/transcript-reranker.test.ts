import { describe, expect, it } from 'vitest';
import {
  transcriptJsonl,
  transcriptMarkdown,
  type AskTurn,
  type RetrievedPassage,
} from '../../../src/core/rag/index.ts';

function passage(id: string, score: number, retrievalScore?: number): RetrievedPassage {
  return {
    id,
    docId: id.split('#')[0] ?? id,
    index: 0,
    text: `Text of ${id}.`,
    charStart: 0,
    charEnd: 12,
    score,
    rank: 1,
    lexicalScore: 0.5,
    semanticScore: null,
    neighbourOf: null,
    ...(retrievalScore === undefined ? {} : { retrievalScore }),
  };
}

const turn: AskTurn = {
  question: 'Which note?',
  answer: {
    question: 'Which note?',
    mode: 'bm25',
    text: 'I could not find this in Notes.',
    citations: [],
    passages: [passage('b#0', 3.25, 1.5), passage('a#0', -0.75, 2.5)],
    sources: [],
    abstained: true,
    timings: { retrieveMs: 1, assembleMs: 0, answerMs: 0 },
  },
  options: {
    answerer: 'extractive',
    reranker: { model: 'seeded-ce', device: 'wasm', seeded: true },
    mode: 'bm25',
    k: 2,
    mmrLambda: null,
    neighbours: 0,
    thresholds: { lexical: 0.12, semantic: 0.3 },
    setId: null,
  },
  createdAt: 0,
};
const info = { title: 'T', datasetName: 'Notes', conversationId: 'c1' };

describe('transcripts of re-ranked turns', () => {
  it('name the cross-encoder in Markdown, flagged when seeded', () => {
    expect(transcriptMarkdown(info, [turn])).toContain(
      're-ranked by seeded-ce on wasm (seeded: scores meaningless)',
    );
    const plain: AskTurn = { ...turn, options: { ...turn.options } };
    delete plain.options.reranker;
    expect(transcriptMarkdown(info, [plain])).not.toContain('re-ranked');
  });

  it('keep the reranker and both scores of each passage in JSONL', () => {
    const line = JSON.parse(transcriptJsonl(info, [turn])) as {
      options: AskTurn['options'];
      passages: { chunkId: string; score: number; retrievalScore: number | null }[];
    };
    expect(line.options.reranker).toEqual({ model: 'seeded-ce', device: 'wasm', seeded: true });
    expect(line.passages).toMatchObject([
      { chunkId: 'b#0', score: 3.25, retrievalScore: 1.5 },
      { chunkId: 'a#0', score: -0.75, retrievalScore: 2.5 },
    ]);
  });
});
