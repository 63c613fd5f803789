import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import { readBundle } from '../../../src/core/bundle/index.ts';
import { EmbeddingModel } from '../../../src/core/embed/runtime/index.ts';
import type { BertWeights } from '../../../src/core/model/init.ts';
import { modelFromZip } from '../../../src/core/model/model-archive.ts';
import { decodeSafetensors } from '../../../src/core/model/safetensors.ts';
import { listRunnableModels, storedModelFiles } from '../../../src/core/model/stored-models.ts';
import type { Progress } from '../../../src/core/progress.ts';
import {
  readBertSafetensors,
  useBackend,
  type BertEncoder,
} from '../../../src/core/train/bert/index.ts';
import {
  exportedModelZip,
  exportTrainedModel,
  saveExportedModel,
} from '../../../src/core/train/export/index.ts';
import { pickMlmHeadWeights } from '../../../src/core/train/mlm/index.ts';
import { minilmDir, tinyBertConfig } from '../../support/shared-data.ts';
import { openTestStore } from '../store/indexeddb-env.ts';
import {
  maxAbsDiff,
  minilmTokenizerFiles,
  pool,
  tensorRows,
  tfHiddenStates,
  trainedMlmHead,
  trainedTinyEncoder,
  writeFolder,
} from './fixtures.ts';

const TEXTS = [
  'Hello world!',
  'A trained encoder, exported by Lumina, embeds a padded batch of mixed lengths.',
  'Short.',
];
const WIDTH = 32;

let tmp: string;
let encoder: BertEncoder;
let weights: BertWeights;
let head: BertWeights;
let files: Map<string, Uint8Array>;
const events: Progress[] = [];

beforeAll(async () => {
  await useBackend('cpu');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lumina-train-export-'));
  encoder = await trainedTinyEncoder(21);
  weights = await encoder.readWeights();
  head = trainedMlmHead(encoder.config, 22);
  files = await exportTrainedModel({
    config: encoder.config,
    encoderWeights: weights,
    tokenizerFiles: minilmTokenizerFiles(),
    pooling: 'mean',
    normalize: true,
    name: 'tiny-trained',
    maxSeqLength: 128,
    mlmHeadWeights: head,
    training: { steps: 40, trainLoss: 6.1234567, data: 'Two test sentences.' },
    onProgress: (event) => events.push(event),
  });
  await writeFolder(path.join(tmp, 'tiny-trained'), files);
});

afterAll(async () => {
  encoder.dispose();
  await rm(tmp, { recursive: true, force: true });
});

