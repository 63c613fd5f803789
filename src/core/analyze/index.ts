export {
  kmeans,
  type ClusterMetric,
  type KMeansOptions,
  type KMeansResult,
  type MiniBatchOptions,
} from './kmeans.ts';
export {
  chooseK,
  elbowIndex,
  type ChooseKOptions,
  type ChooseKResult,
  type ChooseKRow,
} from './choose-k.ts';
export {
  sampleDistances,
  sampleRows,
  silhouetteFromDistances,
  silhouetteScore,
  type SampleDistances,
  type SilhouetteOptions,
} from './silhouette.ts';
export {
  clusterLabels,
  wordTokenizer,
  type ClusterLabel,
  type ClusterLabelOptions,
  type ClusterTerm,
  type Tokenizer,
} from './cluster-labels.ts';
export {
  duplicateGroups,
  findNearDuplicates,
  type DuplicateGroup,
  type DuplicateOptions,
  type DuplicatePair,
  type DuplicateResult,
} from './duplicates.ts';
export { groupsToCsv, groupsToJsonl, pairsToCsv, pairsToJsonl } from './duplicates-export.ts';
export {
  interpolatePath,
  interpolationPoints,
  type InterpolationMethod,
  type InterpolationOptions,
  type PathPoint,
} from './interpolate.ts';
export type { EmbeddingMatrix, LabelledEmbeddings } from './matrix.ts';
