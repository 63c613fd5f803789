import { trecOrder, type ScoredDocument } from './metrics.ts';

export interface TrecRunOptions {
  /** The last column; no whitespace. Default `lumina`. */
  runName?: string;
  /** Documents written per query. Default 1000. */
  depth?: number;
}

/**
 * A TREC run file: `qid Q0 docid rank score run_name` per line, ranks from 1, documents in the
 * order trec_eval will rank them (score descending, then document id descending).
 */
export function formatTrecRun(
  run: ReadonlyMap<string, readonly ScoredDocument[]>,
  { runName = 'lumina', depth = 1000 }: TrecRunOptions = {},
): string {
  if (/\s/.test(runName) || runName === '') {
    throw new RangeError(`A TREC run name must be one word, got "${runName}".`);
  }
  const lines: string[] = [];
  for (const [queryId, documents] of run) {
    const ordered = trecOrder(documents).slice(0, depth);
    ordered.forEach((doc, index) => {
      lines.push(`${queryId} Q0 ${doc.id} ${index + 1} ${formatScore(doc.score)} ${runName}`);
    });
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The shortest text that reads back as the same double, so trec_eval re-ranks identically. */
function formatScore(score: number): string {
  if (!Number.isFinite(score)) throw new RangeError(`A run score must be finite, got ${score}.`);
  return String(score);
}
