import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBertWeights, type BertWeights } from '../../../src/core/model/init.ts';
import { SeededRandom } from '../../../src/core/model/seeded-random.ts';
import {
  createBertEncoder,
  exportableBertConfig,
  parseBertEncoderConfig,
  readBertSafetensors,
  useBackend,
  writeBertSafetensors,
} from '../../../src/core/train/bert/index.ts';
import {
  IGNORE_LABEL,
  MLM_HEAD_NAMES,
  createMlmHead,
  initMlmHeadWeights,
  maskTokens,
  mlmLoss,
  pickMlmHeadWeights,
  type MaskingOptions,
} from '../../../src/core/train/mlm/index.ts';
import { gelu, referenceBertForward } from '../../support/reference-bert.ts';

const PAD = 0;
const UNK = 100;
const CLS = 101;
const SEP = 102;
const MASK = 103;
const SPECIAL = [PAD, UNK, CLS, SEP, MASK];

/** [CLS] w… [SEP] [PAD]…: rows of mixed lengths with ordinary ids only between the markers. */
function corpus(rows: number, seq: number, vocab: number, seed: number) {
  const random = new SeededRandom(seed, 'corpus');
  const inputIds: number[][] = [];
  const attentionMask: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const length = 3 + (random.nextUint32() % (seq - 2));
    inputIds.push(
      Array.from({ length: seq }, (_, s) => {
        if (s === 0) return CLS;
        if (s === length - 1) return SEP;
        if (s >= length) return PAD;
        let id = 0;
        while (SPECIAL.includes(id)) id = random.nextUint32() % vocab;
        return id;
      }),
    );
    attentionMask.push(Array.from({ length: seq }, (_, s) => (s < length ? 1 : 0)));
  }
  return { inputIds, attentionMask };
}

function options(seed: number, vocabSize = 1000): MaskingOptions {
  return {
    vocabSize,
    maskTokenId: MASK,
    padTokenId: PAD,
    specialTokenIds: SPECIAL,
    random: new SeededRandom(seed, 'mlm'),
  };
}

describe('maskTokens (15 %, 80/10/10)', () => {
  const data = corpus(400, 64, 1000, 1);
  const eligible = data.inputIds.flat().filter((id) => !SPECIAL.includes(id)).length;

  it('chooses 15 % of ordinary tokens and splits them 80/10/10, never specials or padding', () => {
    const before = JSON.stringify(data);
    const { inputIds, labels } = maskTokens(data.inputIds, data.attentionMask, options(7));
    expect(JSON.stringify(data)).toBe(before);
    let chosen = 0;
    let masked = 0;
    let replaced = 0;
    let kept = 0;
    data.inputIds.forEach((row, b) =>
      row.forEach((id, s) => {
        const label = labels[b]?.[s];
        const input = inputIds[b]?.[s];
        if (label === IGNORE_LABEL) {
          expect(input).toBe(id);
          return;
        }
        chosen++;
        expect(SPECIAL).not.toContain(id);
        expect(data.attentionMask[b]?.[s]).toBe(1);
        expect(label).toBe(id);
        if (input === MASK) masked++;
        else if (input === id) kept++;
        else {
          replaced++;
          expect(SPECIAL).not.toContain(input);
        }
      }),
    );
    // ~10 k eligible tokens: binomial sd of the shares is under 0.4 %, of the splits under 1.2 %.
    expect(eligible).toBeGreaterThan(9000);
    expect(Math.abs(chosen / eligible - 0.15)).toBeLessThan(0.015);
    expect(Math.abs(masked / chosen - 0.8)).toBeLessThan(0.04);
    expect(Math.abs(replaced / chosen - 0.1)).toBeLessThan(0.03);
    // A random draw equals the original 1 time in ~1000: "kept" is the remaining ~10 %.
    expect(Math.abs(kept / chosen - 0.1)).toBeLessThan(0.03);
  });

  it('is reproducible per seed and differs across seeds', () => {
    const a = maskTokens(data.inputIds, data.attentionMask, options(7));
    const b = maskTokens(data.inputIds, data.attentionMask, options(7));
    const c = maskTokens(data.inputIds, data.attentionMask, options(8));
    expect(b).toEqual(a);
    expect(c.labels).not.toEqual(a.labels);
  });

  it('honours other rates and rejects impossible ones', () => {
    const all = maskTokens(data.inputIds, data.attentionMask, {
      ...options(3),
      probability: 1,
      maskShare: 1,
      randomShare: 0,
    });
    const flatInputs = all.inputIds.flat();
    const chosen = all.labels.flat().filter((label) => label !== IGNORE_LABEL).length;
    expect(chosen).toBe(eligible);
    expect(flatInputs.filter((id) => id === MASK).length).toBe(eligible);
    expect(() =>
      maskTokens(data.inputIds, data.attentionMask, {
        ...options(1),
        maskShare: 0.95,
        randomShare: 0.1,
      }),
    ).toThrow(/must not exceed 1/);
  });
});

