/** What a setup validator tells a user: can this browser run Lumina well, and what to do if not. */
import {
  assessChecks,
  wasmThreadCount,
  type GpuInfo,
  type SystemReport,
} from '../core/system/assess.ts';

export {
  formatBytes,
  needsAttention,
  type Check,
  type SystemReport,
} from '../core/system/assess.ts';

const KEY_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
] as const;

async function probeGpu(): Promise<{ gpu: GpuInfo | null; error: string | null }> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    return { gpu: null, error: 'navigator.gpu is missing: this browser has no WebGPU.' };
  }
  try {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { gpu: null, error: 'WebGPU is present but no adapter was offered.' };
    const info = adapter.info;
    const legacy = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
    const infoFallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean })
      .isFallbackAdapter;
    const limits: Record<string, number> = {};
    for (const key of KEY_LIMITS) limits[key] = Number(adapter.limits[key]);
    return {
      gpu: {
        vendor: info.vendor || 'unknown',
        architecture: info.architecture || 'unknown',
        description: info.description || '',
        isFallbackAdapter:
          infoFallback === true ||
          legacy.isFallbackAdapter === true ||
          info.architecture === 'swiftshader',
        shaderF16: adapter.features.has('shader-f16'),
        limits,
      },
      error: null,
    };
  } catch (error) {
    return { gpu: null, error: `Requesting a WebGPU adapter failed: ${String(error)}` };
  }
}

async function countCachedModelFiles(): Promise<number> {
  if (typeof caches === 'undefined') return 0;
  try {
    if (!(await caches.has('lumina-models'))) return 0;
    const cache = await caches.open('lumina-models');
    return (await cache.keys()).length;
  } catch {
    return 0;
  }
}

async function serviceWorkerState(): Promise<SystemReport['serviceWorker']> {
  if (!('serviceWorker' in navigator)) return 'unsupported';
  const registration = await navigator.serviceWorker.getRegistration();
  if (registration?.active) return 'active';
  if (registration?.installing || registration?.waiting) return 'installing';
  return 'none';
}

export async function runSystemCheck(appVersion: string): Promise<SystemReport> {
  const [{ gpu, error: gpuError }, cachedModelFiles, sw] = await Promise.all([
    probeGpu(),
    countCachedModelFiles(),
    serviceWorkerState(),
  ]);
  let storage: SystemReport['storage'] = null;
  if (navigator.storage?.estimate) {
    const estimate = await navigator.storage.estimate();
    const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
    storage = { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
  }
  const isolated = globalThis.crossOriginIsolated === true;
  const cores = navigator.hardwareConcurrency || 1;
  const report: SystemReport = {
    appVersion,
    userAgent: navigator.userAgent,
    gpu,
    gpuError,
    crossOriginIsolated: isolated,
    hardwareConcurrency: cores,
    wasmThreads: wasmThreadCount(isolated, cores),
    storage,
    cachedModelFiles,
    serviceWorker: sw,
    checks: [],
  };
  report.checks = assessChecks(report);
  return report;
}

/** Ask the browser to keep our data; returns whether it is persisted now. */
export async function requestPersistence(): Promise<boolean> {
  if (!navigator.storage?.persist) return false;
  if (navigator.storage.persisted && (await navigator.storage.persisted())) return true;
  return navigator.storage.persist();
}
