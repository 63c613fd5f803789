/**
 * Messages that mean "this batch was too big for the memory the runtime has", as the runtimes
 * actually word them. Collected from the onnxruntime-web build in node_modules (1.31 dev: JS
 * bundle and the strings inside ort-wasm-simd-threaded*.wasm) and from reports upstream:
 *
 * - V8 when an ArrayBuffer/typed array cannot be allocated: `RangeError: Array buffer allocation
 *   failed` (huggingface/transformers.js#846, #952, #1365).
 * - ORT's arena (bfc_arena.cc): `Failed to allocate memory for requested buffer of size N`
 *   (string in the WASM build; microsoft/onnxruntime#20038), and ORT Web's JS side:
 *   `Can't create a session. failed to allocate a buffer of size N.`
 * - C++ `std::bad_alloc` and ORT's `Out of memory`, both strings in the WASM build; Emscripten
 *   aborts with `Aborted(OOM)` when the heap cannot grow.
 * - ORT's WebGPU EP (webgpu_context.cc): `WebGPU device error(2): Out of memory`
 *   (microsoft/onnxruntime#25195) and `WebGPU device lost (2): Device was destroyed.`
 *   (microsoft/onnxruntime#27634); WebGPU's own `GPUOutOfMemoryError`.
 * - Oversized GPU buffers: `Buffer size (N) exceeds the max buffer size limit (M)` (#25195).
 * - Read-back after a failed allocation: `Failed to download data from buffer. wgpu::MapAsyncStatus
 *   value: …` (string in the WASM build) and `Failed to execute 'mapAsync' on 'GPUBuffer':
 *   [Invalid Buffer] is invalid due to a previous error` (kessler/gemma-gem#1); transformers.js
 *   passes these on wrapped as `failed to call OrtRun(). ERROR_CODE: …, ERROR_MESSAGE: …`.
 *
 * `memory access out of bounds` is deliberately absent: it is a WASM trap from a bug, and a
 * smaller batch would only hide it.
 */
const RESOURCE_PATTERNS: readonly RegExp[] = [
  /array buffer allocation failed/i,
  /failed to allocate/i,
  /\bbad_alloc\b/,
  /out of memory/i,
  /\bOOM\b/,
  /cannot enlarge memory/i,
  /GPUOutOfMemoryError/,
  /device\s*(?:was\s*)?lost/i,
  /exceeds the max buffer size/i,
  /mapAsync/i,
];

/** Error names (or constructor names, for GPUError objects that are not `Error`s). */
const RESOURCE_NAMES: ReadonlySet<string> = new Set(['GPUOutOfMemoryError', 'OutOfMemoryError']);

/** Wrapped errors are followed this deep through `cause`. */
const MAX_CAUSE_DEPTH = 5;

/**
 * True when `error` is an out-of-memory, allocation or device-lost failure, the kind a smaller
 * batch can avoid. Accepts anything that was thrown: strings, `Error`s, WebGPU `GPUError`
 * objects and errors wrapping one of these in `cause`.
 */
export function isResourceError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current !== undefined; depth += 1) {
    if (describesResourceFailure(current)) return true;
    current = isObject(current) ? current['cause'] : undefined;
  }
  return false;
}

function describesResourceFailure(value: unknown): boolean {
  if (typeof value === 'string') return matchesPattern(value);
  if (!isObject(value)) return false;
  const names = [value['name'], constructorName(value)];
  if (names.some((name) => typeof name === 'string' && RESOURCE_NAMES.has(name))) return true;
  const message = value['message'];
  return typeof message === 'string' && matchesPattern(message);
}

function matchesPattern(text: string): boolean {
  return RESOURCE_PATTERNS.some((pattern) => pattern.test(text));
}

function constructorName(value: object): unknown {
  const proto: unknown = Object.getPrototypeOf(value);
  if (!isObject(proto)) return undefined;
  const ctor = proto['constructor'];
  return typeof ctor === 'function' ? ctor.name : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
