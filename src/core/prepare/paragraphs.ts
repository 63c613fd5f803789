/** Cutting documents into paragraphs and gluing short ones back together. */

export interface Paragraph {
  /** Position among the document's paragraphs before any cleaning: part of the stable text id. */
  index: number;
  text: string;
}

/**
 * Lines at least this long are not hard-wrapped prose: in a block holding one, every line is a
 * paragraph of its own (WikiText puts one paragraph per line, sometimes without blank lines).
 */
const UNWRAPPED_LINE_CHARS = 100;

/** Paragraphs are separated by blank lines, or are single long lines. */
export function splitParagraphs(text: string): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  for (const block of text.replace(/\r\n?/gu, '\n').split(/\n[^\S\n]*\n/u)) {
    const lines = block.split('\n').filter((line) => line.trim().length > 0);
    if (lines.length === 0) continue;
    const unwrapped = lines.some((line) => line.length >= UNWRAPPED_LINE_CHARS);
    const parts = unwrapped ? lines : [lines.join('\n')];
    for (const part of parts) paragraphs.push({ index: paragraphs.length, text: part });
  }
  return paragraphs;
}

export interface MergedParagraph {
  first: number;
  last: number;
  text: string;
}

/** Joins consecutive paragraphs (with a blank line) until each text has at least `minChars`. */
export class ParagraphMerger {
  private pending: MergedParagraph | undefined;

  constructor(private readonly minChars: number) {}

  /** Adds a paragraph; returns the merged text it completed, if any. */
  push(paragraph: Paragraph): MergedParagraph | undefined {
    const { pending } = this;
    const current = pending
      ? {
          first: pending.first,
          last: paragraph.index,
          text: `${pending.text}\n\n${paragraph.text}`,
        }
      : { first: paragraph.index, last: paragraph.index, text: paragraph.text };
    if (current.text.length >= this.minChars) {
      this.pending = undefined;
      return current;
    }
    this.pending = current;
    return undefined;
  }

  /** What is left at the end of a document, however short. */
  flush(): MergedParagraph | undefined {
    const { pending } = this;
    this.pending = undefined;
    return pending;
  }
}

export function mergeShortParagraphs(paragraphs: Paragraph[], minChars: number): MergedParagraph[] {
  const merger = new ParagraphMerger(minChars);
  const merged = paragraphs.flatMap((p) => merger.push(p) ?? []);
  const rest = merger.flush();
  return rest ? [...merged, rest] : merged;
}
