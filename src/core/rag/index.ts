export {
  bm25Normalizer,
  QUESTION_WORDS,
  topicalQuery,
  DEFAULT_ABSTAIN_THRESHOLDS,
  shouldAbstain,
  type AbstainThresholds,
  type RetrievalEvidence,
} from './abstain.ts';
export {
  abstentionText,
  askExtractive,
  type ExtractiveAskOptions,
  type RagAnswer,
  type RagTimings,
} from './answer.ts';
export { BundleRagSource, type BundleSourceOptions, type InMemoryChunks } from './bundle-source.ts';
export {
  citationOf,
  parseCitations,
  type Citation,
  type CitationMarker,
  type ParsedCitations,
} from './citations.ts';
export {
  assembleContext,
  mergePassages,
  type AssembledContext,
  type AssembleOptions,
  type ContextSource,
} from './context.ts';
export {
  asQuoted,
  extractAnswer,
  type EmbedSentences,
  type ExtractedSentence,
  type ExtractiveOptions,
  type ExtractiveResult,
} from './extractive.ts';
export { cosine, jaccard, mmrSelect } from './mmr.ts';
export { applyReranker, type Rerankable, type Reranker } from './rerank.ts';
export {
  expandNeighbours,
  retrieve,
  type MmrSettings,
  type RagMode,
  type RetrievalResult,
  type RetrievedPassage,
  type RetrieveOptions,
} from './retrieve.ts';
export { fallbackSentences, splitSentences, type Sentence } from './sentences.ts';
export type { RagChunk, RagSource, SourceSearchOptions } from './source.ts';
export { StoreRagSource, type StoreSourceOptions } from './store-source.ts';
export {
  buildPrompt,
  chatTemplateOf,
  DEFAULT_PROMPT_TEMPLATE,
  fillPromptTemplate,
  renderChatTemplate,
  type ChatMessage,
  type PromptParts,
} from './template.ts';
export {
  transcriptJsonl,
  transcriptMarkdown,
  turnFromJson,
  turnToJson,
  type AskSettings,
  type AskTurn,
  type GeneratorSettings,
  type RerankerSettings,
  type TranscriptInfo,
} from './transcript.ts';
export {
  askGenerative,
  DEFAULT_MAX_NEW_TOKENS,
  type GenerateOptions,
  type GenerationResult,
  type GenerativeAnswer,
  type GenerativeAskOptions,
  type TextGenerator,
} from './generate.ts';
