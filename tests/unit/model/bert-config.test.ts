import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BertConfigError,
  bertConfigToJson,
  parseBertConfig,
} from '../../../src/core/model/bert-config.ts';

const minilm = JSON.parse(
  readFileSync(
    new URL('../../../../shared/models/all-MiniLM-L6-v2/config.json', import.meta.url),
    'utf8',
  ),
) as Record<string, unknown>;

describe('parseBertConfig', () => {
  it('reads the all-MiniLM-L6-v2 config.json', () => {
    expect(parseBertConfig(minilm)).toEqual({
      vocabSize: 30522,
      hiddenSize: 384,
      numHiddenLayers: 6,
      numAttentionHeads: 12,
      intermediateSize: 1536,
      maxPositionEmbeddings: 512,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      hiddenAct: 'gelu',
      padTokenId: 0,
      initializerRange: 0.02,
    });
  });

  it('fills the fields HF BertConfig defaults', () => {
    const {
      layer_norm_eps,
      hidden_act,
      pad_token_id,
      initializer_range,
      type_vocab_size,
      ...rest
    } = minilm;
    expect([layer_norm_eps, hidden_act, pad_token_id, initializer_range, type_vocab_size]).toEqual([
      1e-12,
      'gelu',
      0,
      0.02,
      2,
    ]);
    expect(parseBertConfig(rest)).toEqual(parseBertConfig(minilm));
  });

  it('round-trips through bertConfigToJson', () => {
    const config = parseBertConfig(minilm);
    expect(parseBertConfig(bertConfigToJson(config))).toEqual(config);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['hidden_size', { hidden_size: undefined }, '"hidden_size" is missing'],
    ['vocab_size', { vocab_size: '30522' }, '"vocab_size" must be an integer, got "30522"'],
    ['num_hidden_layers', { num_hidden_layers: 0 }, '"num_hidden_layers" must be positive, got 0'],
    ['intermediate_size', { intermediate_size: 1.5 }, '"intermediate_size" must be an integer'],
    ['layer_norm_eps', { layer_norm_eps: -1 }, '"layer_norm_eps" must be a positive number'],
    ['hidden_act', { hidden_act: 'relu' }, '"hidden_act" is "relu", only "gelu"'],
    ['num_attention_heads', { num_attention_heads: 5 }, '"num_attention_heads" (5) must divide'],
    ['pad_token_id', { pad_token_id: 30522 }, '"pad_token_id" (30522) must be a token id below'],
    ['model_type', { model_type: 'roberta' }, '"model_type" is "roberta", expected "bert"'],
    [
      'position_embedding_type',
      { position_embedding_type: 'relative_key' },
      '"position_embedding_type" is "relative_key"',
    ],
  ];

  it.each(invalid)('names the field when %s is wrong', (field, change, message) => {
    const config = { ...minilm, ...change };
    let caught: unknown;
    try {
      parseBertConfig(config);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BertConfigError);
    expect((caught as BertConfigError).field).toBe(field);
    expect((caught as Error).message).toContain(message);
  });

  it('rejects a config that is not an object', () => {
    expect(() => parseBertConfig([1, 2])).toThrow('must be a JSON object');
  });
});
