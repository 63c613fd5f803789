import { env } from '@huggingface/transformers';
import type { FileResolver } from './model-files.ts';
import type { EmbedDevice } from './types.ts';

/**
 * transformers.js keeps its settings in one global `env`. This module owns it for Lumina: local
 * model folders are served through `env.customCache`, hub downloads are kept in the browser's
 * Cache Storage, and ONNX Runtime's wasm comes from our own origin.
 */

/** The ORT wasm build transformers 4.3 asks for (onnxruntime-web/webgpu uses asyncify). */
export interface OrtWasmPaths {
  wasm: string;
  mjs: string;
}

export interface RuntimeSetup {
  /** URLs on our own origin; without them ORT would fetch its wasm from a CDN. */
  wasmPaths?: OrtWasmPaths;
  /** WASM threads; ORT's default is half the cores when cross-origin isolated, else 1. */
  numThreads?: number;
}

/** Where transformers.js thinks local folders live; only this module answers for these paths. */
const LOCAL_ROOT = '/lumina-local-models/';
/** Hub-id-shaped names of served folders: `lumina-local/f<n>`. */
const LOCAL_OWNER = 'lumina-local';

interface ResponseCache {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
}

const servedFolders = new Map<string, FileResolver>();
let nextFolder = 0;
let installed = false;
let browserCache: Promise<ResponseCache | null> | null = null;

export function configureRuntime(setup: RuntimeSetup = {}): void {
  installOnce();
  const wasm = env.backends.onnx.wasm;
  if (wasm && setup.wasmPaths) wasm.wasmPaths = { ...setup.wasmPaths };
  if (wasm && setup.numThreads) wasm.numThreads = setup.numThreads;
}

/**
 * Makes a folder loadable by transformers.js under a fresh hub-shaped id, with no network: every
 * file it asks for comes from `resolve`, and a file the folder lacks is a 404 made here.
 */
export function serveFolder(resolve: FileResolver): { modelId: string; release: () => void } {
  installOnce();
  const folder = `f${nextFolder++}`;
  servedFolders.set(folder, resolve);
  return { modelId: `${LOCAL_OWNER}/${folder}`, release: () => servedFolders.delete(folder) };
}

/**
 * A local model folder as the loaders use it: served to transformers.js with the hub switched
 * off, its JSON files readable, and one `release` for the served folder and its files.
 */
export function openServedFolder(
  resolve: FileResolver,
  releaseFiles: () => void,
): {
  modelId: string;
  revision: string;
  readJson: (path: string) => Promise<unknown>;
  release: () => void;
} {
  allowHubDownloads(false);
  const folder = serveFolder(resolve);
  return {
    modelId: folder.modelId,
    revision: 'main',
    readJson: async (path) => {
      const blob = await resolve(path);
      if (!blob) return null;
      try {
        return JSON.parse(await blob.text()) as unknown;
      } catch {
        return null;
      }
    },
    release: () => {
      folder.release();
      releaseFiles();
    },
  };
}

/** Hub loads may download; local loads must not, so the hub is switched off for them. */
export function allowHubDownloads(allowed: boolean): void {
  env.allowRemoteModels = allowed;
  // With the hub off transformers.js insists on local loading being on; our folders answer it.
  env.allowLocalModels = !allowed;
}

/** A JSON file of a hub repository from the cache, else downloaded (and cached); null if absent. */
export async function readHubJson(id: string, revision: string, path: string): Promise<unknown> {
  const url = `${env.remoteHost.replace(/\/$/, '')}/${id}/resolve/${encodeURIComponent(revision)}/${path}`;
  const cache = await openBrowserCache();
  let response = await cache?.match(url);
  if (!response) {
    if (!env.allowRemoteModels) return null;
    try {
      response = await fetch(url);
    } catch {
      return null;
    }
    if (!response.ok) return null;
    await cache?.put(url, response.clone()).catch(() => undefined);
  }
  try {
    return (await response.json()) as unknown;
  } catch {
    return null;
  }
}

function installOnce(): void {
  if (installed) return;
  installed = true;
  env.localModelPath = LOCAL_ROOT;
  env.useBrowserCache = false;
  env.useCustomCache = true;
  env.customCache = {
    async match(key: string) {
      const local = servedFile(key);
      if (local) {
        const blob = await local.resolve(local.path);
        return blob
          ? new Response(blob, { headers: { 'content-length': String(blob.size) } })
          : undefined;
      }
      if (key.includes(`/${LOCAL_OWNER}/`)) return undefined;
      return (await openBrowserCache())?.match(key);
    },
    async put(key: string, response: Response) {
      if (servedFile(key) || key.includes(`/${LOCAL_OWNER}/`)) return;
      await (await openBrowserCache())?.put(key, response);
    },
  };
  const networkFetch = env.fetch;
  // A served folder's missing file must stay a 404 made here, never a request to the page's server.
  env.fetch = (input: string | URL, init?: RequestInit) =>
    String(input).includes(LOCAL_ROOT)
      ? Promise.resolve(new Response(null, { status: 404, statusText: 'Not in model folder' }))
      : networkFetch(input, init);
}

/**
 * The served folder and path a cache key names. transformers.js asks by local path
 * (`/lumina-local-models/lumina-local/f3/config.json`) and, after a hit, by hub URL
 * (`https://huggingface.co/lumina-local/f3/resolve/main/config.json`).
 */
function servedFile(key: string): { resolve: FileResolver; path: string } | null {
  const marker = `/${LOCAL_OWNER}/`;
  const at = key.indexOf(marker);
  if (at < 0) return null;
  const isLocalPath = key.startsWith(LOCAL_ROOT) && at === LOCAL_ROOT.length - 1;
  const isHubUrl = key.startsWith(env.remoteHost.replace(/\/$/, '') + marker);
  if (!isLocalPath && !isHubUrl) return null;
  const [folder = '', ...rest] = key.slice(at + marker.length).split('/');
  const resolve = servedFolders.get(folder);
  if (!resolve) return null;
  // The hub form carries `resolve/<revision>/` before the path.
  const path = (isHubUrl ? rest.slice(2) : rest).join('/');
  return { resolve, path };
}

/** transformers.js's name for a device here: Node has no wasm provider, its CPU one stands in. */
export function transformersDevice(device: EmbedDevice): 'wasm' | 'webgpu' | 'cpu' {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions
    ?.node;
  return device === 'wasm' && typeof node === 'string' ? 'cpu' : device;
}

function openBrowserCache(): Promise<ResponseCache | null> {
  browserCache ??= (async () => {
    const storage = (globalThis as { caches?: { open(name: string): Promise<ResponseCache> } })
      .caches;
    if (!storage) return null;
    try {
      return await storage.open(env.cacheKey);
    } catch {
      // Cache Storage can be present but refused (opaque origins, some private modes).
      return null;
    }
  })();
  return browserCache;
}
