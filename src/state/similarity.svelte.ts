import { cosineSimilarityMatrix, similarityMatrixToCsv } from '../core/analyze/similarity.ts';
import { downloadBlob } from '../lib/download.ts';
import type { ExploreState } from './explore.svelte.ts';
import { JobState } from './job.svelte.ts';

/** Texts compared at most: a 50 × 50 heatmap is as much as stays readable. */
export const SIMILARITY_MAX_TEXTS = 50;

/** Non-empty trimmed lines of the input. */
export function similarityTexts(input: string): string[] {
  return input
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The Similarity tool: the cosine matrix of a few texts embedded with the set's model. */
export class SimilarityState {
  input = $state('');
  readonly job = new JobState();
  texts = $state.raw<string[]>([]);
  matrix = $state.raw<number[][]>([]);

  constructor(readonly explore: ExploreState) {}

  async run(): Promise<void> {
    const texts = similarityTexts(this.input);
    if (texts.length < 2) {
      this.job.error = 'Write at least two texts, one per line.';
      return;
    }
    if (texts.length > SIMILARITY_MAX_TEXTS) {
      this.job.error = `At most ${SIMILARITY_MAX_TEXTS} texts; this has ${texts.length}.`;
      return;
    }
    const rows = await this.job.run(`Embedding ${texts.length} texts`, (signal, onProgress) =>
      this.explore.embedTexts(texts, 'document', signal, (done, total) =>
        onProgress({
          status: 'progress',
          fraction: done / total,
          done,
          total,
          message: `${done} of ${total}`,
        }),
      ),
    );
    if (!rows) return;
    this.texts = texts;
    this.matrix = cosineSimilarityMatrix(rows);
  }

  downloadCsv(): void {
    if (!this.matrix.length) return;
    downloadBlob(similarityMatrixToCsv(this.texts, this.matrix), 'similarity.csv', 'text/csv');
  }
}
