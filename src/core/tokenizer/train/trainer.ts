/**
 * Trains a byte-level BPE or a BERT WordPiece tokenizer on the user's texts and returns the
 * Hugging Face tokenizer files. Both follow HF tokenizers' trainers: special tokens first, then
 * the alphabet sorted by code point (WordPiece: then its `##` continuation characters), then one
 * token per merge.
 */
import { throwIfAborted } from '../../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import { bertSplit } from './bert-pre-tokenizer.ts';
import { BYTE_TO_CHAR, byteLevelSplit, toByteChars } from './byte-level.ts';
import { learnMerges, type MergeStop } from './merge-learner.ts';
import { normalizeText } from './normalizer.ts';
import {
  addedTokens,
  companionFiles,
  DEFAULT_SPECIALS,
  postProcessor,
  specialRoles,
  type TokenizerFiles,
} from './tokenizer-files.ts';
import type {
  NormalizerJson,
  PreTokenizerJson,
  TokenizerTrainOptions,
  TrainedTokenizerJson,
} from './types.ts';
import { countWords, type TextSource } from './word-counts.ts';

export const WORDPIECE_PREFIX = '##';

export interface TrainStats {
  type: TokenizerTrainOptions['type'];
  vocabSize: number;
  requestedVocabSize: number;
  merges: number;
  alphabetSize: number;
  distinctWords: number;
  corpusChars: number;
  corpusTexts: number;
  /** Why merging stopped: the size was reached, or the corpus ran out of (frequent) pairs. */
  stop: MergeStop;
  seconds: number;
}

export interface TrainedTokenizer extends TokenizerFiles {
  stats: TrainStats;
}

export interface TrainControls {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Total characters of the corpus when known, for progress while counting words. */
  expectedChars?: number;
}

