import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultTrainConfig,
  formatIssue,
  parseTrainConfigYaml,
  trainConfigToYaml,
  validateTrainConfig,
  type ConfigIssue,
  type TrainConfig,
} from '../../../src/core/train/config/index.ts';

function issuesOf(yaml: string): ConfigIssue[] {
  const result = parseTrainConfigYaml(yaml);
  expect(result.ok).toBe(false);
  return result.issues;
}

function only(yaml: string): ConfigIssue {
  const issues = issuesOf(yaml);
  expect(issues.map(formatIssue)).toHaveLength(1);
  return issues[0] as ConfigIssue;
}

describe('defaults', () => {
  it('are valid and come back unchanged from validation', () => {
    const result = validateTrainConfig(defaultTrainConfig);
    expect(result.issues).toEqual([]);
    expect(result.config).toEqual(defaultTrainConfig);
    expect(result.config).not.toBe(defaultTrainConfig);
  });

  it('fill every key an empty or partial file leaves out', () => {
    expect(parseTrainConfigYaml('').config).toEqual(defaultTrainConfig);
    const partial = parseTrainConfigYaml('training:\n  epochs: 7\nmodel:\n');
    expect(partial.config?.training.epochs).toBe(7);
    expect(partial.config?.model).toEqual(defaultTrainConfig.model);
  });
});

