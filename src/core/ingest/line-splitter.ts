/**
 * Splits streamed text into lines (LF or CRLF). A line longer than a chunk is kept as a list of
 * pieces and joined once, so a 20 MB line costs linear time, not repeated concatenation.
 */
export class LineSplitter {
  private pieces: string[] = [];

  /** The complete lines in `chunk`, without their line ends. */
  *push(chunk: string): Generator<string> {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf('\n', start);
      if (end < 0) break;
      yield this.take(chunk.slice(start, end));
      start = end + 1;
    }
    if (start < chunk.length) this.pieces.push(start === 0 ? chunk : chunk.slice(start));
  }

  /** The last line when the text does not end with a line break. */
  *end(): Generator<string> {
    if (this.pieces.length > 0) yield this.take('');
  }

  private take(last: string): string {
    let line = last;
    if (this.pieces.length > 0) {
      this.pieces.push(last);
      line = this.pieces.join('');
      this.pieces = [];
    }
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }
}
