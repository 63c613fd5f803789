import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exportModel,
  evaluateIr,
  evaluateSts,
  fineTuneSciFact,
  fineTuneSts,
  loadHfBase,
  pretrainBase,
  verifiedWeights,
} from '../../../bench/quality/recipes.ts';
import {
  QUALITY_HEADER,
  qualityTable,
  stsTargetNote,
  type QualityRow,
} from '../../../bench/quality/report.ts';
import type { PairExample, RankingExample } from '../../../src/core/finetune/index.ts';
import { buildSeededModelFolder } from '../../../src/core/model/seeded-model-folder.ts';
import { runTokenizerJob } from '../../../src/core/tokenizer/train/index.ts';
import { useBackend } from '../../../src/core/train/bert/index.ts';

const ANIMALS = ['cat', 'dog', 'horse', 'cow', 'sheep', 'goat', 'pig', 'mouse'];
const VEHICLES = ['car', 'bus', 'truck', 'train', 'boat', 'plane', 'bike', 'ship'];

/**
 * Pairs of one-word sentences with no word in common: same group → 1, different group → 0. A
 * model with random weights ranks them at chance (no lexical overlap to lean on); learning the
 * two groups separates them.
 */
function groupPairs(): PairExample[] {
  const pairs: PairExample[] = [];
  for (let i = 0; i < ANIMALS.length; i++) {
    for (let j = i + 1; j < ANIMALS.length; j += 2) {
      pairs.push({ text1: ANIMALS[i] as string, text2: ANIMALS[j] as string, label: 1 });
      pairs.push({ text1: VEHICLES[i] as string, text2: VEHICLES[j] as string, label: 1 });
      pairs.push({ text1: ANIMALS[i] as string, text2: VEHICLES[j] as string, label: 0 });
      pairs.push({ text1: VEHICLES[i] as string, text2: ANIMALS[j] as string, label: 0 });
    }
  }
  return pairs;
}

let dir: string;

