import type { ContextSource } from './context.ts';

/** A cited source as answers report it. */
export interface Citation {
  n: number;
  docId: string;
  chunkIds: string[];
  charStart: number;
  charEnd: number;
  score: number;
}

export interface CitationMarker {
  /** The numbers in the marker: `[2]` → [2], `[1, 3]` → [1, 3], `[2-4]` → [2, 3, 4]. */
  numbers: number[];
  /** Offsets of the marker in the text. */
  start: number;
  end: number;
}

export interface ParsedCitations {
  markers: CitationMarker[];
  /** The valid cited sources, each once, in order of first citation. */
  citations: Citation[];
  /** Cited numbers with no such source, each once, in order of appearance. */
  invalid: number[];
}

/** `[1]`, `[1,2]`, `[1, 2]`, `[1-3]`, `[1–3]`; not `[a]` or `[]`. */
const MARKER = /\[(\d+(?:\s*[-–]\s*\d+)?(?:\s*,\s*\d+(?:\s*[-–]\s*\d+)?)*)\]/g;
/** A range longer than this is not a citation range (a year span, a bracketed quantity). */
const MAX_RANGE = 20;

export function citationOf(source: ContextSource): Citation {
  return {
    n: source.sourceNumber,
    docId: source.docId,
    chunkIds: [...source.chunkIds],
    charStart: source.charStart,
    charEnd: source.charEnd,
    score: source.score,
  };
}

/** Finds `[n]` markers in an answer (generated or not) and maps them back to the context's sources. */
export function parseCitations(text: string, sources: readonly ContextSource[]): ParsedCitations {
  const byNumber = new Map(sources.map((s) => [s.sourceNumber, s]));
  const markers: CitationMarker[] = [];
  const cited: Citation[] = [];
  const seen = new Set<number>();
  const invalid: number[] = [];
  for (const match of text.matchAll(MARKER)) {
    const numbers: number[] = [];
    for (const part of (match[1] as string).split(',')) {
      const [from, to] = part.split(/[-–]/).map((s) => Number.parseInt(s.trim(), 10));
      if (from === undefined) continue;
      const last = to ?? from;
      if (last < from || last - from > MAX_RANGE) numbers.push(from, last);
      else for (let n = from; n <= last; n++) numbers.push(n);
    }
    markers.push({ numbers, start: match.index, end: match.index + match[0].length });
    for (const n of numbers) {
      if (seen.has(n)) continue;
      seen.add(n);
      const source = byNumber.get(n);
      if (source) cited.push(citationOf(source));
      else invalid.push(n);
    }
  }
  return { markers, citations: cited, invalid };
}
