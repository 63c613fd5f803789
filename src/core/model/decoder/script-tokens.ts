import { toByteChars } from '../../tokenizer/train/byte-level.ts';
import type { TrainedTokenizerJson } from '../../tokenizer/train/types.ts';

/** Search steps before giving up; scripts are a sentence or two. */
const MAX_STEPS = 200_000;

/**
 * Token ids that decode (byte-level BPE) to `text` with no id used twice, preferring long tokens.
 * A scripted continuation is a bigram rule, so a repeated token would have two successors; any
 * segmentation decodes to the same text, so one without repeats is as good as the tokenizer's.
 */
export function uniqueTokenSegmentation(tokenizer: TrainedTokenizerJson, text: string): number[] {
  if (tokenizer.model.type !== 'BPE' || tokenizer.pre_tokenizer.type !== 'ByteLevel') {
    throw new Error('A scripted text needs a byte-level BPE tokenizer');
  }
  const target = toByteChars(text);
  const byLength = Object.entries(tokenizer.model.vocab)
    .filter(([token]) => !tokenizer.added_tokens.some((t) => t.content === token))
    .sort(([a], [b]) => b.length - a.length);
  const used = new Set<number>();
  const path: number[] = [];
  let steps = 0;
  const search = (at: number): boolean => {
    if (at === target.length) return true;
    if (++steps > MAX_STEPS) return false;
    for (const [token, id] of byLength) {
      if (used.has(id) || !target.startsWith(token, at)) continue;
      used.add(id);
      path.push(id);
      if (search(at + token.length)) return true;
      used.delete(id);
      path.pop();
    }
    return false;
  };
  if (!search(0)) {
    throw new Error(`"${text}" cannot be written with distinct tokens of this vocabulary`);
  }
  return path;
}
