import { Tokenizer } from '@huggingface/tokenizers';
import { byteFallbackValue, byteLevelDecoder } from './bytes.ts';
import { alignTokens, type AlignmentRules, type TokenSpelling } from './offset-alignment.ts';
import type { TokenCounter } from './token-counter.ts';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}

/** Whether a component (or any member of a Sequence) has the given `type`. */
function hasComponent(component: unknown, type: string): boolean {
  if (!isObject(component)) return false;
  if (component['type'] === type) return true;
  return Object.values(component).some(
    (value) => Array.isArray(value) && value.some((member) => hasComponent(member, type)),
  );
}

/** How the model's tokens spell the text, read from tokenizer.json. */
interface Spelling {
  unknownToken: string | undefined;
  subwordPrefix: string | undefined;
  wordSuffix: string | undefined;
  byteLevel: boolean;
  byteFallback: boolean;
  addedTokens: Set<string>;
}

function readSpelling(json: JsonObject, model: JsonObject): Spelling {
  const type = stringField(model, 'type');
  let unknownToken = stringField(model, 'unk_token');
  const unkId = model['unk_id'];
  const vocab = model['vocab'];
  if (type === 'Unigram' && typeof unkId === 'number' && Array.isArray(vocab)) {
    const entry: unknown = vocab[unkId];
    if (Array.isArray(entry) && typeof entry[0] === 'string') unknownToken = entry[0];
  }
  const added = Array.isArray(json['added_tokens']) ? json['added_tokens'] : [];
  return {
    unknownToken,
    subwordPrefix:
      stringField(model, 'continuing_subword_prefix') ?? (type === 'WordPiece' ? '##' : undefined),
    wordSuffix: stringField(model, 'end_of_word_suffix'),
    byteLevel:
      hasComponent(json['pre_tokenizer'], 'ByteLevel') ||
      hasComponent(json['decoder'], 'ByteLevel'),
    byteFallback: model['byte_fallback'] === true,
    addedTokens: new Set(
      added.flatMap((token: unknown) =>
        isObject(token) && typeof token['content'] === 'string' ? [token['content']] : [],
      ),
    ),
  };
}

function spell(token: string, spelling: Spelling): TokenSpelling {
  if (token === spelling.unknownToken) return { kind: 'unknown' };
  if (spelling.addedTokens.has(token)) return { kind: 'text', text: token };
  if (spelling.byteFallback) {
    const byte = byteFallbackValue(token);
    if (byte !== undefined) return { kind: 'bytes', bytes: [byte] };
  }
  let text = token;
  const { subwordPrefix, wordSuffix } = spelling;
  if (subwordPrefix && text.length > subwordPrefix.length && text.startsWith(subwordPrefix)) {
    text = text.slice(subwordPrefix.length);
  }
  if (wordSuffix && text.length > wordSuffix.length && text.endsWith(wordSuffix)) {
    text = text.slice(0, -wordSuffix.length);
  }
  if (spelling.byteLevel) {
    const table = byteLevelDecoder();
    const bytes: number[] = [];
    for (const ch of text) {
      const byte = table.get(ch);
      if (byte === undefined) return { kind: 'text', text };
      bytes.push(byte);
    }
    return { kind: 'bytes', bytes };
  }
  return { kind: 'text', text };
}

/** Whether the pipeline turns spaces into U+2581 (SentencePiece's Metaspace or a Replace). */
function usesMetaspace(json: JsonObject): boolean {
  const pipeline = [json['normalizer'], json['pre_tokenizer'], json['decoder']];
  return pipeline.some((part) => {
    const text = JSON.stringify(part ?? null);
    return text.includes('Metaspace') || text.includes('\u2581');
  });
}

/**
 * A Hugging Face tokenizer (tokenizer.json + optional tokenizer_config.json, already parsed)
 * as a TokenCounter. Truncation and padding from the file are switched off: a long text must
 * count all its tokens, not the 128 an export happened to leave in the file.
 */
export function loadTokenizer(
  tokenizerJson: unknown,
  tokenizerConfig?: unknown,
  name?: string,
): TokenCounter {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson['model'])) {
    throw new Error('tokenizer.json: expected an object with a "model" section');
  }
  const json: JsonObject = { ...tokenizerJson, truncation: null, padding: null };
  const config: JsonObject = isObject(tokenizerConfig) ? tokenizerConfig : {};
  const model = tokenizerJson['model'];
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`tokenizer.json could not be loaded: ${reason}`, { cause: error });
  }
  const spelling = readSpelling(json, model);
  const normalizer = tokenizer.normalizer;
  const rules: AlignmentRules = {
    normalizeChar: normalizer ? (ch) => normalizer.normalize(ch) : (ch) => ch,
    unknownIsWord: model['type'] === 'WordPiece',
    metaspace: usesMetaspace(json),
  };
  // Per code point folding results; shared by every encode call of this tokenizer.
  const foldCache = new Map<number, number[]>();
  const modelType = stringField(model, 'type') ?? 'model';

  return {
    name: name ?? stringField(config, 'name_or_path') ?? `${modelType.toLowerCase()}-tokenizer`,
    count(text: string): number {
      if (text.length === 0) return 0;
      return tokenizer.encode(text, { add_special_tokens: false }).ids.length;
    },
    encode(text: string) {
      if (text.length === 0) return { ids: [], offsets: [] };
      const { ids, tokens } = tokenizer.encode(text, { add_special_tokens: false });
      const spellings = tokens.map((token) => spell(token, spelling));
      return { ids, offsets: alignTokens(text, spellings, rules, foldCache) };
    },
  };
}
