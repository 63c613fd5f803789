import { describe, expect, it } from 'vitest';
import type { BertWeights, Float32Tensor } from '../../../src/core/model/init.ts';
import { initBertWeights } from '../../../src/core/model/init.ts';
import { parseBertConfig } from '../../../src/core/model/bert-config.ts';
import { BertWeightsError } from '../../../src/core/train/bert/index.ts';
import {
  exportTrainedModel,
  extractInferenceModel,
  TrainedExportError,
} from '../../../src/core/train/export/index.ts';
import { MLM_HEAD_NAMES } from '../../../src/core/train/mlm/index.ts';
import { tinyBertConfig } from '../../support/shared-data.ts';
import { minilmTokenizerFiles, perturb, tinyEncoderConfig, trainedMlmHead } from './fixtures.ts';

const config = tinyEncoderConfig();

async function encoderWeights(): Promise<BertWeights> {
  return perturb(await initBertWeights(parseBertConfig(tinyBertConfig()), { seed: 8 }), 9);
}

function moment(tensor: Float32Tensor, value: number): Float32Tensor {
  return {
    dtype: 'F32',
    shape: [...tensor.shape],
    data: new Float32Array(tensor.data.length).fill(value),
  };
}

describe('extractInferenceModel', () => {
  it('keeps exactly the encoder from a BertForMaskedLM-style checkpoint with optimizer moments', async () => {
    const encoder = await encoderWeights();
    const head = trainedMlmHead(config, 3);
    const checkpoint = new Map<string, Float32Tensor>();
    for (const [name, tensor] of encoder) {
      checkpoint.set(`bert.${name}`, tensor);
      checkpoint.set(`optimizer.m.bert.${name}`, moment(tensor, 0.5));
      checkpoint.set(`optimizer.v.bert.${name}`, moment(tensor, 0.25));
    }
    for (const [name, tensor] of head) checkpoint.set(name, tensor);

    const { weights, dropped } = extractInferenceModel(config, checkpoint);
    expect([...weights.keys()].sort()).toEqual([...encoder.keys()].sort());
    for (const [name, tensor] of encoder) expect(weights.get(name)?.data, name).toBe(tensor.data);
    expect(dropped).toHaveLength(2 * encoder.size + head.size);
    expect(dropped).toContain(MLM_HEAD_NAMES.bias);
    expect(dropped.filter((name) => name.startsWith('optimizer.'))).toHaveLength(2 * encoder.size);
  });

  it('reads BertModel names too, with or without the pooler', async () => {
    const encoder = await encoderWeights();
    encoder.delete('pooler.dense.weight');
    encoder.delete('pooler.dense.bias');
    const checkpoint = new Map([
      ...encoder,
      ['step', { dtype: 'F32' as const, shape: [1], data: new Float32Array([7]) }],
    ]);
    const { weights, dropped } = extractInferenceModel(config, checkpoint);
    expect(weights.size).toBe(encoder.size);
    expect(dropped).toEqual(['step']);
  });

  it('names a missing or misshapen encoder tensor', async () => {
    const encoder = await encoderWeights();
    encoder.delete('encoder.layer.1.intermediate.dense.bias');
    expect(() => extractInferenceModel(config, encoder)).toThrow(BertWeightsError);
    expect(() => extractInferenceModel(config, encoder)).toThrow(
      'Missing weight "encoder.layer.1.intermediate.dense.bias"',
    );
    expect(() => extractInferenceModel(config, new Map())).toThrow(/Missing weight "embeddings/);
  });
});

describe('exportTrainedModel refuses what it cannot export', () => {
  it('a tokenizer with more ids than the model has embeddings, a missing tokenizer.json, a bad length', async () => {
    const weights = await encoderWeights();
    const base = {
      config,
      encoderWeights: weights,
      tokenizerFiles: minilmTokenizerFiles(),
      pooling: 'mean' as const,
      normalize: true,
      name: 'x',
      maxSeqLength: 128,
    };
    await expect(
      exportTrainedModel({ ...base, config: { ...config, vocabSize: 1000 } }),
    ).rejects.toThrow();
    const small = { ...tinyBertConfig(), vocab_size: 1000 };
    const smallWeights = perturb(await initBertWeights(parseBertConfig(small), { seed: 1 }), 2);
    await expect(
      exportTrainedModel({ ...base, config: small, encoderWeights: smallWeights }),
    ).rejects.toThrow(/tokenizer.json has token id 30521, but the model's vocab_size is 1000/);
    await expect(exportTrainedModel({ ...base, tokenizerFiles: new Map() })).rejects.toThrow(
      TrainedExportError,
    );
    await expect(exportTrainedModel({ ...base, maxSeqLength: 513 })).rejects.toThrow(
      'maxSeqLength 513 exceeds max_position_embeddings 512',
    );
  });

  it('a tanh-GELU encoder, which has no ONNX export', async () => {
    const weights = await encoderWeights();
    await expect(
      exportTrainedModel({
        config: { ...config, hiddenAct: 'gelu_new' },
        encoderWeights: weights,
        tokenizerFiles: minilmTokenizerFiles(),
        pooling: 'mean',
        normalize: true,
        name: 'x',
        maxSeqLength: 128,
      }),
    ).rejects.toThrow('only "gelu" can be exported to ONNX');
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      exportTrainedModel({
        config,
        encoderWeights: await encoderWeights(),
        tokenizerFiles: minilmTokenizerFiles(),
        pooling: 'mean',
        normalize: true,
        name: 'x',
        maxSeqLength: 128,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});
