/**
 * `npm run bench:quality`: the fine-tuning quality figures of issue 7 in Node with TF.js —
 * a base model built entirely by Lumina (tokenizer + MLM pretraining), scored on STS-B test
 * before and after CosineSimilarityLoss fine-tuning (early stopping on STS-B dev), and on SciFact
 * test nDCG@10 before and after MNRL fine-tuning on the train qrels; all-MiniLM-L6-v2 rows when
 * its verified weights are present. One table row per figure with its recipe.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Metrics, RetrievalSet } from '../../src/core/finetune/index.ts';
import type { TokenizerType } from '../../src/core/tokenizer/train/index.ts';
import { describeCorpus, loadPretrainCorpus, loadSciFact, loadSts } from './data.ts';
import {
  describeShape,
  evaluateIr,
  evaluateSts,
  exportModel,
  fineTuneSciFact,
  fineTuneSts,
  loadHfBase,
  pretrainBase,
  verifiedWeights,
  type FineTuned,
  type NodeBackend,
  type SentenceEncoderModel,
} from './recipes.ts';
import { minutes, qualityTable, signed, stsTargetNote, type QualityRow } from './report.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const shared = path.join(repoRoot, '..', 'shared');
const MINILM_SCIFACT_REFERENCE = 0.64508;
const MINILM_STS_REFERENCE = 0.82032;

interface Options {
  quick: boolean;
  pretrainMinutes: number;
  pretrainSteps: number | null;
  tokenizer: TokenizerType;
  vocab: number;
  dModel: number;
  layers: number;
  heads: number;
  dFf: number;
  seqLen: number;
  pretrainBatch: number;
  pretrainLr: number;
  stsEpochs: number;
  stsBatch: number;
  stsLr: number;
  stsMaxLength: number;
  stsPatience: number;
  stsEvalEvery: number;
  scifactEpochs: number;
  scifactBatch: number;
  scifactLr: number;
  scifactMaxLength: number;
  minilmDir: string;
  backend: NodeBackend;
  seed: number;
  out: string | null;
  datasets: string;
}

/** Defaults of the full run and, where `--quick` differs, of the ~3-minute smoke run. */
const DEFAULTS = {
  'pretrain-minutes': ['10', '1'],
  tokenizer: ['wordpiece', 'wordpiece'],
  vocab: ['8000', '3000'],
  'd-model': ['128', '64'],
  layers: ['2', '2'],
  heads: ['2', '2'],
  'd-ff': ['512', '256'],
  'seq-len': ['128', '64'],
  'pretrain-batch': ['16', '16'],
  'pretrain-lr': ['0.001', '0.001'],
  'sts-epochs': ['2', '1'],
  'sts-batch': ['16', '16'],
  'sts-lr': ['0.001', '0.001'],
  'sts-max-length': ['64', '64'],
  'sts-patience': ['3', '2'],
  'sts-eval-every': ['120', '40'],
  'scifact-epochs': ['2', '1'],
  'scifact-batch': ['32', '16'],
  'scifact-lr': ['0.001', '0.001'],
  'scifact-max-length': ['128', '64'],
  backend: ['wasm', 'wasm'],
  seed: ['1', '1'],
} as const satisfies Record<string, readonly [string, string]>;
type DefaultName = keyof typeof DEFAULTS;

/** --quick: STS train/dev pairs, SciFact train pairs and extra corpus documents kept. */
const QUICK_LIMITS = { stsTrain: 800, stsDev: 300, scifactTrain: 160, corpusDocs: 600 };

