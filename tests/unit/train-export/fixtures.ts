import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseBertConfig } from '../../../src/core/model/bert-config.ts';
import type { BertWeights } from '../../../src/core/model/init.ts';
import { SeededRandom } from '../../../src/core/model/seeded-random.ts';
import {
  createBertEncoder,
  encoderConfigFromBert,
  type BertEncoder,
  type BertEncoderConfig,
} from '../../../src/core/train/bert/index.ts';
import { initMlmHeadWeights } from '../../../src/core/train/mlm/index.ts';
import { minilmDir, tinyBertConfig } from '../../support/shared-data.ts';

export const TOKENIZER_NAMES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
] as const;

/** The real MiniLM tokenizer files, without vocab.txt (the exporter derives it). */
export function minilmTokenizerFiles(): Map<string, Uint8Array> {
  return new Map(
    TOKENIZER_NAMES.map((name) => [name, new Uint8Array(readFileSync(path.join(minilmDir, name)))]),
  );
}

export function tinyEncoderConfig(): BertEncoderConfig {
  return encoderConfigFromBert(parseBertConfig(tinyBertConfig()));
}

/**
 * HF initialisation leaves biases at 0 and LayerNorm at 1, which would hide a transposed or
 * misnamed bias; noise on every tensor makes each one matter, as training would.
 */
export function perturb(weights: BertWeights, seed: number, scale = 0.05): BertWeights {
  const out: BertWeights = new Map();
  for (const [name, tensor] of weights) {
    const random = new SeededRandom(seed, name);
    const data = tensor.data.map((value) => value + random.nextNormal() * scale);
    out.set(name, { dtype: 'F32', shape: [...tensor.shape], data });
  }
  return out;
}

/** A tiny encoder (MiniLM vocab, 2 layers × 32) with non-trivial weights, as after training. */
export async function trainedTinyEncoder(seed: number): Promise<BertEncoder> {
  const config = tinyEncoderConfig();
  const initial = await createBertEncoder(config, undefined, { seed });
  const weights = perturb(await initial.readWeights(), seed + 1);
  initial.dispose();
  return createBertEncoder(config, weights);
}

export function trainedMlmHead(config: BertEncoderConfig, seed: number): BertWeights {
  return perturb(initMlmHeadWeights(config, seed), seed + 1);
}

export interface TokenRows {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds?: number[][];
}

/** The TF.js encoder's last hidden state [batch, seq, hidden] as a flat array (inference mode). */
export async function tfHiddenStates(encoder: BertEncoder, rows: TokenRows): Promise<Float32Array> {
  const ids = tf.tensor2d(rows.inputIds, undefined, 'int32');
  const mask = tf.tensor2d(rows.attentionMask, undefined, 'int32');
  const types = rows.tokenTypeIds ? tf.tensor2d(rows.tokenTypeIds, undefined, 'int32') : undefined;
  const hidden = encoder.forward(ids, mask, types);
  try {
    return Float32Array.from((await hidden.data()) as Float32Array);
  } finally {
    tf.dispose([ids, mask, hidden, ...(types ? [types] : [])]);
  }
}

/** Mean over attended tokens (or the first token), then optionally L2-normalised, per row. */
export function pool(
  hidden: Float32Array,
  mask: number[][],
  width: number,
  mode: 'mean' | 'cls',
  normalize: boolean,
): Float32Array {
  const batch = mask.length;
  const seq = mask[0]?.length ?? 0;
  const out = new Float32Array(batch * width);
  for (let b = 0; b < batch; b++) {
    const row = out.subarray(b * width, (b + 1) * width);
    if (mode === 'cls') {
      row.set(hidden.subarray(b * seq * width, b * seq * width + width));
    } else {
      let count = 0;
      for (let s = 0; s < seq; s++) {
        if (!mask[b]?.[s]) continue;
        count++;
        for (let j = 0; j < width; j++)
          row[j] = (row[j] ?? 0) + (hidden[(b * seq + s) * width + j] ?? 0);
      }
      for (let j = 0; j < width; j++) row[j] = (row[j] ?? 0) / count;
    }
    if (normalize) {
      const norm = Math.hypot(...row);
      for (let j = 0; j < width; j++) row[j] = (row[j] ?? 0) / norm;
    }
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  return max;
}

/** Rows of a transformers.js [batch, seq] int64 tensor. */
export function tensorRows(tensor: { data: unknown; dims: number[] }): number[][] {
  const [batch = 0, width = 0] = tensor.dims;
  const flat = Array.from(tensor.data as BigInt64Array, Number);
  return Array.from({ length: batch }, (_, b) => flat.slice(b * width, (b + 1) * width));
}

export { writeFolder } from '../decoder/write-folder.ts';
