import { describe, expect, it } from 'vitest';
import {
  assessChecks,
  formatBytes,
  needsAttention,
  wasmThreadCount,
  type GpuInfo,
  type SystemReport,
} from '../../src/core/system/assess.ts';

const gpu: GpuInfo = {
  vendor: 'nvidia',
  architecture: 'ampere',
  description: '',
  isFallbackAdapter: false,
  shaderF16: true,
  limits: { maxBufferSize: 2 ** 31 },
};

const base: Omit<SystemReport, 'checks'> = {
  appVersion: '0.1.0',
  userAgent: 'test',
  gpu,
  gpuError: null,
  crossOriginIsolated: true,
  hardwareConcurrency: 8,
  wasmThreads: 4,
  storage: { usage: 1e6, quota: 1e10, persisted: true },
  cachedModelFiles: 3,
  serviceWorker: 'active',
};

describe('system check verdicts', () => {
  it('is all green on a capable machine', () => {
    const checks = assessChecks(base);
    expect(checks.every((c) => c.status === 'ok')).toBe(true);
    expect(needsAttention(checks)).toBe(false);
  });

  it('flags a software adapter and says what Lumina does instead', () => {
    const checks = assessChecks({
      ...base,
      gpu: { ...gpu, isFallbackAdapter: true, architecture: 'swiftshader', shaderF16: false },
    });
    const verdict = checks.find((c) => c.id === 'webgpu');
    expect(verdict?.status).toBe('warn');
    expect(verdict?.advice).toMatch(/WebAssembly/);
    expect(checks.find((c) => c.id === 'shader-f16')?.status).toBe('warn');
    expect(needsAttention(checks)).toBe(true);
  });

  it('explains missing WebGPU, isolation, storage and persistence', () => {
    const checks = assessChecks({
      ...base,
      gpu: null,
      gpuError: 'navigator.gpu is missing',
      crossOriginIsolated: false,
      wasmThreads: 1,
      storage: null,
      serviceWorker: 'none',
    });
    expect(checks.find((c) => c.id === 'webgpu')?.detail).toMatch(/navigator.gpu/);
    expect(checks.find((c) => c.id === 'isolation')?.advice).toMatch(/Cross-Origin-Opener-Policy/);
    expect(checks.find((c) => c.id === 'storage')?.status).toBe('error');
    expect(checks.find((c) => c.id === 'offline')?.status).toBe('warn');
  });

  it('warns when storage is nearly full or not persisted', () => {
    const checks = assessChecks({
      ...base,
      storage: { usage: 9.95e9, quota: 1e10, persisted: false },
    });
    expect(checks.find((c) => c.id === 'storage')?.status).toBe('warn');
    expect(checks.find((c) => c.id === 'persisted')?.status).toBe('warn');
  });

  it('counts threads as ONNX Runtime Web does', () => {
    expect(wasmThreadCount(true, 8)).toBe(4);
    expect(wasmThreadCount(true, 3)).toBe(2);
    expect(wasmThreadCount(false, 8)).toBe(1);
  });

  it('formats bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10 GB');
  });
});
