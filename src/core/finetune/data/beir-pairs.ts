import { beirDocumentText, loadBeir, type OpenLines } from '../../eval/beir.ts';
import type { RankingExample } from './types.ts';

export interface BeirPairOptions {
  /** The qrels split to train on; default `train`. */
  split?: string;
  signal?: AbortSignal;
}

export class TestSplitError extends Error {
  override name = 'TestSplitError';
}

/**
 * (query, relevant document) pairs from a BEIR folder's training qrels, the document as BEIR's
 * baselines see it (title, space, text). Test qrels are refused: training on them would make
 * every later figure on that split meaningless; evaluators read them through loadBeir instead.
 */
export async function readBeirTrainingPairs(
  open: OpenLines,
  { split = 'train', signal }: BeirPairOptions = {},
): Promise<RankingExample[]> {
  if (split === 'test') {
    throw new TestSplitError(
      'qrels/test.tsv is the evaluation split and is never used for training; train on qrels/train.tsv (or dev), evaluate on test',
    );
  }
  const dataset = await loadBeir(open, { split, ...(signal ? { signal } : {}) });
  const documents = new Map(dataset.corpus.map((doc) => [doc.id, doc]));
  const pairs: RankingExample[] = [];
  for (const [queryId, judged] of dataset.qrels) {
    const query = dataset.queries.get(queryId) as string;
    for (const [docId, relevance] of judged) {
      if (relevance <= 0) continue;
      const document = documents.get(docId);
      if (!document) {
        throw new Error(`qrels/${split}.tsv judges document "${docId}", which corpus.jsonl lacks.`);
      }
      pairs.push({ anchor: query, positive: beirDocumentText(document) });
    }
  }
  return pairs;
}
