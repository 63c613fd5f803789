import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_POOLING,
  batchForLoss,
  createEncoderLoss,
  embedBatch,
  encodeSentences,
  poolHiddenStates,
  tokenizeSentences,
  type LossConfig,
  type PairExample,
  type RankingExample,
  type SentenceModel,
} from '../../../src/core/finetune/index.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { useBackend, type BertEncoder } from '../../../src/core/train/bert/index.ts';
import { normalize } from './reference.ts';
import { tinyEncoder, toyTokenizer } from './fixture.ts';

describe('pooling', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  const hidden = [
    [
      [1, 2, 3],
      [3, 2, 1],
      [100, 100, 100],
    ],
    [
      [0, 0, 2],
      [4, 4, 4],
      [2, 0, 0],
    ],
  ];
  const mask = [
    [1, 1, 0],
    [1, 1, 1],
  ];

  it('mean over unmasked tokens, CLS, and L2 normalisation', () => {
    const h = tf.tensor3d(hidden);
    const m = tf.tensor2d(mask, undefined, 'int32');
    const mean = poolHiddenStates(h, m, { mode: 'mean', normalize: false });
    const expectedMean = [
      [2, 2, 2],
      [2, 4 / 3, 2],
    ];
    (mean.arraySync() as number[][]).forEach((row, r) =>
      row.forEach((v, c) => expect(v).toBeCloseTo(expectedMean[r]?.[c] as number, 6)),
    );
    const cls = poolHiddenStates(h, m, { mode: 'cls', normalize: true });
    const expected = [normalize([1, 2, 3]), normalize([0, 0, 2])];
    (cls.arraySync() as number[][]).forEach((row, r) =>
      row.forEach((v, c) => expect(v).toBeCloseTo(expected[r]?.[c] as number, 6)),
    );
    tf.dispose([h, m, mean, cls]);
  });
});

describe('encoder losses and encoding', () => {
  let encoder: BertEncoder;
  const tokenizer = toyTokenizer();
  const model = (): SentenceModel => ({ encoder, tokenizer, pooling: DEFAULT_POOLING });
  beforeAll(async () => {
    await useBackend('cpu');
    encoder = await tinyEncoder(3);
  });
  afterAll(() => encoder.dispose());

  // Anchors and positives share no words: the untrained model cannot match them, so the loss
  // starts high and only training (memorising the batch) lowers it.
  const qa: RankingExample[] = [
    { anchor: 'red apple fruit', positive: 'orchard harvest' },
    { anchor: 'blue sky day', positive: 'clouds weather above' },
    { anchor: 'green grass field', positive: 'meadow lawn' },
    { anchor: 'yellow sun light', positive: 'bright star warmth' },
  ];
  const scored: PairExample[] = [
    { text1: 'red apple', text2: 'orchard harvest', label: 1 },
    { text1: 'blue sky', text2: 'meadow lawn', label: 0 },
    { text1: 'sun light', text2: 'bright star', label: 0.9 },
    { text1: 'grass field', text2: 'clouds above', label: 0.1 },
  ];

  async function train(
    config: LossConfig,
    examples: RankingExample[] | PairExample[],
    steps: number,
    learningRate = 0.001,
  ) {
    const loss = createEncoderLoss(config, DEFAULT_POOLING);
    const batch = batchForLoss(config.name, tokenizer, examples);
    // Plain SGD on a post-LN BERT needs a small step: cosines of mean-pooled states are steep.
    const optimizer = tf.train.sgd(learningRate);
    const losses: number[] = [];
    let afterFirstStep = 0;
    for (let step = 0; step < steps; step++) {
      const { value, grads } = tf.variableGrads(() =>
        loss(encoder, batch, { training: true, seed: step }),
      );
      optimizer.applyGradients(grads);
      losses.push((await value.data())[0] as number);
      tf.dispose([value, ...Object.values(grads)]);
      // Nothing leaks per step.
      if (step === 0) afterFirstStep = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(afterFirstStep);
    }
    optimizer.dispose();
    return losses;
  }

  it.each<[LossConfig, 'qa' | 'scored']>([
    [{ name: 'mnrl' }, 'qa'],
    [{ name: 'mnrl', symmetric: true }, 'qa'],
    [{ name: 'cosine' }, 'scored'],
  ])('a few SGD steps lower the %o loss', async (config, data) => {
    encoder.dispose();
    encoder = await tinyEncoder(3);
    const losses = await train(config, data === 'qa' ? qa : scored, 8);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) * 0.8);
  });

  it('the contrastive losses train on 0/1 pairs', async () => {
    // Labels against what the untrained model sees, so the online loss has hard pairs to work on.
    const labelled = scored.map((pair) => ({ ...pair, label: pair.label > 0.5 ? 0 : 1 }));
    for (const config of [{ name: 'contrastive' }, { name: 'online-contrastive' }] as const) {
      encoder.dispose();
      encoder = await tinyEncoder(4);
      const losses = await train({ ...config, margin: 1.5 }, labelled, 8, 0.003);
      expect(losses[0]).toBeGreaterThan(0);
      expect(losses.at(-1) as number).toBeLessThan(losses[0] as number);
    }
  });

  it('refuses a batch of the wrong kind', () => {
    const loss = createEncoderLoss({ name: 'cosine' }, DEFAULT_POOLING);
    expect(() => loss(encoder, batchForLoss('mnrl', tokenizer, qa))).toThrow(/pairs batch/);
  });

  it('encodeSentences equals one embedBatch, in input order, frees its tensors, reports progress', async () => {
    const texts = ['a b c d e f', 'a', 'red apple fruit', 'sky', 'the sky is blue today', 'grass'];
    const direct = embedBatch(encoder, tokenizeSentences(tokenizer, texts), DEFAULT_POOLING);
    const expected = direct.arraySync() as number[][];
    direct.dispose();
    const before = tf.memory().numTensors;
    const events: Progress[] = [];
    const vectors = await encodeSentences(model(), texts, {
      batchSize: 4,
      onProgress: (e) => events.push(e),
    });
    expect(tf.memory().numTensors).toBe(before);
    vectors.forEach((vector, r) =>
      vector.forEach((v, c) => expect(v).toBeCloseTo(expected[r]?.[c] as number, 5)),
    );
    expect(events[0]?.status).toBe('start');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    expect(events.filter((e) => e.status === 'progress')).toHaveLength(2);
  });

  it('encodeSentences stops on abort without leaking tensors', async () => {
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const texts = Array.from({ length: 40 }, (_, i) => `red apple ${i % 3 ? 'sky' : 'grass'}`);
    const run = encodeSentences(model(), texts, {
      batchSize: 4,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.status === 'progress' && event.done >= 8) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(tf.memory().numTensors).toBe(before);
  });
});
