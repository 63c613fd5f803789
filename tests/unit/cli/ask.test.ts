import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AskReport } from '../../../src/cli/ask.ts';
import { askCommand } from '../../../src/cli/ask.ts';
import { runCli } from '../../../src/cli/cli.ts';
import type { CliIo } from '../../../src/cli/cli-types.ts';
import { loadLocalModel } from '../../../src/cli/eval-model.ts';
import {
  writeBundle,
  type BundleChunk,
  type BundleDocument,
  type BundleInput,
} from '../../../src/core/bundle/index.ts';
import { tinySeededModel } from '../../support/shared-data.ts';

const DOCS: Record<string, string[]> = {
  bees: [
    'Honey bees communicate the location of flowers with a waggle dance.',
    'The angle of the dance shows the direction of the food relative to the sun.',
  ],
  volcanoes: [
    'Volcanoes form where magma reaches the surface of the Earth.',
    'Basalt lava flows are runny because they hold little silica.',
  ],
  tides: ['Ocean tides are caused mainly by the gravity of the Moon.'],
};

let root: string;
let modelDir: string;
let bundlePath: string;

function capture(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (l) => out.push(l), stderr: (l) => err.push(l) }, out, err };
}

/** The documents chunked one sentence per chunk, embedded with the seeded model. */
async function buildInput(): Promise<BundleInput> {
  const chunks: BundleChunk[] = [];
  const documents: BundleDocument[] = [];
  for (const [docId, sentences] of Object.entries(DOCS)) {
    const text = sentences.join(' ');
    let at = 0;
    sentences.forEach((sentence, i) => {
      chunks.push({
        docId,
        chunkIndex: i,
        source: `${docId}.txt`,
        text: sentence,
        charStart: at,
        charEnd: at + sentence.length,
        tokenCount: sentence.split(' ').length,
        metadata: {},
      });
      at += sentence.length + 1;
    });
    documents.push({
      docId,
      source: `${docId}.txt`,
      charCount: text.length,
      chunkCount: sentences.length,
      metadata: {},
    });
  }
  const model = await loadLocalModel(modelDir);
  try {
    const { dims } = model.info;
    const embeddings = await model.embed(
      chunks.map((c) => c.text),
      'document',
    );
    const docEmbeddings = new Float32Array(documents.length * dims).fill(0.1);
    return {
      appVersion: '0.1.0',
      created: '2025-01-01T00:00:00.000Z',
      model: {
        id: 'tiny-bert',
        revision: null,
        weightsSha256: 'cd'.repeat(32),
        dims,
        pooling: 'mean',
        normalize: model.info.normalize,
        dtype: 'fp32',
        maxTokens: model.info.maxTokens,
        queryPrefix: '',
        documentPrefix: '',
      },
      chunking: { mode: 'sentence', chunkTokens: 64, overlapTokens: 0 },
      chunks,
      embeddings,
      documents,
      docEmbeddings,
    };
  } finally {
    await model.dispose();
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-ask-'));
  modelDir = path.join(root, 'tiny-bert');
  const folder = await tinySeededModel(11);
  for (const [relative, bytes] of folder.files) {
    await mkdir(path.dirname(path.join(modelDir, relative)), { recursive: true });
    await writeFile(path.join(modelDir, relative), bytes);
  }
  bundlePath = path.join(root, 'nature.lumina');
  await writeFile(bundlePath, await writeBundle(await buildInput()));
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

function report(out: string[]): AskReport {
  expect(out.length).toBe(2);
  return JSON.parse(out[1] ?? '') as AskReport;
}

describe('lumina ask', () => {
  it('answers extractively with BM25: the answer line, then one JSON line with citations', async () => {
    const run = capture();
    const code = await runCli(
      [
        'ask',
        '--data',
        bundlePath,
        '--question',
        'How do honey bees tell where the flowers are?',
        '--extractive',
        '--top-k',
        '3',
      ],
      run.io,
    );
    expect(run.err).toEqual([]);
    expect(code).toBe(0);
    const json = report(run.out);
    expect(run.out[0]).toBe(json.answer);
    expect(json.answer).toContain('waggle dance');
    expect(json.answer).toMatch(/\[1\]/);
    expect(json.abstained).toBe(false);
    expect(json.citations[0]).toMatchObject({ n: 1, docId: 'bees', chunkIds: ['bees#0'] });
    expect(json.passages[0]).toMatchObject({ chunkId: 'bees#0', docId: 'bees', rank: 1 });
    expect(Object.keys(json.timings).sort()).toEqual(['answerMs', 'assembleMs', 'retrieveMs']);
  });

  it('expands neighbours into one merged source', async () => {
    const run = capture();
    await askCommand(
      [
        '--data',
        bundlePath,
        '--question',
        'waggle dance of honey bees',
        '--top-k',
        '1',
        '--neighbours',
        '1',
      ],
      run.io,
    );
    const json = report(run.out);
    expect(json.passages.map((p) => [p.chunkId, p.neighbourOf])).toEqual([
      ['bees#0', null],
      ['bees#1', 'bees#0'],
    ]);
    expect(json.citations[0]?.chunkIds).toEqual(['bees#0', 'bees#1']);
  });

  it('abstains when nothing matches', async () => {
    const run = capture();
    await askCommand(
      ['--data', bundlePath, '--question', 'Who coaches the Peruvian football team?'],
      run.io,
    );
    const json = report(run.out);
    expect(json.abstained).toBe(true);
    expect(json.answer).toBe('I could not find this in nature.');
    expect(json.citations).toEqual([]);
  });

  it('embeds the question with --model for dense retrieval', async () => {
    const run = capture();
    const question = DOCS['volcanoes']?.[1] ?? '';
    await askCommand(
      [
        '--data',
        bundlePath,
        '--question',
        question,
        '--retriever',
        'dense',
        '--model',
        modelDir,
        '--top-k',
        '2',
      ],
      run.io,
    );
    const json = report(run.out);
    // The same text through the same model: cosine 1, ranked first.
    expect(json.passages[0]?.chunkId).toBe('volcanoes#1');
    expect(json.passages[0]?.score).toBeCloseTo(1, 4);
    expect(json.model).toBe(modelDir);
  }, 30_000);

  it('refuses --generator and bad options with exit 2', async () => {
    const generator = capture();
    expect(
      await runCli(
        ['ask', '--data', bundlePath, '--question', 'q', '--generator', 'some/model'],
        generator.io,
      ),
    ).toBe(2);
    expect(generator.err.join('\n')).toMatch(/generation is not available yet; use --extractive/);
    const retriever = capture();
    expect(
      await runCli(
        ['ask', '--data', bundlePath, '--question', 'q', '--retriever', 'splade'],
        retriever.io,
      ),
    ).toBe(2);
    const missing = capture();
    expect(await runCli(['ask', '--question', 'q'], missing.io)).toBe(2);
    expect(missing.err.join('\n')).toMatch(/--data/);
  });
});
