export {
  BUNDLE_DTYPES,
  BUNDLE_EXTENSION,
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_POOLINGS,
  bundleChunkId,
  BundleError,
  CHUNK_EMBEDDINGS_TENSOR,
  CHUNKS_FILE,
  DOC_EMBEDDINGS_TENSOR,
  DOCUMENTS_FILE,
  EMBEDDINGS_FILE,
  MANIFEST_FILE,
  type Bundle,
  type BundleChunk,
  type BundleChunking,
  type BundleControl,
  type BundleDocument,
  type BundleDtype,
  type BundleFileEntry,
  type BundleInput,
  type BundleManifest,
  type BundleModel,
  type BundlePooling,
  type MissingDocEmbedding,
} from './format.ts';
export { readBundle } from './read-bundle.ts';
export {
  CHUNK_COLUMNS,
  DOCUMENT_COLUMNS,
  DOCUMENT_TEXT_COLUMN,
  type ColumnSpec,
} from './tables.ts';
export { streamBundle, writeBundle, type BundleSink } from './write-bundle.ts';
export { bundleFromStore, type BundleFromStoreOptions } from './from-store.ts';
export {
  describeFilter,
  type BundleSelection,
  type BundleSelectionFilter,
  type SelectionRequest,
} from './selection.ts';
