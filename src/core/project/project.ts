import { pca } from './pca.ts';
import { tsne, type TsneOptions } from './tsne.ts';
import type { LongRunOptions, ProjectionDims, ProjectionMethod, Vectors } from './types.ts';
import { umap, type UmapOptions } from './umap.ts';

export interface ProjectOptions extends LongRunOptions {
  method: ProjectionMethod;
  dims: ProjectionDims;
  seed?: number;
  umap?: Omit<UmapOptions, keyof LongRunOptions | 'dims' | 'seed'>;
  tsne?: Omit<TsneOptions, keyof LongRunOptions | 'dims' | 'seed'>;
}

/** Map coordinates of every row: a plain `[rows × dims]` Float32Array, row-major. */
export async function projectVectors(
  vectors: Vectors,
  options: ProjectOptions,
): Promise<Float32Array> {
  const { method, dims, seed, signal, onProgress } = options;
  if (dims > vectors.dims) throw new Error(`cannot map ${vectors.dims}-dim vectors to ${dims}D`);
  const common = { dims, seed, signal, onProgress };
  switch (method) {
    case 'pca':
      return (await pca(vectors, dims, { signal, onProgress })).coordinates;
    case 'umap':
      return umap(vectors, { ...options.umap, ...common });
    case 'tsne':
      return tsne(vectors, { ...options.tsne, ...common });
  }
}
