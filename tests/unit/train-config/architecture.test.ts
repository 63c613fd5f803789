import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDecoderConfig } from '../../../src/cli/train-clm.ts';
import { gpt2ConfigToJson } from '../../../src/core/model/decoder/gpt2-config.ts';
import {
  architectureChanges,
  defaultTrainConfig,
  defaultTrainConfigCopy,
  formatIssue,
  modelSectionFromHfConfig,
  modelSectionToHfConfig,
  parseTrainConfigYaml,
  trainConfigToYaml,
  validateTrainConfig,
  withArchitecture,
  writtenArchitecture,
} from '../../../src/core/train/config/index.ts';
import {
  decoderConfigFromTrainConfig,
  dropoutJson,
} from '../../../src/core/train/decoder/config.ts';

const messages = (yaml: string): string[] => {
  const result = parseTrainConfigYaml(yaml);
  expect(result.ok).toBe(false);
  return result.issues.map(formatIssue);
};

describe('model.architecture', () => {
  it('defaults to bert, so BERT YAMLs without it stay valid', () => {
    const result = parseTrainConfigYaml('model:\n  d_model: 64\n  n_heads: 4\n');
    expect(result.config?.model).toMatchObject({
      architecture: 'bert',
      hidden_act: 'gelu',
      layer_norm_eps: 1e-12,
    });
  });

  it('gpt2 takes GPT-2 defaults for what it leaves out', () => {
    const result = parseTrainConfigYaml('model:\n  architecture: gpt2\n');
    expect(result.issues).toEqual([]);
    expect(result.config?.model).toMatchObject({
      architecture: 'gpt2',
      hidden_act: 'gelu_new',
      layer_norm_eps: 1e-5,
      d_model: defaultTrainConfig.model.d_model,
    });
  });

  it('a caller may default a config without architecture to gpt2 (train clm)', () => {
    const result = parseTrainConfigYaml('model:\n  d_model: 64\n', { defaultArchitecture: 'gpt2' });
    expect(result.config?.model.architecture).toBe('gpt2');
    expect(result.config?.model.hidden_act).toBe('gelu_new');
    const bert = parseTrainConfigYaml('model:\n  architecture: bert\n', {
      defaultArchitecture: 'gpt2',
    });
    expect(bert.config?.model.architecture).toBe('bert');
  });

  it('names an unknown architecture', () => {
    expect(messages('model:\n  architecture: llama\n')).toEqual([
      'model.architecture (line 2): must be one of "bert", "gpt2", got "llama"',
    ]);
  });

  it('refuses an activation the architecture does not implement, in both directions', () => {
    const gpt2 = messages('model:\n  architecture: gpt2\n  hidden_act: gelu\n');
    expect(gpt2).toHaveLength(1);
    expect(gpt2[0]).toMatch(/^model\.hidden_act \(line 3\): "gelu" is BERT's exact GELU/);
    expect(gpt2[0]).toMatch(/only "gelu_new"/);
    const bert = messages('model:\n  hidden_act: gelu_new\n');
    expect(bert).toHaveLength(1);
    expect(bert[0]).toMatch(/^model\.hidden_act \(line 2\): "gelu_new" is GPT-2's tanh GELU/);
    expect(bert[0]).toMatch(/architecture: gpt2/);
    // GPT-2's own name for the field reads the same.
    expect(
      parseTrainConfigYaml('model:\n  architecture: gpt2\n  activation_function: gelu_new\n').ok,
    ).toBe(true);
  });

  it('reports BERT-only fields a gpt2 config changes, and ignores them at their defaults', () => {
    const yaml = [
      'model:',
      '  architecture: gpt2',
      '  type_vocab_size: 4',
      'data:',
      '  mask_probability: 0.2',
      '  masking:',
      '    mask: 0.7',
      '    random: 0.2',
    ].join('\n');
    const found = messages(yaml);
    expect(found).toHaveLength(4);
    expect(found[0]).toBe(
      'model.type_vocab_size (line 3): (4) does not apply to architecture gpt2: a GPT-2 decoder has no token type (segment) embeddings; remove it',
    );
    expect(found.slice(1).every((m) => /does not apply to architecture gpt2/.test(m))).toBe(true);
    // No "mask + random + keep must add up to 1": masking is not checked for a decoder.
    expect(found.some((m) => m.includes('add up to 1'))).toBe(false);

    const atDefaults = parseTrainConfigYaml(
      'model:\n  architecture: gpt2\n  type_vocab_size: 2\ndata:\n  mask_probability: 0.15\n',
    );
    expect(atDefaults.issues).toEqual([]);
  });

  it('gpt2 YAML leaves out the fields it does not read and reads back equal', () => {
    const config = defaultTrainConfigCopy('gpt2');
    config.model.d_model = 96;
    config.model.n_heads = 3;
    const yaml = trainConfigToYaml(config);
    expect(yaml).toMatch(/^ {2}architecture: "gpt2"/m);
    expect(yaml).toMatch(/GPT-2 decoder, causal-LM pretraining/);
    expect(yaml).not.toMatch(/^\s+(type_vocab_size|mask_probability|masking):/m);
    expect(parseTrainConfigYaml(yaml)).toEqual({ ok: true, config, issues: [] });
    expect(writtenArchitecture(yaml)).toBe('gpt2');
    expect(trainConfigToYaml(defaultTrainConfig)).toMatch(/type_vocab_size/);
  });

  it('writtenArchitecture tells a written architecture from a defaulted one', () => {
    expect(writtenArchitecture('model:\n  architecture: bert\n')).toBe('bert');
    expect(writtenArchitecture('model:\n  d_model: 8\n')).toBeNull();
    expect(writtenArchitecture('model: [\n')).toBeNull();
  });

  it('switching architecture makes a valid config for the other one', () => {
    const bert = defaultTrainConfigCopy();
    bert.data.masking = { mask: 0.6, random: 0.2, keep: 0.2 };
    bert.model.type_vocab_size = 1;
    const gpt2 = withArchitecture(bert, 'gpt2');
    expect(validateTrainConfig(gpt2).issues).toEqual([]);
    expect(gpt2.model).toMatchObject({
      architecture: 'gpt2',
      hidden_act: 'gelu_new',
      layer_norm_eps: 1e-5,
      type_vocab_size: 2,
    });
    expect(gpt2.data.masking).toEqual(defaultTrainConfig.data.masking);
    // A chosen epsilon is kept; only the old architecture's default follows the switch.
    const custom = { ...bert, model: { ...bert.model, layer_norm_eps: 1e-6 } };
    expect(withArchitecture(custom, 'gpt2').model.layer_norm_eps).toBe(1e-6);
    const back = withArchitecture(gpt2, 'bert');
    expect(validateTrainConfig(back).issues).toEqual([]);
    expect(back.model).toMatchObject({ hidden_act: 'gelu', layer_norm_eps: 1e-12 });
    expect(architectureChanges(gpt2, 'gpt2')).toEqual([]);
  });

  it('the MLM path refuses a gpt2 section, the decoder path reads it as GPT-2', () => {
    const gpt2 = defaultTrainConfigCopy('gpt2');
    expect(() => modelSectionToHfConfig(gpt2.model, { vocabSize: 100, padTokenId: 0 })).toThrow(
      /architecture.*gpt2.*causal-LM/,
    );
    const decoder = decoderConfigFromTrainConfig(gpt2, { vocabSize: 300, bosId: 1, eosId: 2 });
    expect(decoder).toMatchObject({
      vocabSize: 300,
      nEmbd: gpt2.model.d_model,
      nLayer: gpt2.model.n_layers,
      nHead: gpt2.model.n_heads,
      nInner: gpt2.model.d_ff,
      nPositions: gpt2.model.max_seq_len,
      layerNormEpsilon: 1e-5,
    });
  });
});

describe('GPT-2 config.json', () => {
  it('reads back to the gpt2 section it was written from', () => {
    const config = defaultTrainConfigCopy('gpt2');
    Object.assign(config.model, {
      vocab_size: 500,
      d_model: 48,
      n_heads: 3,
      d_ff: 96,
      dropout: 0.05,
    });
    const decoder = decoderConfigFromTrainConfig(config, { vocabSize: 500, bosId: 0, eosId: 0 });
    const json = gpt2ConfigToJson(decoder, dropoutJson(decoder));
    expect(modelSectionFromHfConfig(json)).toEqual(config.model);
  });

  it('refuses what the gpt2 section cannot say', () => {
    const base = {
      model_type: 'gpt2',
      vocab_size: 300,
      bos_token_id: 0,
      eos_token_id: 0,
      n_embd: 32,
      n_head: 4,
      n_layer: 1,
    };
    expect(() => modelSectionFromHfConfig({ ...base, embd_pdrop: 0.1, resid_pdrop: 0 })).toThrow(
      /embd_pdrop \(0\.1\) and resid_pdrop \(0\) differ/,
    );
    expect(() => modelSectionFromHfConfig({ ...base, tie_word_embeddings: false })).toThrow(
      /tie_word_embeddings/,
    );
    expect(() => modelSectionFromHfConfig({ ...base, activation_function: 'relu' })).toThrow(
      /only gelu_new/,
    );
  });
});

describe('lumina train clm reads its config as a decoder', () => {
  const write = async (text: string): Promise<string> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lumina-clm-config-'));
    const file = path.join(dir, 'config.yaml');
    await writeFile(file, text);
    return file;
  };

  it('takes gpt2 when the file leaves the architecture out, and refuses bert', async () => {
    const left = await readDecoderConfig(await write('model:\n  d_model: 32\n  n_heads: 4\n'));
    expect(left.model).toMatchObject({ architecture: 'gpt2', hidden_act: 'gelu_new', d_model: 32 });
    await expect(readDecoderConfig(await write('model:\n  architecture: bert\n'))).rejects.toThrow(
      /model\.architecture is "bert"; train clm trains a gpt2 decoder/,
    );
    await expect(
      readDecoderConfig(await write('model:\n  architecture: gpt2\n  hidden_act: gelu\n')),
    ).rejects.toThrow(/model\.hidden_act \(line 3\)/);
  });
});
