/**
 * A minimal WebAssembly binary writer: just enough (LEB128, sections, the opcodes the search
 * kernels use) to build the kernel module from TypeScript at run time. Hand-written because the
 * module is two small functions, and compiling WAT with a toolchain (wabt, binaryen) would add a
 * build step that Node tests, tsx, Vite workers and the page would each need to run; this way the
 * module is plain source, nothing generated is committed, and it builds everywhere in microseconds.
 */

export const I32 = 0x7f;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function u32(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
export function s32(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function vector(items: number[][]): number[] {
  return [...u32(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...u32(body.length), ...body];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...u32(bytes.length), ...bytes];
}

/** Instruction helpers: each returns the bytes of one instruction. */
export const op = {
  block: (): number[] => [0x02, 0x40],
  loop: (): number[] => [0x03, 0x40],
  end: (): number[] => [0x0b],
  br_if: (depth: number): number[] => [0x0d, ...u32(depth)],
  local_get: (i: number): number[] => [0x20, ...u32(i)],
  local_set: (i: number): number[] => [0x21, ...u32(i)],
  local_tee: (i: number): number[] => [0x22, ...u32(i)],
  i32_const: (v: number): number[] => [0x41, ...s32(v)],
  i32_eqz: (): number[] => [0x45],
  i32_lt_u: (): number[] => [0x49],
  i32_add: (): number[] => [0x6a],
  i32_shl: (): number[] => [0x74],
  i32_store: (offset = 0): number[] => [0x36, 2, ...u32(offset)],
  f32_add: (): number[] => [0x92],
  f32_store: (offset = 0): number[] => [0x38, 2, ...u32(offset)],
  // SIMD: 0xfd prefix, LEB128 opcode (WebAssembly SIMD binary encoding).
  v128_load: (offset = 0): number[] => [0xfd, ...u32(0x00), 4, ...u32(offset)],
  v128_zero: (): number[] => [0xfd, ...u32(0x0c), ...new Array<number>(16).fill(0)],
  i32x4_extract_lane: (lane: number): number[] => [0xfd, ...u32(0x1b), lane],
  f32x4_extract_lane: (lane: number): number[] => [0xfd, ...u32(0x1f), lane],
  i16x8_extend_low_i8x16_s: (): number[] => [0xfd, ...u32(0x87)],
  i16x8_extend_high_i8x16_s: (): number[] => [0xfd, ...u32(0x88)],
  i32x4_add: (): number[] => [0xfd, ...u32(0xae)],
  i32x4_dot_i16x8_s: (): number[] => [0xfd, ...u32(0xba)],
  f32x4_add: (): number[] => [0xfd, ...u32(0xe4)],
  f32x4_mul: (): number[] => [0xfd, ...u32(0xe6)],
};

export interface FunctionSpec {
  name: string;
  params: number[];
  /** Extra locals after the params, in order. */
  locals: number[];
  body: number[][];
}

/**
 * A module that imports its memory as `env.memory` and exports the given functions, none of which
 * returns a value.
 */
export function moduleBytes(functions: FunctionSpec[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((p) => [p])), 0x00]);
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x00, ...u32(1)];
  const codes = functions.map((f) => {
    const locals = vector(f.locals.map((type) => [1, type]));
    const body = [...locals, ...f.body.flat(), 0x0b];
    return [...u32(body.length), ...body];
  });
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, i) => u32(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...u32(i)]))),
    ...section(10, vector(codes)),
  ];
  return new Uint8Array(bytes);
}
