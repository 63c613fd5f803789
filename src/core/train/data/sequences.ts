import type { MlmTokenizer } from './tokenizer.ts';

/** Fixed-length model inputs: ids padded with the pad id, and their 0/1 attention mask. */
export interface SequenceSet {
  seqLen: number;
  inputIds: number[][];
  attentionMask: number[][];
  /** Tokens that are not padding, summed over every sequence. */
  tokens: number;
}

/**
 * Concatenate-and-chunk, as HF's `group_texts` in run_mlm.py, but with BERT's frame on every
 * chunk: the documents' ids are joined with [SEP] between documents, cut into pieces of
 * `seqLen − 2`, and each piece becomes `[CLS] piece [SEP]`. Every sequence is then full (no
 * padding wasted on short lines such as WikiText's), each starts with [CLS] as the encoder sees
 * at inference, and a document boundary inside a chunk is marked. Unlike `group_texts`, which
 * drops the remainder, the last short piece is kept and padded, so small corpora lose nothing.
 */
export function chunkDocuments(
  documents: readonly (readonly number[])[],
  seqLen: number,
  tokenizer: Pick<MlmTokenizer, 'clsId' | 'sepId' | 'padId'>,
): SequenceSet {
  if (!Number.isInteger(seqLen) || seqLen < 3) {
    throw new RangeError(
      `seq_len must be an integer ≥ 3 (room for [CLS], a token and [SEP]), got ${seqLen}`,
    );
  }
  const body = seqLen - 2;
  const stream: number[] = [];
  for (const ids of documents) {
    if (ids.length === 0) continue;
    if (stream.length > 0) stream.push(tokenizer.sepId);
    for (const id of ids) stream.push(id);
  }
  const set: SequenceSet = { seqLen, inputIds: [], attentionMask: [], tokens: 0 };
  for (let start = 0; start < stream.length; start += body) {
    const piece = stream.slice(start, start + body);
    const row = [tokenizer.clsId, ...piece, tokenizer.sepId];
    const mask = row.map(() => 1);
    while (row.length < seqLen) {
      row.push(tokenizer.padId);
      mask.push(0);
    }
    set.inputIds.push(row);
    set.attentionMask.push(mask);
    set.tokens += piece.length + 2;
  }
  return set;
}

/** FNV-1a over the ids of every sequence: a resumed run checks it gets the same data. */
export function fingerprintSequences(sets: readonly SequenceSet[]): string {
  let hash = 0x811c9dc5;
  const mix = (value: number) => {
    hash = Math.imul(hash ^ (value & 0xffff), 0x01000193);
    hash = Math.imul(hash ^ (value >>> 16), 0x01000193);
  };
  for (const set of sets) {
    mix(set.seqLen);
    mix(set.inputIds.length);
    for (const row of set.inputIds) for (const id of row) mix(id);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
