import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../../src/core/model/safetensors.ts';
import type { MetricRow } from '../../../src/core/store/index.ts';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import {
  causalBlocks,
  createGpt2Decoder,
  nextTokenTargets,
  perplexityOfIds,
  prepareCausalLmData,
  trainCausalLm,
  type CausalTokenizer,
} from '../../../src/core/train/decoder/index.ts';
import type { TrainCheckpoint } from '../../../src/core/train/loop/index.ts';
import { referenceGpt2Logits } from '../../support/reference-decoder.ts';
import { repeatedCorpus, tinyDecoderTrainConfig, tinyTokenizer } from './fixture.ts';

let tokenizer: CausalTokenizer;

beforeAll(async () => {
  await useBackend('cpu');
  tokenizer = (await tinyTokenizer()).tokenizer;
});

const trainLosses = (rows: MetricRow[]) =>
  rows.filter((row) => row.split === 'train').map((row) => row.values['loss'] ?? Number.NaN);

/** −log softmax(logits)[target] in float64. */
function nll(logits: Float64Array, target: number): number {
  const max = Math.max(...logits);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  return Math.log(sum) + max - (logits[target] ?? Number.NaN);
}

describe('causal-LM data', () => {
  it('concatenates documents with EOS and cuts fixed blocks, padding the last', () => {
    const set = causalBlocks([[5, 6, 7], [], [8, 9]], 4, { eosId: 2, padId: 1 });
    expect(set.inputIds).toEqual([
      [5, 6, 7, 2],
      [8, 9, 2, 1],
    ]);
    expect(set.attentionMask).toEqual([
      [1, 1, 1, 1],
      [1, 1, 1, 0],
    ]);
    expect(nextTokenTargets(set)).toEqual({
      positions: Int32Array.from([0, 1, 2, 4, 5]),
      targets: Int32Array.from([6, 7, 2, 9, 2]),
    });
  });
});

