import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingModel } from '../../../src/core/embed/runtime/index.ts';
import {
  encodeSentences,
  fineTune,
  fineTunePreset,
  presetTraining,
  readScoredPairs,
  type FineTuneBase,
  type PairExample,
  type PoolingOptions,
} from '../../../src/core/finetune/index.ts';
import {
  loadBertEncoder,
  parseBertEncoderConfig,
  useBackend,
} from '../../../src/core/train/bert/index.ts';
import { mlmTokenizerFromJson } from '../../../src/core/train/data/index.ts';
import { exportTrainedModel } from '../../../src/core/train/export/index.ts';
import { sharedDir, tinySeededModel } from '../../support/shared-data.ts';

const MAX_LENGTH = 48;

/** Lengths from 3 tokens to past MAX_LENGTH, so one padded batch holds very different rows. */
const TEXTS = [
  'Hi.',
  'A man is playing a flute.',
  'The quick brown fox jumps over the lazy dog while the farmer watches from the porch.',
  'Short one',
  Array.from({ length: 40 }, (_, i) => `word${i} and`).join(' '),
  'Tokenisation: naïve café, “quotes”, and numbers like 3.14159!',
];

let base: FineTuneBase;
let train: PairExample[];
let tokenizerFiles: Map<string, Uint8Array>;

beforeAll(async () => {
  await useBackend('cpu');
  const folder = await tinySeededModel(5);
  const json = (name: string): unknown =>
    JSON.parse(new TextDecoder().decode(folder.files.get(name)));
  base = {
    config: json('config.json') as Record<string, unknown>,
    safetensors: folder.files.get('model.safetensors') as Uint8Array,
    tokenizer: json('tokenizer.json'),
    tokenizerConfig: json('tokenizer_config.json'),
  };
  tokenizerFiles = new Map(
    ['tokenizer.json', 'tokenizer_config.json'].map((name) => [
      name,
      folder.files.get(name) as Uint8Array,
    ]),
  );
  const sts = readFileSync(path.join(sharedDir, 'datasets/stsb/sts-train.csv'), 'utf8');
  train = (await readScoredPairs(sts, { file: 'sts-train.csv' })).examples.slice(0, 24);
}, 60_000);

/** TF.js embeddings of TEXTS in one padded batch, from safetensors bytes. */
async function tfjsEmbeddings(safetensors: Uint8Array, pooling: PoolingOptions) {
  const encoder = await loadBertEncoder(parseBertEncoderConfig(base.config), safetensors);
  try {
    const tokenizer = mlmTokenizerFromJson(base.tokenizer, base.tokenizerConfig);
    return await encodeSentences({ encoder, tokenizer, pooling, maxLength: MAX_LENGTH }, TEXTS, {
      batchSize: TEXTS.length,
    });
  } finally {
    encoder.dispose();
  }
}

describe('a fine-tuned model exported in the HF layout embeds as the TF.js model does', () => {
  it.each<PoolingOptions>([
    { mode: 'mean', normalize: true },
    { mode: 'cls', normalize: true },
  ])(
    '$mode pooling, normalised: ONNX (embedding engine) vs TF.js ≤ 1e-4',
    async (pooling) => {
      const preset = fineTunePreset('cosine-scored');
      const result = await fineTune({
        base,
        train,
        loss: preset.loss,
        pooling,
        maxLength: MAX_LENGTH,
        training: presetTraining(preset, {
          batch_size: 8,
          max_steps: 3,
          learning_rate: 2e-3,
          warmup_ratio: 0,
          backend: 'cpu',
        }),
      });
      expect(result.step).toBe(3);
      const files = await exportTrainedModel({
        config: base.config,
        encoderWeights: result.encoderWeights,
        tokenizerFiles,
        pooling: pooling.mode,
        normalize: pooling.normalize,
        name: `ft-${pooling.mode}`,
        maxSeqLength: MAX_LENGTH,
      });
      const poolingConfig = JSON.parse(
        new TextDecoder().decode(files.get('1_Pooling/config.json')),
      ) as Record<string, unknown>;
      expect(poolingConfig['pooling_mode_cls_token']).toBe(pooling.mode === 'cls');
      expect(poolingConfig['pooling_mode_mean_tokens']).toBe(pooling.mode === 'mean');

      const model = await EmbeddingModel.load(
        { kind: 'files', files, name: `ft-${pooling.mode}` },
        { device: 'wasm', dtype: 'fp32' },
      );
      let onnx: Float32Array;
      try {
        expect(model.info.pooling).toBe(pooling.mode);
        expect(model.info.normalize).toBe(true);
        expect(model.info.maxTokens).toBe(MAX_LENGTH);
        // One call: one right-padded batch of every text.
        onnx = await model.embed(TEXTS, 'document');
      } finally {
        await model.dispose();
      }
      const tfjs = await tfjsEmbeddings(result.encoderSafetensors, pooling);
      const before = await tfjsEmbeddings(base.safetensors, pooling);
      const dims = model.info.dims;
      let gap = 0;
      let moved = 0;
      tfjs.forEach((vector, row) => {
        vector.forEach((value, k) => {
          gap = Math.max(gap, Math.abs(value - (onnx[row * dims + k] as number)));
          moved = Math.max(moved, Math.abs(value - (before[row]?.[k] as number)));
        });
      });
      console.log(`${pooling.mode}: max |onnx − tfjs| = ${gap.toExponential(2)}; moved ${moved}`);
      expect(gap).toBeLessThanOrEqual(1e-4);
      // The comparison is on trained weights, not the seeded start.
      expect(moved).toBeGreaterThan(1e-3);
    },
    60_000,
  );
});
