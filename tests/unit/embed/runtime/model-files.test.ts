import { describe, expect, it } from 'vitest';
import {
  checkModelFiles,
  filesResolver,
  modelFolderFiles,
  urlResolver,
} from '../../../../src/core/embed/runtime/model-files.ts';
import { sentenceTransformersDefaults } from '../../../../src/core/embed/runtime/sentence-transformers-config.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const folder = new Map([
  ['config.json', bytes('{}')],
  ['tokenizer.json', bytes('{}')],
  ['tokenizer_config.json', bytes('{}')],
  ['onnx/model.onnx', bytes('onnx')],
]);

describe('model folder files', () => {
  it('drops the top folder of a picked directory', () => {
    const picked = new Map([...folder].map(([path, data]) => [`my-model/${path}`, data]));
    picked.set('other/readme.md', bytes('x'));
    expect([...modelFolderFiles(picked).keys()].sort()).toEqual([...folder.keys()].sort());
  });

  it('accepts a complete folder and says what is missing otherwise', async () => {
    await expect(
      checkModelFiles(filesResolver(folder), 'fp32', [...folder.keys()], 'F'),
    ).resolves.toBeUndefined();
    await expect(
      checkModelFiles(filesResolver(folder), 'fp16', [...folder.keys()], 'F'),
    ).rejects.toThrow(
      'F has no onnx/model_fp16.onnx, which dtype fp16 needs. Choose a dtype it has: fp32 (onnx/model.onnx).',
    );
    const partial = new Map(folder);
    partial.delete('config.json');
    partial.delete('tokenizer.json');
    await expect(checkModelFiles(filesResolver(partial), 'fp32', null, 'F')).rejects.toThrow(
      /F is not a Hugging Face model folder: config\.json, tokenizer\.json are missing\. Pick the folder/,
    );
  });

  it('fetches each file of a served folder once per load and maps 404 to absent', async () => {
    const requests: string[] = [];
    const fakeFetch = (async (input: string | URL | Request) => {
      const url = String(input);
      requests.push(url);
      return url.endsWith('config.json')
        ? new Response('{"a":1}')
        : new Response('nope', { status: 404 });
    }) as typeof fetch;
    const served = urlResolver('/models/tiny', fakeFetch);
    expect(await (await served.resolve('config.json'))?.text()).toBe('{"a":1}');
    expect(await served.resolve('config.json')).toBeDefined();
    expect(await served.resolve('onnx/model.onnx')).toBeUndefined();
    expect(requests).toEqual(['/models/tiny/config.json', '/models/tiny/onnx/model.onnx']);
  });

  it('explains a server error', async () => {
    const failing = (async () => new Response('', { status: 500 })) as typeof fetch;
    await expect(urlResolver('/models/x/', failing).resolve('config.json')).rejects.toThrow(
      /answered 500 for config\.json under \/models\/x\//,
    );
  });
});

describe('sentence-transformers defaults', () => {
  it('reads pooling, max_seq_length and prompts', () => {
    expect(
      sentenceTransformersDefaults(
        { pooling_mode_cls_token: true, pooling_mode_mean_tokens: false },
        { max_seq_length: 256 },
        { prompts: { query: 'query: ', passage: 'passage: ' } },
      ),
    ).toEqual({
      pooling: 'cls',
      maxTokens: 256,
      queryPrefix: 'query: ',
      documentPrefix: 'passage: ',
    });
    expect(sentenceTransformersDefaults(null, null)).toEqual({});
  });
});
