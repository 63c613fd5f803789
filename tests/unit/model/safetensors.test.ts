import { describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  halfToFloat,
  SafetensorsError,
  tensorToFloat32,
  type SafetensorsTensor,
} from '../../../src/core/model/safetensors.ts';

const encoder = new TextEncoder();

/** A file laid out by hand from the format description, independent of the writer. */
function handMade(header: string, data: Uint8Array, padTo = 8): Uint8Array {
  const json = encoder.encode(header);
  const length = Math.ceil(json.length / padTo) * padTo;
  const out = new Uint8Array(8 + length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + length);
  out.set(data, 8 + length);
  return out;
}

const f32Bytes = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips F32, F16 and I64 tensors with metadata', () => {
    const tensors: Record<string, SafetensorsTensor> = {
      'b.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-8, 7]) },
      'a.half': { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0xc000, 0x7bff]) },
      'c.ids': { dtype: 'I64', shape: [1, 2], data: new BigInt64Array([-1n, 2n ** 40n]) },
      'd.empty': { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      'e.scalar': { dtype: 'F32', shape: [], data: new Float32Array([Math.PI]) },
    };
    const bytes = encodeSafetensors(tensors, { format: 'pt', note: 'ünïcode' });
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ format: 'pt', note: 'ünïcode' });
    expect([...decoded.tensors.keys()].sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, tensor] of Object.entries(tensors)) {
      const back = decoded.tensors.get(name);
      expect(back?.dtype).toBe(tensor.dtype);
      expect(back?.shape).toEqual(tensor.shape);
      expect(back?.data).toEqual(tensor.data);
    }
    expect(Array.from(tensorToFloat32(decoded.tensors.get('a.half') as SafetensorsTensor))).toEqual(
      [1, -2, 65504],
    );
  });

  it('writes the reference layout: padded header, metadata first, widest dtype first', () => {
    const bytes = encodeSafetensors(
      {
        z: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
        a: { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
        h: { dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) },
        ids: { dtype: 'I64', shape: [1], data: new BigInt64Array([5n]) },
      },
      { format: 'pt' },
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(headerText).toMatch(/^\{"__metadata__":\{"format":"pt"\},"ids":/);
    expect(headerText.trimEnd().length).toBeGreaterThan(headerLength - 8);
    expect(headerText.slice(headerText.trimEnd().length)).toMatch(/^ *$/);
    const header = JSON.parse(headerText) as Record<string, { data_offsets: number[] }>;
    expect(Object.keys(header)).toEqual(['__metadata__', 'ids', 'a', 'z', 'h']);
    expect(header.ids?.data_offsets).toEqual([0, 8]);
    expect(header.a?.data_offsets).toEqual([8, 12]);
    expect(header.z?.data_offsets).toEqual([12, 16]);
    expect(header.h?.data_offsets).toEqual([16, 18]);
    expect(bytes.length).toBe(8 + headerLength + 18);
  });

  it('matches the byte layout of the reference implementation for a known file', () => {
    // safetensors' own serialization test: one F32 tensor "attn.0" of shape [1, 2, 3], 0..5.
    const expected = handMade(
      '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}',
      f32Bytes([0, 1, 2, 3, 4, 5]),
    );
    const written = encodeSafetensors({
      'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) },
    });
    expect(Array.from(written.subarray(0, 8))).toEqual([64, 0, 0, 0, 0, 0, 0, 0]);
    expect(written).toEqual(expected);
  });

  it('decodes from an unaligned view of a larger buffer', () => {
    const file = encodeSafetensors({
      x: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) },
    });
    const backing = new Uint8Array(file.length + 3);
    backing.set(file, 1);
    const decoded = decodeSafetensors(backing.subarray(1, 1 + file.length));
    expect(decoded.tensors.get('x')?.data).toEqual(new Float32Array([1, 2]));
  });

  it('decodes a Node Buffer (whose slice() shares memory) to independent tensors', () => {
    const file = encodeSafetensors({
      a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) },
      b: { dtype: 'F32', shape: [3], data: new Float32Array([3, 4, 5]) },
    });
    const decoded = decodeSafetensors(Buffer.from(file));
    expect(decoded.tensors.get('a')?.data).toEqual(new Float32Array([1, 2]));
    expect(decoded.tensors.get('b')?.data).toEqual(new Float32Array([3, 4, 5]));
    expect(decoded.tensors.get('b')?.data.buffer.byteLength).toBe(12);
  });

  it('refuses data that does not match the shape when writing', () => {
    expect(() =>
      encodeSafetensors({ x: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }),
    ).toThrow('Tensor "x": shape [2, 2] needs 4 elements, data has 3');
  });
});

describe('decodeSafetensors validation', () => {
  const entry = (dtype: string, shape: number[], offsets: number[]) =>
    JSON.stringify({ dtype, shape, data_offsets: offsets });

  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /too short for the 8-byte header length/],
    [
      'header past the end',
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 100n, true);
        return b;
      })(),
      /Header length 100 runs past the end of the 16-byte file/,
    ],
    ['bad JSON', handMade('{"x": ', new Uint8Array()), /Header is not valid UTF-8 JSON/],
    ['array header', handMade('[1,2]', new Uint8Array()), /Header must be a JSON object/],
    [
      'unknown dtype',
      handMade(`{"w":${entry('BF16', [2], [0, 4])}}`, new Uint8Array(4)),
      /Tensor "w": dtype "BF16" is not supported/,
    ],
    [
      'size mismatch',
      handMade(`{"w":${entry('F32', [3], [0, 8])}}`, new Uint8Array(8)),
      /Tensor "w": F32 shape \[3\] needs 12 bytes, data_offsets span 8/,
    ],
    [
      'offsets past the data',
      handMade(`{"w":${entry('F32', [4], [0, 16])}}`, new Uint8Array(8)),
      /Tensor "w": data_offsets end 16 is past the 8-byte data section/,
    ],
    [
      'reversed offsets',
      handMade(`{"w":${entry('F32', [0], [4, 0])}}`, new Uint8Array(4)),
      /data_offsets begin 4 > end 0/,
    ],
    [
      'overlap',
      handMade(
        `{"a":${entry('F32', [2], [0, 8])},"b":${entry('F32', [1], [4, 8])}}`,
        new Uint8Array(8),
      ),
      /Tensor "b" starts at byte 4, expected 8/,
    ],
    [
      'trailing bytes',
      handMade(`{"a":${entry('F32', [1], [0, 4])}}`, new Uint8Array(8)),
      /Tensors cover 4 bytes but the data section holds 8/,
    ],
    [
      'negative shape',
      handMade(`{"a":${entry('F32', [-1], [0, 4])}}`, new Uint8Array(4)),
      /Tensor "a": shape entries must be non-negative integers/,
    ],
    [
      'non-string metadata',
      handMade('{"__metadata__":{"epoch":3}}', new Uint8Array()),
      /"__metadata__.epoch" must be a string/,
    ],
  ];

  it.each(cases)('rejects %s with a clear error', (_label, bytes, message) => {
    expect(() => decodeSafetensors(bytes)).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(bytes)).toThrow(message);
  });
});

describe('halfToFloat', () => {
  it('decodes normal, subnormal and special half-precision values', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.33325, 5);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x8000)).toBe(-0);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });
});
