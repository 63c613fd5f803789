import { I32, moduleBytes, op, V128, type FunctionSpec } from './emit.ts';

/**
 * The search kernels as a WebAssembly SIMD module. Both score one query against `count`
 * consecutive rows and write one result per row; the caller keeps the top k over the results.
 *
 * `dot_f32(query, rows, count, strideBytes, out)`: f32 rows of `strideBytes` (a multiple of 64,
 * zero-padded past the real dims) against an f32 query of the same stride; writes f32 dot
 * products. Four f32x4 accumulators per row hide the add latency; the loop is memory-bound.
 *
 * `dot_i8(query, rows, count, strideBytes, out)`: int8 rows of `strideBytes` (a multiple of 32)
 * against the query as int16 (two bytes per row byte); writes exact i32 dot products using
 * `i32x4.dot_i16x8_s` after sign-extending each half of a 16-byte row load.
 *
 * Equivalent WAT of `dot_f32`, for reading:
 *   (if count) loop $rows
 *     a0..a3 = 0; qp = query; rowEnd = rows + stride
 *     loop $dims
 *       a_i += v128.load(rows + 16 i) * v128.load(qp + 16 i)   ;; i = 0..3
 *       rows += 64; qp += 64; br_if $dims (rows < rowEnd)
 *     f32.store(out, sum of the 16 lanes); out += 4; br_if $rows (out < end)
 */

const Q = 0;
const ROWS = 1;
const COUNT = 2;
const STRIDE = 3;
const OUT = 4;
const END = 5;
const QP = 6;
const ROW_END = 7;
const A0 = 8;

function setZero(local: number): number[] {
  return [...op.v128_zero(), ...op.local_set(local)];
}

/** `local += v128.load(ROWS + offset) * v128.load(QP + offset)` for f32x4. */
function accumulateF32(local: number, offset: number): number[] {
  return [
    ...op.local_get(local),
    ...op.local_get(ROWS),
    ...op.v128_load(offset),
    ...op.local_get(QP),
    ...op.v128_load(offset),
    ...op.f32x4_mul(),
    ...op.f32x4_add(),
    ...op.local_set(local),
  ];
}

/** `pointer += step` */
function advance(pointer: number, step: number): number[] {
  return [
    ...op.local_get(pointer),
    ...op.i32_const(step),
    ...op.i32_add(),
    ...op.local_set(pointer),
  ];
}

/** Shared outer loop: `end = out + 4 count`; runs `perRow` once per row (skipped when count = 0). */
function rowLoop(perRow: number[][]): number[][] {
  return [
    [...op.local_get(OUT), ...op.local_get(COUNT), ...op.i32_const(2), ...op.i32_shl()],
    [...op.i32_add(), ...op.local_set(END)],
    op.block(),
    [...op.local_get(COUNT), ...op.i32_eqz(), ...op.br_if(0)],
    op.loop(),
    [...op.local_get(Q), ...op.local_set(QP)],
    [...op.local_get(ROWS), ...op.local_get(STRIDE), ...op.i32_add(), ...op.local_set(ROW_END)],
    ...perRow,
    advance(OUT, 4),
    [...op.local_get(OUT), ...op.local_get(END), ...op.i32_lt_u(), ...op.br_if(0)],
    op.end(),
    op.end(),
  ];
}

const dotF32: FunctionSpec = {
  name: 'dot_f32',
  params: [I32, I32, I32, I32, I32],
  locals: [I32, I32, I32, V128, V128, V128, V128],
  body: rowLoop([
    [0, 1, 2, 3].flatMap((i) => setZero(A0 + i)),
    op.loop(),
    [0, 1, 2, 3].flatMap((i) => accumulateF32(A0 + i, 16 * i)),
    advance(ROWS, 64),
    advance(QP, 64),
    [...op.local_get(ROWS), ...op.local_get(ROW_END), ...op.i32_lt_u(), ...op.br_if(0)],
    op.end(),
    // (a0 + a1) + (a2 + a3), then the four lanes.
    [...op.local_get(A0), ...op.local_get(A0 + 1), ...op.f32x4_add()],
    [...op.local_get(A0 + 2), ...op.local_get(A0 + 3), ...op.f32x4_add(), ...op.f32x4_add()],
    op.local_set(A0),
    op.local_get(OUT),
    [...op.local_get(A0), ...op.f32x4_extract_lane(0)],
    [...op.local_get(A0), ...op.f32x4_extract_lane(1), ...op.f32_add()],
    [...op.local_get(A0), ...op.f32x4_extract_lane(2)],
    [...op.local_get(A0), ...op.f32x4_extract_lane(3), ...op.f32_add(), ...op.f32_add()],
    op.f32_store(),
  ]),
};

const V = A0 + 2;

/** `acc += dot_i16x8_s(extend_<half>(V), v128.load(QP + qOffset))` */
function accumulateI8(acc: number, high: boolean, qOffset: number): number[] {
  return [
    ...op.local_get(acc),
    ...op.local_get(V),
    ...(high ? op.i16x8_extend_high_i8x16_s() : op.i16x8_extend_low_i8x16_s()),
    ...op.local_get(QP),
    ...op.v128_load(qOffset),
    ...op.i32x4_dot_i16x8_s(),
    ...op.i32x4_add(),
    ...op.local_set(acc),
  ];
}

const dotI8: FunctionSpec = {
  name: 'dot_i8',
  params: [I32, I32, I32, I32, I32],
  locals: [I32, I32, I32, V128, V128, V128],
  body: rowLoop([
    setZero(A0),
    setZero(A0 + 1),
    op.loop(),
    [...op.local_get(ROWS), ...op.v128_load(0), ...op.local_set(V)],
    accumulateI8(A0, false, 0),
    accumulateI8(A0 + 1, true, 16),
    [...op.local_get(ROWS), ...op.v128_load(16), ...op.local_set(V)],
    accumulateI8(A0, false, 32),
    accumulateI8(A0 + 1, true, 48),
    advance(ROWS, 32),
    advance(QP, 64),
    [...op.local_get(ROWS), ...op.local_get(ROW_END), ...op.i32_lt_u(), ...op.br_if(0)],
    op.end(),
    [...op.local_get(A0), ...op.local_get(A0 + 1), ...op.i32x4_add(), ...op.local_set(A0)],
    op.local_get(OUT),
    [...op.local_get(A0), ...op.i32x4_extract_lane(0)],
    [...op.local_get(A0), ...op.i32x4_extract_lane(1), ...op.i32_add()],
    [...op.local_get(A0), ...op.i32x4_extract_lane(2)],
    [...op.local_get(A0), ...op.i32x4_extract_lane(3), ...op.i32_add(), ...op.i32_add()],
    op.i32_store(),
  ]),
};

/** Row strides the kernels need: f32 rows in multiples of 16 floats, int8 rows of 32 bytes. */
export const F32_STRIDE_ALIGN = 16;
export const I8_STRIDE_ALIGN = 32;

export function kernelModuleBytes(): Uint8Array<ArrayBuffer> {
  return moduleBytes([dotF32, dotI8]);
}
