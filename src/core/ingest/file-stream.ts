import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { throwIfAborted } from '../abort.ts';
import { SNIFF_BYTES, binaryReason } from './binary-sniff.ts';
import { FileContentError, type MessageLog } from './messages.ts';
import { Utf8Validator } from './utf8-validator.ts';

export interface FileStreamControl {
  signal?: AbortSignal;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * Reads a Blob once, as a stream, hashing the bytes and reporting progress per chunk. Memory
 * stays bounded by one chunk unless a format collects the whole file on purpose (JSON, PDF).
 */
export class FileStream {
  bytesRead = 0;
  private readonly hash = sha256.create();
  private complete = false;
  private digest = '';

  constructor(
    private readonly blob: Blob,
    private readonly control: FileStreamControl = {},
  ) {}

  /** sha256 hex of the file, or '' when the file was not read to its end. */
  get contentHash(): string {
    if (!this.complete) return '';
    this.digest ||= bytesToHex(this.hash.digest());
    return this.digest;
  }

  async *bytes(): AsyncGenerator<Uint8Array> {
    const { signal, onProgress } = this.control;
    throwIfAborted(signal);
    const reader = this.blob.stream().getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        throwIfAborted(signal);
        if (done) break;
        this.hash.update(value);
        this.bytesRead += value.length;
        onProgress?.(this.bytesRead, this.blob.size);
        yield value;
      }
      this.complete = true;
    } finally {
      if (!this.complete) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }

  /** The whole file as one byte array (PDF needs it so). */
  async allBytes(): Promise<Uint8Array> {
    const all = new Uint8Array(this.blob.size);
    let at = 0;
    for await (const chunk of this.bytes()) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return all;
  }

  /**
   * The file as UTF-8 text, in chunks, without a leading BOM. Refuses binary files after looking
   * at their first bytes; invalid UTF-8 is replaced by U+FFFD and reported once at the end.
   */
  async *text(log: MessageLog): AsyncGenerator<string> {
    const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
    const validator = new Utf8Validator();
    let head: Uint8Array[] | null = [];
    let headBytes = 0;
    const decode = (chunk: Uint8Array): string => {
      validator.push(chunk);
      return decoder.decode(chunk, { stream: true });
    };
    for await (const chunk of this.bytes()) {
      if (head === null) {
        const text = decode(chunk);
        if (text) yield text;
        continue;
      }
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes < SNIFF_BYTES) continue;
      const text = this.decodeHead(head, decode);
      head = null;
      if (text) yield text;
    }
    if (head !== null) {
      const text = this.decodeHead(head, decode);
      if (text) yield text;
    }
    validator.end();
    const rest = decoder.decode();
    if (rest) yield rest;
    if (validator.errors > 0) {
      log.warning(
        `invalid UTF-8: ${validator.errors} bad byte sequence(s) replaced by U+FFFD; the first is at byte offset ${validator.firstErrorOffset} (line ${validator.firstErrorLine})`,
        { line: validator.firstErrorLine },
      );
    }
  }

  private decodeHead(head: Uint8Array[], decode: (chunk: Uint8Array) => string): string {
    const joined = concatBytes(head);
    const reason = binaryReason(joined.subarray(0, SNIFF_BYTES));
    if (reason) throw new FileContentError(reason);
    return decode(joined);
  }
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}