beforeAll(async () => {
  await useBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'bench-quality-test-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A seeded 2-layer, 32-wide BERT over a small WordPiece vocabulary trained on the toy words,
 * written as an HF folder; its modules.json loses the Normalize module, to see that loadHfBase
 * reads the folder's pipeline.
 */
async function seededFolder(): Promise<string> {
  const words = [...ANIMALS, ...VEHICLES];
  const job = await runTokenizerJob(
    Array.from({ length: 40 }, (_, i) => words.slice(i % 8).join(' ')),
    { options: { type: 'wordpiece', vocabSize: 120 } },
  );
  const tokenizerJson = JSON.parse(job.files['tokenizer.json']) as { model: { vocab: object } };
  const configJson = {
    vocab_size: Object.keys(tokenizerJson.model.vocab).length,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 64,
    max_position_embeddings: 64,
  };
  const folder = await buildSeededModelFolder({
    configJson,
    seed: 5,
    tokenizerFiles: new Map(
      Object.entries(job.files).map(([name, text]) => [name, new TextEncoder().encode(text)]),
    ),
    maxSeqLength: 48,
  });
  const target = path.join(dir, 'seeded');
  for (const [relative, bytes] of folder.files) {
    mkdirSync(path.dirname(path.join(target, relative)), { recursive: true });
    writeFileSync(path.join(target, relative), bytes);
  }
  const modulesFile = path.join(target, 'modules.json');
  const modules = JSON.parse(readFileSync(modulesFile, 'utf8')) as { type: string }[];
  expect(modules.map((m) => m.type)).toContain('sentence_transformers.models.Normalize');
  writeFileSync(
    modulesFile,
    JSON.stringify(modules.filter((m) => m.type !== 'sentence_transformers.models.Normalize')),
  );
  return target;
}

describe('bench:quality recipes', () => {
  it('loads an HF folder with model.safetensors as a base and CosineSimilarityLoss raises its Spearman', async () => {
    const folder = await seededFolderOnce();
    const base = await loadHfBase(folder);
    expect(base.pooling).toEqual({ mode: 'mean', normalize: false });
    expect(base.maxLength).toBe(48);
    expect(base.base.safetensors).toEqual(
      new Uint8Array(readFileSync(path.join(folder, 'model.safetensors'))),
    );
    const pairs = groupPairs();
    const before = await evaluateSts(base, pairs);
    const tuned = await fineTuneSts(base, {
      train: pairs,
      dev: pairs,
      epochs: 12,
      batchSize: 8,
      learningRate: 3e-3,
      patience: 12,
      evalEverySteps: 0,
      seed: 1,
      backend: 'wasm',
    });
    const after = await evaluateSts(tuned.model, pairs);
    expect(Math.abs(before['spearman'] as number)).toBeLessThan(0.5);
    expect(after['spearman']).toBeGreaterThan(0.8);
    expect(after['spearman']).toBeGreaterThan((before['spearman'] as number) + 0.3);
    // Model selection returns the best dev model: its dev Spearman is the evaluated one.
    expect(tuned.result.after?.['spearman']).toBeCloseTo(after['spearman'] as number, 5);
    expect(tuned.result.status).not.toBe('stopped');
    // The base is untouched (a new model is returned).
    expect(base.base.safetensors).toEqual(
      new Uint8Array(readFileSync(path.join(folder, 'model.safetensors'))),
    );
  }, 60_000);

  it('pretrains a tokenizer and a tiny BERT, exports it in the HF layout and reads it back', async () => {
    const texts = Array.from(
      { length: 60 },
      (_, i) =>
        `the ${ANIMALS[i % 8]} and the ${VEHICLES[(i * 3) % 8]} went to town number ${i % 7}`,
    );
    const { model, report } = await pretrainBase({
      texts,
      tokenizer: { type: 'wordpiece', vocabSize: 120 },
      shape: { dModel: 16, layers: 1, heads: 2, dFf: 32, seqLen: 32 },
      batchSize: 4,
      learningRate: 1e-3,
      steps: 3,
      seed: 2,
      backend: 'wasm',
    });
    expect(report.steps).toBe(3);
    expect(report.status).toBe('completed');
    expect(report.tokens).toBe(3 * 4 * 32);
    expect(Number.isFinite(report.lastLoss)).toBe(true);
    expect(model.base.config['hidden_size']).toBe(16);
    expect(model.base.config['max_position_embeddings']).toBe(32);
    expect(model.maxLength).toBe(32);
    const out = path.join(dir, 'exported');
    const written = await exportModel(model, out);
    expect(written.map((file) => path.relative(out, file))).toEqual(
      expect.arrayContaining([
        'config.json',
        'model.safetensors',
        'tokenizer.json',
        'onnx/model.onnx',
      ]),
    );
    const back = await loadHfBase(out);
    expect(back.pooling).toEqual(model.pooling);
    expect(back.maxLength).toBe(32);
    const sentences = texts
      .slice(0, 6)
      .map((text, i) => ({ text1: text, text2: texts[i + 6] as string, label: i / 5 }));
    expect((await evaluateSts(back, sentences))['spearman']).toBeCloseTo(
      (await evaluateSts(model, sentences))['spearman'] as number,
      6,
    );
  }, 60_000);

  it('fits the pretraining steps to a minutes budget with a probe', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `${ANIMALS[i % 8]} ${VEHICLES[i % 5]} ${i}`);
    const messages: string[] = [];
    const started = performance.now();
    const { report } = await pretrainBase({
      texts,
      tokenizer: { type: 'bpe', vocabSize: 150 },
      shape: { dModel: 16, layers: 1, heads: 2, dFf: 32, seqLen: 16 },
      batchSize: 2,
      learningRate: 1e-3,
      minutes: 0.1,
      seed: 3,
      backend: 'wasm',
      log: (message) => messages.push(message),
    });
    const seconds = (performance.now() - started) / 1000;
    const planned = Number(/budget 0\.1 min: (\d+) steps/.exec(messages.join('\n'))?.[1]);
    expect(planned).toBeGreaterThan(4);
    // All planned steps, unless a loaded machine ran past the hard stop.
    if (report.status === 'completed') expect(report.steps).toBe(planned);
    else expect(report.steps).toBeLessThan(planned);
    // Within the hard stop (1.25 × the budget) plus model building and export.
    expect(seconds).toBeLessThan(0.1 * 60 * 1.25 + 5);
  }, 60_000);

  it('MNRL on (query, document) pairs raises retrieval nDCG@10 on those pairs', async () => {
    const base = await loadHfBase(await seededFolderOnce());
    const train: RankingExample[] = ANIMALS.map((animal, i) => ({
      anchor: animal,
      positive: `${VEHICLES[i]} ${VEHICLES[(i + 3) % 8]}`,
    }));
    const set = {
      queries: new Map(train.map((pair, i) => [`q${i}`, pair.anchor])),
      corpus: train.map((pair, i) => ({ id: `d${i}`, text: pair.positive })),
      qrels: new Map(train.map((_, i) => [`q${i}`, new Map([[`d${i}`, 1]])])),
    };
    const before = await evaluateIr(base, set);
    const tuned = await fineTuneSciFact(base, {
      train,
      epochs: 30,
      batchSize: 8,
      learningRate: 3e-3,
      seed: 1,
      backend: 'wasm',
    });
    const after = await evaluateIr(tuned.model, set);
    expect(tuned.result.step).toBe(30);
    expect(after['ndcg@10']).toBeGreaterThan((before['ndcg@10'] as number) + 0.2);
  }, 60_000);

  it('accepts weights only when their sha256 is the listed one', async () => {
    const folder = path.join(dir, 'weights');
    mkdirSync(folder, { recursive: true });
    expect((await verifiedWeights(folder)).file).toBeNull();
    // sha256("abc"), FIPS 180-2 appendix B.1.
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    writeFileSync(
      path.join(folder, 'EXPECTED_WEIGHTS.sha256'),
      `# comment\n${abc}  sentence-transformers/model.safetensors\n`,
    );
    expect((await verifiedWeights(folder)).reason).toMatch(/no model\.safetensors/);
    writeFileSync(path.join(folder, 'model.safetensors'), 'abd');
    const wrong = await verifiedWeights(folder);
    expect(wrong.file).toBeNull();
    expect(wrong.reason).toMatch(/not the expected one/);
    writeFileSync(path.join(folder, 'model.safetensors'), 'abc');
    expect((await verifiedWeights(folder)).file).toBe(path.join(folder, 'model.safetensors'));
  });
});

