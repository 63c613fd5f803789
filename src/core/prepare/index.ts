export {
  cleaningRules,
  fixWikiArtifacts,
  letterShare,
  normalizeWhitespace,
  removeUnk,
  removeWikiHeadings,
  type CleaningRule,
} from './cleaning.ts';
export { toJsonl, toParquet } from './export.ts';
export {
  defaultPrepareOptions,
  validatePrepareOptions,
  type CleaningOptions,
  type PrepareOptions,
  type SplitRatios,
} from './options.ts';
export { mergeShortParagraphs, splitParagraphs, type Paragraph } from './paragraphs.ts';
export {
  prepareTexts,
  type PrepareControl,
  type PreparedText,
  type PrepareReport,
  type RuleEffect,
} from './prepare-texts.ts';
export { assignSplits, mulberry32, splitSizes } from './split.ts';