async function localPipeline(folder: string): Promise<FeatureExtractionPipeline> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${tmp}${path.sep}`;
  return pipeline('feature-extraction', folder, { dtype: 'fp32' });
}

/**
 * The TF.js encoder's hidden states for exactly the token ids and mask the embedding runtime
 * produced for TEXTS, with that mask as rows.
 */
async function tfStatesOfRuntimeTokens(
  model: EmbeddingModel,
): Promise<{ hidden: Float32Array; mask: number[][] }> {
  const { tokens } = await model.hiddenStates(TEXTS, 'document');
  const rows = (flat: Int32Array): number[][] =>
    Array.from({ length: tokens.batch }, (_, b) =>
      Array.from(flat.subarray(b * tokens.seq, (b + 1) * tokens.seq)),
    );
  const mask = rows(tokens.attentionMask);
  const hidden = await tfHiddenStates(encoder, {
    inputIds: rows(tokens.inputIds),
    attentionMask: mask,
    ...(tokens.tokenTypeIds ? { tokenTypeIds: rows(tokens.tokenTypeIds) } : {}),
  });
  return { hidden, mask };
}

describe('exportTrainedModel', () => {
  it('writes the HF + sentence-transformers layout, encoder-only at the top', () => {
    expect([...files.keys()].sort()).toEqual(
      [
        '1_Pooling/config.json',
        'README.md',
        'config.json',
        'config_sentence_transformers.json',
        'mlm/config.json',
        'mlm/model.safetensors',
        'mlm/special_tokens_map.json',
        'mlm/tokenizer.json',
        'mlm/tokenizer_config.json',
        'mlm/vocab.txt',
        'model.safetensors',
        'modules.json',
        'onnx/model.onnx',
        'sentence_bert_config.json',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'vocab.txt',
      ].sort(),
    );
    const json = (name: string): unknown => JSON.parse(new TextDecoder().decode(files.get(name)));
    expect(json('config.json')).toMatchObject({
      architectures: ['BertModel'],
      model_type: 'bert',
      hidden_size: WIDTH,
      num_hidden_layers: 2,
      hidden_dropout_prob: 0.1,
    });
    expect(json('mlm/config.json')).toMatchObject({ architectures: ['BertForMaskedLM'] });
    expect(json('1_Pooling/config.json')).toMatchObject({
      word_embedding_dimension: WIDTH,
      pooling_mode_mean_tokens: true,
      pooling_mode_cls_token: false,
    });
    expect(json('sentence_bert_config.json')).toMatchObject({ max_seq_length: 128 });
    expect((json('modules.json') as { type: string }[]).map((m) => m.type)).toEqual([
      'sentence_transformers.models.Transformer',
      'sentence_transformers.models.Pooling',
      'sentence_transformers.models.Normalize',
    ]);
    // vocab.txt derived from tokenizer.json equals MiniLM's own, line for line.
    return readFile(path.join(minilmDir, 'vocab.txt'), 'utf8').then((vocab) => {
      expect(new TextDecoder().decode(files.get('vocab.txt'))).toBe(vocab);
    });
  });

  it('keeps the encoder in model.safetensors and the head in mlm/, both loadable for training', () => {
    const top = decodeSafetensors(files.get('model.safetensors') ?? new Uint8Array());
    expect([...top.tensors.keys()].some((name) => name.startsWith('cls.'))).toBe(false);
    expect(top.tensors.size).toBe(weights.size);
    const topRead = readBertSafetensors(
      encoder.config,
      files.get('model.safetensors') ?? new Uint8Array(),
    );
    for (const [name, tensor] of weights) {
      expect(maxAbsDiff(topRead.encoder.get(name)?.data ?? [], tensor.data), name).toBe(0);
    }

    const mlm = readBertSafetensors(
      encoder.config,
      files.get('mlm/model.safetensors') ?? new Uint8Array(),
    );
    expect(mlm.encoder.has('pooler.dense.weight')).toBe(false);
    expect(mlm.encoder.size).toBe(weights.size - 2);
    for (const [name, tensor] of mlm.encoder) {
      expect(maxAbsDiff(tensor.data, weights.get(name)?.data ?? []), name).toBe(0);
    }
    const restored = pickMlmHeadWeights(encoder.config, mlm.rest);
    for (const [name, tensor] of head) {
      expect(maxAbsDiff(restored.get(name)?.data ?? [], tensor.data), name).toBe(0);
    }
  });

  it('writes a model card with only the measured values passed in, and reports progress', () => {
    const card = new TextDecoder().decode(files.get('README.md'));
    expect(card).toMatch(/^---\nlibrary_name: sentence-transformers\n/);
    expect(card).toContain('# tiny-trained');
    expect(card).toContain('| Optimizer steps | 40 |');
    expect(card).toContain('| Train loss (MLM) | 6.12346 |');
    expect(card).toContain('Two test sentences.');
    expect(card).not.toContain('Validation loss');
    expect(card).not.toContain('Perplexity');
    expect(events[0]?.status).toBe('start');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
  });

  it('runs in transformers.js feature-extraction: embeddings equal the TF.js encoder ≤ 1e-4', async () => {
    const extractor = await localPipeline('tiny-trained');
    try {
      const encoded = extractor.tokenizer(TEXTS, { padding: true, truncation: true });
      const types = encoded.token_type_ids;
      if (!types) throw new Error('the BERT tokenizer returned no token_type_ids');
      const rows = {
        inputIds: tensorRows(encoded.input_ids),
        attentionMask: tensorRows(encoded.attention_mask),
        tokenTypeIds: tensorRows(types),
      };
      expect(rows.attentionMask.some((row) => row.includes(0))).toBe(true);
      const hidden = await tfHiddenStates(encoder, rows);
      const expected = pool(hidden, rows.attentionMask, WIDTH, 'mean', true);

      const embeddings = await extractor(TEXTS, { pooling: 'mean', normalize: true });
      expect(embeddings.dims).toEqual([TEXTS.length, WIDTH]);
      const diff = maxAbsDiff(embeddings.data as Float32Array, expected);
      console.info(
        `transformers.js vs TF.js, mean-pooled normalised: max |Δ| = ${diff.toExponential(2)}`,
      );
      expect(diff).toBeLessThanOrEqual(1e-4);

      // The raw last hidden state too, padded positions included.
      const states = await extractor(TEXTS, { pooling: 'none' });
      const stateDiff = maxAbsDiff(states.data as Float32Array, hidden);
      console.info(
        `transformers.js vs TF.js, last_hidden_state: max |Δ| = ${stateDiff.toExponential(2)}`,
      );
      expect(stateDiff).toBeLessThanOrEqual(1e-4);
    } finally {
      await extractor.dispose();
    }
  });

  it('loads in Lumina`s CLI embed and its vectors equal the TF.js encoder ≤ 1e-4', async () => {
    const corpus = path.join(tmp, 'corpus');
    await mkdir(corpus, { recursive: true });
    await writeFile(
      path.join(corpus, 'claims.jsonl'),
      TEXTS.map((text, i) => JSON.stringify({ _id: `c${i}`, text })).join('\n'),
    );
    const out = path.join(tmp, 'claims.lumina');
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runCli(
      ['embed', corpus, '--model', path.join(tmp, 'tiny-trained'), '--out', out],
      { stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) },
    );
    expect(stderr.join('\n')).not.toMatch(/lumina embed:/);
    expect(code).toBe(0);
    const bundle = await readBundle(new Uint8Array(await readFile(out)));
    expect(bundle.manifest.model).toMatchObject({
      id: 'tiny-trained',
      dims: WIDTH,
      pooling: 'mean',
    });
    expect(bundle.chunks.map((chunk) => chunk.text)).toEqual(TEXTS);

    const extractor = await localPipeline('tiny-trained');
    try {
      const encoded = extractor.tokenizer(TEXTS, { padding: true, truncation: true });
      const mask = tensorRows(encoded.attention_mask);
      const hidden = await tfHiddenStates(encoder, {
        inputIds: tensorRows(encoded.input_ids),
        attentionMask: mask,
      });
      const diff = maxAbsDiff(bundle.embeddings, pool(hidden, mask, WIDTH, 'mean', true));
      console.info(`lumina embed (CLI) vs TF.js: max |Δ| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-4);
    } finally {
      await extractor.dispose();
    }
  });

  it('is kept in the browser model store (listed as runnable) and zips back to the same files', async () => {
    const store = await openTestStore();
    const id = await saveExportedModel(store, files, 'tiny-trained', { now: 5 });
    const listed = await listRunnableModels(store);
    expect(listed.map((model) => model.id)).toEqual([id]);
    expect(listed[0]?.fileCount).toBe(files.size);

    const stored = await storedModelFiles(store, id);
    const model = await EmbeddingModel.load(
      { kind: 'files', files: stored, name: 'tiny-trained' },
      { device: 'wasm' },
    );
    try {
      expect(model.info).toMatchObject({ dims: WIDTH, pooling: 'mean', normalize: true });
      const { hidden, mask } = await tfStatesOfRuntimeTokens(model);
      const vectors = await model.embed(TEXTS, 'document');
      expect(maxAbsDiff(vectors, pool(hidden, mask, WIDTH, 'mean', true))).toBeLessThanOrEqual(
        1e-4,
      );
    } finally {
      await model.dispose();
    }

    const zip = await exportedModelZip(files, 'tiny-trained');
    expect(zip.fileName).toBe('tiny-trained.zip');
    const unzipped = await modelFromZip(zip.bytes);
    expect([...unzipped.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [name, bytes] of files)
      expect(Buffer.compare(unzipped.get(name) ?? new Uint8Array(), bytes), name).toBe(0);
  });

  it('exports CLS pooling without Normalize, which Lumina reads from the pooling config', async () => {
    const cls = await exportTrainedModel({
      config: tinyBertConfig(),
      encoderWeights: weights,
      tokenizerFiles: minilmTokenizerFiles(),
      pooling: 'cls',
      normalize: false,
      name: 'tiny-cls',
      maxSeqLength: 64,
    });
    expect(cls.has('mlm/model.safetensors')).toBe(false);
    const json = (name: string): unknown => JSON.parse(new TextDecoder().decode(cls.get(name)));
    expect(json('1_Pooling/config.json')).toMatchObject({
      pooling_mode_mean_tokens: false,
      pooling_mode_cls_token: true,
    });
    expect((json('modules.json') as { type: string }[]).map((m) => m.type)).not.toContain(
      'sentence_transformers.models.Normalize',
    );
    // Fields of the source config.json are kept, the ones naming another model are not.
    expect(json('config.json')).toMatchObject({ architectures: ['BertModel'], hidden_size: WIDTH });
    expect((json('config.json') as Record<string, unknown>)._name_or_path).toBeUndefined();

    const model = await EmbeddingModel.load(
      { kind: 'files', files: cls, name: 'tiny-cls' },
      { device: 'wasm', normalize: false },
    );
    try {
      expect(model.info.pooling).toBe('cls');
      const { hidden, mask } = await tfStatesOfRuntimeTokens(model);
      const vectors = await model.embed(TEXTS, 'document');
      expect(maxAbsDiff(vectors, pool(hidden, mask, WIDTH, 'cls', false))).toBeLessThanOrEqual(
        1e-4,
      );
    } finally {
      await model.dispose();
    }
  });
});
