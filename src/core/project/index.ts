export { approximateKnn, type KnnGraph, type KnnOptions } from './knn.ts';
export {
  applyPca,
  fitPca,
  pca,
  type PcaModel,
  type PcaOptions,
  type PcaResult,
  type VectorSource,
} from './pca.ts';
export { projectVectors, type ProjectOptions } from './project.ts';
export { mapQuality, sampleRows, type QualityScores } from './quality.ts';
export { gaussian, seededRandom, type Random } from './random.ts';
export { tsne, type TsneOptions } from './tsne.ts';
export type { LongRunOptions, ProjectionDims, ProjectionMethod, Vectors } from './types.ts';
export { defaultUmapEpochs, umap, type UmapOptions } from './umap.ts';
