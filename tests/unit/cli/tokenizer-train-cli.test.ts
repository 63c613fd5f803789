import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import {
  createEncoder,
  type TrainedTokenizerJson,
} from '../../../src/core/tokenizer/train/index.ts';
import { wikiLines } from '../tokenizer-train/corpus.ts';
import { captureIo } from '../../support/cli-io.ts';

let root: string;
let corpusA: string;
let corpusB: string;
let heldOut: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-tokenizer-cli-'));
  const lines = wikiLines('valid', 80_000);
  corpusA = path.join(root, 'a.txt');
  corpusB = path.join(root, 'b.txt');
  heldOut = path.join(root, 'held-out.txt');
  await writeFile(corpusA, lines.slice(0, lines.length / 2).join('\n'));
  await writeFile(corpusB, lines.slice(lines.length / 2).join('\n'));
  await writeFile(heldOut, `${wikiLines('test', 20_000).join('\n')}\nzebra ünïcödé 😀\n`);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('lumina tokenizer train', () => {
  it('trains WordPiece on several files and prints one JSON line of metrics', async () => {
    const out = path.join(root, 'wp', 'tokenizer.json');
    const { io, out: stdout, err } = captureIo();
    const code = await runCli(
      [
        'tokenizer',
        'train',
        '--corpus',
        corpusA,
        corpusB,
        '--type',
        'wordpiece',
        '--vocab',
        '1200',
        '--min-frequency',
        '3',
        '--held-out',
        heldOut,
        '--out',
        out,
      ],
      io,
    );
    expect(err.join('\n')).not.toMatch(/lumina tokenizer train:/);
    expect(code).toBe(0);
    expect(stdout).toHaveLength(1);
    const report = JSON.parse(stdout[0] ?? '{}') as Record<string, unknown>;
    expect(report).toMatchObject({
      type: 'wordpiece',
      vocabSize: 1200,
      requestedVocabSize: 1200,
      stop: 'vocab-size',
      corpus: { files: 2 },
    });
    expect(err.some((line) => line.startsWith('tokenizer train: 100%'))).toBe(true);

    const json = JSON.parse(await readFile(out, 'utf8')) as TrainedTokenizerJson;
    expect(Object.keys(json.model.vocab)).toHaveLength(1200);
    const config = JSON.parse(
      await readFile(path.join(root, 'wp', 'tokenizer_config.json'), 'utf8'),
    );
    expect(config).toMatchObject({ tokenizer_class: 'BertTokenizer', unk_token: '[UNK]' });
    const map = JSON.parse(
      await readFile(path.join(root, 'wp', 'special_tokens_map.json'), 'utf8'),
    );
    expect(map).toEqual({
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      mask_token: '[MASK]',
    });

    // The coverage printed is the one of the written tokenizer on the held-out lines.
    const encoder = createEncoder(json);
    const lines = (await readFile(heldOut, 'utf8')).split('\n').filter((l) => l.trim());
    const tokens = lines.flatMap((l) => encoder.encode(l, { addSpecialTokens: false }).ids);
    const coverage = report['coverage'] as Record<string, number>;
    expect(coverage['texts']).toBe(lines.length);
    expect(coverage['tokens']).toBe(tokens.length);
    expect(coverage['unknownTokens']).toBe(tokens.filter((id) => id === 1).length);
  });

  it('trains byte-level BPE with custom special tokens', async () => {
    const out = path.join(root, 'bpe', 'tokenizer.json');
    const { io, out: stdout } = captureIo();
    const code = await runCli(
      [
        'tokenizer',
        'train',
        '--corpus',
        corpusA,
        '--type',
        'bpe',
        '--vocab',
        '700',
        '--special',
        '<s>,</s>,<pad>,<unk>',
        '--lowercase',
        '--out',
        out,
      ],
      io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout[0] ?? '{}') as Record<string, unknown>;
    expect(report).toMatchObject({ type: 'bpe', vocabSize: 700, coverage: null });
    const json = JSON.parse(await readFile(out, 'utf8')) as TrainedTokenizerJson;
    expect(json.added_tokens.map((t) => t.content)).toEqual(['<s>', '</s>', '<pad>', '<unk>']);
    expect(json.normalizer).toEqual({ type: 'Lowercase' });
    expect(json.model.type === 'BPE' && json.model.merges.length).toBe(700 - 4 - 256);
  });

  it('answers usage errors with exit code 2', async () => {
    for (const args of [
      ['--corpus', corpusA, '--vocab', '100', '--out', 'x.json'],
      ['--corpus', corpusA, '--type', 'unigram', '--vocab', '100', '--out', 'x.json'],
      ['--corpus', corpusA, '--type', 'bpe', '--vocab', 'many', '--out', 'x.json'],
      ['--type', 'bpe', '--vocab', '100', '--out', 'x.json'],
    ]) {
      const { io, err } = captureIo();
      expect(await runCli(['tokenizer', 'train', ...args], io)).toBe(2);
      expect(err.join('\n')).toMatch(/Usage: lumina tokenizer train/);
    }
  });
});