let seededPath: Promise<string> | null = null;
function seededFolderOnce(): Promise<string> {
  seededPath ??= seededFolder();
  return seededPath;
}

describe('bench:quality report', () => {
  const row: QualityRow = {
    figure: 'STS-B test Spearman',
    value: '0.6012',
    reference: stsTargetNote(0.6012),
    data: 'pretrain: WikiText-2 valid',
    steps: 'pretrain 400 + 720',
    minutes: '12.0 + 3.1',
    backend: 'Node wasm (simd on, threads off)',
    model: 'BERT d128 L2 H2 ff512 pos128',
  };

  it('prints every recipe field of every row under its header', () => {
    const lines = qualityTable([row]).split('\n');
    expect(lines).toHaveLength(3);
    const header = (lines[0] as string).split('|').map((cell) => cell.trim());
    const cells = (lines[2] as string).split('|').map((cell) => cell.trim());
    expect(header.slice(1, -1)).toEqual([...QUALITY_HEADER]);
    expect(cells.slice(1, -1)).toEqual([
      row.figure,
      row.value,
      row.reference,
      row.data,
      row.steps,
      row.minutes,
      row.backend,
      row.model,
    ]);
  });

  it('says whether the STS target is met, at the boundary too', () => {
    expect(stsTargetNote(0.58)).toMatch(/≥ 0\.58 .*: met$/);
    expect(stsTargetNote(0.5799)).toMatch(/NOT met$/);
  });
});
