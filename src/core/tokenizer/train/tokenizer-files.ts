/**
 * The Hugging Face files of a trained tokenizer: tokenizer.json, tokenizer_config.json and
 * special_tokens_map.json, in the layout transformers.js' AutoTokenizer loads.
 */
import type {
  AddedTokenJson,
  JsonValue,
  NormalizerJson,
  PostProcessorJson,
  TokenizerType,
  TrainedTokenizerJson,
} from './types.ts';

export type SpecialRole = 'bos' | 'eos' | 'cls' | 'sep' | 'pad' | 'unk' | 'mask';

/** Which conventional special token plays which role. */
const ROLES: Record<string, SpecialRole[]> = {
  '<s>': ['bos', 'cls'],
  '</s>': ['eos', 'sep'],
  '<pad>': ['pad'],
  '<unk>': ['unk'],
  '<mask>': ['mask'],
  '[CLS]': ['cls'],
  '[SEP]': ['sep'],
  '[PAD]': ['pad'],
  '[UNK]': ['unk'],
  '[MASK]': ['mask'],
};

export const DEFAULT_SPECIALS: Record<TokenizerType, readonly string[]> = {
  bpe: ['<s>', '<pad>', '</s>', '<unk>', '<mask>'],
  wordpiece: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
};

/** The first special token playing each role. */
export function specialRoles(specials: readonly string[]): Partial<Record<SpecialRole, string>> {
  const roles: Partial<Record<SpecialRole, string>> = {};
  for (const token of specials) {
    for (const role of ROLES[token] ?? []) roles[role] ??= token;
  }
  return roles;
}

export function addedTokens(specials: readonly string[]): AddedTokenJson[] {
  return specials.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

/** RoBERTa's `<s> A </s>` for byte-level BPE, BERT's `[CLS] A [SEP]` template for WordPiece. */
export function postProcessor(
  type: TokenizerType,
  specials: readonly string[],
  addPrefixSpace: boolean,
): PostProcessorJson | null {
  const { cls, sep } = specialRoles(specials);
  if (cls === undefined || sep === undefined) return null;
  const clsId = specials.indexOf(cls);
  const sepId = specials.indexOf(sep);
  if (type === 'bpe') {
    return {
      type: 'RobertaProcessing',
      sep: [sep, sepId],
      cls: [cls, clsId],
      // Offsets keep the leading space so text.slice(start, end) is the token's text.
      trim_offsets: false,
      add_prefix_space: addPrefixSpace,
    };
  }
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    type: 'TemplateProcessing',
    single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
    pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
    special_tokens: {
      [cls]: { id: cls, ids: [clsId], tokens: [cls] },
      [sep]: { id: sep, ids: [sepId], tokens: [sep] },
    },
  };
}

export interface TokenizerFiles {
  tokenizerJson: TrainedTokenizerJson;
  tokenizerConfig: Record<string, JsonValue>;
  specialTokensMap: Record<string, JsonValue>;
}

/** tokenizer_config.json and special_tokens_map.json for a trained tokenizer.json. */
export function companionFiles(
  json: TrainedTokenizerJson,
  modelMaxLength: number,
): Omit<TokenizerFiles, 'tokenizerJson'> {
  const specials = json.added_tokens.filter((t) => t.special).map((t) => t.content);
  const roles = specialRoles(specials);
  const specialTokensMap: Record<string, JsonValue> = {};
  for (const [role, token] of Object.entries(roles)) specialTokensMap[`${role}_token`] = token;
  const assigned = new Set(Object.values(roles));
  const additional = specials.filter((token) => !assigned.has(token));
  if (additional.length > 0) specialTokensMap['additional_special_tokens'] = additional;

  const decoder: Record<string, JsonValue> = {};
  for (const token of json.added_tokens) {
    decoder[String(token.id)] = {
      content: token.content,
      lstrip: token.lstrip,
      normalized: token.normalized,
      rstrip: token.rstrip,
      single_word: token.single_word,
      special: token.special,
    };
  }
  const isBpe = json.model.type === 'BPE';
  const normalizer: NormalizerJson | null = json.normalizer;
  const lowercase =
    normalizer !== null && (normalizer.type === 'Lowercase' || normalizer.lowercase);
  const config: Record<string, JsonValue> = {
    tokenizer_class: isBpe ? 'RobertaTokenizer' : 'BertTokenizer',
    model_max_length: modelMaxLength,
    clean_up_tokenization_spaces: false,
    do_lower_case: lowercase,
    ...specialTokensMap,
    added_tokens_decoder: decoder,
  };
  if (isBpe && json.pre_tokenizer.type === 'ByteLevel') {
    config['add_prefix_space'] = json.pre_tokenizer.add_prefix_space;
    config['errors'] = 'replace';
  }
  if (normalizer?.type === 'BertNormalizer') {
    config['strip_accents'] = normalizer.strip_accents;
    config['tokenize_chinese_chars'] = normalizer.handle_chinese_chars;
  }
  return { tokenizerConfig: config, specialTokensMap };
}

/** Stable, pretty JSON: the same tokenizer always serializes to the same bytes. */
export function serializeTokenizerJson(json: TrainedTokenizerJson): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}

export type TokenizerFileName =
  'tokenizer.json' | 'tokenizer_config.json' | 'special_tokens_map.json';

/** The three files as text, named as a Hugging Face model folder names them. */
export function tokenizerFileTexts(files: TokenizerFiles): Record<TokenizerFileName, string> {
  return {
    'tokenizer.json': serializeTokenizerJson(files.tokenizerJson),
    'tokenizer_config.json': `${JSON.stringify(files.tokenizerConfig, null, 2)}\n`,
    'special_tokens_map.json': `${JSON.stringify(files.specialTokensMap, null, 2)}\n`,
  };
}
