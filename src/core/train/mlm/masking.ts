import type { SeededRandom } from '../../model/seeded-random.ts';

/** The label PyTorch's CrossEntropyLoss ignores; HF marks unmasked positions with it. */
export const IGNORE_LABEL = -100;

export interface MaskingOptions {
  vocabSize: number;
  maskTokenId: number;
  padTokenId: number;
  /** Ids never masked nor drawn as random replacements ([CLS], [SEP], [PAD], [UNK], [MASK]…). */
  specialTokenIds: Iterable<number>;
  /** Share of eligible tokens chosen for prediction; BERT's 15 % by default. */
  probability?: number;
  /** Of the chosen: share replaced by [MASK] (0.8), share by a random token (0.1); rest kept. */
  maskShare?: number;
  randomShare?: number;
  /**
   * The stream to draw from. Derive one per batch, e.g. `new SeededRandom(seed, \`mlm/${step}\`)`,
   * so a resumed run masks the same way without storing generator state.
   */
  random: SeededRandom;
}

export interface MaskedRows {
  /** Model input: the ids with the 80/10/10 replacements applied. */
  inputIds: number[][];
  /** The original id where a token was chosen, {@link IGNORE_LABEL} everywhere else. */
  labels: number[][];
}

/**
 * BERT's masked-language-model corruption, as HF's DataCollatorForLanguageModeling: each
 * non-special, non-padding token (attention mask 1) is chosen with `probability`; a chosen token
 * becomes [MASK] with 80 %, a random token with 10 %, and stays itself with 10 %. Unlike HF, the
 * random replacement never draws a special token, which would teach nothing useful.
 */
export function maskTokens(
  inputIds: readonly (readonly number[])[],
  attentionMask: readonly (readonly number[])[],
  options: MaskingOptions,
): MaskedRows {
  const probability = options.probability ?? 0.15;
  const maskShare = options.maskShare ?? 0.8;
  const randomShare = options.randomShare ?? 0.1;
  if (!(probability >= 0 && probability <= 1) || maskShare < 0 || randomShare < 0) {
    throw new RangeError('Masking probabilities must lie in [0, 1]');
  }
  if (maskShare + randomShare > 1) {
    throw new RangeError('maskShare + randomShare must not exceed 1');
  }
  const special = new Set(options.specialTokenIds);
  special.add(options.padTokenId);
  special.add(options.maskTokenId);
  const replacements = ordinaryIds(options.vocabSize, special);
  const { random } = options;

  const masked: number[][] = [];
  const labels: number[][] = [];
  inputIds.forEach((row, b) => {
    const maskRow = attentionMask[b];
    if (!maskRow || maskRow.length !== row.length) {
      throw new RangeError(`attentionMask row ${b} must have the length of inputIds row ${b}`);
    }
    const outRow = [...row];
    const labelRow = row.map(() => IGNORE_LABEL);
    row.forEach((id, s) => {
      if (maskRow[s] !== 1 || special.has(id)) return;
      if (random.nextFloat() >= probability) return;
      labelRow[s] = id;
      const roll = random.nextFloat();
      if (roll < maskShare) outRow[s] = options.maskTokenId;
      else if (roll < maskShare + randomShare) outRow[s] = pick(replacements, random);
    });
    masked.push(outRow);
    labels.push(labelRow);
  });
  return { inputIds: masked, labels };
}

function ordinaryIds(vocabSize: number, special: ReadonlySet<number>): Int32Array {
  const ids: number[] = [];
  for (let id = 0; id < vocabSize; id++) if (!special.has(id)) ids.push(id);
  if (ids.length === 0) throw new RangeError('The vocabulary has no non-special token');
  return Int32Array.from(ids);
}

function pick(ids: Int32Array, random: SeededRandom): number {
  // Rejection keeps the draw uniform whatever the vocabulary size.
  const limit = Math.floor(2 ** 32 / ids.length) * ids.length;
  for (;;) {
    const value = random.nextUint32();
    if (value < limit) return ids[value % ids.length] ?? 0;
  }
}