function parseOptions(argv: string[]): Options {
  const stringOptions = Object.fromEntries(
    Object.keys(DEFAULTS).map((name) => [name, { type: 'string' as const }]),
  );
  const { values } = parseArgs({
    args: argv,
    options: {
      ...stringOptions,
      quick: { type: 'boolean', default: false },
      'pretrain-steps': { type: 'string' },
      'minilm-dir': { type: 'string' },
      out: { type: 'string' },
      datasets: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const raw = (name: DefaultName): string => {
    const given = (values as Record<string, string | boolean | undefined>)[name];
    return typeof given === 'string' ? given : DEFAULTS[name][quick ? 1 : 0];
  };
  const int = (name: DefaultName): number => {
    const value = Number(raw(name));
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be an integer ≥ 0`);
    return value;
  };
  const positive = (name: DefaultName): number => {
    const value = Number(raw(name));
    if (!(value > 0)) throw new Error(`--${name} must be a number > 0`);
    return value;
  };
  const tokenizer = raw('tokenizer');
  if (tokenizer !== 'wordpiece' && tokenizer !== 'bpe')
    throw new Error('--tokenizer must be wordpiece or bpe');
  const backend = raw('backend');
  if (backend !== 'wasm' && backend !== 'cpu')
    throw new Error('--backend must be wasm or cpu (Node has no webgpu)');
  const steps = values['pretrain-steps'];
  const pretrainSteps = steps === undefined ? null : Number(steps);
  if (pretrainSteps !== null && !(Number.isInteger(pretrainSteps) && pretrainSteps > 0))
    throw new Error('--pretrain-steps must be a positive integer');
  return {
    quick,
    pretrainMinutes: positive('pretrain-minutes'),
    pretrainSteps,
    tokenizer,
    vocab: int('vocab'),
    dModel: int('d-model'),
    layers: int('layers'),
    heads: int('heads'),
    dFf: int('d-ff'),
    seqLen: int('seq-len'),
    pretrainBatch: int('pretrain-batch'),
    pretrainLr: positive('pretrain-lr'),
    stsEpochs: int('sts-epochs'),
    stsBatch: int('sts-batch'),
    stsLr: positive('sts-lr'),
    stsMaxLength: int('sts-max-length'),
    stsPatience: int('sts-patience'),
    stsEvalEvery: int('sts-eval-every'),
    scifactEpochs: int('scifact-epochs'),
    scifactBatch: int('scifact-batch'),
    scifactLr: positive('scifact-lr'),
    scifactMaxLength: int('scifact-max-length'),
    minilmDir: values['minilm-dir'] ?? path.join(shared, 'models', 'all-MiniLM-L6-v2'),
    backend,
    seed: int('seed'),
    out: values.out ?? null,
    datasets: values.datasets ?? path.join(shared, 'datasets'),
  };
}

function log(message: string): void {
  console.error(`[bench:quality] ${message}`);
}

const fixed = (value: number | undefined, digits = 4): string =>
  value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);

/** --quick: the judged test documents plus the first documents of the corpus. */
function quickRetrievalSet(set: RetrievalSet, extra: number): RetrievalSet {
  const judged = new Set([...set.qrels.values()].flatMap((docs) => [...docs.keys()]));
  const corpus = set.corpus.filter((doc, i) => judged.has(doc.id) || i < extra);
  return { ...set, corpus };
}

interface StsFigures {
  before: Metrics;
  after: Metrics;
  tuned: FineTuned;
}

interface SciFactFigures {
  before: Metrics;
  after: Metrics;
  tuned: FineTuned;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const out = options.out ?? (await mkdtemp(path.join(os.tmpdir(), 'lumina-bench-quality-')));
  console.log(
    `bench:quality${options.quick ? ' --quick (smoke configuration: subsets, not the figures)' : ''} on ` +
      `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.version}, load average ` +
      `${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  console.log(
    'options: ' +
      Object.entries(options)
        .map(([key, value]) => `${key}=${value === null ? '—' : String(value)}`)
        .join(', '),
  );
  console.log(`fine-tuned models are written to ${out}`);

  const corpus = await loadPretrainCorpus(options.datasets);
  const sts = await loadSts(options.datasets);
  const scifact = await loadSciFact(options.datasets);
  if (options.quick) {
    sts.train = sts.train.slice(0, QUICK_LIMITS.stsTrain);
    sts.dev = sts.dev.slice(0, QUICK_LIMITS.stsDev);
    scifact.train = scifact.train.slice(0, QUICK_LIMITS.scifactTrain);
    scifact.test = quickRetrievalSet(scifact.test, QUICK_LIMITS.corpusDocs);
  }
  const pretrainTexts = options.quick ? corpus.texts.filter((_, i) => i % 4 === 0) : corpus.texts;
  log(`pretraining corpus: ${describeCorpus(corpus)}${options.quick ? ' (every 4th text)' : ''}`);

  // 1. The base model, built entirely by Lumina.
  const pretrained = await pretrainBase({
    texts: pretrainTexts,
    tokenizer: { type: options.tokenizer, vocabSize: options.vocab },
    shape: {
      dModel: options.dModel,
      layers: options.layers,
      heads: options.heads,
      dFf: options.dFf,
      seqLen: options.seqLen,
    },
    batchSize: options.pretrainBatch,
    learningRate: options.pretrainLr,
    ...(options.pretrainSteps === null
      ? { minutes: options.pretrainMinutes }
      : { steps: options.pretrainSteps }),
    seed: options.seed,
    backend: options.backend,
    name: 'lumina-base',
    log: (message) => log(message),
  });
  const base = pretrained.model;
  const p = pretrained.report;
  const backendLabel = `Node ${p.backend.name} (${p.backend.detail})`;
  const shape = describeShape(base);
  const pretrainRecipe =
    `pretrain: ${describeCorpus(corpus)}${options.quick ? ', every 4th text' : ''}; ` +
    `${options.tokenizer} ${options.vocab}; MLM 15 %, batch ${options.pretrainBatch} × ${options.seqLen}, ` +
    `AdamW lr ${options.pretrainLr}, ${(p.tokens / 1e6).toFixed(2)} M tokens (${(p.tokens / p.corpusTokens).toFixed(2)} epochs), ` +
    `last loss ${fixed(p.lastLoss ?? undefined, 3)}, ${p.status}` +
    (p.status === 'stopped' ? ' at the hard stop (1.25 × budget)' : '');
  log(`pretrained ${p.steps} steps in ${minutes(p.seconds)} min (${p.status}); ${shape}`);

  // 2. STS-B: base, then CosineSimilarityLoss with early stopping on dev.
  const stsFigures = await runSts(base, options, sts);
  // 3. SciFact: base, then MNRL on the train qrels.
  const scifactFigures = await runSciFact(base, options, scifact);

  await exportModel(stsFigures.tuned.model, path.join(out, 'lumina-sts'));
  await exportModel(scifactFigures.tuned.model, path.join(out, 'lumina-scifact'));
  log(`exported ${path.join(out, 'lumina-sts')} and ${path.join(out, 'lumina-scifact')}`);

  const stsData = `${pretrainRecipe}; eval sts-test.csv (${sts.test.length} pairs), max length ${options.stsMaxLength}`;
  const st = stsFigures.tuned;
  const stsSteps = `pretrain ${p.steps}`;
  const stsTune =
    `; + CosineSimilarityLoss on sts-train.csv (${sts.train.length} pairs), batch ${options.stsBatch}, ` +
    `lr ${options.stsLr}, ≤ ${options.stsEpochs} epochs, dev eval every ${options.stsEvalEvery} steps + epoch ends, ` +
    `patience ${options.stsPatience}, best dev step restored (sts-dev.csv ${sts.dev.length} pairs: ` +
    `${fixed(st.result.before?.['spearman'])} → ${fixed(st.result.after?.['spearman'])}), ${st.result.status}`;
  const sf = scifactFigures.tuned;
  const irData =
    `${pretrainRecipe}; eval SciFact test (${scifact.test.qrels.size} queries, ${scifact.test.corpus.length} docs` +
    `${options.quick ? ', quick subset' : ''}), title + text, max length ${options.scifactMaxLength}`;
  const irTune =
    `; + MNRL (scale 20, in-batch negatives) on qrels/train (${scifact.trainQueries} queries, ` +
    `${scifact.train.length} pairs), batch ${options.scifactBatch}, lr ${options.scifactLr}, ${options.scifactEpochs} epochs, no model selection`;
  const stsBefore = stsFigures.before['spearman'] ?? NaN;
  const stsAfter = stsFigures.after['spearman'] ?? NaN;
  const irBefore = scifactFigures.before['ndcg@10'] ?? NaN;
  const irAfter = scifactFigures.after['ndcg@10'] ?? NaN;
  const rows: QualityRow[] = [
    {
      figure: 'STS-B test Spearman: Lumina base, before fine-tuning',
      value: fixed(stsBefore),
      reference: stsTargetNote(stsBefore),
      data: stsData,
      steps: stsSteps,
      minutes: minutes(p.seconds),
      backend: backendLabel,
      model: shape,
    },
    {
      figure: 'STS-B test Spearman: Lumina base + CosineSimilarityLoss',
      value: fixed(stsAfter),
      reference: `${stsTargetNote(stsAfter)}; ${signed(stsAfter - stsBefore)} vs before`,
      data: stsData + stsTune,
      steps: `${stsSteps} + ${st.result.step} (best ${st.result.bestStep ?? '—'})`,
      minutes: `${minutes(p.seconds)} + ${minutes(st.seconds)}`,
      backend: backendLabel,
      model: shape,
    },
    {
      figure: 'SciFact test nDCG@10: Lumina base, before fine-tuning',
      value: fixed(irBefore),
      reference: 'MiniLM-L6-v2 (MTEB) 0.64508',
      data: irData,
      steps: `pretrain ${p.steps}`,
      minutes: minutes(p.seconds),
      backend: backendLabel,
      model: shape,
    },
    {
      figure: 'SciFact test nDCG@10: Lumina base + MNRL',
      value: fixed(irAfter),
      reference: `gain ${signed(irAfter - irBefore)} (${irBefore > 0 ? `${((irAfter / irBefore - 1) * 100).toFixed(0)} %` : '—'}) vs before`,
      data: irData + irTune,
      steps: `pretrain ${p.steps} + ${sf.result.step}`,
      minutes: `${minutes(p.seconds)} + ${minutes(sf.seconds)}`,
      backend: backendLabel,
      model: shape,
    },
    ...(await miniLmRows(options, sts, scifact, backendLabel)),
  ];
  console.log(
    `\nFine-tuning quality (issue 7 item 9), ${new Date().toISOString().slice(0, 10)}, whole run ${minutes((performance.now() - started) / 1000)} min`,
  );
  console.log(qualityTable(rows));
  console.log(
    `STS-B dev Spearman during fine-tuning: ${fixed(st.result.before?.['spearman'])} (base) → ` +
      `${fixed(st.result.after?.['spearman'])} (best, step ${st.result.bestStep ?? '—'}); ` +
      `SciFact test MRR@10 ${fixed(scifactFigures.before['mrr@10'])} → ${fixed(scifactFigures.after['mrr@10'])}, ` +
      `Recall@100 ${fixed(scifactFigures.before['recall@100'])} → ${fixed(scifactFigures.after['recall@100'])}.`,
  );
  console.log(`models: ${path.join(out, 'lumina-sts')}, ${path.join(out, 'lumina-scifact')}`);
}

async function runSts(
  model: SentenceEncoderModel,
  options: Options,
  sts: Awaited<ReturnType<typeof loadSts>>,
  fineTune = {
    epochs: options.stsEpochs,
    batchSize: options.stsBatch,
    learningRate: options.stsLr,
  },
): Promise<StsFigures> {
  const maxLength = options.stsMaxLength;
  const before = await evaluateSts(model, sts.test, { maxLength, backend: options.backend });
  log(`${model.name}: STS-B test Spearman ${fixed(before['spearman'])} before fine-tuning`);
  const tuned = await fineTuneSts(model, {
    train: sts.train,
    dev: sts.dev,
    ...fineTune,
    maxLength,
    patience: options.stsPatience,
    evalEverySteps: options.stsEvalEvery,
    seed: options.seed,
    backend: options.backend,
    log: (message) => log(`${model.name} ${message}`),
  });
  const after = await evaluateSts(tuned.model, sts.test, { maxLength, backend: options.backend });
  log(`${model.name}: STS-B test Spearman ${fixed(after['spearman'])} after fine-tuning`);
  return { before, after, tuned };
}

async function runSciFact(
  model: SentenceEncoderModel,
  options: Options,
  scifact: Awaited<ReturnType<typeof loadSciFact>>,
  fineTune = {
    epochs: options.scifactEpochs,
    batchSize: options.scifactBatch,
    learningRate: options.scifactLr,
  },
  maxLength = options.scifactMaxLength,
): Promise<SciFactFigures> {
  const t0 = performance.now();
  const before = await evaluateIr(model, scifact.test, { maxLength, backend: options.backend });
  log(
    `${model.name}: SciFact test nDCG@10 ${fixed(before['ndcg@10'])} before fine-tuning ` +
      `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
  const tuned = await fineTuneSciFact(model, {
    train: scifact.train,
    ...fineTune,
    maxLength,
    seed: options.seed,
    backend: options.backend,
    log: (message) => log(`${model.name} ${message}`),
  });
  const after = await evaluateIr(tuned.model, scifact.test, {
    maxLength,
    backend: options.backend,
  });
  log(`${model.name}: SciFact test nDCG@10 ${fixed(after['ndcg@10'])} after fine-tuning`);
  return { before, after, tuned };
}

/** all-MiniLM-L6-v2 rows when its verified weights are present; one "absent" row otherwise. */
async function miniLmRows(
  options: Options,
  stsData: Awaited<ReturnType<typeof loadSts>>,
  scifact: Awaited<ReturnType<typeof loadSciFact>>,
  backendLabel: string,
): Promise<QualityRow[]> {
  const check = await verifiedWeights(options.minilmDir);
  if (!check.file) {
    log(`all-MiniLM-L6-v2: not measured (${check.reason})`);
    return [
      {
        figure: 'all-MiniLM-L6-v2: SciFact nDCG@10 and STS-B Spearman, before/after fine-tuning',
        value: 'not measured',
        reference: `MTEB 0.64508 / 0.82032; weights absent: ${check.reason}`,
        data: '—',
        steps: '—',
        minutes: '—',
        backend: '—',
        model: 'BERT d384 L6 H12 ff1536 (all-MiniLM-L6-v2)',
      },
    ];
  }
  const started = performance.now();
  const model = await loadHfBase(options.minilmDir, check.file);
  const shape = describeShape(model);
  // sentence-transformers' own fine-tuning settings for a pretrained model (presets: lr 2e-5).
  const sts = await runSts(model, options, stsData, {
    epochs: 4,
    batchSize: 16,
    learningRate: 2e-5,
  });
  // SciFact documents are long: MiniLM reads its own max_seq_length (256), as MTEB does.
  const ir = await runSciFact(
    model,
    options,
    scifact,
    { epochs: 1, batchSize: 32, learningRate: 2e-5 },
    model.maxLength,
  );
  await exportModel(sts.tuned.model, path.join(options.out ?? os.tmpdir(), 'minilm-sts'));
  const wall = minutes((performance.now() - started) / 1000);
  const data = `${check.file} (${check.reason})`;
  return [
    {
      figure: 'all-MiniLM-L6-v2 STS-B test Spearman, pretrained',
      value: fixed(sts.before['spearman']),
      reference: `MTEB ${MINILM_STS_REFERENCE}`,
      data: `${data}; max length ${options.stsMaxLength}`,
      steps: '0',
      minutes: wall,
      backend: backendLabel,
      model: shape,
    },
    {
      figure: 'all-MiniLM-L6-v2 STS-B test Spearman, + CosineSimilarityLoss',
      value: fixed(sts.after['spearman']),
      reference: `${signed((sts.after['spearman'] ?? NaN) - (sts.before['spearman'] ?? NaN))} vs pretrained`,
      data: `${data}; sts-train, lr 2e-5, batch 16, ≤ 4 epochs, early stop on sts-dev`,
      steps: String(sts.tuned.result.step),
      minutes: minutes(sts.tuned.seconds),
      backend: backendLabel,
      model: shape,
    },
    {
      figure: 'all-MiniLM-L6-v2 SciFact test nDCG@10, pretrained',
      value: fixed(ir.before['ndcg@10']),
      reference: `MTEB ${MINILM_SCIFACT_REFERENCE}`,
      data: `${data}; max length ${model.maxLength}`,
      steps: '0',
      minutes: wall,
      backend: backendLabel,
      model: shape,
    },
    {
      figure: 'all-MiniLM-L6-v2 SciFact test nDCG@10, + MNRL',
      value: fixed(ir.after['ndcg@10']),
      reference: `${signed((ir.after['ndcg@10'] ?? NaN) - (ir.before['ndcg@10'] ?? NaN))} vs pretrained`,
      data: `${data}; qrels/train, lr 2e-5, batch 32, 1 epoch`,
      steps: String(ir.tuned.result.step),
      minutes: minutes(ir.tuned.seconds),
      backend: backendLabel,
      model: shape,
    },
  ];
}

await main();
