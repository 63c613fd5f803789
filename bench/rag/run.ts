/**
 * `npm run bench:rag`: the RAG figures of issue 8 in Node —
 *  a. citation recall@k of extractive answers on the 300 SciFact test claims over the full corpus,
 *     for BM25, dense and hybrid retrieval, with retrieval recall@k beside it;
 *  b. time to first token and tokens/s of the generation path on seeded decoders (GPT-2 small
 *     shape and a tiny baseline), over a real assembled RAG prompt;
 *  c. perplexity of Lumina's own TF.js decoder on WikiText-2 test after training on valid.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadLocalModel } from '../../src/cli/eval-model.ts';
import { BundleRagSource, type RagMode } from '../../src/core/rag/index.ts';
import { loadTokenizer } from '../../src/core/tokenizer/index.ts';
import { formatTable } from '../shared.ts';
import { buildDenseModel } from './dense-model.ts';
import {
  benchTokenizer,
  GPT2_SMALL,
  measureGeneratorSpeed,
  median,
  TINY_DECODER,
  type SpeedRow,
} from './generator-speed.ts';
import { measurePerplexity } from './perplexity.ts';
import { citationRecall, embedChunks, loadSciFactCorpus, type RecallRow } from './scifact.ts';
import { readFile } from 'node:fs/promises';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Options {
  quick: boolean;
  datasets: string;
  model: string | null;
  claims: number | null;
  ks: number[];
  modes: RagMode[];
  pretrainMinutes: number;
  scifactEpochs: number;
  generator: ('small' | 'tiny')[];
  runs: number;
  contextTokens: number;
  newTokens: number;
  perplexity: boolean;
  perplexityMinutes: number;
  out: string | null;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      datasets: { type: 'string' },
      model: { type: 'string' },
      claims: { type: 'string' },
      k: { type: 'string', default: '1,3,5,10' },
      modes: { type: 'string', default: 'bm25,dense,hybrid' },
      'pretrain-minutes': { type: 'string' },
      'scifact-epochs': { type: 'string' },
      generator: { type: 'string' },
      runs: { type: 'string' },
      'context-tokens': { type: 'string', default: '440' },
      'new-tokens': { type: 'string', default: '64' },
      'no-perplexity': { type: 'boolean', default: false },
      'perplexity-minutes': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const number = (name: string, value: string | undefined, fallback: number): number => {
    const parsed = value === undefined ? fallback : Number(value);
    if (!(parsed > 0)) throw new Error(`--${name} must be a number > 0, got ${value}`);
    return parsed;
  };
  const modes = (values.modes ?? '').split(',').map((m) => m.trim()) as RagMode[];
  for (const mode of modes) {
    if (!['bm25', 'dense', 'hybrid'].includes(mode)) throw new Error(`unknown mode ${mode}`);
  }
  const generator = (values.generator ?? (quick ? 'tiny' : 'tiny,small'))
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g.length > 0) as ('small' | 'tiny')[];
  for (const g of generator) {
    if (g !== 'small' && g !== 'tiny') throw new Error(`--generator takes small,tiny; got ${g}`);
  }
  return {
    quick,
    datasets: values.datasets ?? path.join(repoRoot, '..', 'shared', 'datasets'),
    model: values.model ?? null,
    claims: values.claims !== undefined ? number('claims', values.claims, 300) : quick ? 40 : null,
    ks: (values.k ?? '').split(',').map((k) => {
      const n = Number(k);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--k takes whole numbers ≥ 1, got ${k}`);
      return n;
    }),
    modes,
    pretrainMinutes: number('pretrain-minutes', values['pretrain-minutes'], quick ? 0.5 : 8),
    scifactEpochs: number('scifact-epochs', values['scifact-epochs'], quick ? 1 : 2),
    generator,
    runs: number('runs', values.runs, quick ? 1 : 3),
    contextTokens: number('context-tokens', values['context-tokens'], 440),
    newTokens: number('new-tokens', values['new-tokens'], 64),
    perplexity: values['no-perplexity'] !== true,
    perplexityMinutes: number('perplexity-minutes', values['perplexity-minutes'], quick ? 0.5 : 8),
    out: values.out ?? null,
  };
}

const started = performance.now();
function log(line: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
  console.error(`[${seconds} s] ${line}`);
}

const percent = (part: number, whole: number): string =>
  whole === 0 ? '—' : `${((100 * part) / whole).toFixed(1)} % (${part}/${whole})`;

function recallTable(rows: readonly RecallRow[], denseLabel: string): string {
  return formatTable(
    ['retriever', 'k', 'citation recall@k', 'retrieval recall@k', 'abstained', 'ms / answer'],
    rows.map((row) => [
      row.mode === 'bm25' ? 'BM25' : `${row.mode} (${denseLabel})`,
      String(row.k),
      percent(row.cited, row.claims),
      percent(row.retrieved, row.claims),
      String(row.abstained),
      row.meanMs.toFixed(1),
    ]),
  );
}

function speedTable(rows: readonly SpeedRow[]): string {
  const baseline = rows.find((row) => row.shape === TINY_DECODER);
  const baseRate = baseline ? median(baseline.tokensPerSecond) : Number.NaN;
  return formatTable(
    [
      'decoder (seeded weights: text meaningless)',
      'params',
      'device',
      'prompt tokens',
      'new tokens',
      'first token ms',
      'tokens/s',
      'tokens/s vs tiny',
    ],
    rows.map((row) => {
      const s = row.shape;
      const rate = median(row.tokensPerSecond);
      return [
        `${s.label}: ${s.nLayer} layers, ${s.nEmbd} hidden, ${s.nHead} heads, vocab ${s.vocabSize}`,
        `${(row.parameters / 1e6).toFixed(1)} M`,
        row.device,
        row.promptTokens.join(', '),
        row.newTokens.join(', '),
        `${median(row.firstTokenMs).toFixed(0)} (${row.firstTokenMs.map((v) => v.toFixed(0)).join(', ')})`,
        `${rate.toFixed(1)} (${row.tokensPerSecond.map((v) => v.toFixed(1)).join(', ')})`,
        `${(rate / baseRate).toFixed(3)}×`,
      ];
    }),
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const out = options.out ?? (await mkdtemp(path.join(os.tmpdir(), 'lumina-bench-rag-')));
  const date = new Date().toISOString().slice(0, 10);
  console.log(
    `bench:rag ${date} · ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), ` +
      `load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} · Node ${process.version}` +
      `${options.quick ? ' · --quick' : ''}`,
  );

  // a. Citation recall@k.
  const minilm = path.join(options.datasets, '..', 'models', 'all-MiniLM-L6-v2');
  const chunkCounter = loadTokenizer(
    JSON.parse(await readFile(path.join(minilm, 'tokenizer.json'), 'utf8')),
    JSON.parse(await readFile(path.join(minilm, 'tokenizer_config.json'), 'utf8')),
    'all-MiniLM-L6-v2',
  );
  const corpus = await loadSciFactCorpus(options.datasets, chunkCounter, options.claims);
  log(
    `SciFact: ${corpus.documents} documents → ${corpus.chunks.length} chunks; ${corpus.claims.length} test claims`,
  );

  const wantsDense = options.modes.some((m) => m !== 'bm25');
  let denseLabel = '—';
  let denseRecipe = 'not run';
  let dense = null;
  if (wantsDense) {
    let dir = options.model;
    if (dir === null) {
      const built = await buildDenseModel({
        datasets: options.datasets,
        out,
        pretrainMinutes: options.pretrainMinutes,
        scifactEpochs: options.scifactEpochs,
        quick: options.quick,
        backend: 'wasm',
        seed: 1,
        log,
      });
      dir = built.dir;
      denseRecipe = `${built.recipe}; built in ${(built.seconds / 60).toFixed(1)} min`;
      denseLabel = 'Lumina-built, MNRL on SciFact train';
    } else {
      denseRecipe = `the HF folder given with --model ${dir}`;
      denseLabel = path.basename(path.resolve(dir));
    }
    const model = await loadLocalModel(dir);
    const t0 = performance.now();
    const embeddings = await embedChunks(model, corpus.chunks, log);
    log(`chunks embedded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    dense = { model, embeddings };
  }
  const recall = await citationRecall(corpus, options.modes, options.ks, chunkCounter, dense, log);
  await dense?.model.dispose();

  // b. Generator speed.
  const source = new BundleRagSource(
    { chunks: corpus.chunks, embeddings: null, dims: null },
    { name: 'SciFact' },
  );
  const questions = corpus.claims.slice(0, options.runs).map((c) => c.text);
  const tokenizerTexts = corpus.chunks.filter((_, i) => i % 4 === 0).map((c) => c.text);
  const tokenizer = await benchTokenizer(tokenizerTexts, 8000);
  const speed: SpeedRow[] = [];
  for (const name of options.generator) {
    const shape = name === 'small' ? GPT2_SMALL : TINY_DECODER;
    speed.push(
      await measureGeneratorSpeed(shape, tokenizer, source, questions, {
        contextTokens: options.contextTokens,
        newTokens: options.newTokens,
        log,
      }),
    );
  }

  // c. Perplexity of Lumina's decoder.
  const perplexity = options.perplexity
    ? await measurePerplexity({
        datasets: options.datasets,
        minutes: options.perplexityMinutes,
        quick: options.quick,
        log,
      })
    : { value: 'not measured: --no-perplexity', recipe: '' };

  const ks = options.ks.join(', ');
  console.log('');
  console.log(
    `### a. Citation recall@k, extractive answers (k = ${ks}; the Ask default top-k is 5)`,
  );
  console.log('');
  console.log(recallTable(recall, denseLabel));
  console.log('');
  console.log(
    `Recipe: ${corpus.claims.length} SciFact test claims (qrels/test.tsv, scoring only) over the full ` +
      `corpus (${corpus.documents} documents, title + abstract, sentence chunks of ≤ ${corpus.chunking.chunkTokens} ` +
      `MiniLM tokens with ${corpus.chunking.overlapTokens} overlap → ${corpus.chunks.length} chunks). ` +
      '`askExtractive` per claim and k (budget 1024 tokens, default abstention thresholds, no MMR, ' +
      'no neighbours); citation recall = share of claims whose CITED sources include a relevant ' +
      'document (an abstention cites nothing); retrieval recall = share whose k retrieved passages do. ' +
      'Hybrid = RRF of BM25 and dense. Dense rows: ' +
      denseRecipe +
      '.',
  );
  console.log('');
  console.log(`### b. Generator speed (time to first token, tokens/s)`);
  console.log('');
  console.log(speedTable(speed));
  console.log('');
  console.log(
    `Recipe: seeded GPT-2 weights written by Lumina's decoder writer (buildSeededDecoderFolder) into a ` +
      'temp folder, loaded from disk by transformers.js (fp32 onnx/model.onnx with KV cache) and run ' +
      'through askGenerative: BM25 top 10 SciFact passages assembled within ' +
      `${options.contextTokens} tokens into the chat-template prompt (prompt tokens above; byte-level BPE ` +
      `of 8,000 trained on SciFact chunks), ${options.newTokens} new tokens sampled at temperature 1, ` +
      `${options.runs} measured run(s) after one warm-up (median, then each run). First token = prompt ` +
      'prefill + one step; tokens/s = tokens after the first / decoding time. Seeded weights: the text ' +
      'is meaningless; the figure is speed only.',
  );
  console.log('');
  console.log(`### c. Lumina decoder perplexity, WikiText-2 test`);
  console.log('');
  console.log(
    formatTable(
      ['model', 'WikiText-2 test perplexity'],
      [["Lumina's TF.js decoder trained on WikiText-2 valid", perplexity.value]],
    ),
  );
  if (perplexity.recipe) {
    console.log('');
    console.log(`Recipe: ${perplexity.recipe}`);
  }
  log(`done in ${((performance.now() - started) / 60000).toFixed(1)} min`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
