import { throwIfAborted } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';

/**
 * Model files kept in Cache Storage: transformers.js's own cache (Hub downloads) and the service
 * worker's runtime cache (Hub and `/models/` requests). The storage view lists them per model.
 */
export const MODEL_CACHE_NAMES: readonly string[] = ['transformers-cache', 'lumina-models'];

/** The parts of Cache Storage used here, so the code runs on a fake in Node. */
export interface CacheStorageLike<Key extends { url: string }> {
  has(name: string): Promise<boolean>;
  open(name: string): Promise<CacheLike<Key>>;
}

/** A cache, keyed by its own request objects (`Request` in a browser). */
export interface CacheLike<Key extends { url: string }> {
  keys(): Promise<readonly Key[]>;
  match(request: Key): Promise<{ blob(): Promise<{ size: number }> } | undefined>;
  delete(request: Key): Promise<boolean>;
}

export interface CachedModelUsage {
  /** `owner/name` for a Hub model, `/models/<name>/` for a served folder. */
  modelId: string;
  files: number;
  bytes: number;
  /** The caches holding its files (one Hub download may sit in both). */
  caches: string[];
}

/**
 * Which model a cached URL belongs to: Hub files are `https://huggingface.co/<id>/resolve/<rev>/…`
 * (ids have one or two segments), served folders `<origin>/models/<name>/…`. Anything else
 * (the served-folder listing, say) is no model's file: null.
 */
export function cachedModelId(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const segments = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parsed.hostname === 'huggingface.co' || parsed.hostname.endsWith('.huggingface.co')) {
    const at = segments.indexOf('resolve');
    return at === 1 || at === 2 ? segments.slice(0, at).join('/') : null;
  }
  if (segments[0] === 'models' && segments.length >= 3) return `/models/${segments[1]}/`;
  return null;
}

export interface CacheScanControls {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  cacheNames?: readonly string[];
}

/** Model files in the model caches grouped by model, with sizes read from the cached responses. */
export async function cachedModelUsage<Key extends { url: string }>(
  storage: CacheStorageLike<Key>,
  { signal, onProgress, cacheNames = MODEL_CACHE_NAMES }: CacheScanControls = {},
): Promise<CachedModelUsage[]> {
  const progress = new ProgressReporter(onProgress);
  progress.start('Measuring cached models');
  const byModel = new Map<string, CachedModelUsage>();
  for (const [done, name] of cacheNames.entries()) {
    // `open` would create a missing cache: only look into the ones that exist.
    if (!(await storage.has(name))) continue;
    const cache = await storage.open(name);
    for (const request of await cache.keys()) {
      throwIfAborted(signal);
      const modelId = cachedModelId(request.url);
      if (!modelId) continue;
      const response = await cache.match(request);
      if (!response) continue;
      const size = (await response.blob()).size;
      const entry = byModel.get(modelId) ?? { modelId, files: 0, bytes: 0, caches: [] };
      entry.files++;
      entry.bytes += size;
      if (!entry.caches.includes(name)) entry.caches.push(name);
      byModel.set(modelId, entry);
    }
    progress.update(done + 1, cacheNames.length, name);
  }
  progress.finish(`${byModel.size} cached models`);
  return [...byModel.values()].sort((a, b) => a.modelId.localeCompare(b.modelId));
}

/** Deletes every cached file of one model from the model caches; returns how many went. */
export async function deleteCachedModel<Key extends { url: string }>(
  storage: CacheStorageLike<Key>,
  modelId: string,
  cacheNames: readonly string[] = MODEL_CACHE_NAMES,
): Promise<number> {
  let deleted = 0;
  for (const name of cacheNames) {
    if (!(await storage.has(name))) continue;
    const cache = await storage.open(name);
    for (const request of await cache.keys()) {
      if (cachedModelId(request.url) === modelId && (await cache.delete(request))) deleted++;
    }
  }
  return deleted;
}
