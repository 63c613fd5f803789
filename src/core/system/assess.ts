/** Verdicts of the system check, from raw facts: pure, so Node tests cover every branch. */

export type CheckStatus = 'ok' | 'warn' | 'error';

export interface Check {
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  /** What the user can do about a warning or error. */
  advice?: string;
}

export interface GpuInfo {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
  shaderF16: boolean;
  limits: Record<string, number>;
}

export interface SystemReport {
  appVersion: string;
  userAgent: string;
  gpu: GpuInfo | null;
  gpuError: string | null;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  wasmThreads: number;
  storage: { usage: number; quota: number; persisted: boolean } | null;
  cachedModelFiles: number;
  serviceWorker: 'active' | 'installing' | 'none' | 'unsupported';
  checks: Check[];
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  const power = Math.min(units.length - 1, Math.floor(Math.log(bytes) / Math.log(1024)));
  const value = bytes / 1024 ** power;
  return `${value.toFixed(value >= 10 || power === 0 ? 0 : 1)} ${units[power]}`;
}

/** ONNX Runtime Web's default: half the cores, and one thread without cross-origin isolation. */
export function wasmThreadCount(isolated: boolean, cores: number): number {
  return isolated ? Math.max(1, Math.ceil(cores / 2)) : 1;
}

/** Turns raw facts into verdicts with advice. Pure, so it is unit-tested on its own. */
export function assessChecks(r: Omit<SystemReport, 'checks'>): Check[] {
  const checks: Check[] = [];
  if (!r.gpu) {
    checks.push({
      id: 'webgpu',
      label: 'WebGPU',
      status: 'warn',
      detail: r.gpuError ?? 'unavailable',
      advice:
        'Lumina will use WebAssembly on the CPU instead (slower). Use a recent Chrome or Edge, and check chrome://gpu that WebGPU is hardware accelerated.',
    });
  } else if (r.gpu.isFallbackAdapter) {
    checks.push({
      id: 'webgpu',
      label: 'WebGPU',
      status: 'warn',
      detail: `Software adapter (${r.gpu.architecture || r.gpu.vendor}): correct but slow.`,
      advice:
        'Lumina will prefer WebAssembly where it is faster. For GPU speed, enable hardware acceleration in the browser settings and update the graphics driver.',
    });
  } else {
    checks.push({
      id: 'webgpu',
      label: 'WebGPU',
      status: 'ok',
      detail: `${r.gpu.vendor} ${r.gpu.architecture}`.trim(),
    });
  }
  if (r.gpu && !r.gpu.shaderF16) {
    checks.push({
      id: 'shader-f16',
      label: 'fp16 shaders',
      status: 'warn',
      detail: 'The adapter has no shader-f16: fp16 models cannot run on WebGPU here.',
      advice: 'Choose fp32 or q8 models on this device.',
    });
  }
  checks.push(
    r.crossOriginIsolated
      ? {
          id: 'isolation',
          label: 'Multi-threaded WebAssembly',
          status: 'ok',
          detail: `Cross-origin isolated: ${r.wasmThreads} thread${r.wasmThreads === 1 ? '' : 's'} of ${r.hardwareConcurrency} cores.`,
        }
      : {
          id: 'isolation',
          label: 'Multi-threaded WebAssembly',
          status: 'warn',
          detail: 'The page is not cross-origin isolated, so WebAssembly runs on one thread.',
          advice:
            'Serve Lumina with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (npm start and the production build do).',
        },
  );
  if (!r.storage) {
    checks.push({
      id: 'storage',
      label: 'Storage',
      status: 'error',
      detail:
        'This browser reports no storage estimate; IndexedDB may be unavailable (private window?).',
      advice: 'Open Lumina in a normal (not private) window.',
    });
  } else {
    const free = r.storage.quota - r.storage.usage;
    checks.push({
      id: 'storage',
      label: 'Storage',
      status: free < 200 * 1024 * 1024 ? 'warn' : 'ok',
      detail: `${formatBytes(r.storage.usage)} used of ${formatBytes(r.storage.quota)}.`,
      ...(free < 200 * 1024 * 1024
        ? { advice: 'Little space is left: delete datasets or models you no longer need.' }
        : {}),
    });
    checks.push(
      r.storage.persisted
        ? {
            id: 'persisted',
            label: 'Persistent storage',
            status: 'ok',
            detail: 'Granted: the browser will not evict your data.',
          }
        : {
            id: 'persisted',
            label: 'Persistent storage',
            status: 'warn',
            detail: 'Not granted: the browser may evict stored data under storage pressure.',
            advice: 'Install Lumina as an app or bookmark it; then press "Ask again".',
          },
    );
  }
  checks.push({
    id: 'offline',
    label: 'Offline use',
    status: r.serviceWorker === 'active' ? 'ok' : 'warn',
    detail:
      r.serviceWorker === 'active'
        ? 'The app shell is cached; Lumina opens without a network.'
        : r.serviceWorker === 'unsupported'
          ? 'Service workers are unsupported here.'
          : 'The offline cache is not active yet (it starts after the first visit of a production build).',
  });
  checks.push({
    id: 'models',
    label: 'Cached model files',
    status: 'ok',
    detail: `${r.cachedModelFiles} file(s) in the model cache.`,
  });
  return checks;
}

/** Whether the first-run screen should open by itself. */
export function needsAttention(checks: Check[]): boolean {
  return checks.some(
    (c) =>
      c.status === 'error' ||
      (c.id === 'webgpu' && c.status !== 'ok') ||
      (c.id === 'isolation' && c.status !== 'ok'),
  );
}
