import type { AnalyzeApi } from '../../workers/analyze.worker.ts';
import type { EmbedApi } from '../../workers/embed.worker.ts';
import type { GenerateApi } from '../../workers/generate.worker.ts';
import type { IndexApi } from '../../workers/index.worker.ts';
import type { PrepareApi } from '../../workers/prepare.worker.ts';
import type { ProjectApi } from '../../workers/project.worker.ts';
import type { TrainApi } from '../../workers/train.worker.ts';
import type { SyncApi } from '../../workers/sync.worker.ts';
import { WorkerClient } from './worker-client.ts';

/** Thin, lazily started clients of Lumina's workers; the page only imports their API types. */
export const prepareClient = new WorkerClient<PrepareApi>(
  () =>
    new Worker(new URL('../../workers/prepare.worker.ts', import.meta.url), {
      type: 'module',
      name: 'lumina-prepare',
    }),
  // Rolling back a large half-imported file can take seconds; only a hung worker is killed.
  { name: 'prepare worker', hardCancelAfterMs: 20_000 },
);

/** The embedding worker: one loaded model at a time, run by transformers.js on wasm or WebGPU. */
export const embedClient = new WorkerClient<EmbedApi>(
  () =>
    new Worker(new URL('../../workers/embed.worker.ts', import.meta.url), {
      type: 'module',
      name: 'lumina-embed',
    }),
  // One ONNX Runtime call cannot be interrupted; a long batch on a slow device is killed instead.
  { name: 'embed worker', hardCancelAfterMs: 10_000 },
);

/** The search worker: exact top-k over stored embedding sets, kept in memory between queries. */
export const indexClient = new WorkerClient<IndexApi>(
  () =>
    new Worker(new URL('../../workers/index.worker.ts', import.meta.url), {
      type: 'module',
      name: 'lumina-index',
    }),
  // A scan checks for aborts between blocks; only a stuck read of IndexedDB needs the hard stop.
  { name: 'index worker', hardCancelAfterMs: 5_000 },
);

/** The analysis worker: clusters, near-duplicates and paths over a stored embedding set. */
export const analyzeClient = new WorkerClient<AnalyzeApi>(
  () =>
    new Worker(new URL('../../workers/analyze.worker.ts', import.meta.url), {
      type: 'module',
      name: 'lumina-analyze',
    }),
  // k-means and the pair scan check for aborts between row blocks; a stuck read gets the stop.
  { name: 'analyze worker', hardCancelAfterMs: 5_000 },
);

/** The map worker: PCA, UMAP and t-SNE of a stored set, and the colours of its points. */
export const projectClient = new WorkerClient<ProjectApi>(
  () =>
    new Worker(new URL('../../workers/project.worker.ts', import.meta.url), {
      type: 'module',
      name: 'lumina-project',
    }),
  // A few steps (fuzzy graph, t-SNE affinities) run seconds without yielding; then it is killed.
  { name: 'map worker', hardCancelAfterMs: 10_000 },
);

/** The Pinecone sync worker: outbox-backed upserts, deletes and verification, and queries. */
export const syncClient = new WorkerClient<SyncApi>(
  () =>
    new Worker(new URL('../../workers/sync.worker.ts', import.meta.url), {
      type: 'module',
      name: 'lumina-sync',
    }),
  // Requests and backoff sleeps listen to the signal; only a stuck IndexedDB write needs the stop.
  { name: 'sync worker', hardCancelAfterMs: 5_000 },
);

/** The training worker: tokenizer training now, TF.js model training later. */
export const trainClient = new WorkerClient<TrainApi>(
  () =>
    new Worker(new URL('../../workers/train.worker.ts', import.meta.url), {
      type: 'module',
      name: 'lumina-train',
    }),
  // Training yields every few tens of ms, but one huge document is split in one go.
  { name: 'train worker', hardCancelAfterMs: 10_000 },
);

/** The text-generation worker: one transformers.js causal LM, streaming answers for Ask. */
export const generateClient = new WorkerClient<GenerateApi>(
  () =>
    new Worker(new URL('../../workers/generate.worker.ts', import.meta.url), {
      type: 'module',
      name: 'lumina-generate',
    }),
  // Generation stops after the current token; a big model's single step may take seconds.
  { name: 'generate worker', hardCancelAfterMs: 15_000 },
);
