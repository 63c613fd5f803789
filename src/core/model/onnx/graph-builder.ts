import { littleEndianBytes } from '../endian.ts';
import { OnnxDataType, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto.ts';

/** Accumulates nodes and initializers with unique, readable names. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly constants = new Map<string, string>();
  private readonly names = new Set<string>();

  /** Adds a node and returns its (single) output name; `output` fixes that name. */
  op(
    opType: string,
    scope: string,
    inputs: readonly string[],
    attributes: readonly OnnxAttribute[] = [],
    output?: string,
  ): string {
    const name = this.unique(`${scope}/${opType}`);
    const outputName = output ?? `${name}_output_0`;
    this.nodes.push({ opType, name, inputs, outputs: [outputName], attributes });
    return outputName;
  }

  float32(name: string, dims: readonly number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      throw new Error(`Initializer "${name}": dims [${dims.join(', ')}] need ${expected} values`);
    }
    this.addInitializer({
      name,
      dataType: OnnxDataType.FLOAT,
      dims,
      rawData: littleEndianBytes(data),
    });
    return name;
  }

  /** A shared 1-D int64 constant (shapes, axes, perms). */
  int64s(values: readonly number[]): string {
    return this.constant(`const_i64_[${values.join(',')}]`, () => ({
      dataType: OnnxDataType.INT64,
      dims: [values.length],
      rawData: littleEndianBytes(BigInt64Array.from(values, (v) => BigInt(v))),
    }));
  }

  /** A shared float32 scalar constant. */
  scalar(value: number): string {
    return this.constant(`const_f32_${value}`, () => ({
      dataType: OnnxDataType.FLOAT,
      dims: [],
      rawData: littleEndianBytes(new Float32Array([value])),
    }));
  }

  private constant(key: string, make: () => Omit<OnnxTensor, 'name'>): string {
    const existing = this.constants.get(key);
    if (existing) return existing;
    this.addInitializer({ name: key, ...make() });
    this.constants.set(key, key);
    return key;
  }

  private addInitializer(tensor: OnnxTensor): void {
    if (this.names.has(tensor.name)) throw new Error(`Duplicate initializer "${tensor.name}"`);
    this.names.add(tensor.name);
    this.initializers.push(tensor);
  }

  private unique(base: string): string {
    let name = base;
    for (let n = 1; this.names.has(name); n++) name = `${base}_${n}`;
    this.names.add(name);
    return name;
  }
}
