export type * from './types.ts';
export { ARCHITECTURE_ACTIVATION, defaultTrainConfig, defaultTrainConfigCopy } from './defaults.ts';
export {
  ARCHITECTURES,
  architectureChanges,
  BERT_ONLY_FIELDS,
  fieldApplies,
  objectiveOf,
  withArchitecture,
} from './architecture.ts';
export {
  ALIASES,
  FIELDS,
  FIELD_BY_PATH,
  GROUP_DOCS,
  SECTIONS,
  SECTION_DOCS,
  type FieldKind,
  type FieldSpec,
  type SectionName,
} from './fields.ts';
export { getAtPath, setAtPath } from './paths.ts';
export { closestName, editDistance } from './suggest.ts';
export {
  describeKind,
  formatIssue,
  splitRatiosOf,
  validateTrainConfig,
  type ValidateOptions,
} from './validate.ts';
export { parseTrainConfigYaml, trainConfigToYaml, writtenArchitecture } from './yaml.ts';
export {
  modelSectionFromHfConfig,
  modelSectionToBertConfig,
  modelSectionToHfConfig,
  resolveVocabSize,
  type TokenizerFacts,
} from './hf-config.ts';
export {
  checkMixedPrecision,
  FP16_POSSIBLE,
  staticMixedPrecisionProblem,
  type BackendCaps,
} from './mixed-precision.ts';
