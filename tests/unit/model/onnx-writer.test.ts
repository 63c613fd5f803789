import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { encodeOnnxModel, OnnxDataType } from '../../../src/core/model/onnx/onnx-proto.ts';
import { ProtoWriter } from '../../../src/core/model/onnx/protobuf-writer.ts';

const bytes = (writer: ProtoWriter) => Array.from(writer.finish());

describe('ProtoWriter', () => {
  it('encodes varints as the protobuf spec examples do', () => {
    expect(bytes(new ProtoWriter().int(1, 150))).toEqual([0x08, 0x96, 0x01]);
    expect(bytes(new ProtoWriter().int(1, 0))).toEqual([0x08, 0x00]);
    expect(bytes(new ProtoWriter().int(2, 300))).toEqual([0x10, 0xac, 0x02]);
    expect(bytes(new ProtoWriter().int(1, 2 ** 35))).toEqual([
      0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
    ]);
    expect(bytes(new ProtoWriter().int(1, 2n ** 63n - 1n))).toEqual([
      0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    ]);
  });

  it('encodes negative int64 as ten-byte two’s complement', () => {
    expect(bytes(new ProtoWriter().int(3, -1))).toEqual([
      0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    expect(bytes(new ProtoWriter().int(3, -2))).toEqual([
      0x18, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
  });

  it('encodes fixed32 floats, strings and field numbers above 15', () => {
    expect(bytes(new ProtoWriter().float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect(bytes(new ProtoWriter().string(2, 'testing'))).toEqual([
      0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67,
    ]);
    expect(bytes(new ProtoWriter().int(20, 7))).toEqual([0xa0, 0x01, 0x07]);
  });

  it('nests messages with their length, and passes large byte fields through whole', () => {
    const inner = new ProtoWriter().int(1, 150);
    expect(bytes(new ProtoWriter().message(3, inner))).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);

    const big = new Uint8Array(5000).map((_, i) => i % 251);
    const child = new ProtoWriter().int(1, 1).bytes(9, big).string(8, 'w');
    const out = new ProtoWriter().message(5, child).int(2, 3).finish();
    // tag, length varint (2 + 3 + 5000 + 3 = 5008 → 0x90 0x27), then the child's bytes.
    expect(Array.from(out.subarray(0, 3))).toEqual([0x2a, 0x90, 0x27]);
    expect(Array.from(out.subarray(3, 8))).toEqual([0x08, 0x01, 0x4a, 0x88, 0x27]);
    expect(out.subarray(8, 5008)).toEqual(big);
    expect(Array.from(out.subarray(5008))).toEqual([0x42, 0x01, 0x77, 0x10, 0x03]);
  });

  it('refuses values protobuf cannot carry', () => {
    expect(() => new ProtoWriter().int(0, 1)).toThrow('Invalid protobuf field number 0');
    expect(() => new ProtoWriter().int(1, 0.5)).toThrow('Not a safe integer');
  });
});

describe('encodeOnnxModel', () => {
  it('writes a model ONNX Runtime loads and runs (attributes, initializers, symbolic dims)', async () => {
    // y = Transpose(x, perm=[1, 0]) · 2 + bias, then Softmax over axis -1.
    const bias = new Float32Array([0.5, -1, 2]);
    const model = encodeOnnxModel({
      irVersion: 8,
      opsetImports: [{ domain: '', version: 17 }],
      producerName: 'lumina-test',
      producerVersion: '1',
      metadata: { purpose: 'test' },
      graph: {
        name: 'g',
        inputs: [{ name: 'x', elemType: OnnxDataType.FLOAT, shape: [3, 'n'] }],
        outputs: [{ name: 'y', elemType: OnnxDataType.FLOAT, shape: ['n', 3] }],
        initializers: [
          {
            name: 'bias',
            dataType: OnnxDataType.FLOAT,
            dims: [3],
            rawData: new Uint8Array(bias.buffer),
          },
          {
            name: 'two',
            dataType: OnnxDataType.FLOAT,
            dims: [],
            rawData: new Uint8Array(new Float32Array([2]).buffer),
          },
        ],
        nodes: [
          {
            opType: 'Transpose',
            name: 't',
            inputs: ['x'],
            outputs: ['xt'],
            attributes: [{ name: 'perm', type: 'ints', value: [1, 0] }],
          },
          { opType: 'Mul', name: 'm', inputs: ['xt', 'two'], outputs: ['scaled'] },
          { opType: 'Add', name: 'a', inputs: ['scaled', 'bias'], outputs: ['shifted'] },
          {
            opType: 'Softmax',
            name: 's',
            inputs: ['shifted'],
            outputs: ['y'],
            attributes: [{ name: 'axis', type: 'int', value: -1 }],
          },
        ],
      },
    });
    const session = await ort.InferenceSession.create(model);
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    const x = new Float32Array([1, 2, 3, 4, 5, 6]); // [3, 2]
    const { y } = await session.run({ x: new ort.Tensor('float32', x, [3, 2]) });
    await session.release();
    expect(y?.dims).toEqual([2, 3]);
    const expected = [0, 1].flatMap((row) => {
      const z = [0, 1, 2].map((col) => 2 * (x[col * 2 + row] ?? 0) + (bias[col] ?? 0));
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    });
    Array.from(y?.data as Float32Array).forEach((value, i) =>
      expect(value).toBeCloseTo(expected[i] ?? Number.NaN, 6),
    );
  });
});
