import type { TextKind } from '../core/embed/runtime/index.ts';
import { embedClient } from '../lib/clients.ts';
import type { EmbedState } from './embed.svelte.ts';
import type { LibraryState } from './library.svelte.ts';

export type ExploreSection =
  'search' | 'ask' | 'similarity' | 'clusters' | 'duplicates' | 'path' | 'map';

export const EXPLORE_SECTIONS: { id: ExploreSection; label: string }[] = [
  { id: 'search', label: 'Search' },
  { id: 'ask', label: 'Ask' },
  { id: 'similarity', label: 'Similarity' },
  { id: 'clusters', label: 'Clusters' },
  { id: 'duplicates', label: 'Duplicates' },
  { id: 'path', label: 'Path' },
  { id: 'map', label: 'Map' },
];

/** Texts embedded per call to the embed worker, so progress and cancel stay responsive. */
const EMBED_BATCH = 64;

/**
 * What every Explore tool works on: the selected dataset, one of its finished embedding sets,
 * and the model that made that set (the Embedding panel's choice) to embed queries with.
 */
export class ExploreState {
  section = $state<ExploreSection>('search');
  setId = $state('');

  constructor(
    readonly library: LibraryState,
    readonly embed: EmbedState,
  ) {}

  get datasetId(): string | null {
    return this.library.selectedId;
  }

  get sets(): string[] {
    return this.embed.doneSets;
  }

  /** Keeps the chosen set valid for the selected dataset (the embed state lists its sets). */
  async refresh(): Promise<void> {
    await this.embed.refresh();
    if (!this.sets.includes(this.setId)) this.setId = this.sets[0] ?? '';
  }

  /** Why texts cannot be embedded for the chosen set right now, in words; null when they can. */
  modelProblem(): string | null {
    if (!this.setId) return 'Embed this dataset first (Library → Embedding).';
    if (!this.embed.source() || this.embed.modelName !== this.setId)
      return `Choose the model "${this.setId}" in Library → Embedding to embed queries for this set.`;
    return null;
  }

  /** Embeds texts with the set's model, in batches; rows in the order of `texts`. */
  async embedTexts(
    texts: readonly string[],
    kind: TextKind,
    signal?: AbortSignal,
    onBatch?: (done: number, total: number) => void,
  ): Promise<Float32Array[]> {
    const problem = this.modelProblem();
    if (problem) throw new Error(problem);
    const source = this.embed.source();
    if (!source) throw new Error('No model chosen.');
    const options = this.embed.options(this.embed.deviceChoice?.device ?? 'wasm');
    const rows: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += EMBED_BATCH) {
      signal?.throwIfAborted();
      const batch = texts.slice(start, start + EMBED_BATCH);
      const flat = await embedClient.call(async (api) => {
        await api.use(source, options);
        return api.embed([...batch], kind);
      }, signal);
      const dims = flat.length / batch.length;
      for (let i = 0; i < batch.length; i++) rows.push(flat.slice(i * dims, (i + 1) * dims));
      onBatch?.(Math.min(texts.length, start + EMBED_BATCH), texts.length);
    }
    return rows;
  }
}
