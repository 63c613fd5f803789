export interface CsvRecordText {
  /** The record's raw text, without its line end; may hold line breaks inside quotes. */
  text: string;
  /** 1-based line on which the record starts. */
  line: number;
}

const QUOTE = 0x22;

/**
 * Cuts streamed CSV text into records: at line ends outside quoted fields, so a quoted field
 * may hold line breaks and may span any number of chunks. Quotes open only at the start of a
 * field and `""` inside them is an escaped quote, as papaparse reads them; papaparse then parses
 * the fields of each batch of records. With `quoting` off every line end ends a record.
 */
export class CsvRecordSplitter {
  private readonly delimiter: number;
  private readonly lineEnd: number;
  private pieces: string[] = [];
  private line = 1;
  private breaksInside = 0;
  private inQuotes = false;
  private quoteMaybeClosed = false;
  private atFieldStart = true;

  constructor(
    delimiter: string,
    private readonly quoting: boolean,
    lineEnd: '\n' | '\r',
  ) {
    this.delimiter = delimiter.charCodeAt(0);
    this.lineEnd = lineEnd.charCodeAt(0);
  }

  /** Appends the records that `chunk` completes to `out`. */
  push(chunk: string, out: CsvRecordText[]): void {
    let start = 0;
    if (!this.quoting) {
      const lineEnd = String.fromCharCode(this.lineEnd);
      for (let end = chunk.indexOf(lineEnd); end >= 0; end = chunk.indexOf(lineEnd, start)) {
        out.push(this.take(chunk.slice(start, end)));
        start = end + 1;
      }
    } else {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk.charCodeAt(i);
        if (this.inQuotes) {
          if (!this.quoteMaybeClosed) {
            if (c === QUOTE) this.quoteMaybeClosed = true;
            else if (c === this.lineEnd) this.breaksInside++;
            continue;
          }
          this.quoteMaybeClosed = false;
          if (c === QUOTE) continue; // "" is an escaped quote
          this.inQuotes = false; // the quote closed the field; read c as unquoted text
        }
        if (c === this.lineEnd) {
          out.push(this.take(chunk.slice(start, i)));
          start = i + 1;
          this.atFieldStart = true;
        } else if (c === this.delimiter) {
          this.atFieldStart = true;
        } else if (c === QUOTE && this.atFieldStart) {
          this.inQuotes = true;
          this.atFieldStart = false;
        } else {
          this.atFieldStart = false;
        }
      }
    }
    if (start < chunk.length) this.pieces.push(start === 0 ? chunk : chunk.slice(start));
  }

  /** Appends the last record when the text does not end with a line break. */
  end(out: CsvRecordText[]): void {
    if (this.pieces.length > 0) out.push(this.take(''));
  }

  private take(last: string): CsvRecordText {
    let text = last;
    if (this.pieces.length > 0) {
      this.pieces.push(last);
      text = this.pieces.join('');
      this.pieces = [];
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const record = { text, line: this.line };
    this.line += 1 + this.breaksInside;
    this.breaksInside = 0;
    this.inQuotes = false;
    this.quoteMaybeClosed = false;
    return record;
  }
}
