import type { PreTrainedTokenizer } from '@huggingface/transformers';
import {
  buildTokenBatch,
  normalizeRows,
  poolTokens,
  specialTokenLayout,
} from '../../src/core/embed/runtime/index.ts';
import { benchRun, type BenchRun } from './protocol.ts';

/** The slice of onnxruntime-node's and onnxruntime-web's APIs a bare run needs (they match). */
export interface BareTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
  dispose(): void;
}

export interface BareSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, BareTensor>): Promise<Record<string, BareTensor>>;
}

export type MakeInt64Tensor = (values: BigInt64Array, dims: number[]) => BareTensor;

/**
 * An ONNX session driven by hand with Lumina's batches: the same tokenizer and truncate/pad code
 * (buildTokenBatch) and Lumina's pooling, with no engine around it. Timing covers tokenizing,
 * the runs and pooling, as Lumina's own row does.
 */
export async function runBareBatches(
  session: BareSession,
  tokenizer: PreTrainedTokenizer,
  int64: MakeInt64Tensor,
  texts: readonly string[],
  batches: readonly number[][],
  maxTokens: number,
): Promise<BenchRun> {
  const probe = 'hello world';
  const layout = specialTokenLayout(
    tokenizer(probe, { add_special_tokens: true, return_tensor: false }).input_ids,
    tokenizer(probe, { add_special_tokens: false, return_tensor: false }).input_ids,
  );
  const padId = typeof tokenizer.pad_token_id === 'number' ? tokenizer.pad_token_id : 0;
  const toInt64 = (values: Int32Array, dims: number[]): BareTensor =>
    int64(
      BigInt64Array.from(values, (v) => BigInt(v)),
      dims,
    );

  const embedBatch = async (batch: readonly string[]): Promise<Float32Array> => {
    const encoded = tokenizer([...batch], { add_special_tokens: true, return_tensor: false });
    const tokens = buildTokenBatch(
      { inputIds: encoded.input_ids, tokenTypeIds: encoded.token_type_ids },
      maxTokens,
      layout,
      padId,
    );
    const dims = [tokens.batch, tokens.seq];
    const feeds: Record<string, BareTensor> = {
      input_ids: toInt64(tokens.inputIds, dims),
      attention_mask: toInt64(tokens.attentionMask, dims),
    };
    if (session.inputNames.includes('token_type_ids')) {
      feeds['token_type_ids'] = toInt64(
        tokens.tokenTypeIds ?? new Int32Array(tokens.inputIds.length),
        dims,
      );
    }
    const outputs = await session.run(feeds);
    const state = outputs['last_hidden_state'] ?? Object.values(outputs)[0];
    if (!state) throw new Error('The model returned no output');
    const hidden = state.dims[2] ?? 0;
    const pooled = poolTokens(
      {
        batch: tokens.batch,
        seq: tokens.seq,
        hidden,
        data: state.data as Float32Array,
        attentionMask: tokens.attentionMask,
      },
      'mean',
    );
    for (const value of Object.values(outputs)) value.dispose();
    return normalizeRows(pooled, hidden);
  };

  await embedBatch(texts.slice(0, 32));
  let dims = 0;
  const rows = new Array<Float32Array>(texts.length);
  const started = performance.now();
  for (const batch of batches) {
    const vectors = await embedBatch(batch.map((i) => texts[i] ?? ''));
    dims = vectors.length / batch.length;
    batch.forEach((row, k) => {
      rows[row] = vectors.subarray(k * dims, (k + 1) * dims);
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const out = new Float32Array(texts.length * dims);
  rows.forEach((row, i) => out.set(row, i * dims));
  const lengths = texts.map(
    (text) => tokenizer(text, { add_special_tokens: true, return_tensor: false }).input_ids.length,
  );
  return benchRun(batches, lengths, seconds, dims, out);
}
