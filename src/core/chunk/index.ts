export { chunkText } from './chunk-text.ts';
export { headingStarts, isWikiHeadingLine } from './headings.ts';
export {
  CHUNK_MODES,
  DEFAULT_SEPARATORS,
  defaultChunkOptions,
  validateChunkOptions,
  type ChunkMode,
  type ChunkOptions,
} from './options.ts';
export type { ChunkControl } from './packer.ts';
export {
  DEFAULT_SEMANTIC_THRESHOLD,
  semanticChunks,
  validateSemanticOptions,
  type EmbedTexts,
  type SemanticChunkOptions,
  type SemanticControl,
  type SemanticThreshold,
} from './semantic.ts';
