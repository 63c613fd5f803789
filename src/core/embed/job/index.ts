export { BlockWriter, idsInRows } from './block-writer.ts';
export {
  DOCUMENT_WINDOW,
  docIdOfChunk,
  meanRow,
  writeDocumentAverages,
  type DocumentAveragesResult,
} from './document-averages.ts';
export { cancelEmbedJob, embedDataset, getEmbedJob } from './embed-dataset.ts';
export { BUDGET_DATASET_ID, idbBudgetStore } from './idb-budget-store.ts';
export {
  documentSetId,
  EMBED_JOB_KIND,
  embedJobId,
  readEmbedCursor,
  type EmbedJobCursor,
} from './job-record.ts';
export { runnerFromModel, type ModelIdentity } from './runner-from-model.ts';
export type {
  EmbedControl,
  EmbedDatasetOptions,
  EmbedDatasetResult,
  EmbeddingRunner,
  EmbedModelSettings,
  EmbedProgress,
} from './types.ts';
