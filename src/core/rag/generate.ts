import { throwIfAborted } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { TokenCounter } from '../tokenizer/index.ts';
import { DEFAULT_ABSTAIN_THRESHOLDS, shouldAbstain, type AbstainThresholds } from './abstain.ts';
import { abstentionText, type RagAnswer } from './answer.ts';
import { parseCitations } from './citations.ts';
import { assembleContext } from './context.ts';
import { retrieve, type RetrieveOptions } from './retrieve.ts';
import type { RagSource } from './source.ts';
import { buildPrompt, DEFAULT_PROMPT_TEMPLATE } from './template.ts';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  /** Aborting stops generation after the current token; the text so far is returned. */
  signal?: AbortSignal;
  /** Each piece of decoded text as it is produced, in order. */
  onToken?: (piece: string) => void;
}

export interface GenerationResult {
  text: string;
  /** New tokens generated. */
  tokens: number;
  ms: number;
  /** From the call to the first new token; null when none came. */
  firstTokenMs: number | null;
  /** Stopped by the signal before the end of sequence or the token limit. */
  interrupted: boolean;
}

/** What RAG needs of a text-generation model (transformers.js in a worker, or a test double). */
export interface TextGenerator {
  /** The model's tokenizer, for the context budget. */
  readonly counter: TokenCounter;
  /** Longest prompt + generated sequence the model takes. */
  readonly maxPositions: number;
  /** tokenizer_config.json, for its chat template; null when the model has none. */
  readonly tokenizerConfig: Record<string, unknown> | null;
  generate(prompt: string, options: GenerateOptions): Promise<GenerationResult>;
}

export interface GenerativeAskOptions extends Omit<RetrieveOptions, 'onProgress'> {
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  /** Prompt template with {context} and {question}; used as the user turn of a chat template. */
  template?: string;
  /** Cap on the sources' tokens below what the model's window leaves. */
  budgetTokens?: number;
  thresholds?: AbstainThresholds;
  onToken?: (piece: string) => void;
  onProgress?: ProgressCallback;
}

export interface GenerativeAnswer extends RagAnswer {
  generated: true;
  prompt: string;
  /** Stopped by the user; `text` is what was generated until then. */
  interrupted: boolean;
  /** Generated text that cites none of the sources (it may still be right; it is not grounded). */
  uncited: boolean;
  /** Cited numbers with no such source. */
  invalidCitations: number[];
  tokens: number;
  firstTokenMs: number | null;
  tokensPerSecond: number | null;
}

export const DEFAULT_MAX_NEW_TOKENS = 256;

/**
 * Retrieve → (abstain on weak evidence, before generating) → number the sources within what the
 * model's window leaves after the prompt scaffold and `maxNewTokens` → prompt with the model's chat
 * template → stream → map the `[n]` the model wrote back to the sources.
 */
export async function askGenerative(
  source: RagSource,
  question: string,
  generator: TextGenerator,
  options: GenerativeAskOptions,
): Promise<GenerativeAnswer> {
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Answering');
  const maxNewTokens = options.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  const template = options.template ?? DEFAULT_PROMPT_TEMPLATE;
  const promptOptions = {
    template,
    ...(generator.tokenizerConfig ? { tokenizerConfig: generator.tokenizerConfig } : {}),
  };
  const scaffold = generator.counter.count(buildPrompt({ context: '', question }, promptOptions));
  // The separators between the prompt's parts may merge into tokens differently; keep a margin.
  const window = generator.maxPositions - maxNewTokens - scaffold - 8;
  if (window < 1) {
    throw new RangeError(
      `The model takes ${generator.maxPositions} tokens; the prompt (${scaffold}) and ` +
        `${maxNewTokens} new tokens leave no room for sources.`,
    );
  }
  const budgetTokens = Math.min(window, options.budgetTokens ?? window);

  const t0 = performance.now();
  const retrieved = await retrieve(source, question, {
    ...options,
    onProgress: (event) => {
      if (event.status === 'progress') progress.update(event.fraction * 0.3, 1, event.message);
    },
  });
  const t1 = performance.now();
  const base = {
    question,
    mode: options.mode,
    passages: retrieved.passages,
    generated: true as const,
    invalidCitations: [],
    tokens: 0,
    firstTokenMs: null,
    tokensPerSecond: null,
  };
  if (shouldAbstain(retrieved.evidence, options.thresholds ?? DEFAULT_ABSTAIN_THRESHOLDS)) {
    progress.finish('Nothing relevant found');
    return {
      ...base,
      text: abstentionText(source.name),
      prompt: '',
      citations: [],
      sources: [],
      abstained: true,
      interrupted: false,
      uncited: false,
      timings: { retrieveMs: t1 - t0, assembleMs: 0, answerMs: 0 },
    };
  }
  const context = assembleContext(retrieved.passages, {
    counter: generator.counter,
    budgetTokens,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const prompt = buildPrompt({ context: context.text, question }, promptOptions);
  const t2 = performance.now();
  throwIfAborted(options.signal);
  progress.update(0.35, 1, 'Generating');
  const result = await generator.generate(prompt, {
    maxNewTokens,
    temperature: options.temperature ?? 0,
    topP: options.topP ?? 1,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onToken ? { onToken: options.onToken } : {}),
  });
  const t3 = performance.now();
  const parsed = parseCitations(result.text, context.sources);
  progress.finish(result.interrupted ? 'Stopped' : 'Answered');
  const decodeMs = result.firstTokenMs === null ? 0 : result.ms - result.firstTokenMs;
  return {
    ...base,
    text: result.text,
    prompt,
    citations: parsed.citations,
    invalidCitations: parsed.invalid,
    sources: context.sources,
    abstained: false,
    interrupted: result.interrupted,
    uncited: parsed.citations.length === 0,
    tokens: result.tokens,
    firstTokenMs: result.firstTokenMs,
    // The first token pays for the prompt; speed is measured over the tokens after it.
    tokensPerSecond:
      result.tokens > 1 && decodeMs > 0 ? ((result.tokens - 1) * 1000) / decodeMs : null,
    timings: { retrieveMs: t1 - t0, assembleMs: t2 - t1, answerMs: t3 - t2 },
  };
}
