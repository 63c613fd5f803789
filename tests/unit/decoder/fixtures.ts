// Direct module imports keep transformers.js out of the e2e runner's Node process.
import { DECODER_SPECIAL_TOKENS } from '../../../src/core/model/decoder/decoder-folder.ts';
import { gpt2Config, type Gpt2Config } from '../../../src/core/model/decoder/gpt2-config.ts';
import { trainTokenizer } from '../../../src/core/tokenizer/train/index.ts';
import type { TrainedTokenizerJson } from '../../../src/core/tokenizer/train/types.ts';

/** Browser-safe (no node: imports): the browser and e2e tests build their folders from it too. */

/** A few paragraphs are enough for a byte-level BPE whose merges cover the test prompts. */
export const DECODER_CORPUS = [
  'The mitochondria is the powerhouse of the cell. Cells make energy from glucose.',
  'Answer the question using only the numbered sources below. Cite the sources you use.',
  'Sources: [1] Vitamin D deficiency is common in winter. [2] Sunlight helps the skin.',
  'Question: What does sunlight do? Answer: Sunlight helps the skin make vitamin D [2].',
  'Seeded answer from the first source [1]. The model is untrained and its text is meaningless.',
  'Retrieval augmented generation cites numbered passages, streams tokens and can be stopped.',
];

export async function decoderTokenizer(vocabSize = 400): Promise<TrainedTokenizerJson> {
  const trained = await trainTokenizer(DECODER_CORPUS, {
    type: 'bpe',
    vocabSize,
    minFrequency: 1,
    specialTokens: DECODER_SPECIAL_TOKENS,
  });
  return trained.tokenizerJson;
}

export function tinyDecoderConfig(
  tokenizer: TrainedTokenizerJson,
  overrides: Partial<Gpt2Config> = {},
): Gpt2Config {
  const ids = new Map(tokenizer.added_tokens.map((t) => [t.content, t.id]));
  return gpt2Config({
    vocabSize: Object.keys(tokenizer.model.vocab).length,
    bosTokenId: ids.get('<s>') ?? 0,
    eosTokenId: ids.get('</s>') ?? 2,
    nPositions: 256,
    nEmbd: 32,
    nLayer: 2,
    nHead: 4,
    ...overrides,
  });
}
