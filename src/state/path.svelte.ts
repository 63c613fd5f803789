import * as Comlink from 'comlink';
import type { InterpolationMethod } from '../core/analyze/index.ts';
import type { ChunkView, PathStepView } from '../core/analyze/stored.ts';
import { analyzeClient } from '../lib/clients.ts';
import type { ExploreState } from './explore.svelte.ts';
import { JobState } from './job.svelte.ts';

export type PathEnd = 'from' | 'to';

/** The Path tool: chunks nearest each step of the way from one text's embedding to another's. */
export class PathState {
  fromText = $state('');
  toText = $state('');
  fromChunkId = $state('');
  toChunkId = $state('');
  steps = $state(8);
  k = $state(3);
  method = $state<InterpolationMethod>('lerp');
  dedupe = $state(false);

  readonly job = new JobState();
  private result = $state.raw<PathStepView[]>([]);
  /** The dataset and set `result` belongs to: another choice hides it. */
  private resultFor = $state('');

  constructor(readonly explore: ExploreState) {}

  /** Fills one end's text with the text of the chunk whose id was typed. */
  async useChunk(end: PathEnd): Promise<void> {
    const datasetId = this.explore.datasetId;
    const chunkId = (end === 'from' ? this.fromChunkId : this.toChunkId).trim();
    if (!datasetId || !chunkId) return;
    const chunk = await analyzeClient.call((api) => api.chunk(datasetId, chunkId));
    if (!chunk) {
      this.job.error = `No chunk ${chunkId} in this dataset.`;
      return;
    }
    this.job.error = null;
    if (end === 'from') this.fromText = chunk.text;
    else this.toText = chunk.text;
  }

  async run(): Promise<void> {
    const { datasetId, setId } = this.explore;
    const texts = [this.fromText.trim(), this.toText.trim()];
    if (!datasetId || !setId || !texts[0] || !texts[1]) return;
    const request = { steps: this.steps, k: this.k, method: this.method, dedupe: this.dedupe };
    const result = await this.job.run('Path between the texts', async (signal, onProgress) => {
      onProgress({ status: 'start', fraction: 0, message: 'Embedding the two texts' });
      const [from, to] = await this.explore.embedTexts(texts, 'query', signal);
      if (!from || !to) throw new Error('The texts could not be embedded.');
      return analyzeClient.call(
        (api) =>
          api.path(
            datasetId,
            setId,
            Comlink.transfer(from, [from.buffer]),
            Comlink.transfer(to, [to.buffer]),
            request,
            signal,
            onProgress,
          ),
        signal,
      );
    });
    if (result) {
      this.result = result;
      this.resultFor = JSON.stringify([datasetId, setId]);
    }
  }

  /** The last path, while its dataset and set are the chosen ones. */
  get shown(): PathStepView[] {
    const { datasetId, setId } = this.explore;
    return this.resultFor === JSON.stringify([datasetId, setId]) ? this.result : [];
  }

  async open(chunk: ChunkView): Promise<void> {
    await this.explore.library.openDocument(chunk.docId, chunk.index);
  }
}
