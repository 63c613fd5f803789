import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { listRunnableModels, storedModelFiles } from '../../src/core/model/stored-models.ts';
import { SeededRandom } from '../../src/core/model/seeded-random.ts';
import { openStore } from '../../src/core/store/index.ts';
import {
  createBertEncoder,
  parseBertEncoderConfig,
  useBackend,
} from '../../src/core/train/bert/index.ts';
import { exportTrainedModel, saveExportedModel } from '../../src/core/train/export/index.ts';
import { embedClient } from '../../src/lib/clients.ts';
import { minilmTokenizerFiles, tinyBertConfigJson } from './minilm-helpers.ts';

/**
 * A TF.js-trained encoder, exported, kept in this browser's IndexedDB model store, read back
 * from it and run by the real embed worker (transformers.js, ONNX Runtime Web wasm): its
 * embeddings equal the TF.js encoder's own mean-pooled, normalised output.
 */

const TOLERANCE = 1e-4;
const texts = [
  'Proteins fold into three-dimensional structures determined by their amino acid sequence.',
  'A',
  'Héllo wörld: naïve café, 42 tokens?',
];

afterAll(() => embedClient.terminate());

describe('an exported trained model in the browser model store', () => {
  it('is listed, loads in the embed worker and matches the TF.js encoder', async () => {
    await useBackend('cpu');
    const config = parseBertEncoderConfig(tinyBertConfigJson);
    const initial = await createBertEncoder(config, undefined, { seed: 31 });
    // Off HF's initial values (zero biases, unit LayerNorm), as after training.
    const weights = await initial.readWeights();
    initial.dispose();
    for (const [name, tensor] of weights) {
      const random = new SeededRandom(32, name);
      for (let i = 0; i < tensor.data.length; i++) {
        tensor.data[i] = (tensor.data[i] ?? 0) + 0.05 * random.nextNormal();
      }
    }
    const trained = await createBertEncoder(config, weights);

    const files = await exportTrainedModel({
      config,
      encoderWeights: weights,
      tokenizerFiles: minilmTokenizerFiles([
        'tokenizer.json',
        'tokenizer_config.json',
        'special_tokens_map.json',
      ]),
      pooling: 'mean',
      normalize: true,
      name: 'browser-trained',
      maxSeqLength: 128,
    });
    const store = await openStore({ name: `train-export-${Date.now()}` });
    try {
      const id = await saveExportedModel(store, files, 'browser-trained');
      expect((await listRunnableModels(store)).map((model) => model.id)).toEqual([id]);
      const stored = await storedModelFiles(store, id);

      const info = await embedClient.call((api) =>
        api.load(
          { kind: 'files', files: stored, name: 'browser-trained' },
          { dtype: 'fp32', device: 'wasm' },
        ),
      );
      expect(info).toMatchObject({ dims: 32, pooling: 'mean', normalize: true });
      const states = await embedClient.call((api) => api.hiddenStates([...texts], 'document'));
      const vectors = await embedClient.call((api) => api.embed([...texts], 'document'));
      expect(Array.from(states.attentionMask)).toContain(0);

      const { batch, seq } = states;
      const ids = tf.tensor2d(states.inputIds, [batch, seq], 'int32');
      const mask = tf.tensor2d(states.attentionMask, [batch, seq], 'int32');
      const hidden = trained.forward(ids, mask);
      const data = await hidden.data();
      tf.dispose([ids, mask, hidden]);
      trained.dispose();

      let max = 0;
      for (let b = 0; b < batch; b++) {
        const sum = new Float64Array(32);
        let count = 0;
        for (let s = 0; s < seq; s++) {
          if (!states.attentionMask[b * seq + s]) continue;
          count++;
          for (let j = 0; j < 32; j++) sum[j] = (sum[j] ?? 0) + (data[(b * seq + s) * 32 + j] ?? 0);
        }
        const mean = Array.from(sum, (v) => v / count);
        const norm = Math.hypot(...mean);
        mean.forEach((v, j) => {
          max = Math.max(max, Math.abs(v / norm - (vectors[b * 32 + j] ?? NaN)));
        });
      }
      console.info(
        `[train-export] worker (ORT wasm) vs TF.js cpu: max |Δ| = ${max.toExponential(2)}`,
      );
      expect(max).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      await store.destroy();
    }
  });
});
