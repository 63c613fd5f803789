/**
 * Byte-level helpers: GPT-2 style tokenizers spell every byte as a printable character, and
 * SentencePiece byte fallback spells it `<0xAB>`. Offsets need the bytes back.
 */

let byteLevelTable: Map<string, number> | undefined;

/** The inverse of GPT-2's `bytes_to_unicode`: printable character → byte. */
export function byteLevelDecoder(): Map<string, number> {
  if (byteLevelTable) return byteLevelTable;
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Map<string, number>();
  for (const b of printable) table.set(String.fromCodePoint(b), b);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) table.set(String.fromCodePoint(256 + shifted++), b);
  }
  byteLevelTable = table;
  return table;
}

const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

/** The byte a SentencePiece byte-fallback token stands for, or undefined. */
export function byteFallbackValue(token: string): number | undefined {
  const match = BYTE_FALLBACK.exec(token);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 16);
}

const REPLACEMENT = 0xfffd;

/**
 * Decodes UTF-8 fed in arbitrary pieces, as tokens split characters across byte boundaries.
 * `pending` tells whether a character was left half-finished by the last feed.
 */
export class Utf8Stream {
  private codePoint = 0;
  private needed = 0;

  get pending(): boolean {
    return this.needed > 0;
  }

  feed(bytes: readonly number[]): number[] {
    const out: number[] = [];
    for (const byte of bytes) this.push(byte, out);
    return out;
  }

  private push(byte: number, out: number[]): void {
    if (this.needed > 0) {
      if ((byte & 0xc0) === 0x80) {
        this.codePoint = (this.codePoint << 6) | (byte & 0x3f);
        if (--this.needed === 0) out.push(this.codePoint);
        return;
      }
      // A broken sequence: report it and read this byte afresh.
      this.needed = 0;
      out.push(REPLACEMENT);
    }
    if (byte < 0x80) out.push(byte);
    else if (byte >= 0xc0 && byte < 0xe0) this.start(byte & 0x1f, 1);
    else if (byte >= 0xe0 && byte < 0xf0) this.start(byte & 0x0f, 2);
    else if (byte >= 0xf0 && byte < 0xf8) this.start(byte & 0x07, 3);
    else out.push(REPLACEMENT);
  }

  private start(bits: number, needed: number): void {
    this.codePoint = bits;
    this.needed = needed;
  }
}
