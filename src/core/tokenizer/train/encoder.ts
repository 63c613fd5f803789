/**
 * Lumina's own encoder for the tokenizers it trains: the same pipeline transformers.js runs
 * (special-token split, normalizer, pre-tokenizer, model, post-processor), but keeping every
 * token's character offsets into the original text.
 */
import { bertWords } from './bert-pre-tokenizer.ts';
import { byteLevelWords } from './byte-level.ts';
import { normalizeWithAlignment } from './normalizer.ts';
import type { BpeModelJson, TrainedTokenizerJson, WordPieceModelJson } from './types.ts';

export interface Encoding {
  ids: number[];
  tokens: string[];
  /** [start, end) in UTF-16 units of the original text; [0, 0] for added special tokens. */
  offsets: [number, number][];
  /** 1 for special tokens (added by the post-processor or written in the text), else 0. */
  specialTokensMask: number[];
  /** Index of the pre-tokenized word a token belongs to; -1 for special tokens. */
  wordIds: number[];
}

export interface TrainedEncoder {
  readonly vocabSize: number;
  readonly unkId: number | undefined;
  encode(text: string, options?: { addSpecialTokens?: boolean }): Encoding;
}

/** Tokens of a normalized text, each with its span in the original and its word's index. */
type WordModel = (
  text: string,
  map: (start: number, end: number) => [number, number],
  emit: (token: string, start: number, end: number, word: number) => void,
) => void;

interface SpecialTrie {
  next: Map<string, SpecialTrie>;
  token?: string;
}

function buildTrie(contents: readonly string[]): SpecialTrie {
  const root: SpecialTrie = { next: new Map() };
  for (const content of contents) {
    let node = root;
    for (const unit of content) {
      let child = node.next.get(unit);
      if (!child) node.next.set(unit, (child = { next: new Map() }));
      node = child;
    }
    node.token = content;
  }
  return root;
}

/** Longest-match split on added tokens, scanning left to right like transformers.js. */
function splitSpecials(
  text: string,
  trie: SpecialTrie,
): { text: string; start: number; special: boolean }[] {
  const parts: { text: string; start: number; special: boolean }[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    let node: SpecialTrie | undefined = trie;
    let match: string | undefined;
    for (let j = i; j < text.length; j++) {
      node = node.next.get(text[j] ?? '');
      if (!node) break;
      if (node.token !== undefined) match = node.token;
    }
    if (match === undefined) {
      i++;
      continue;
    }
    if (i > start) parts.push({ text: text.slice(start, i), start, special: false });
    parts.push({ text: match, start: i, special: true });
    i += match.length;
    start = i;
  }
  if (start < text.length) parts.push({ text: text.slice(start), start, special: false });
  return parts;
}

const PAIR_SEPARATOR = '\u0000';
const CACHE_LIMIT = 50_000;

/** Byte-level BPE: merges applied by rank, lowest first, leftmost first among equals. */
function bpeModel(model: BpeModelJson, addPrefixSpace: boolean): WordModel {
  const ranks = new Map<string, number>();
  model.merges.forEach(([a, b], rank) => {
    const pair = a + PAIR_SEPARATOR + b;
    if (!ranks.has(pair)) ranks.set(pair, rank);
  });
  const cache = new Map<string, string[]>();
  const split = (symbols: string): string[] => {
    const cached = cache.get(symbols);
    if (cached) return cached;
    const parts = [...symbols];
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const rank = ranks.get((parts[i] ?? '') + PAIR_SEPARATOR + (parts[i + 1] ?? ''));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      parts.splice(best, 2, (parts[best] ?? '') + (parts[best + 1] ?? ''));
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(symbols, parts);
    return parts;
  };
  return (text, map, emit) => {
    byteLevelWords(text, addPrefixSpace, map).forEach((word, index) => {
      let position = 0;
      for (const token of split(word.symbols)) {
        const last = position + token.length - 1;
        emit(token, word.starts[position] ?? 0, word.ends[last] ?? 0, index);
        position += token.length;
      }
    });
  };
}

