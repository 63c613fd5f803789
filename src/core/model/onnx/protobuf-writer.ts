/**
 * A minimal protobuf encoder: varints, fixed32 floats and length-delimited fields, which is all
 * the ONNX ModelProto subset needs. Hand-written rather than protobufjs because the subset is
 * small, the writer must stream ~100 MB of weights without copying them into a growing buffer,
 * and protobufjs's generated code would add a dependency (and `new Function` codegen, which a
 * strict CSP forbids) to the app bundle for a few dozen lines of encoding.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;
/** Byte fields at least this long are referenced, not copied, until `finish`. */
const ZERO_COPY_BYTES = 1024;

export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private pending: number[] = [];
  private partsLength = 0;

  get length(): number {
    return this.partsLength + this.pending.length;
  }

  /** A varint field (uint32/uint64/int32/int64/enum/bool); negatives take 10 bytes, as specified. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.pending.push(...bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(value.length);
    if (value.length >= ZERO_COPY_BYTES) {
      this.flush();
      this.parts.push(value);
      this.partsLength += value.length;
    } else {
      for (const byte of value) this.pending.push(byte);
    }
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message; its parts are taken over, not copied, so do not reuse the child. */
  message(field: number, child: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(child.length);
    child.flush();
    this.flush();
    for (const part of child.parts) this.parts.push(part);
    this.partsLength += child.partsLength;
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.partsLength);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) {
      throw new RangeError(`Invalid protobuf field number ${field}`);
    }
    this.varint(field * 8 + wireType);
  }

  private varint(value: number | bigint): void {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`Not a safe integer: ${value}`);
      if (value >= 0) {
        let rest = value;
        while (rest >= 0x80) {
          this.pending.push((rest % 0x80) | 0x80);
          rest = Math.floor(rest / 0x80);
        }
        this.pending.push(rest);
        return;
      }
    }
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest >= 0x80n) {
      this.pending.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.pending.push(Number(rest));
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.partsLength += this.pending.length;
    this.pending = [];
  }
}