describe('YAML round trip', () => {
  it('reads the exported defaults back to an equal config, with a comment on every field', () => {
    const yaml = trainConfigToYaml(defaultTrainConfig);
    expect(parseTrainConfigYaml(yaml)).toEqual({
      ok: true,
      config: defaultTrainConfig,
      issues: [],
    });
    const lines = yaml.split('\n');
    const fields = lines.flatMap((line, i) => (/^\s+\w+: \S/.test(line) ? [i] : []));
    expect(fields.length).toBeGreaterThan(40);
    for (const i of fields) {
      // Scalars carry their comment on the line, lists on the line above.
      expect(`${lines[i - 1] ?? ''}\n${lines[i] ?? ''}`).toMatch(/ # |^\s*# /m);
    }
    expect(yaml).toMatch(/^ {2}# Train \/ validation \/ test shares/m);
  });

  it('holds for random valid configs', () => {
    const ratio = fc.double({ min: 0, max: 0.999, noNaN: true });
    const config = fc.record({
      d_heads: fc.integer({ min: 1, max: 8 }),
      head_dim: fc.integer({ min: 1, max: 64 }),
      lr: fc.double({ min: 1e-9, max: 10, noNaN: true }),
      dropout: ratio,
      eps: fc.double({ min: 1e-15, max: 1e-3, noNaN: true }),
      dataset: fc.option(fc.string({ minLength: 1 }).filter((s) => s.trim() !== '')),
      tokenizer: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
      maxSteps: fc.option(fc.integer({ min: 1, max: 1e9 })),
      schedule: fc.constantFrom('linear', 'cosine', 'constant' as const),
      vocab: fc.oneof(fc.constant('auto' as const), fc.integer({ min: 1, max: 300_000 })),
    });
    fc.assert(
      fc.property(config, (r) => {
        const c: TrainConfig = structuredClone(defaultTrainConfig);
        c.model.n_heads = r.d_heads;
        c.model.d_model = r.d_heads * r.head_dim;
        c.model.vocab_size = r.vocab;
        c.model.dropout = r.dropout;
        c.model.layer_norm_eps = r.eps;
        c.data.dataset = r.dataset;
        c.data.tokenizer = r.tokenizer;
        c.training.learning_rate = r.lr;
        c.training.max_steps = r.maxSteps;
        c.training.schedule = r.schedule;
        expect(validateTrainConfig(c).issues).toEqual([]);
        expect(parseTrainConfigYaml(trainConfigToYaml(c)).config).toEqual(c);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('keeps a corpus file list', () => {
    const c: TrainConfig = structuredClone(defaultTrainConfig);
    c.data.corpus_files = ['wiki.valid.txt', 'data/scifact corpus.txt', '#hash: yes'];
    expect(parseTrainConfigYaml(trainConfigToYaml(c)).config).toEqual(c);
  });
});

describe('errors name the field and its line', () => {
  it('a wrong type, in the documented format', () => {
    const yaml = [
      'model:',
      '  d_model: 256',
      'training:',
      '  epochs: 2',
      '  learning_rate: fast',
    ].join('\n');
    const issue = only(yaml);
    expect(issue).toMatchObject({
      code: 'type',
      path: 'training.learning_rate',
      line: 5,
      column: 18,
    });
    expect(formatIssue(issue)).toBe(
      'training.learning_rate (line 5): must be a positive number, got "fast"',
    );
  });

  it('out-of-range values of each kind', () => {
    const yaml = [
      'model:',
      '  n_layers: 0',
      '  dropout: 1',
      '  vocab_size: big',
      '  hidden_act: relu',
      'data:',
      '  seq_len: 12.5',
      '  tokenizer: ""',
      '  corpus_files: [a.txt, 3]',
      'training:',
      '  max_grad_norm: -1',
      '  schedule: step',
    ].join('\n');
    expect(issuesOf(yaml).map(formatIssue)).toEqual([
      'model.n_layers (line 2): must be a whole number of 1 or more, got 0',
      'model.dropout (line 3): must be a number from 0 to below 1, got 1',
      'model.vocab_size (line 4): must be "auto" or a whole number of 1 or more, got "big"',
      'model.hidden_act (line 5): must be one of "gelu", "gelu_new", got "relu"',
      'data.seq_len (line 7): must be a whole number of 3 or more, got 12.5',
      'data.tokenizer (line 8): must be a non-empty string, got ""',
      'data.corpus_files (line 9): must be a list of non-empty strings, got a list',
      'training.max_grad_norm (line 11): must be a number of 0 or more, got -1',
      'training.schedule (line 12): must be one of "linear", "cosine", "constant", got "step"',
    ]);
  });

  it('a section that is not a mapping', () => {
    const issue = only('data: 5\n');
    expect(formatIssue(issue)).toBe('data (line 1): must be a mapping of fields, got 5');
  });

  it('a YAML syntax error, with its line and column', () => {
    const issues = issuesOf('model:\n  d_model: [256,\ntraining:\n  epochs: 2\n');
    expect(issues[0]).toMatchObject({ code: 'yaml', path: '' });
    expect(issues[0]?.line).toBeGreaterThanOrEqual(2);
    expect(formatIssue(issues[0] as ConfigIssue)).toMatch(/^line \d+: /);
  });

  it('a key given twice in YAML', () => {
    const issue = only('training:\n  epochs: 2\n  epochs: 3\n');
    expect(issue).toMatchObject({ code: 'yaml', line: 3 });
    expect(issue.message).toMatch(/unique/);
  });

  it('a key given twice through an alias', () => {
    const issue = only('training:\n  learning_rate: 0.001\n  lr: 0.002\n');
    expect(formatIssue(issue)).toBe(
      'training.learning_rate (written as training.lr, line 3): is given twice, as "training.learning_rate" and as "training.lr"; keep one',
    );
  });

  it('reports every problem at once, sorted by line', () => {
    const yaml = [
      'model:',
      '  d_model: 250',
      '  n_heads: 4',
      '  dropot: 0.1',
      'data:',
      '  split:',
      '    train: 0.8',
      '    val: 0.1',
      '    test: 0.2',
      'training:',
      '  lr: -3',
      '  backend: cpu',
      '  mixed_precision: fp16',
    ].join('\n');
    expect(issuesOf(yaml).map(formatIssue)).toEqual([
      'model.n_heads (line 3): (4) must divide model.d_model (250) so that every head gets d_model / n_heads dimensions',
      'model.dropot (line 4): unknown key "dropot" in model; did you mean "dropout"?',
      'data.split (line 6): train + validation + test must add up to 1, got 0.8 + 0.1 + 0.2 = 1.1',
      'training.learning_rate (written as training.lr, line 11): must be a positive number, got -3',
      'training.mixed_precision (line 13): "fp16" is not available on the cpu backend (it computes in float32 only); set it to "off"',
    ]);
  });
});

describe('unknown keys', () => {
  it('suggest the nearest name in the same place', () => {
    const issue = only('training:\n  lerning_rate: 0.001\n');
    expect(issue).toMatchObject({
      code: 'unknown-key',
      path: 'training.lerning_rate',
      line: 2,
      column: 3,
    });
    expect(issue.message).toBe(
      'unknown key "lerning_rate" in training; did you mean "learning_rate"?',
    );
    expect(only('modle:\n  d_model: 64\n').message).toBe(
      'unknown key "modle" at the top level; did you mean "model"?',
    );
    expect(only('training:\n  early_stopping:\n    patiense: 2\n').message).toBe(
      'unknown key "patiense" in training.early_stopping; did you mean "patience"?',
    );
  });

  it('point to the right section for a field in the wrong one', () => {
    expect(only('data:\n  batch_size: 8\n').message).toBe(
      'unknown key "batch_size" in data; it belongs at training.batch_size',
    );
  });

  it('say nothing more when nothing is close', () => {
    expect(only('logging:\n  level: INFO\n').message).toBe(
      'unknown key "logging" at the top level',
    );
  });
});

describe('cross-field rules', () => {
  it('split ratios must add up to 1 (float noise tolerated)', () => {
    expect(
      parseTrainConfigYaml('data:\n  split: {train: 0.7, validation: 0.2, test: 0.1}\n').ok,
    ).toBe(true);
    const issue = only('data:\n  split:\n    train: 0.7\n    validation: 0.2\n    test: 0.2\n');
    expect(issue).toMatchObject({ code: 'conflict', path: 'data.split', line: 2 });
    expect(issue.message).toBe(
      'train + validation + test must add up to 1, got 0.7 + 0.2 + 0.2 = 1.1',
    );
  });

  it('d_model must divide by n_heads', () => {
    const issue = only('model:\n  d_model: 100\n  n_heads: 3\n');
    expect(issue).toMatchObject({ code: 'conflict', path: 'model.n_heads', line: 3 });
    expect(parseTrainConfigYaml('model:\n  d_model: 96\n  n_heads: 3\n').ok).toBe(true);
  });

  it('masking shares, sequence length, warmup, early stopping, data source', () => {
    const at = (yaml: string) => {
      const issue = only(yaml);
      return [issue.path, issue.line];
    };
    expect(at('data:\n  masking: {mask: 0.8, random: 0.1, keep: 0.2}\n')).toEqual([
      'data.masking',
      2,
    ]);
    expect(at('data:\n  seq_len: 600\n')).toEqual(['data.seq_len', 2]);
    expect(at('training:\n  warmup_steps: 100\n')).toEqual(['training.warmup_ratio', 1]);
    expect(at('training:\n  max_steps: 50\n  warmup_steps: 50\n  warmup_ratio: 0\n')).toEqual([
      'training.warmup_steps',
      3,
    ]);
    expect(at('data:\n  split: {train: 0.9, validation: 0, test: 0.1}\n')).toEqual([
      'training.early_stopping.patience',
      undefined,
    ]);
    expect(at('data:\n  dataset: abc\n  corpus_files: [a.txt]\n')).toEqual([
      'data.corpus_files',
      3,
    ]);
  });

  it('checks a form object the same way, without lines', () => {
    const c = structuredClone(defaultTrainConfig) as unknown as { model: Record<string, unknown> };
    c.model.d_model = null;
    c.model.n_heads = 5;
    expect(validateTrainConfig(c).issues.map(formatIssue)).toEqual([
      'model.d_model: must be a whole number of 1 or more, got null',
    ]);
  });
});

describe('aliases', () => {
  it('read a LuminaLM-style config', () => {
    const yaml = [
      'model:',
      '  d_model: 512',
      '  src_seq_len: 512',
      '  batch_size: 32',
      '  learning_rate: 5e-5',
      '  epochs: 5',
      '  patience: 3',
      'data:',
      '  train_split: 0.8',
      '  val_split: 0.1',
      '  test_split: 0.1',
      '  max_samples: 100000',
      'training:',
      '  use_mixed_precision: true',
      '  backend: webgpu',
      '  gradient_accumulation_steps: 4',
      '  max_grad_norm: 1.0',
      '  warmup_steps: 1000',
      '  warmup_ratio: 0',
      '  weight_decay: 0.01',
      '  dropout: 0.1',
      '  validation_steps: 500',
    ].join('\n');
    const result = parseTrainConfigYaml(yaml);
    expect(result.issues).toEqual([]);
    const c = result.config as TrainConfig;
    expect(c.model.d_model).toBe(512);
    expect(c.model.max_seq_len).toBe(512);
    expect(c.data.seq_len).toBe(512);
    expect(c.training).toMatchObject({
      batch_size: 32,
      learning_rate: 5e-5,
      epochs: 5,
      mixed_precision: 'fp16',
      grad_accumulation_steps: 4,
      warmup_steps: 1000,
      eval_every_steps: 500,
    });
    expect(c.training.early_stopping.patience).toBe(3);
    expect(c.data.split).toEqual({ train: 0.8, validation: 0.1, test: 0.1 });
    expect(c.data.max_samples).toBe(100000);
  });

  it('read HF names and are written back under the canonical ones', () => {
    const c = parseTrainConfigYaml(
      'model:\n  hidden_size: 128\n  num_attention_heads: 2\n  intermediate_size: 512\n  num_hidden_layers: 2\ntraining:\n  lr: 0.001\n',
    ).config as TrainConfig;
    expect(c.model).toMatchObject({ d_model: 128, n_heads: 2, d_ff: 512, n_layers: 2 });
    const yaml = trainConfigToYaml(c);
    expect(yaml).toContain('  d_model: 128 #');
    expect(yaml).not.toMatch(/^\s*(hidden_size|lr):/m);
  });
});
