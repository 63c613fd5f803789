import * as Comlink from 'comlink';
import ortWasmMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { embedDataset, runnerFromModel } from '../../src/core/embed/job/index.ts';
import { configureRuntime, EmbeddingModel } from '../../src/core/embed/runtime/index.ts';
import { SeededRandom } from '../../src/core/model/seeded-random.ts';
import { chunkDataset } from '../../src/core/pipeline/chunk-dataset.ts';
import { openStore } from '../../src/core/store/index.ts';
import { whitespaceCounter } from '../../src/core/tokenizer/index.ts';
import type {
  MemoryEmbedRequest,
  MemoryEmbedResult,
  MemorySeedRequest,
  MemorySeedResult,
} from './protocol.ts';

/** Documents written per transaction while seeding, so the seeding page never holds the corpus. */
const SEED_BATCH = 500;
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'qu', 'ba', 'do'];

/** A seeded pseudo-word document of about `chars` characters. */
function pseudoDocument(random: SeededRandom, chars: number): string {
  const words: string[] = [];
  let length = 0;
  while (length < chars) {
    const syllables = 1 + Math.floor(random.nextFloat() * 4);
    let word = '';
    for (let s = 0; s < syllables; s++) {
      word += SYLLABLES[Math.floor(random.nextFloat() * SYLLABLES.length)] ?? 'a';
    }
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ');
}

/**
 * The memory half of bench:embed, run in two browser sessions over one profile: `seed` writes a
 * corpus into IndexedDB and chunks it; `embed` (a fresh browser, so its peak RSS is the job's
 * alone) runs the resumable job exactly as the app's embed worker does.
 */
const api = {
  async seed(request: MemorySeedRequest): Promise<MemorySeedResult> {
    const store = await openStore();
    const dataset = await store.createDataset(`memory bench ${request.documents}`);
    const random = new SeededRandom(request.seed, 'memory-bench');
    let textChars = 0;
    for (let start = 0; start < request.documents; start += SEED_BATCH) {
      const docs = [];
      for (let i = start; i < Math.min(request.documents, start + SEED_BATCH); i++) {
        const text = pseudoDocument(random, request.documentChars);
        textChars += text.length;
        docs.push({ id: `d${i}`, source: `doc-${i}.txt`, text, metadata: {} });
      }
      await store.addDocuments(dataset.id, 'memory-bench', docs);
    }
    const chunked = await chunkDataset(
      store,
      dataset.id,
      { mode: 'recursive', chunkTokens: request.chunkWords, overlapTokens: 0 },
      whitespaceCounter,
    );
    store.close();
    return {
      datasetId: dataset.id,
      documents: request.documents,
      textChars,
      chunks: chunked.chunks,
    };
  },

  async embed(request: MemoryEmbedRequest): Promise<MemoryEmbedResult> {
    configureRuntime({
      wasmPaths: { wasm: ortWasm, mjs: ortWasmMjs },
      numThreads: request.threads,
    });
    const model = await EmbeddingModel.load(
      { kind: 'url', baseUrl: `/models/${request.modelName}/`, name: request.modelName },
      { dtype: 'fp32', device: 'wasm', maxTokens: request.maxTokens },
    );
    const store = await openStore();
    try {
      const started = performance.now();
      const result = await embedDataset(store, request.datasetId, runnerFromModel(model), {
        tokenBudget: request.tokenBudget,
        maxTokens: request.maxTokens,
      });
      return {
        chunks: result.chunks,
        tokens: result.tokens,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      store.close();
      await model.dispose();
    }
  },
};

export type MemoryWorkerApi = typeof api;
Comlink.expose(api);
