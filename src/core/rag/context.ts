import { throwIfAborted } from '../abort.ts';
import type { TokenCounter } from '../tokenizer/index.ts';
import type { RetrievedPassage } from './retrieve.ts';
import { splitSentences } from './sentences.ts';

/** One numbered source of the context: one or more chunks of a document, merged. */
export interface ContextSource {
  /** 1-based; the `[n]` answers cite. */
  sourceNumber: number;
  docId: string;
  /** In document order. */
  chunkIds: string[];
  text: string;
  /** Best score of its chunks. */
  score: number;
  /** Document offsets (UTF-16) the text covers. */
  charStart: number;
  charEnd: number;
  /** Cut at a sentence boundary to fit the budget. */
  truncated: boolean;
}

export interface AssembledContext {
  sources: ContextSource[];
  /** The sources as the prompt shows them: `[n] text`, separated by blank lines. */
  text: string;
  /** Tokens of `text` by the counter used. */
  tokens: number;
  /** Sources (after merging) left out because the budget was spent. */
  dropped: number;
}

export interface AssembleOptions {
  counter: TokenCounter;
  /** Most tokens `text` may take. */
  budgetTokens: number;
  signal?: AbortSignal;
}

interface Span {
  docId: string;
  chunkIds: string[];
  indexes: number[];
  text: string;
  score: number;
  charStart: number;
  charEnd: number;
}

/**
 * Merges passages of one document that overlap or touch (by char offsets) or are consecutive
 * chunks into spans, so no text appears twice. Overlapping text is taken once from the earlier
 * chunk; consecutive chunks with a gap between them (the whitespace a chunker dropped) are joined
 * by one space.
 */
export function mergePassages(passages: readonly RetrievedPassage[]): Span[] {
  const byDoc = new Map<string, RetrievedPassage[]>();
  for (const passage of passages) {
    const list = byDoc.get(passage.docId) ?? [];
    if (!list.some((p) => p.id === passage.id)) list.push(passage);
    byDoc.set(passage.docId, list);
  }
  const spans: Span[] = [];
  for (const [docId, list] of byDoc) {
    list.sort((a, b) => a.charStart - b.charStart || a.charEnd - b.charEnd);
    let current: Span | null = null;
    for (const p of list) {
      const consecutive = current !== null && current.indexes.includes(p.index - 1);
      if (current && (p.charStart <= current.charEnd || consecutive)) {
        if (p.charEnd > current.charEnd) {
          if (p.charStart >= current.charEnd) {
            const joiner = p.charStart > current.charEnd ? ' ' : '';
            current.text += joiner + p.text;
          } else {
            current.text += p.text.slice(current.charEnd - p.charStart);
          }
          current.charEnd = p.charEnd;
        }
        current.chunkIds.push(p.id);
        current.indexes.push(p.index);
        current.score = Math.max(current.score, p.score);
        continue;
      }
      current = {
        docId,
        chunkIds: [p.id],
        indexes: [p.index],
        text: p.text,
        score: p.score,
        charStart: p.charStart,
        charEnd: p.charEnd,
      };
      spans.push(current);
    }
  }
  // Stable sort: equal scores keep retrieval order.
  return spans.sort((a, b) => b.score - a.score);
}

const SEPARATOR = '\n\n';

function formatSource(n: number, text: string): string {
  return `[${n}] ${text}`;
}

/**
 * Numbered sources within a token budget: merged spans best first, each added whole while it
 * fits; the first that does not fit is cut after its last whole sentence that fits (and dropped
 * when not even one does), and assembly stops there so a lower-ranked source never displaces a
 * higher one.
 */
export function assembleContext(
  passages: readonly RetrievedPassage[],
  { counter, budgetTokens, signal }: AssembleOptions,
): AssembledContext {
  if (!Number.isInteger(budgetTokens) || budgetTokens < 1) {
    throw new RangeError(`The token budget must be a whole number ≥ 1, got ${budgetTokens}.`);
  }
  const spans = mergePassages(passages);
  const sources: ContextSource[] = [];
  const parts: string[] = [];
  const fits = (extra: string) => counter.count([...parts, extra].join(SEPARATOR)) <= budgetTokens;
  for (const span of spans) {
    throwIfAborted(signal);
    const n = sources.length + 1;
    const whole = formatSource(n, span.text);
    if (fits(whole)) {
      parts.push(whole);
      sources.push({ ...sourceOf(span, n), truncated: false });
      continue;
    }
    const cut = longestFittingPrefix(span.text, (text) => fits(formatSource(n, text)));
    if (cut !== null) {
      parts.push(formatSource(n, cut));
      sources.push({
        ...sourceOf(span, n),
        text: cut,
        charEnd: span.charStart + cut.length,
        truncated: true,
      });
    }
    break;
  }
  const text = parts.join(SEPARATOR);
  return { sources, text, tokens: counter.count(text), dropped: spans.length - sources.length };
}

function sourceOf(span: Span, n: number): Omit<ContextSource, 'truncated'> {
  return {
    sourceNumber: n,
    docId: span.docId,
    chunkIds: [...span.chunkIds],
    text: span.text,
    score: span.score,
    charStart: span.charStart,
    charEnd: span.charEnd,
  };
}

/** The longest run of whole leading sentences that `fits`, or null when not even the first does. */
function longestFittingPrefix(text: string, fits: (prefix: string) => boolean): string | null {
  const ends = splitSentences(text).map((s) => s.end);
  // Fitting is monotone in the prefix length, so binary search the sentence count.
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(text.slice(0, ends[mid - 1]))) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? null : text.slice(0, ends[lo - 1]);
}