describe('trainCausalLm', () => {
  it('learns a repeated corpus; validation perplexity is exp(mean NLL) of the final weights', async () => {
    // wasm: several times faster than cpu in Node, same numbers to float tolerance.
    await useBackend('wasm');
    const config = tinyDecoderTrainConfig((c) => {
      c.training.max_steps = 120;
      c.training.epochs = 100;
      c.training.log_every_steps = 10;
    });
    const data = await prepareCausalLmData(repeatedCorpus(8), tokenizer, config.data);
    expect(data.validation.inputIds.length).toBeGreaterThan(0);
    const rows: MetricRow[] = [];
    const result = await trainCausalLm({
      config,
      tokenizer,
      data,
      onMetrics: (r) => void rows.push(...r),
    });
    expect(result.status).toBe('completed');
    const losses = trainLosses(rows);
    console.log(`clm: train loss every 10 steps ${losses.map((l) => l.toFixed(2)).join(' ')}`);
    // Uniform over the vocabulary is ln(V) ≈ 6; the corpus repeats, so the loss falls well below.
    expect(losses[0]).toBeGreaterThan(5);
    expect(losses.at(-1)).toBeLessThan(3);

    // Independent: float64 reference forward over the validation blocks with the final weights.
    const val = result.summary.lastValidation;
    if (!val) throw new Error('no validation');
    const reference = referenceGpt2Logits(result.decoderConfig, result.weights, {
      inputIds: data.validation.inputIds,
      attentionMask: data.validation.attentionMask,
      positionIds: data.validation.inputIds.map((row) => row.map((_, s) => s)),
    });
    const { positions, targets } = nextTokenTargets(data.validation);
    let sum = 0;
    positions.forEach((p, i) => {
      const row = reference[Math.floor(p / 16)]?.[p % 16];
      if (!row) throw new Error(`no logits at ${p}`);
      sum += nll(row, targets[i] ?? 0);
    });
    const meanNll = sum / targets.length;
    expect(val.loss).toBeCloseTo(meanNll, 4);
    expect(val.perplexity / Math.exp(meanNll)).toBeCloseTo(1, 4);
    expect(val.perplexity).toBeCloseTo(Math.exp(val.loss), 6);
  });

  it('resumed from a checkpoint, follows the uninterrupted loss curve', async () => {
    const config = tinyDecoderTrainConfig((c) => {
      c.model.dropout = 0.1;
      c.model.attention_dropout = 0.1;
      c.training.max_steps = 8;
      c.training.epochs = 10;
      c.training.grad_accumulation_steps = 2;
      c.training.checkpoint_every_steps = 3;
      c.training.eval_every_steps = 4;
    });
    const data = await prepareCausalLmData(repeatedCorpus(4), tokenizer, config.data);
    const full: MetricRow[] = [];
    const uninterrupted = await trainCausalLm({
      config,
      tokenizer,
      data,
      onMetrics: (r) => void full.push(...r),
    });
    const controller = new AbortController();
    const checkpoints: TrainCheckpoint[] = [];
    const first: MetricRow[] = [];
    const stopped = await trainCausalLm({
      config,
      tokenizer,
      data,
      signal: controller.signal,
      saveCheckpoint: async (checkpoint) => void checkpoints.push(checkpoint),
      onMetrics: (r) => {
        first.push(...r);
        if (r.some((row) => row.split === 'train' && row.step === 5)) controller.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    expect(checkpoints.at(-1)).toMatchObject({ step: 5, reason: 'final' });
    const interval = checkpoints.find((c) => c.step === 3 && c.reason === 'interval');
    if (!interval) throw new Error('no interval checkpoint at step 3');
    const second: MetricRow[] = [];
    const resumed = await trainCausalLm({
      config,
      tokenizer,
      data,
      resume: { tensors: interval.tensors, state: JSON.parse(JSON.stringify(interval.state)) },
      onMetrics: (r) => void second.push(...r),
    });
    expect(resumed.status).toBe('completed');
    const stitched = [...trainLosses(first).slice(0, 3), ...trainLosses(second)];
    const reference = trainLosses(full);
    expect(stitched).toHaveLength(8);
    reference.forEach((loss, i) => expect(stitched[i]).toBeCloseTo(loss, 5));
    const a = decodeSafetensors(uninterrupted.safetensors).tensors.get(
      'transformer.h.1.mlp.c_fc.weight',
    );
    const b = decodeSafetensors(resumed.safetensors).tensors.get('transformer.h.1.mlp.c_fc.weight');
    const wa = a?.data as Float32Array;
    const wb = b?.data as Float32Array;
    let maxAbs = 0;
    for (let i = 0; i < wa.length; i++)
      maxAbs = Math.max(maxAbs, Math.abs((wa[i] ?? 0) - (wb[i] ?? Number.NaN)));
    expect(maxAbs).toBeLessThan(1e-5);
  });
});

describe('perplexityOn', () => {
  it('scores every token once with sliding windows, as an independent float64 computation', async () => {
    const config = tinyDecoderTrainConfig();
    const { decoderConfigFromTrainConfig } =
      await import('../../../src/core/train/decoder/index.ts');
    const decoderConfig = {
      ...decoderConfigFromTrainConfig(config, tokenizer),
      initializerRange: 0.2,
    };
    const model = await createGpt2Decoder(decoderConfig, undefined, { seed: 3 });
    const weights = await model.readWeights();
    const ids = tokenizer.encode(repeatedCorpus(1).join('\n')).slice(0, 45);
    const blockSize = 16;
    const stride = 10;
    const result = await perplexityOfIds(model, ids, { blockSize, stride, batchSize: 2 });
    // Reference: token p (p ≥ 1) is scored in the first window holding it, begin = k·stride.
    let sum = 0;
    for (let p = 1; p < ids.length; p++) {
      let begin = 0;
      while (begin + blockSize <= p) begin += stride;
      const window = ids.slice(begin, Math.min(begin + blockSize, ids.length));
      const logits = referenceGpt2Logits(decoderConfig, weights, { inputIds: [window] })[0];
      const row = logits?.[p - 1 - begin];
      if (!row) throw new Error('no row');
      sum += nll(row, ids[p] ?? 0);
    }
    const meanNll = sum / (ids.length - 1);
    expect(result.tokens).toBe(ids.length - 1);
    expect(result.windows).toBe(4);
    expect(result.nll).toBeCloseTo(meanNll, 4);
    expect(result.perplexity / Math.exp(meanNll)).toBeCloseTo(1, 4);
    model.dispose();
  });
});
