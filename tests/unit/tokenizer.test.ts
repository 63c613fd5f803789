import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTokenizer, whitespaceCounter } from '../../src/core/tokenizer/index.ts';

const modelDir = new URL('../../../shared/models/all-MiniLM-L6-v2/', import.meta.url);
const readJson = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(name, modelDir), 'utf8'));
const tokenizerJson = readJson('tokenizer.json');
const vocab = readFileSync(new URL('vocab.txt', modelDir), 'utf8').split('\n');
const minilm = loadTokenizer(tokenizerJson, readJson('tokenizer_config.json'), 'all-MiniLM-L6-v2');

describe('loadTokenizer (all-MiniLM-L6-v2)', () => {
  it('gives the ids vocab.txt assigns, without [CLS]/[SEP]', () => {
    const { ids } = minilm.encode('Hello world!');
    expect(ids).toEqual([7592, 2088, 999]);
    expect(ids.map((id) => vocab[id])).toEqual(['hello', 'world', '!']);
    expect(minilm.count('Hello world!')).toBe(3);
    expect(ids).not.toContain(vocab.indexOf('[CLS]'));
    expect(ids).not.toContain(vocab.indexOf('[SEP]'));
  });

  it('splits unknown words into word pieces from vocab.txt', () => {
    const { ids } = minilm.encode('unaffable tokenization');
    const pieces = ids.map((id) => vocab[id]);
    expect(pieces.join(' ')).toBe('una ##ffa ##ble token ##ization');
  });

  it('has truncation and padding switched off despite the file', () => {
    const file = tokenizerJson as { truncation: { max_length: number }; padding: unknown };
    expect(file.truncation.max_length).toBe(128);
    expect(file.padding).not.toBeNull();
    const words = Array.from({ length: 500 }, (_, i) => `word${i % 7}`).join(' ');
    expect(minilm.count(words)).toBeGreaterThan(128);
    expect(minilm.encode(words).ids.length).toBe(minilm.count(words));
    expect(minilm.count('a')).toBe(1);
    expect(minilm.count('')).toBe(0);
  });

  it('names itself after the given name, else the config, else the model type', () => {
    expect(minilm.name).toBe('all-MiniLM-L6-v2');
    expect(loadTokenizer(tokenizerJson, { name_or_path: 'org/model' }).name).toBe('org/model');
    expect(loadTokenizer(tokenizerJson).name).toBe('wordpiece-tokenizer');
  });

  it('does not mutate the parsed tokenizer.json it was given', () => {
    const copy = structuredClone(tokenizerJson);
    loadTokenizer(copy);
    expect(copy).toEqual(tokenizerJson);
  });

  it('rejects what is not a tokenizer.json with a clear message', () => {
    expect(() => loadTokenizer({ hello: 1 })).toThrow(/tokenizer\.json.*"model"/);
    expect(() => loadTokenizer(null)).toThrow(/tokenizer\.json/);
    expect(() => loadTokenizer({ model: { type: 'Nope' } })).toThrow(/could not be loaded/);
  });
});

describe('whitespaceCounter', () => {
  it('counts runs of non-whitespace and reports their offsets', () => {
    const text = '  Hello,\tworld!\n\nagain ';
    expect(whitespaceCounter.name).toBe('whitespace');
    expect(whitespaceCounter.count(text)).toBe(3);
    const { ids, offsets } = whitespaceCounter.encode(text);
    expect(offsets.map(([a, b]) => text.slice(a, b))).toEqual(['Hello,', 'world!', 'again']);
    expect(ids).toHaveLength(3);
    expect(whitespaceCounter.encode('again').ids[0]).toBe(ids[2]);
    expect(whitespaceCounter.count('')).toBe(0);
  });
});
