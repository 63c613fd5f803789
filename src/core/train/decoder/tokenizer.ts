import { DECODER_SPECIAL_TOKENS } from '../../model/decoder/decoder-folder.ts';
import type { ProgressCallback } from '../../progress.ts';
import { trainTokenizer, type TrainedTokenizer } from '../../tokenizer/train/trainer.ts';
import type { TrainedTokenizerJson } from '../../tokenizer/train/types.ts';
import type { TextSource } from '../../tokenizer/train/word-counts.ts';
import { CausalTokenizerError } from './data.ts';

/**
 * A byte-level BPE for a decoder, trained on its corpus with the decoder writer's special
 * tokens (<s> <pad> </s> <unk> and the chat roles), so the exported folder has its chat template.
 */
export function trainDecoderTokenizer(
  texts: TextSource,
  options: { vocabSize: number; minFrequency?: number; modelMaxLength?: number },
  controls: { signal?: AbortSignal; onProgress?: ProgressCallback } = {},
): Promise<TrainedTokenizer> {
  return trainTokenizer(
    texts,
    {
      type: 'bpe',
      vocabSize: options.vocabSize,
      minFrequency: options.minFrequency ?? 2,
      specialTokens: DECODER_SPECIAL_TOKENS,
      ...(options.modelMaxLength ? { modelMaxLength: options.modelMaxLength } : {}),
    },
    controls,
  );
}

/** A parsed tokenizer.json checked to be a byte-level BPE holding the decoder's special tokens. */
export function decoderTokenizerJson(json: unknown): TrainedTokenizerJson {
  const record = json as Partial<TrainedTokenizerJson> | null;
  if (record?.model?.type !== 'BPE' || !Array.isArray(record.added_tokens)) {
    throw new CausalTokenizerError('tokenizer.json: a decoder needs a byte-level BPE tokenizer');
  }
  const present = new Set(record.added_tokens.map((token) => token.content));
  const missing = DECODER_SPECIAL_TOKENS.filter((token) => !present.has(token));
  if (missing.length > 0) {
    throw new CausalTokenizerError(
      `tokenizer.json lacks the special tokens ${missing.join(', ')}; train one for the decoder ` +
        '(leave out --tokenizer and Lumina trains it on the corpus)',
    );
  }
  return json as TrainedTokenizerJson;
}
