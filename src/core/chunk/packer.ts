/**
 * Packs text into chunks of at most `limit` tokens. Each chunk ends at the best boundary the
 * token budget allows: the highest-ranking kind of boundary that occurs within reach wins,
 * the furthest one of that kind is used (so whole paragraphs are packed before lines, lines
 * before sentences, sentences before words, words before tokens). Token lengths come from one
 * tokenization of the whole document; every chunk is then counted for real and shrunk if the
 * standalone count exceeds the limit.
 */
import { throwIfAborted } from '../abort.ts';
import type { TokenCounter } from '../tokenizer/token-counter.ts';
import { firstBoundary, lastBoundary, type Boundaries } from './boundaries.ts';
import { longestFit, measureChunk, type Chunk } from './measure.ts';
import { isLowSurrogateAt, skipWhitespace, trimEnd } from './text-scan.ts';
import type { TokenIndex } from './token-index.ts';

export interface ChunkControl {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface PackPlan {
  /** Ranges no chunk crosses (sections); together they cover the text. */
  segments: Array<[number, number]>;
  /** Cut positions by rank, best first. Token starts are always the last resort. */
  levels: Boundaries[];
  /**
   * 'longest': the overlap is as long as overlapTokens allows, starting at any boundary (or
   * token). 'units': it is made of whole units of the first level (paragraphs, sentences...).
   */
  overlapStyle: 'longest' | 'units';
  /**
   * Give every non-final chunk at least two tokens, so that the next chunk can always start
   * inside it (a chunk of one token could only be repeated whole).
   */
  keepTwoTokens: boolean;
}

/** Positions inside a token tried as overlap starts before giving the overlap up. */
const MAX_CHARACTER_STARTS = 32;

interface Sizing {
  limit: number;
  overlap: number;
}

export function packChunks(
  text: string,
  counter: TokenCounter,
  index: TokenIndex,
  sizing: Sizing,
  plan: PackPlan,
  control: ChunkControl = {},
): Chunk[] {
  const packer = new Packer(text, counter, index, sizing, plan);
  const chunks: Chunk[] = [];
  for (const [segmentStart, segmentEnd] of plan.segments) {
    let start = segmentStart;
    let previousEnd = segmentStart;
    while (skipWhitespace(text, start, segmentEnd) < segmentEnd) {
      throwIfAborted(control.signal);
      const { chunk, from, end } = packer.next(start, previousEnd, segmentEnd);
      if (chunk) chunks.push(chunk);
      control.onProgress?.(end, text.length);
      if (end >= segmentEnd) break;
      start = chunk ? packer.overlapStart(from, end) : end;
      previousEnd = end;
    }
  }
  return chunks;
}

class Packer {
  constructor(
    private readonly text: string,
    private readonly counter: TokenCounter,
    private readonly index: TokenIndex,
    private readonly sizing: Sizing,
    private readonly plan: PackPlan,
  ) {}

  /** The chunk that starts at `start` and ends past `previousEnd`; shortens the overlap if it must. */
  next(start: number, previousEnd: number, segmentEnd: number) {
    if (start < previousEnd) {
      // An overlap that begins inside a word can count more tokens on its own than in the
      // document and leave no room: try later starts, then cutting by characters.
      const starts: number[] = [];
      for (const from of this.overlapStarts(start, previousEnd)) {
        const attempt = this.fit(from, previousEnd, segmentEnd);
        if (attempt) return attempt;
        starts.push(from);
      }
      for (const from of starts) {
        const attempt = this.byCodePoints(from, segmentEnd);
        if (attempt.end > previousEnd) return attempt;
      }
    }
    return (
      this.fit(previousEnd, previousEnd, segmentEnd) ?? this.byCodePoints(previousEnd, segmentEnd)
    );
  }

  /** `start`, the later token starts before `previousEnd`, then positions inside the last token. */
  private *overlapStarts(start: number, previousEnd: number): Generator<number> {
    yield start;
    for (let k = this.index.before(start) + 1; ; k++) {
      const later = this.index.start(k);
      if (later >= previousEnd) break;
      if (later > start) yield later;
    }
    const lastToken = this.index.start(this.index.before(previousEnd) - 1);
    const first = Math.max(start, lastToken) + 1;
    const last = Math.min(previousEnd, first + MAX_CHARACTER_STARTS);
    for (let from = first; from < last; from++) {
      if (!isLowSurrogateAt(this.text, from)) yield from;
    }
  }

  private fit(start: number, previousEnd: number, segmentEnd: number) {
    let budget = this.sizing.limit;
    for (;;) {
      const end = this.chooseEnd(start, previousEnd, budget, segmentEnd);
      if (end <= previousEnd) return undefined;
      const chunk = this.measure(start, end);
      if (!chunk || chunk.tokenCount <= this.sizing.limit) return { chunk, from: start, end };
      const excess = chunk.tokenCount - this.sizing.limit;
      budget = Math.min(budget - 1, this.index.count(start, end) - excess);
      if (budget < 1) return undefined;
    }
  }

  private measure(from: number, to: number): Chunk | undefined {
    return measureChunk(this.text, this.counter, from, to);
  }

  private chooseEnd(start: number, previousEnd: number, budget: number, segmentEnd: number) {
    const { index } = this;
    const reach = Math.min(segmentEnd, index.reach(start, budget));
    if (reach >= segmentEnd) return segmentEnd;
    let after = previousEnd;
    if (this.plan.keepTwoTokens && this.sizing.overlap > 0) {
      // A start inside a token makes its tail the first token: one more start is enough.
      const first = index.before(start);
      after = Math.max(after, index.start(index.insideToken(start) ? first : first + 1));
    }
    if (reach <= after) return -1;
    for (const level of this.plan.levels) {
      const boundary = lastBoundary(level, after, reach);
      if (boundary >= 0) return boundary;
    }
    const tokenStart = index.start(index.before(reach + 1) - 1);
    return tokenStart > after ? tokenStart : -1;
  }

  /** Last resort: the longest run of whole code points after `from` that fits. */
  private byCodePoints(from: number, segmentEnd: number) {
    const upTo = Math.min(segmentEnd, this.index.reach(from, this.sizing.limit));
    const end = Math.min(
      segmentEnd,
      longestFit(this.text, this.counter, from, upTo, this.sizing.limit),
    );
    return { chunk: this.measure(from, end), from, end };
  }

  /** Where the chunk after [start, end) begins so that it repeats the tail of this one. */
  overlapStart(start: number, end: number): number {
    const { overlap } = this.sizing;
    if (overlap === 0) return end;
    const { index, plan } = this;
    const firstChar = skipWhitespace(this.text, start, end);
    const lastChar = trimEnd(this.text, firstChar, end) - 1;
    const windowStart = index.start(Math.max(0, index.before(end) - overlap));
    const lowest = Math.max(windowStart, firstChar + 1);
    if (lowest > lastChar) return end;
    if (plan.overlapStyle === 'units') {
      const unitLevel = plan.levels[0];
      const unit = unitLevel ? firstBoundary(unitLevel, lowest, lastChar) : -1;
      return unit >= 0 ? unit : end;
    }
    let best = -1;
    for (const level of plan.levels) {
      const boundary = firstBoundary(level, lowest, lastChar);
      if (boundary >= 0 && (best < 0 || boundary < best)) best = boundary;
    }
    if (best >= 0) return best;
    const tokenStart = index.start(index.before(lowest));
    // No token starts in the tail (a chunk cut inside one long token): start inside it.
    return tokenStart <= lastChar ? tokenStart : lowest;
  }
}
