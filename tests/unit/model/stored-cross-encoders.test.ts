import { describe, expect, it } from 'vitest';
import { listCrossEncoderModels, type ModelStore } from '../../../src/core/model/stored-models.ts';
import type { ModelRecord } from '../../../src/core/store/index.ts';
import type { JsonValue } from '../../../src/core/types.ts';

function record(name: string, config: JsonValue, files: string[]): ModelRecord {
  return {
    id: `model:${name}`,
    name,
    source: 'imported',
    createdAt: 1,
    config,
    files: Object.fromEntries(files.map((path) => [path, new ArrayBuffer(4)])),
  };
}

function storeOf(records: ModelRecord[]): ModelStore {
  return {
    listModels: () => Promise.resolve(records),
    getModel: (id) => Promise.resolve(records.find((r) => r.id === id)),
    putModel: () => Promise.reject(new Error('read-only')),
  };
}

const RUNNABLE = ['config.json', 'tokenizer.json', 'onnx/model.onnx'];

describe('listCrossEncoderModels', () => {
  it('lists only runnable sequence-classification models, marking seeded ones', async () => {
    const store = storeOf([
      record('ms-marco', { architectures: ['BertForSequenceClassification'] }, RUNNABLE),
      record(
        'seeded-ce',
        { architectures: ['BertForSequenceClassification'], lumina_seeded: true },
        RUNNABLE,
      ),
      record('no-onnx', { architectures: ['BertForSequenceClassification'] }, ['config.json']),
      record('embedder', { architectures: ['BertModel'] }, RUNNABLE),
      record('decoder', { architectures: ['GPT2LMHeadModel'] }, RUNNABLE),
      record('no-architectures', {}, RUNNABLE),
    ]);
    const listed = await listCrossEncoderModels(store);
    expect(listed.map((m) => [m.name, m.seeded, m.fileCount, m.bytes])).toEqual([
      ['ms-marco', false, 3, 12],
      ['seeded-ce', true, 3, 12],
    ]);
  });
});
