/** How many leading bytes decide whether a "text" file is really binary. */
export const SNIFF_BYTES = 8192;

const CONTROL_CHAR_LIMIT = 0.1;

function isUtf16Bom(head: Uint8Array): boolean {
  return (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
}

/** Control characters that do not occur in text: all below 0x20 except tab, LF, FF, CR and ESC. */
function isStrayControl(byte: number): boolean {
  return (
    byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d && byte !== 0x1b
  );
}

/** Why the first bytes of a supposed text file show it is not UTF-8 text, or null when they look fine. */
export function binaryReason(head: Uint8Array): string | null {
  if (isUtf16Bom(head)) return 'the file is UTF-16 encoded; save it as UTF-8 and add it again';
  let stray = 0;
  for (const byte of head) {
    if (byte === 0) return 'looks like a binary file (it contains NUL bytes), not text';
    if (isStrayControl(byte)) stray++;
  }
  if (head.length > 0 && stray / head.length > CONTROL_CHAR_LIMIT) {
    return 'looks like a binary file (too many control characters), not text';
  }
  return null;
}
