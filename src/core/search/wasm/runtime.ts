import { kernelModuleBytes } from './kernel-module.ts';

/** `kernel(query, rows, count, strideBytes, out)`: byte addresses in the instance's memory. */
export type KernelFn = (
  query: number,
  rows: number,
  count: number,
  stride: number,
  out: number,
) => void;

export interface Kernels {
  dotF32: KernelFn;
  dotI8: KernelFn;
}

/**
 * The part of the WebAssembly JS API used here. Declared locally because core is type-checked
 * against ES2023 + Node types as well as WebWorker, and only the latter declares WebAssembly.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
type WasmModule = object;
interface WasmApi {
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => WasmModule;
  Instance: new (
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/** A new wasm memory of `pages` 64 KiB pages (WebAssembly itself is in every target engine). */
export function createMemory(pages: number): WasmMemory {
  const api = wasmApi();
  if (!api) throw new Error('This engine has no WebAssembly.');
  return new api.Memory({ initial: pages });
}

let compiled: WasmModule | null | undefined;

/**
 * The compiled kernel module, or null where this engine has no WebAssembly SIMD (the module does
 * not validate): callers then run the typed-array path and say so.
 */
export function kernelModule(): WasmModule | null {
  if (compiled !== undefined) return compiled;
  const api = wasmApi();
  const bytes = kernelModuleBytes();
  const module = api?.validate(bytes) ? new api.Module(bytes) : null;
  compiled = module;
  return module;
}

export function wasmSimdAvailable(): boolean {
  return kernelModule() !== null;
}

/** The kernels bound to one memory; null without WebAssembly SIMD. */
export function instantiateKernels(memory: WasmMemory): Kernels | null {
  const module = kernelModule();
  const api = wasmApi();
  if (!module || !api) return null;
  const { exports } = new api.Instance(module, { env: { memory } });
  return { dotF32: exports['dot_f32'] as KernelFn, dotI8: exports['dot_i8'] as KernelFn };
}

export const WASM_PAGE_BYTES = 65536;

export function pagesFor(bytes: number): number {
  return Math.ceil(bytes / WASM_PAGE_BYTES);
}
