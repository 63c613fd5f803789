import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { TokenCounter } from '../tokenizer/index.ts';
import { DEFAULT_ABSTAIN_THRESHOLDS, shouldAbstain, type AbstainThresholds } from './abstain.ts';
import { citationOf, type Citation } from './citations.ts';
import { assembleContext, type ContextSource } from './context.ts';
import { extractAnswer, type ExtractiveOptions } from './extractive.ts';
import { retrieve, type RagMode, type RetrievedPassage, type RetrieveOptions } from './retrieve.ts';
import type { RagSource } from './source.ts';

export interface RagTimings {
  retrieveMs: number;
  assembleMs: number;
  answerMs: number;
}

export interface RagAnswer {
  question: string;
  mode: RagMode;
  /** The answer with `[n]` citations, or the abstention sentence. */
  text: string;
  /** Sources the text cites (none when it abstained). */
  citations: Citation[];
  /** Everything retrieved, with scores (neighbours included, marked). */
  passages: RetrievedPassage[];
  /** The numbered sources the answer drew on. */
  sources: ContextSource[];
  abstained: boolean;
  timings: RagTimings;
}

export interface ExtractiveAskOptions
  extends Omit<RetrieveOptions, 'onProgress'>, Omit<ExtractiveOptions, 'signal' | 'queryVector'> {
  counter: TokenCounter;
  /** Tokens the numbered sources may take. Default 1024. */
  budgetTokens?: number;
  thresholds?: AbstainThresholds;
  onProgress?: ProgressCallback;
}

/** The sentence an answer gives instead of guessing. */
export function abstentionText(sourceName: string): string {
  return `I could not find this in ${sourceName}.`;
}

/** Retrieve, assemble and answer extractively (no generator), abstaining on weak evidence. */
export async function askExtractive(
  source: RagSource,
  question: string,
  options: ExtractiveAskOptions,
): Promise<RagAnswer> {
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Answering');
  const t0 = performance.now();
  const retrieved = await retrieve(source, question, {
    ...options,
    onProgress: (event) => {
      if (event.status === 'progress') progress.update(event.fraction * 0.6, 1, event.message);
    },
  });
  const t1 = performance.now();
  const base = { question, mode: options.mode, passages: retrieved.passages };
  if (shouldAbstain(retrieved.evidence, options.thresholds ?? DEFAULT_ABSTAIN_THRESHOLDS)) {
    progress.finish('Nothing relevant found');
    return {
      ...base,
      text: abstentionText(source.name),
      citations: [],
      sources: [],
      abstained: true,
      timings: { retrieveMs: t1 - t0, assembleMs: 0, answerMs: 0 },
    };
  }
  const context = assembleContext(retrieved.passages, {
    counter: options.counter,
    budgetTokens: options.budgetTokens ?? 1024,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  progress.update(0.7, 1, 'Context assembled');
  const t2 = performance.now();
  const extracted = await extractAnswer(question, context.sources, options);
  const t3 = performance.now();
  progress.finish('Answered');
  // No sentence matched the question at all: abstain rather than cite an arbitrary passage.
  const abstained = extracted.sentences.length === 0;
  const byNumber = new Map(context.sources.map((s) => [s.sourceNumber, s]));
  return {
    ...base,
    text: abstained ? abstentionText(source.name) : extracted.text,
    citations: abstained
      ? []
      : extracted.cited.flatMap((n) => {
          const cited = byNumber.get(n);
          return cited ? [citationOf(cited)] : [];
        }),
    sources: context.sources,
    abstained,
    timings: { retrieveMs: t1 - t0, assembleMs: t2 - t1, answerMs: t3 - t2 },
  };
}
