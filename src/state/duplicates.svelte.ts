import { groupsToCsv, groupsToJsonl, pairsToCsv, pairsToJsonl } from '../core/analyze/index.ts';
import type { ChunkView, DuplicatesView } from '../core/analyze/stored.ts';
import { analyzeClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import type { ExploreState } from './explore.svelte.ts';
import { JobState } from './job.svelte.ts';

/** Pairs and groups shown with their texts; exports always hold all of them. */
const DISPLAY_LIMIT = 200;

/** The Duplicates tool: chunk pairs of the chosen set at or above a cosine threshold. */
export class DuplicatesState {
  threshold = $state(0.95);
  readonly job = new JobState();
  private result = $state.raw<DuplicatesView | null>(null);
  /** The dataset and set `result` belongs to: another choice hides it. */
  private resultFor = $state('');

  constructor(readonly explore: ExploreState) {}

  async run(): Promise<void> {
    const { datasetId, setId } = this.explore;
    if (!datasetId || !setId) return;
    const request = { threshold: this.threshold, displayLimit: DISPLAY_LIMIT };
    const result = await this.job.run(
      `Near-duplicates at ≥ ${this.threshold}`,
      (signal, onProgress) =>
        analyzeClient.call(
          (api) => api.duplicates(datasetId, setId, request, signal, onProgress),
          signal,
        ),
    );
    if (result) {
      this.result = result;
      this.resultFor = JSON.stringify([datasetId, setId]);
    }
  }

  /** The last result, while its dataset and set are the chosen ones. */
  get shown(): DuplicatesView | null {
    const { datasetId, setId } = this.explore;
    return this.resultFor === JSON.stringify([datasetId, setId]) ? this.result : null;
  }

  download(what: 'pairs' | 'groups', format: 'csv' | 'jsonl'): void {
    const result = this.shown;
    if (!result) return;
    const base = `${this.explore.setId}-duplicates-${result.threshold}-${what}`;
    const text =
      what === 'pairs'
        ? format === 'csv'
          ? pairsToCsv(result.pairs)
          : pairsToJsonl(result.pairs)
        : format === 'csv'
          ? groupsToCsv(result.groups)
          : groupsToJsonl(result.groups);
    downloadBlob(text, `${base}.${format}`, format === 'csv' ? 'text/csv' : 'application/jsonl');
  }

  async open(chunk: ChunkView): Promise<void> {
    await this.explore.library.openDocument(chunk.docId, chunk.index);
  }
}
