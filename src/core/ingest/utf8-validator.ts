/**
 * Finds invalid UTF-8 while a file streams by, so the user learns where the bad bytes are; the
 * text itself is decoded by TextDecoder, which replaces each bad sequence with U+FFFD. A byte
 * scanner (rather than counting U+FFFD in the output) tells real errors from U+FFFD characters
 * that the file legitimately contains, and knows their byte offset.
 */
export class Utf8Validator {
  /** Invalid sequences seen so far (each becomes one U+FFFD in the decoded text). */
  errors = 0;
  firstErrorOffset = -1;
  /** 1-based line of the first invalid sequence. */
  firstErrorLine = -1;

  private offset = 0;
  private line = 1;
  private pending = 0;
  private lower = 0x80;
  private upper = 0xbf;

  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i] as number;
      if (this.pending === 0) {
        if (byte < 0x80) {
          if (byte === 0x0a && this.errors === 0) this.line++;
          continue;
        }
        this.startSequence(byte, this.offset + i);
        continue;
      }
      if (byte >= this.lower && byte <= this.upper) {
        this.lower = 0x80;
        this.upper = 0xbf;
        this.pending--;
        continue;
      }
      // A truncated sequence: report it, then read this byte afresh, as the WHATWG decoder does.
      this.fail(this.offset + i);
      this.pending = 0;
      i--;
    }
    this.offset += bytes.length;
  }

  /** Call once at the end: a sequence cut off by the end of the file is an error too. */
  end(): void {
    if (this.pending > 0) {
      this.fail(this.offset);
      this.pending = 0;
    }
  }

  private startSequence(lead: number, offset: number): void {
    if (lead >= 0xc2 && lead <= 0xdf) {
      this.pending = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      this.pending = 2;
      // Exclude overlong forms (E0) and UTF-16 surrogates (ED).
      if (lead === 0xe0) this.lower = 0xa0;
      if (lead === 0xed) this.upper = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      this.pending = 3;
      // Exclude overlong forms (F0) and code points above U+10FFFF (F4).
      if (lead === 0xf0) this.lower = 0x90;
      if (lead === 0xf4) this.upper = 0x8f;
    } else {
      this.fail(offset);
    }
  }

  private fail(offset: number): void {
    this.errors++;
    this.lower = 0x80;
    this.upper = 0xbf;
    if (this.firstErrorOffset < 0) {
      this.firstErrorOffset = offset;
      this.firstErrorLine = this.line;
    }
  }
}