describe('MLM head and loss (cpu backend)', () => {
  const config = parseBertEncoderConfig({
    vocab_size: 110,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 32,
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
  });
  let encoderWeights: BertWeights;
  let headWeights: BertWeights;

  beforeAll(async () => {
    await useBackend('cpu');
    encoderWeights = await initBertWeights(exportableBertConfig(config), { seed: 5 });
    headWeights = initMlmHeadWeights(config, 5);
    // Non-trivial biases and LayerNorm so the check sees their wiring.
    const random = new SeededRandom(5, 'perturb-head');
    for (const tensor of headWeights.values()) {
      if (tensor.shape.length !== 1) continue;
      for (let i = 0; i < tensor.data.length; i++) {
        tensor.data[i] = (tensor.data[i] ?? 0) + 0.3 * random.nextNormal();
      }
    }
  });

  /** Float64 cross-entropy from the reference encoder and a hand-written head. */
  function referenceLoss(batch: {
    inputIds: number[][];
    attentionMask: number[][];
    labels: number[][];
  }): number {
    const hidden = referenceBertForward(exportableBertConfig(config), encoderWeights, batch);
    const h = config.hiddenSize;
    const w = (name: string) => {
      const tensor = headWeights.get(name) ?? encoderWeights.get(name);
      if (!tensor) throw new Error(name);
      return tensor.data;
    };
    const dense = w(MLM_HEAD_NAMES.denseWeight);
    const embeddings = w('embeddings.word_embeddings.weight');
    let total = 0;
    let count = 0;
    batch.labels.forEach((row, b) =>
      row.forEach((label, s) => {
        if (label === IGNORE_LABEL) return;
        const x = hidden.data.subarray((b * hidden.seq + s) * h, (b * hidden.seq + s + 1) * h);
        const t = Array.from({ length: h }, (_, o) => {
          let sum = w(MLM_HEAD_NAMES.denseBias)[o] ?? 0;
          for (let i = 0; i < h; i++) sum += (x[i] ?? 0) * (dense[o * h + i] ?? 0);
          return gelu(sum);
        });
        const mean = t.reduce((a, v) => a + v, 0) / h;
        const variance = t.reduce((a, v) => a + (v - mean) ** 2, 0) / h;
        const normed = t.map(
          (v, j) =>
            ((v - mean) / Math.sqrt(variance + config.layerNormEps)) *
              (w(MLM_HEAD_NAMES.normWeight)[j] ?? 0) +
            (w(MLM_HEAD_NAMES.normBias)[j] ?? 0),
        );
        const logits = Array.from({ length: config.vocabSize }, (_, v) => {
          let sum = w(MLM_HEAD_NAMES.bias)[v] ?? 0;
          for (let j = 0; j < h; j++) sum += (normed[j] ?? 0) * (embeddings[v * h + j] ?? 0);
          return sum;
        });
        const max = Math.max(...logits);
        const logSum = max + Math.log(logits.reduce((a, v) => a + Math.exp(v - max), 0));
        total += logSum - (logits[label] ?? 0);
        count++;
      }),
    );
    return total / count;
  }

  it('equals an independently computed cross-entropy over the masked positions only', async () => {
    const data = corpus(3, 12, config.vocabSize, 9);
    const masked = maskTokens(data.inputIds, data.attentionMask, {
      ...options(4, config.vocabSize),
      probability: 0.3,
    });
    const batch = { ...masked, attentionMask: data.attentionMask };
    expect(batch.labels.flat().filter((l) => l !== IGNORE_LABEL).length).toBeGreaterThan(2);
    const encoder = await createBertEncoder(config, encoderWeights);
    const head = createMlmHead(encoder, headWeights);
    const loss = mlmLoss(encoder, head, batch);
    const value = (await loss.data())[0] ?? NaN;
    const expected = referenceLoss(batch);
    console.info('[mlm] loss', {
      tfjs: value,
      reference: expected,
      diff: Math.abs(value - expected),
    });
    expect(Math.abs(value - expected)).toBeLessThanOrEqual(1e-4);
    // Near ln(vocab) for a random model, so the value is a real cross-entropy, not a constant.
    expect(expected).toBeGreaterThan(Math.log(config.vocabSize) - 1.5);

    // Labels at other positions change the loss; dropout in training mode changes it reproducibly.
    const shifted = {
      ...batch,
      labels: batch.labels.map((row) => [IGNORE_LABEL, ...row.slice(0, -1)]),
    };
    const other = mlmLoss(encoder, head, shifted);
    expect(Math.abs(((await other.data())[0] ?? 0) - referenceLoss(shifted))).toBeLessThanOrEqual(
      1e-4,
    );
    const trainA = mlmLoss(encoder, head, batch, { training: true, seed: 3 });
    const trainB = mlmLoss(encoder, head, batch, { training: true, seed: 3 });
    expect(await trainA.data()).toEqual(await trainB.data());
    expect(Math.abs(((await trainA.data())[0] ?? 0) - value)).toBeGreaterThan(1e-4);

    // Gradients reach the head and, through the tied decoder, the word embeddings.
    const { value: gradLoss, grads } = tf.variableGrads(() => mlmLoss(encoder, head, batch));
    const embeddingGrad =
      grads[encoder.variables.get('embeddings.word_embeddings.weight')?.name ?? ''];
    expect(embeddingGrad).toBeDefined();
    expect(
      (
        await tf
          .abs(embeddingGrad ?? tf.scalar(0))
          .max()
          .data()
      )[0],
    ).toBeGreaterThan(0);
    expect(grads[head.variables.get(MLM_HEAD_NAMES.bias)?.name ?? '']).toBeDefined();
    tf.dispose([loss, other, trainA, trainB, gradLoss, ...Object.values(grads)]);
    expect(() =>
      mlmLoss(encoder, head, {
        ...batch,
        labels: batch.labels.map((r) => r.map(() => IGNORE_LABEL)),
      }),
    ).toThrow(/no masked position/);
    head.dispose();
    encoder.dispose();
  });

  it('saves and reloads a BertForMaskedLM state dict (bert. prefix + cls.predictions.*)', async () => {
    const bytes = writeBertSafetensors(encoderWeights, { prefix: 'bert.', extra: headWeights });
    const split = readBertSafetensors(config, bytes);
    const head = pickMlmHeadWeights(config, split.rest);
    expect([...head.keys()].sort()).toEqual(Object.values(MLM_HEAD_NAMES).sort());
    expect(writeBertSafetensors(split.encoder, { prefix: 'bert.', extra: head })).toEqual(bytes);
    // Older files name the output bias cls.predictions.decoder.bias.
    const legacy = new Map(headWeights);
    const bias = legacy.get(MLM_HEAD_NAMES.bias);
    legacy.delete(MLM_HEAD_NAMES.bias);
    if (bias) legacy.set('cls.predictions.decoder.bias', bias);
    const legacyRest = readBertSafetensors(
      config,
      writeBertSafetensors(encoderWeights, { prefix: 'bert.', extra: legacy }),
    ).rest;
    expect(pickMlmHeadWeights(config, legacyRest).get(MLM_HEAD_NAMES.bias)?.data).toEqual(
      bias?.data,
    );
    expect(() => pickMlmHeadWeights(config, new Map())).toThrow(/Missing MLM head weight/);
  });
});
