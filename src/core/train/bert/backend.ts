import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Side-effect import: registers the 'webgpu' backend where navigator.gpu exists.
import '@tensorflow/tfjs-backend-webgpu';
import { installSegmentSumKernel } from './segment-sum-kernel.ts';
import { installWebGpuTransposeFix } from './webgpu-transpose-fix.ts';

export type TfBackendName = 'webgpu' | 'wasm' | 'cpu';

/** The three binaries of @tensorflow/tfjs-backend-wasm; the backend picks one by CPU features. */
export type TfWasmBinary =
  'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

export interface UseBackendOptions {
  /**
   * Where the wasm binaries are served (the app is offline, so no CDN): bundler asset URLs per
   * file, or a folder prefix ending in '/'. Not needed in Node, which reads them from the package.
   */
  wasmPaths?: string | Partial<Record<TfWasmBinary, string>>;
}

export interface ActiveBackend {
  name: TfBackendName;
  /** For wasm: whether SIMD and threads are in use; for webgpu: the adapter's description. */
  detail: string;
}

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';

  constructor(
    readonly backend: TfBackendName,
    reason: string,
  ) {
    super(`TensorFlow.js backend "${backend}" is unavailable: ${reason}`);
  }
}

interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
}
interface GpuLike {
  requestAdapter(): Promise<{ info?: GpuAdapterInfo } | null>;
}

/**
 * Makes `name` the active TF.js backend and waits until it is ready. Never falls back to another
 * backend: if the one asked for cannot start, this throws {@link BackendUnavailableError}.
 * Tensors made on the previous backend must not be reused on the new one (rebuild them from data).
 */
export async function useBackend(
  name: TfBackendName,
  options: UseBackendOptions = {},
): Promise<ActiveBackend> {
  let detail = '';
  if (name === 'webgpu') detail = await checkWebGpu();
  // Takes effect only before the wasm backend's first initialisation.
  if (name === 'wasm' && options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
  if (name === 'webgpu') installWebGpuTransposeFix();
  else installSegmentSumKernel(name);
  if (!tf.findBackendFactory(name)) {
    throw new BackendUnavailableError(name, 'it is not registered in this TensorFlow.js build');
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (error) {
    throw new BackendUnavailableError(name, (error as Error).message);
  }
  const active = tf.getBackend();
  if (!ok || active !== name) {
    throw new BackendUnavailableError(
      name,
      `initialisation failed (active backend: ${active || 'none'})`,
    );
  }
  if (name === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    detail = `simd ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}`;
  }
  if (name === 'cpu') detail = 'plain JavaScript';
  return { name, detail };
}

async function checkWebGpu(): Promise<string> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) {
    throw new BackendUnavailableError(
      'webgpu',
      'navigator.gpu is missing (this browser or worker has no WebGPU)',
    );
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new BackendUnavailableError(
      'webgpu',
      'navigator.gpu.requestAdapter() returned no adapter',
    );
  }
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'adapter';
}
