import { AutoTokenizer, env } from '@huggingface/transformers';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { runBareBatches } from './bare-ort.ts';
import type { BenchRun } from './protocol.ts';

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
  const { modelDir } = request;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = path.dirname(modelDir) + path.sep;
  const tokenizer = await AutoTokenizer.from_pretrained(path.basename(modelDir));
  const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx/model.onnx'), {
    executionProviders: ['cpu'],
    intraOpNumThreads: request.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const run = await runBareBatches(
    session,
    tokenizer,
    (values, dims) => new ort.Tensor('int64', values, dims),
    request.texts,
    request.batches,
    request.maxTokens,
  );
  await session.release();
  const result: NativeBenchResult = {
    ...run,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  await writeFile(resultFile, JSON.stringify(result));
}

const [requestFile, resultFile] = process.argv.slice(2);
if (!requestFile || !resultFile) {
  console.error('usage: native.ts <request.json> <result.json>');
  process.exit(2);
}
await main(requestFile, resultFile);