/** WordPiece: greedy longest match from the left, `##` inside a word, [UNK] for the whole word. */
function wordPieceModel(model: WordPieceModelJson, vocab: Map<string, number>): WordModel {
  const prefix = model.continuing_subword_prefix;
  return (text, map, emit) => {
    bertWords(text).forEach(({ word, start, end }, index) => {
      const chars = [...word];
      if (chars.length > model.max_input_chars_per_word) {
        emit(model.unk_token, ...map(start, end), index);
        return;
      }
      // UTF-16 position of each code point boundary inside the word.
      const units = [0];
      for (const ch of chars) units.push((units[units.length - 1] ?? 0) + ch.length);
      const pieces: { token: string; from: number; to: number }[] = [];
      let from = 0;
      let unknown = false;
      while (from < chars.length) {
        let to = chars.length;
        let found: string | undefined;
        while (from < to) {
          const piece = chars.slice(from, to).join('');
          const candidate = from > 0 ? prefix + piece : piece;
          if (vocab.has(candidate)) {
            found = candidate;
            break;
          }
          to--;
        }
        if (found === undefined) {
          unknown = true;
          break;
        }
        pieces.push({ token: found, from, to });
        from = to;
      }
      if (unknown) {
        emit(model.unk_token, ...map(start, end), index);
        return;
      }
      for (const piece of pieces) {
        const [from, to] = map(start + (units[piece.from] ?? 0), start + (units[piece.to] ?? 0));
        emit(piece.token, from, to, index);
      }
    });
  };
}

export function createEncoder(json: TrainedTokenizerJson): TrainedEncoder {
  const vocab = new Map<string, number>(Object.entries(json.model.vocab));
  for (const token of json.added_tokens) vocab.set(token.content, token.id);
  const specials = new Set(json.added_tokens.filter((t) => t.special).map((t) => t.content));
  const trie = buildTrie(json.added_tokens.map((t) => t.content));
  const unkToken = json.model.unk_token ?? undefined;
  const unkId = unkToken === undefined ? undefined : vocab.get(unkToken);
  const addPrefixSpace =
    json.pre_tokenizer.type === 'ByteLevel' && json.pre_tokenizer.add_prefix_space;
  const model =
    json.model.type === 'BPE'
      ? bpeModel(json.model, addPrefixSpace)
      : wordPieceModel(json.model, vocab);
  const processor = json.post_processor;
  const around = ((): [string, string] | undefined => {
    if (!processor) return undefined;
    if (processor.type === 'RobertaProcessing') return [processor.cls[0], processor.sep[0]];
    const ids = processor.single.flatMap((piece) =>
      'SpecialToken' in piece ? [piece.SpecialToken.id] : [],
    );
    const [first, last] = [ids[0], ids[ids.length - 1]];
    return first !== undefined && last !== undefined && ids.length === 2
      ? [first, last]
      : undefined;
  })();

  return {
    vocabSize: vocab.size,
    unkId,
    encode(text, options = {}) {
      const out: Encoding = {
        ids: [],
        tokens: [],
        offsets: [],
        specialTokensMask: [],
        wordIds: [],
      };
      const push = (token: string, start: number, end: number, special: boolean, word: number) => {
        const known = vocab.get(token);
        // transformers.js drops a BPE token it cannot spell when there is no unknown token.
        const id = known ?? unkId;
        if (id === undefined) return;
        out.ids.push(id);
        out.tokens.push(known === undefined ? (unkToken ?? token) : token);
        out.offsets.push([start, end]);
        out.specialTokensMask.push(special ? 1 : 0);
        out.wordIds.push(word);
      };
      let wordIndex = 0;
      for (const part of splitSpecials(text, trie)) {
        if (part.special) {
          push(part.text, part.start, part.start + part.text.length, specials.has(part.text), -1);
          continue;
        }
        const normalized = normalizeWithAlignment(part.text, json.normalizer);
        if (normalized.text.length === 0) continue;
        const map = (start: number, end: number): [number, number] => {
          const [from, to] = normalized.map(start, end);
          return [part.start + from, part.start + to];
        };
        let words = 0;
        model(normalized.text, map, (token, start, end, word) => {
          push(token, start, end, false, wordIndex + word);
          words = word + 1;
        });
        wordIndex += words;
      }
      if (options.addSpecialTokens !== false && around) {
        const [cls, sep] = around;
        const clsId = vocab.get(cls);
        const sepId = vocab.get(sep);
        if (clsId !== undefined && sepId !== undefined) {
          out.ids = [clsId, ...out.ids, sepId];
          out.tokens = [cls, ...out.tokens, sep];
          out.offsets = [[0, 0], ...out.offsets, [0, 0]];
          out.specialTokensMask = [1, ...out.specialTokensMask, 1];
          out.wordIds = [-1, ...out.wordIds, -1];
        }
      }
      return out;
    },
  };
}
