/**
 * The data pipeline: documents → paragraphs → cleaning rules → merging → dedupe → token filter
 * → train/validation/test split, with the effect of every step counted for the report.
 */
import { throwIfAborted } from '../abort.ts';
import type { TokenCounter } from '../tokenizer/token-counter.ts';
import type { SourceDocument, SplitName } from '../types.ts';
import { cleaningRules, type CleaningRule } from './cleaning.ts';
import { DEFAULT_MERGE_MIN_CHARS, validatePrepareOptions, type PrepareOptions } from './options.ts';
import {
  ParagraphMerger,
  splitParagraphs,
  type MergedParagraph,
  type Paragraph,
} from './paragraphs.ts';
import { assignSplits } from './split.ts';

export interface PreparedText {
  text_id: string;
  text: string;
  token_count: number;
  char_count: number;
  split: SplitName;
  doc_id: string;
  source: string;
}

export interface RuleEffect {
  rule: string;
  label: string;
  textsChanged: number;
  textsRemoved: number;
  /** Net characters removed from the texts it changed or removed. */
  charsRemoved: number;
}

export interface PrepareReport {
  inputDocuments: number;
  outputTexts: number;
  rules: RuleEffect[];
  splits: Record<SplitName, number>;
  tokens: { min: number; max: number; mean: number; total: number };
}

export interface PrepareControl {
  signal?: AbortSignal;
  /** Characters of input processed so far, of the total. */
  onProgress?: (done: number, total: number) => void;
}

type Candidate = Omit<PreparedText, 'split'>;

function effect(rule: string, label: string): RuleEffect {
  return { rule, label, textsChanged: 0, textsRemoved: 0, charsRemoved: 0 };
}

/** Code points, as most readers of the exported files (Python, Arrow) count characters. */
function codePointCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xdc00 || code > 0xdfff) n++;
  }
  return n;
}

interface CountedRule {
  rule: CleaningRule;
  effect: RuleEffect;
}

/** Runs the rules over one text, counting what each did; undefined when one removed it. */
function clean(text: string, rules: CountedRule[]): string | undefined {
  let current = text;
  for (const { rule, effect: stats } of rules) {
    const next = rule.apply(current);
    if (next.trim().length === 0) {
      stats.textsRemoved++;
      stats.charsRemoved += current.length;
      return undefined;
    }
    if (next !== current) {
      stats.textsChanged++;
      stats.charsRemoved += current.length - next.length;
    }
    current = next;
  }
  return current;
}

function units(document: SourceDocument, paragraphs: PrepareOptions['paragraphs']): Paragraph[] {
  if (paragraphs === 'keep-documents') {
    return document.text.trim().length > 0 ? [{ index: 0, text: document.text }] : [];
  }
  return splitParagraphs(document.text);
}

function tokenStats(texts: PreparedText[]): PrepareReport['tokens'] {
  if (texts.length === 0) return { min: 0, max: 0, mean: 0, total: 0 };
  let min = Infinity;
  let max = 0;
  let total = 0;
  for (const { token_count: n } of texts) {
    min = Math.min(min, n);
    max = Math.max(max, n);
    total += n;
  }
  return { min, max, mean: total / texts.length, total };
}

export function prepareTexts(
  docs: Iterable<SourceDocument>,
  options: PrepareOptions,
  counter: TokenCounter,
  control: PrepareControl = {},
): { texts: PreparedText[]; report: PrepareReport } {
  const problems = validatePrepareOptions(options);
  if (problems.length > 0) throw new Error(`Invalid prepare options: ${problems.join(' ')}`);
  const documents = Array.from(docs);
  const totalChars = documents.reduce((sum, d) => sum + d.text.length, 0);
  const rules = cleaningRules(options.cleaning).map((rule): CountedRule => ({
    rule,
    effect: effect(rule.rule, rule.label),
  }));
  const merging = effect('merge', 'Short paragraphs merged');
  const dedupe = effect('dedupe', 'Exact duplicates removed');
  const filter = options.tokenFilter;
  const filtering = effect(
    'tokenFilter',
    filter ? `Outside ${filter.min}–${filter.max} tokens (${counter.name})` : '',
  );
  const seen = new Set<string>();
  const kept: Candidate[] = [];
  const progressStep = Math.max(1, Math.floor(totalChars / 100));
  let done = 0;
  let reported = 0;
  const report = (position: number) => {
    if (position - reported < progressStep && position < totalChars) return;
    reported = position;
    control.onProgress?.(position, totalChars);
  };

  const keep = (document: SourceDocument, { first, last, text }: MergedParagraph) => {
    if (last > first) {
      merging.textsChanged++;
      merging.textsRemoved += last - first;
    }
    if (options.dedupe) {
      if (seen.has(text)) {
        dedupe.textsRemoved++;
        dedupe.charsRemoved += text.length;
        return;
      }
      seen.add(text);
    }
    const tokenCount = counter.count(text);
    if (filter && (tokenCount < filter.min || tokenCount > filter.max)) {
      filtering.textsRemoved++;
      filtering.charsRemoved += text.length;
      return;
    }
    kept.push({
      text_id: last > first ? `${document.id}:${first}-${last}` : `${document.id}:${first}`,
      text,
      token_count: tokenCount,
      char_count: codePointCount(text),
      doc_id: document.id,
      source: document.source,
    });
  };

  for (const document of documents) {
    const merger =
      options.paragraphs === 'merge'
        ? new ParagraphMerger(options.mergeMinChars ?? DEFAULT_MERGE_MIN_CHARS)
        : undefined;
    let consumed = 0;
    for (const paragraph of units(document, options.paragraphs)) {
      throwIfAborted(control.signal);
      const text = clean(paragraph.text, rules);
      if (text !== undefined) {
        const cleaned = { index: paragraph.index, text };
        const ready = merger
          ? merger.push(cleaned)
          : { first: cleaned.index, last: cleaned.index, text };
        if (ready) keep(document, ready);
      }
      consumed = Math.min(document.text.length, consumed + paragraph.text.length);
      report(done + consumed);
    }
    const rest = merger?.flush();
    if (rest) keep(document, rest);
    done += document.text.length;
    report(done);
  }

  const splits = assignSplits(
    kept.map((t) => t.text_id),
    options.split,
  );
  const texts = kept.map((t, i): PreparedText => ({ ...t, split: splits[i] ?? 'train' }));
  const splitCounts: Record<SplitName, number> = { train: 0, validation: 0, test: 0 };
  for (const t of texts) splitCounts[t.split]++;
  const effects = rules.map((r) => r.effect);
  if (options.paragraphs === 'merge') effects.push(merging);
  if (options.dedupe) effects.push(dedupe);
  if (filter) effects.push(filtering);
  return {
    texts,
    report: {
      inputDocuments: documents.length,
      outputTexts: texts.length,
      rules: effects,
      splits: splitCounts,
      tokens: tokenStats(texts),
    },
  };
}
