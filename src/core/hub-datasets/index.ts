/**
 * Hugging Face Hub datasets: find a dataset's splits and Parquet files through the dataset viewer
 * API, read the first rows of a split by HTTP range requests (hyparquet), and turn them into
 * documents. Pure: `fetch` is injected or global, base URLs are configurable (a local stand-in in
 * tests), every call takes an AbortSignal.
 */
export {
  checkDatasetId,
  DEFAULT_HUB_ENDPOINTS,
  HubDatasetError,
  type HubAccess,
  type HubEndpoints,
  type HubErrorCode,
} from './access.ts';
export { importHubIntoDataset, type HubImportResult } from './import-into-dataset.ts';
export { readHubDocuments, type HubReadControl, type HubReadResult } from './read-documents.ts';
export { hubSource, type HubImportRequest } from './request.ts';
export {
  findSplit,
  lookUpHubDataset,
  type HubDatasetInfo,
  type HubParquetFile,
  type HubSplit,
} from './resolve.ts';
export { textOf, valueAt } from './row-document.ts';
export { readHubRows, type HubRowBatch } from './rows.ts';
export {
  columnsOf,
  describeHubSplit,
  type HubColumn,
  type HubColumnKind,
  type HubSplitSchema,
} from './schema.ts';
