export type * from './types.ts';
export { defaultTrainConfig, defaultTrainConfigCopy } from './defaults.ts';
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
export { describeKind, formatIssue, splitRatiosOf, validateTrainConfig } from './validate.ts';
export { parseTrainConfigYaml, trainConfigToYaml } from './yaml.ts';
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