interface Resolved {
  type: TokenizerTrainOptions['type'];
  vocabSize: number;
  minFrequency: number;
  specials: string[];
  normalizer: NormalizerJson | null;
  preTokenizer: PreTokenizerJson;
  addPrefixSpace: boolean;
  limitAlphabet: number | undefined;
  modelMaxLength: number;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function resolve(options: TokenizerTrainOptions): Resolved {
  const { type } = options;
  if (type !== 'bpe' && type !== 'wordpiece') throw new Error(`unknown tokenizer type "${type}"`);
  const specials = [...(options.specialTokens ?? DEFAULT_SPECIALS[type])];
  if (new Set(specials).size !== specials.length) throw new Error('special tokens repeat');
  if (specials.some((token) => token.length === 0)) throw new Error('empty special token');
  const lowercase = options.lowercase ?? type === 'wordpiece';
  const addPrefixSpace = options.addPrefixSpace ?? false;
  if (type === 'wordpiece' && specialRoles(specials).unk === undefined) {
    throw new Error('WordPiece needs an unknown token among the special tokens, e.g. [UNK]');
  }
  return {
    type,
    vocabSize: positiveInteger(options.vocabSize, 'vocabSize'),
    minFrequency: Math.max(0, Math.floor(options.minFrequency ?? 2)),
    specials,
    normalizer:
      type === 'wordpiece'
        ? {
            type: 'BertNormalizer',
            clean_text: true,
            handle_chinese_chars: true,
            strip_accents: options.stripAccents ?? null,
            lowercase,
          }
        : lowercase
          ? { type: 'Lowercase' }
          : null,
    preTokenizer:
      type === 'wordpiece'
        ? { type: 'BertPreTokenizer' }
        : {
            type: 'ByteLevel',
            add_prefix_space: addPrefixSpace,
            trim_offsets: true,
            use_regex: true,
          },
    addPrefixSpace,
    // BertWordPieceTokenizer.train's default: rare characters become [UNK] rather than tokens.
    limitAlphabet:
      options.limitAlphabet !== undefined
        ? positiveInteger(options.limitAlphabet, 'limitAlphabet')
        : type === 'wordpiece'
          ? 1000
          : undefined,
    modelMaxLength: positiveInteger(options.modelMaxLength ?? 512, 'modelMaxLength'),
  };
}

/** Splits a text into training words the way the finished tokenizer will split it. */
function wordSplitter(config: Resolved): (text: string) => string[] {
  if (config.type === 'bpe') {
    return (text) =>
      byteLevelSplit(normalizeText(text, config.normalizer), config.addPrefixSpace).map(
        toByteChars,
      );
  }
  return (text) => bertSplit(normalizeText(text, config.normalizer));
}

/** WordPiece alphabet: characters by frequency, cut to `limit`, then sorted by code point. */
function wordPieceAlphabet(counts: Map<string, number>, limit: number | undefined): string[] {
  const frequency = new Map<string, number>();
  for (const [word, count] of counts) {
    for (const ch of word) frequency.set(ch, (frequency.get(ch) ?? 0) + count);
  }
  let kept = [...frequency.entries()];
  if (limit !== undefined && kept.length > limit) {
    // Rarest go first; ties drop the higher code point, so the cut is deterministic.
    kept.sort((x, y) => y[1] - x[1] || (x[0].codePointAt(0) ?? 0) - (y[0].codePointAt(0) ?? 0));
    kept = kept.slice(0, limit);
  }
  return kept.map(([ch]) => ch).sort(byCodePoint);
}

function byCodePoint(a: string, b: string): number {
  return (a.codePointAt(0) ?? 0) - (b.codePointAt(0) ?? 0);
}

export async function trainTokenizer(
  texts: TextSource,
  options: TokenizerTrainOptions,
  controls: TrainControls = {},
): Promise<TrainedTokenizer> {
  const started = performance.now();
  const config = resolve(options);
  const { signal } = controls;
  throwIfAborted(signal);
  const progress = new ProgressReporter(controls.onProgress);
  progress.start(`Training a ${config.type === 'bpe' ? 'byte-level BPE' : 'WordPiece'} tokenizer`);
  const countPhase = progress.sub(0, 0.3);
  const mergePhase = progress.sub(0.3, 1);

  let corpusChars = 0;
  let corpusTexts = 0;
  const counts = await countWords(texts, wordSplitter(config), {
    signal,
    onText(chars, seen) {
      corpusChars = chars;
      corpusTexts = seen;
      if (controls.expectedChars) {
        countPhase(chars, controls.expectedChars, `Counting words: ${seen} texts`);
      }
    },
  });
  countPhase(1, 1, `Counted ${counts.size} distinct words`);

  const vocab = [...config.specials];
  const ids = new Map<string, number>(vocab.map((token, id) => [token, id]));
  const addToken = (token: string) => {
    if (!ids.has(token)) {
      ids.set(token, vocab.length);
      vocab.push(token);
    }
  };
  const alphabet =
    config.type === 'bpe'
      ? [...BYTE_TO_CHAR].sort(byCodePoint)
      : wordPieceAlphabet(counts, config.limitAlphabet);
  for (const ch of alphabet) addToken(ch);
  const allowed = new Set(alphabet);
  if (config.type === 'wordpiece') {
    const continuing = new Set<string>();
    for (const word of counts.keys()) {
      let first = true;
      for (const ch of word) {
        if (!first && allowed.has(ch)) continuing.add(ch);
        first = false;
      }
    }
    for (const ch of [...continuing].sort(byCodePoint)) addToken(WORDPIECE_PREFIX + ch);
  }
  const alphabetSize = vocab.length - config.specials.length;

  const words: number[][] = [];
  const wordCounts: number[] = [];
  for (const [word, count] of counts) {
    const symbols: number[] = [];
    let first = true;
    for (const ch of word) {
      if (allowed.has(ch)) {
        const token = first || config.type === 'bpe' ? ch : WORDPIECE_PREFIX + ch;
        symbols.push(ids.get(token) ?? 0);
      }
      first = false;
    }
    words.push(symbols);
    wordCounts.push(count);
  }

  const startLength = vocab.length;
  const { merges, stop } = await learnMerges({
    words,
    counts: wordCounts,
    vocab,
    continuingPrefix: config.type === 'wordpiece' ? WORDPIECE_PREFIX : undefined,
    vocabSize: config.vocabSize,
    minFrequency: config.minFrequency,
    signal,
    onProgress(length) {
      mergePhase(
        length - startLength,
        Math.max(1, config.vocabSize - startLength),
        `Merges: vocabulary ${length} / ${config.vocabSize}`,
      );
    },
  });
  throwIfAborted(signal);

  const tokenizerJson = buildJson(config, vocab, merges);
  const companions = companionFiles(tokenizerJson, config.modelMaxLength);
  progress.finish(`Vocabulary of ${vocab.length} tokens`);
  return {
    tokenizerJson,
    ...companions,
    stats: {
      type: config.type,
      vocabSize: vocab.length,
      requestedVocabSize: config.vocabSize,
      merges: merges.length,
      alphabetSize,
      distinctWords: counts.size,
      corpusChars,
      corpusTexts,
      stop,
      seconds: (performance.now() - started) / 1000,
    },
  };
}

function buildJson(
  config: Resolved,
  vocab: readonly string[],
  merges: readonly [number, number][],
): TrainedTokenizerJson {
  // fromEntries defines own keys, so a corpus word like "__proto__" stays a plain entry.
  const vocabObject = Object.fromEntries(vocab.map((token, id) => [token, id]));
  const { unk } = specialRoles(config.specials);
  const base = {
    version: '1.0' as const,
    truncation: null,
    padding: null,
    added_tokens: addedTokens(config.specials),
    normalizer: config.normalizer,
    pre_tokenizer: config.preTokenizer,
    post_processor: postProcessor(config.type, config.specials, config.addPrefixSpace),
  };
  if (config.type === 'bpe') {
    return {
      ...base,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: unk ?? null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: vocabObject,
        merges: merges.map(([a, b]) => [vocab[a] ?? '', vocab[b] ?? '']),
      },
    };
  }
  return {
    ...base,
    decoder: { type: 'WordPiece', prefix: WORDPIECE_PREFIX, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: unk ?? '[UNK]',
      continuing_subword_prefix: WORDPIECE_PREFIX,
      max_input_chars_per_word: 100,
      vocab: vocabObject,
    },
  };
}
