/**
 * The real all-MiniLM-L6-v2 config and tokenizer from ../shared, bundled as text by Vite (the
 * browser tests cannot read the disk), for the tests that build seeded model folders from them.
 */
import minilmConfigText from '../../../shared/models/all-MiniLM-L6-v2/config.json?raw';
import specialTokensMap from '../../../shared/models/all-MiniLM-L6-v2/special_tokens_map.json?raw';
import tokenizerConfigText from '../../../shared/models/all-MiniLM-L6-v2/tokenizer_config.json?raw';
import tokenizerJsonText from '../../../shared/models/all-MiniLM-L6-v2/tokenizer.json?raw';
import vocabTxt from '../../../shared/models/all-MiniLM-L6-v2/vocab.txt?raw';

export {
  tokenizerConfigText as minilmTokenizerConfigText,
  tokenizerJsonText as minilmTokenizerText,
};

const tokenizerTexts = {
  'tokenizer.json': tokenizerJsonText,
  'tokenizer_config.json': tokenizerConfigText,
  'special_tokens_map.json': specialTokensMap,
  'vocab.txt': vocabTxt,
} as const;

export type MinilmTokenizerFile = keyof typeof tokenizerTexts;

/** The tokenizer files of a model folder, by default all four of MiniLM's. */
export function minilmTokenizerFiles(
  names: readonly MinilmTokenizerFile[] = [
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'vocab.txt',
  ],
): Map<string, Uint8Array> {
  const encoder = new TextEncoder();
  return new Map(names.map((name) => [name, encoder.encode(tokenizerTexts[name])]));
}

export const minilmConfigJson = JSON.parse(minilmConfigText) as Record<string, unknown>;

/** MiniLM's config shrunk to 2 layers of width 32: the real vocabulary, milliseconds to run. */
export const tinyBertConfigJson: Record<string, unknown> = {
  ...minilmConfigJson,
  num_hidden_layers: 2,
  hidden_size: 32,
  num_attention_heads: 4,
  intermediate_size: 64,
};
