import { AutoTokenizer, env } from '@huggingface/transformers';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  buildTokenBatch,
  normalizeRows,
  poolTokens,
  specialTokenLayout,
} from '../../src/core/embed/runtime/index.ts';
import { float32ToBase64, paddedTokensOf, sumOf, type BenchRun } from './protocol.ts';

export interface NativeBenchRequest {
  modelDir: string;
  texts: string[];
  /** Lumina's plan from the browser run, so native computes on the very same shapes. */
  batches: number[][];
  threads: number;
  maxTokens: number;
}

export interface NativeBenchResult extends BenchRun {
  /** process.resourceUsage().maxRSS of this process, in bytes. */
  peakRssBytes: number;
}

/**
 * onnxruntime-node on the same ONNX file and batches as Lumina in the browser: token ids come
 * from the same tokenizer and the same truncate/pad code (buildTokenBatch); pooling is Lumina's.
 * Runs in its own process so its peak RSS is its own.
 */
async function main(requestFile: string, resultFile: string): Promise<void> {
  const request = JSON.parse(await readFile(requestFile, 'utf8')) as NativeBenchRequest;
  const { texts, modelDir } = request;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = path.dirname(modelDir) + path.sep;
  const tokenizer = await AutoTokenizer.from_pretrained(path.basename(modelDir));
  const probe = 'hello world';
  const layout = specialTokenLayout(
    tokenizer(probe, { add_special_tokens: true, return_tensor: false }).input_ids,
    tokenizer(probe, { add_special_tokens: false, return_tensor: false }).input_ids,
  );
  const padId = typeof tokenizer.pad_token_id === 'number' ? tokenizer.pad_token_id : 0;
  const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx/model.onnx'), {
    executionProviders: ['cpu'],
    intraOpNumThreads: request.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });

  const embedBatch = async (batch: readonly string[]): Promise<Float32Array> => {
    const encoded = tokenizer([...batch], { add_special_tokens: true, return_tensor: false });
    const tokens = buildTokenBatch(
      { inputIds: encoded.input_ids, tokenTypeIds: encoded.token_type_ids },
      request.maxTokens,
      layout,
      padId,
    );
    const dims = [tokens.batch, tokens.seq];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(tokens.inputIds, dims),
      attention_mask: int64(tokens.attentionMask, dims),
    };
    if (session.inputNames.includes('token_type_ids')) {
      feeds['token_type_ids'] = int64(
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
  const rows: Float32Array[] = new Array<Float32Array>(texts.length);
  const started = performance.now();
  for (const batch of request.batches) {
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
  const result: NativeBenchResult = {
    batches: request.batches,
    realTokens: sumOf(lengths),
    paddedTokens: paddedTokensOf(request.batches, lengths),
    seconds,
    dims,
    embeddings: float32ToBase64(out),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  await session.release();
  await writeFile(resultFile, JSON.stringify(result));
}

function int64(values: Int32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

const [requestFile, resultFile] = process.argv.slice(2);
if (!requestFile || !resultFile) {
  console.error('usage: native.ts <request.json> <result.json>');
  process.exit(2);
}
await main(requestFile, resultFile);
