/** The two tokenizer families Lumina trains, as Hugging Face names their models. */
export type TokenizerType = 'bpe' | 'wordpiece';

export interface TokenizerTrainOptions {
  type: TokenizerType;
  /** Target vocabulary size, special tokens and alphabet included. */
  vocabSize: number;
  /** A pair seen fewer times than this is never merged (HF `min_frequency`). Default 2. */
  minFrequency?: number;
  /** Added at the start of the vocabulary in this order. Default: RoBERTa's or BERT's five. */
  specialTokens?: readonly string[];
  /** Lowercase before pre-tokenizing. Default: true for WordPiece, false for BPE. */
  lowercase?: boolean;
  /** WordPiece: strip accents (NFD, drop marks). Default: follows `lowercase`, like BERT. */
  stripAccents?: boolean;
  /** Byte-level BPE: prepend a space to a text that does not start with one. Default false. */
  addPrefixSpace?: boolean;
  /** WordPiece: keep only this many most frequent characters (HF `limit_alphabet`). Default 1000. */
  limitAlphabet?: number;
  /** Written to tokenizer_config.json as `model_max_length`. Default 512. */
  modelMaxLength?: number;
}

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export type NormalizerJson =
  | { type: 'Lowercase' }
  | {
      type: 'BertNormalizer';
      clean_text: boolean;
      handle_chinese_chars: boolean;
      strip_accents: boolean | null;
      lowercase: boolean;
    };

export type PreTokenizerJson =
  | { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean }
  | { type: 'BertPreTokenizer' };

type TemplatePiece =
  | { SpecialToken: { id: string; type_id: number } }
  | { Sequence: { id: 'A' | 'B'; type_id: number } };

export type PostProcessorJson =
  | {
      type: 'RobertaProcessing';
      sep: [string, number];
      cls: [string, number];
      trim_offsets: boolean;
      add_prefix_space: boolean;
    }
  | {
      type: 'TemplateProcessing';
      single: TemplatePiece[];
      pair: TemplatePiece[];
      special_tokens: Record<string, { id: string; ids: number[]; tokens: string[] }>;
    };

export type DecoderJson =
  | { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean }
  | { type: 'WordPiece'; prefix: string; cleanup: boolean };

export interface BpeModelJson {
  type: 'BPE';
  dropout: null;
  unk_token: string | null;
  continuing_subword_prefix: null;
  end_of_word_suffix: null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  vocab: Record<string, number>;
  merges: [string, string][];
}

export interface WordPieceModelJson {
  type: 'WordPiece';
  unk_token: string;
  continuing_subword_prefix: string;
  max_input_chars_per_word: number;
  vocab: Record<string, number>;
}

/** The subset of Hugging Face's tokenizer.json that Lumina's trainers write. */
export interface TrainedTokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: NormalizerJson | null;
  pre_tokenizer: PreTokenizerJson;
  post_processor: PostProcessorJson | null;
  decoder: DecoderJson;
  model: BpeModelJson | WordPieceModelJson;
}

/** A token string and its character span [start, end) in the original text. */
export interface Piece {
  text: string;
  start: number;
  end: number;
}
