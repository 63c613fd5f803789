import path from 'node:path';
import { describeCorpus, loadPretrainCorpus, loadSciFact } from '../quality/data.ts';
import {
  describeShape,
  exportModel,
  fineTuneSciFact,
  pretrainBase,
  type NodeBackend,
} from '../quality/recipes.ts';

export interface DenseModelOptions {
  datasets: string;
  /** Where the built model folder is written. */
  out: string;
  pretrainMinutes: number;
  scifactEpochs: number;
  /** --quick: every 4th pretraining text and the first 160 SciFact train pairs. */
  quick: boolean;
  backend: NodeBackend;
  seed: number;
  log: (line: string) => void;
}

export interface DenseModel {
  dir: string;
  /** What the dense rows say about the model: its shape and how it was made. */
  recipe: string;
  seconds: number;
}

/**
 * The dense retriever when no `--model` is given, built with bench:quality's recipes (the same
 * code as its SciFact row): a WordPiece tokenizer and a small BERT MLM-pretrained by Lumina on
 * WikiText-2 valid + the SciFact corpus + STS-B train sentences, then MNRL-fine-tuned on the
 * SciFact TRAIN qrels. The test qrels never enter training.
 */
export async function buildDenseModel(options: DenseModelOptions): Promise<DenseModel> {
  const started = performance.now();
  const { log } = options;
  const corpus = await loadPretrainCorpus(options.datasets);
  const scifact = await loadSciFact(options.datasets);
  const train = options.quick ? scifact.train.slice(0, 160) : scifact.train;
  const texts = options.quick ? corpus.texts.filter((_, i) => i % 4 === 0) : corpus.texts;
  const shape = options.quick
    ? { dModel: 64, layers: 2, heads: 2, dFf: 256, seqLen: 64 }
    : { dModel: 128, layers: 2, heads: 2, dFf: 512, seqLen: 128 };
  const vocab = options.quick ? 3000 : 8000;
  log(`dense model: pretraining ${options.pretrainMinutes} min on ${describeCorpus(corpus)}`);
  const pretrained = await pretrainBase({
    texts,
    tokenizer: { type: 'wordpiece', vocabSize: vocab },
    shape,
    batchSize: 16,
    learningRate: 0.001,
    minutes: options.pretrainMinutes,
    seed: options.seed,
    backend: options.backend,
    name: 'lumina-base',
    log: (line) => log(`dense model: ${line}`),
  });
  const p = pretrained.report;
  const tuned = await fineTuneSciFact(pretrained.model, {
    train,
    epochs: options.scifactEpochs,
    batchSize: options.quick ? 16 : 32,
    learningRate: 0.0001,
    maxLength: shape.seqLen,
    seed: options.seed,
    backend: options.backend,
    log: (line) => log(`dense model: ${line}`),
  });
  const dir = path.join(options.out, 'lumina-scifact');
  await exportModel(tuned.model, dir);
  const seconds = (performance.now() - started) / 1000;
  const recipe =
    `Lumina-built ${describeShape(tuned.model)}: wordpiece ${vocab}, MLM ${p.steps} steps ` +
    `(${(p.tokens / 1e6).toFixed(2)} M tokens) on WikiText-2 valid + SciFact corpus + STS-B train` +
    `${options.quick ? ' (every 4th text)' : ''}, then MNRL ${options.scifactEpochs} epoch(s) on ` +
    `${train.length} SciFact train pairs (${tuned.result.step} steps, last loss ${tuned.result.lastLoss?.toFixed(3) ?? '—'}), ${p.backend.name}; ` +
    `bench/quality recipes`;
  log(`dense model written to ${dir} in ${(seconds / 60).toFixed(1)} min`);
  return { dir, recipe, seconds };
}
