import { describe, expect, it } from 'vitest';
import {
  BertConfigError,
  bertConfigToJson,
  parseBertConfig,
} from '../../../src/core/model/bert-config.ts';
import {
  checkMixedPrecision,
  defaultTrainConfig,
  modelSectionFromHfConfig,
  modelSectionToBertConfig,
  modelSectionToHfConfig,
  splitRatiosOf,
  type ModelSection,
  type TrainConfig,
} from '../../../src/core/train/config/index.ts';
import { assignSplits } from '../../../src/core/prepare/split.ts';

/** bert-base-uncased's config.json as published on the Hub (trimmed to the architecture). */
const BERT_BASE = {
  architectures: ['BertForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  type_vocab_size: 2,
  vocab_size: 30522,
};

describe('model section ↔ HF config.json', () => {
  it('reads bert-base-uncased into the expected section', () => {
    expect(modelSectionFromHfConfig(BERT_BASE)).toEqual({
      architecture: 'bert',
      vocab_size: 30522,
      d_model: 768,
      n_layers: 12,
      n_heads: 12,
      d_ff: 3072,
      max_seq_len: 512,
      type_vocab_size: 2,
      dropout: 0.1,
      attention_dropout: 0.1,
      layer_norm_eps: 1e-12,
      hidden_act: 'gelu',
      initializer_range: 0.02,
    } satisfies ModelSection);
  });

  it('writes a config.json that parseBertConfig reads to the same architecture', () => {
    const model: ModelSection = {
      ...defaultTrainConfig.model,
      d_model: 384,
      n_layers: 6,
      n_heads: 12,
      d_ff: 1536,
      max_seq_len: 256,
      dropout: 0.05,
      attention_dropout: 0.2,
      layer_norm_eps: 1e-5,
    };
    const json = modelSectionToHfConfig(model, { vocabSize: 8000, padTokenId: 3 });
    expect(json).toMatchObject({
      model_type: 'bert',
      hidden_dropout_prob: 0.05,
      attention_probs_dropout_prob: 0.2,
    });
    expect(parseBertConfig(json)).toEqual({
      vocabSize: 8000,
      hiddenSize: 384,
      numHiddenLayers: 6,
      numAttentionHeads: 12,
      intermediateSize: 1536,
      maxPositionEmbeddings: 256,
      typeVocabSize: 2,
      layerNormEps: 1e-5,
      hiddenAct: 'gelu',
      padTokenId: 3,
      initializerRange: 0.02,
    });
    expect(modelSectionToBertConfig(model, { vocabSize: 8000, padTokenId: 3 })).toEqual(
      parseBertConfig(json),
    );
    expect(modelSectionFromHfConfig(json)).toEqual({ ...model, vocab_size: 8000 });
  });

  it('round-trips bertConfigToJson output (which has no dropout fields: HF defaults)', () => {
    const bert = parseBertConfig(BERT_BASE);
    const section = modelSectionFromHfConfig(bertConfigToJson(bert));
    expect(modelSectionToBertConfig(section, { vocabSize: 30522, padTokenId: 0 })).toEqual(bert);
    expect(section.dropout).toBe(0.1);
  });

  it('takes the vocabulary from the tokenizer for "auto", and refuses a smaller one', () => {
    const auto = modelSectionToHfConfig(defaultTrainConfig.model, {
      vocabSize: 5000,
      padTokenId: 0,
    });
    expect(auto.vocab_size).toBe(5000);
    const small = { ...defaultTrainConfig.model, vocab_size: 100 };
    expect(() => modelSectionToHfConfig(small, { vocabSize: 5000, padTokenId: 0 })).toThrow(
      BertConfigError,
    );
  });

  it('passes on bert-config errors naming the field', () => {
    expect(() => modelSectionFromHfConfig({ ...BERT_BASE, num_attention_heads: 7 })).toThrow(
      /num_attention_heads/,
    );
    expect(() => modelSectionFromHfConfig({ ...BERT_BASE, hidden_dropout_prob: 1.5 })).toThrow(
      'config.json: "hidden_dropout_prob" must be a number from 0 to below 1, got 1.5',
    );
  });
});

describe('checkMixedPrecision', () => {
  const withPrecision = (backend: TrainConfig['training']['backend']): TrainConfig => ({
    ...defaultTrainConfig,
    training: { ...defaultTrainConfig.training, mixed_precision: 'fp16', backend },
  });

  it('accepts off everywhere and fp16 where the backend has it', () => {
    expect(checkMixedPrecision(defaultTrainConfig, { backend: 'cpu', fp16: false })).toBeNull();
    expect(
      checkMixedPrecision(withPrecision('webgpu'), { backend: 'webgpu', fp16: true }),
    ).toBeNull();
  });

  it('explains why fp16 cannot run', () => {
    expect(
      checkMixedPrecision(withPrecision('webgpu'), {
        backend: 'webgpu',
        fp16: false,
        detail: 'adapter lacks shader-f16',
      }),
    ).toBe(
      'training.mixed_precision: "fp16" is not supported by the webgpu backend on this device (adapter lacks shader-f16); set it to "off".',
    );
    expect(checkMixedPrecision(withPrecision('wasm'), { backend: 'wasm', fp16: true })).toMatch(
      /^training\.mixed_precision: "fp16" is not available on the wasm backend/,
    );
    expect(checkMixedPrecision(withPrecision('webgpu'), { backend: 'cpu', fp16: false })).toMatch(
      /measured for the cpu backend, but training.backend is webgpu/,
    );
  });
});

describe('split ratios', () => {
  it('feed the prepare step’s seeded split', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `t${i}`);
    const splits = assignSplits(ids, splitRatiosOf(defaultTrainConfig));
    const count = (name: string) => splits.filter((s) => s === name).length;
    expect([count('train'), count('validation'), count('test')]).toEqual([800, 100, 100]);
    expect(splitRatiosOf(defaultTrainConfig).seed).toBe(defaultTrainConfig.data.seed);
  });
});
