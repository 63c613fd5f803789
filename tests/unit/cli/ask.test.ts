import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, askCommand, parseAskArgs, type AskIo, type AskReport } from '../../../src/cli/ask.ts';
import { runCli } from '../../../src/cli/cli.ts';
import { loadLocalModel } from '../../../src/cli/eval-model.ts';
import {
  writeBundle,
  type BundleChunk,
  type BundleDocument,
  type BundleInput,
} from '../../../src/core/bundle/index.ts';
import { buildSeededDecoderFolder } from '../../../src/core/model/decoder/decoder-folder.ts';
import { buildSeededCrossEncoderFolder } from '../../../src/core/model/seeded-cross-encoder-folder.ts';
import { CrossEncoderReranker } from '../../../src/core/rag/cross-encoder.ts';
import { minilmDir, tinyBertConfig, tinySeededModel } from '../../support/shared-data.ts';
import { decoderTokenizer, tinyDecoderConfig } from '../decoder/fixtures.ts';
import { writeFolder } from '../decoder/write-folder.ts';
import { captureIo } from '../../support/cli-io.ts';

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
    const run = captureIo();
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
    const run = captureIo();
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
    const run = captureIo();
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
    const run = captureIo();
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

  it('re-orders the candidates with a --reranker cross-encoder folder', async () => {
    const crossEncoderDir = path.join(root, 'cross-encoder');
    const folder = await buildSeededCrossEncoderFolder({
      configJson: { ...tinyBertConfig(), initializer_range: 0.2 },
      seed: 9,
      tokenizerFiles: new Map(
        ['tokenizer.json', 'tokenizer_config.json'].map((name) => [
          name,
          new Uint8Array(readFileSync(path.join(minilmDir, name))),
        ]),
      ),
    });
    await writeFolder(crossEncoderDir, folder.files);
    const question = 'Do bees dance near volcanoes and tides of the Moon?';
    const run = captureIo();
    await askCommand(
      ['--data', bundlePath, '--question', question, '--reranker', crossEncoderDir, '--top-k', '3'],
      run.io,
    );
    const json = report(run.out);
    expect(json.reranker).toBe(crossEncoderDir);
    expect(json.passages).toHaveLength(3);
    // Each passage's score is the cross-encoder's logit for (question, passage), best first.
    const reranker = await CrossEncoderReranker.load({ kind: 'files', files: folder.files });
    try {
      const text = (chunkId: string): string => {
        const [doc, index] = chunkId.split('#');
        return DOCS[doc ?? '']?.[Number(index)] ?? '';
      };
      const own = await reranker.rerank(
        question,
        json.passages.map((p) => text(p.chunkId)),
      );
      json.passages.forEach((p, i) => expect(p.score).toBeCloseTo(own[i] as number, 5));
      const scores = json.passages.map((p) => p.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    } finally {
      await reranker.dispose();
    }
  }, 30_000);

  it('refuses bad options with exit 2', async () => {
    const both = captureIo();
    expect(
      await runCli(
        ['ask', '--data', bundlePath, '--question', 'q', '--generator', 'x', '--extractive'],
        both.io,
      ),
    ).toBe(2);
    expect(both.err.join('\n')).toMatch(/--generator and --extractive exclude each other/);
    const topP = captureIo();
    expect(
      await runCli(
        ['ask', '--data', bundlePath, '--question', 'q', '--generator', 'x', '--top-p', '0'],
        topP.io,
      ),
    ).toBe(2);
    expect(topP.err.join('\n')).toMatch(/--top-p must be a number in \(0, 1\]/);
    const temperature = captureIo();
    expect(
      await runCli(
        ['ask', '--data', bundlePath, '--question', 'q', '--temperature', '0.7'],
        temperature.io,
      ),
    ).toBe(2);
    expect(temperature.err.join('\n')).toMatch(/--temperature needs --generator/);
    const retriever = captureIo();
    expect(
      await runCli(
        ['ask', '--data', bundlePath, '--question', 'q', '--retriever', 'splade'],
        retriever.io,
      ),
    ).toBe(2);
    const missing = captureIo();
    expect(await runCli(['ask', '--question', 'q'], missing.io)).toBe(2);
    expect(missing.err.join('\n')).toMatch(/--data/);
  });
});

describe('lumina ask --generator (seeded decoder written by the decoder writer)', () => {
  /** Writable with distinct tokens of the test decoder tokenizer (a scripted chain cannot branch). */
  const SCRIPTED = ' Sunlight helps the skin [1].';
  const QUESTION = 'How do honey bees tell where the flowers are?';
  let decoderDir: string;
  let scriptedTokens = 0;

  beforeAll(async () => {
    const tokenizer = await decoderTokenizer();
    const folder = await buildSeededDecoderFolder({
      config: tinyDecoderConfig(tokenizer, { tieWordEmbeddings: false, nPositions: 512 }),
      seed: 21,
      tokenizer,
      scriptedText: SCRIPTED,
    });
    scriptedTokens = folder.scriptedIds?.length ?? 0;
    decoderDir = path.join(root, 'scripted-decoder');
    await writeFolder(decoderDir, folder.files);
  }, 60_000);

  function streamed(): { io: AskIo; out: string[]; err: string[]; pieces: string[] } {
    const run = captureIo();
    const pieces: string[] = [];
    return { ...run, io: { ...run.io, stream: (piece) => pieces.push(piece) }, pieces };
  }

  it('streams the scripted answer, prints it, then the JSON line with its citation ids', async () => {
    const run = streamed();
    await askCommand(
      ['--data', bundlePath, '--question', QUESTION, '--generator', decoderDir, '--top-k', '1'],
      run.io,
    );
    const json = report(run.out);
    expect(run.out[0]).toBe(SCRIPTED);
    expect(json.answer).toBe(SCRIPTED);
    // Streamed piece by piece (more than one), then the newline that ends the stream.
    expect(run.pieces.length).toBeGreaterThan(2);
    expect(run.pieces.join('')).toBe(`${SCRIPTED}\n`);
    expect(json.generator).toBe(decoderDir);
    expect(json.seeded).toBe(true);
    expect(json.interrupted).toBe(false);
    expect(json.abstained).toBe(false);
    expect(json.uncited).toBe(false);
    expect(json.invalidCitations).toEqual([]);
    expect(json.passages.map((p) => p.chunkId)).toEqual(['bees#0']);
    expect(json.citations).toEqual([
      expect.objectContaining({ n: 1, docId: 'bees', chunkIds: ['bees#0'] }),
    ]);
    // The scripted ids end with </s>, which stops generation and is not counted.
    expect(json.tokens).toBe(scriptedTokens - 1);
    expect(json.timings.firstTokenMs).toBeGreaterThan(0);
    expect(json.timings.tokensPerSecond).toBeGreaterThan(0);
    expect(run.err.join('\n')).toMatch(/seeded random weights, the generated text is meaningless/);
  }, 30_000);

  it('stops on Ctrl-C: the partial answer, marked interrupted', async () => {
    const run = streamed();
    const controller = new AbortController();
    const io: AskIo = {
      ...run.io,
      stream: (piece) => {
        run.pieces.push(piece);
        if (run.pieces.length === 2) controller.abort();
      },
    };
    const options = parseAskArgs([
      '--data',
      bundlePath,
      '--question',
      QUESTION,
      '--generator',
      decoderDir,
      '--top-k',
      '1',
    ]);
    const json = await ask(options, io, controller.signal);
    expect(json.interrupted).toBe(true);
    expect(json.answer.length).toBeGreaterThan(0);
    expect(json.answer.length).toBeLessThan(SCRIPTED.length);
    expect(SCRIPTED.startsWith(json.answer)).toBe(true);
  }, 30_000);

  it('interrupts through SIGINT in the CLI command and prints the partial answer marked', async () => {
    const run = streamed();
    let sent = false;
    const io: AskIo = {
      ...run.io,
      stream: (piece) => {
        run.pieces.push(piece);
        // What Ctrl-C delivers to the process; askCommand listens for it while it runs.
        if (!sent && run.pieces.length === 2) {
          sent = true;
          process.emit('SIGINT', 'SIGINT');
        }
      },
    };
    await askCommand(
      ['--data', bundlePath, '--question', QUESTION, '--generator', decoderDir, '--top-k', '1'],
      io,
    );
    const json = report(run.out);
    expect(json.interrupted).toBe(true);
    expect(run.out[0]).toBe(`${json.answer} [interrupted]`);
    expect(SCRIPTED.startsWith(json.answer)).toBe(true);
    expect(json.answer.length).toBeLessThan(SCRIPTED.length);
  }, 30_000);

  it('downloads a Hub generator with its generation_config.json, then answers from the cache', async () => {
    const hubId = 'lumina-test/scripted-decoder';
    const prefix = `/${hubId}/resolve/main/`;
    const requests: string[] = [];
    const server = createServer((request, response) => {
      const url = request.url ?? '';
      requests.push(url);
      const file = url.startsWith(prefix) ? decodeURIComponent(url.slice(prefix.length)) : '';
      const bytes = file ? readFileSyncOrNull(path.join(decoderDir, ...file.split('/'))) : null;
      if (!bytes) {
        response.writeHead(404).end('Entry not found');
        return;
      }
      response.writeHead(200, { 'content-length': String(bytes.byteLength) }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const cache = path.join(root, 'hub-cache');
    const saved = { hub: process.env.LUMINA_HUB_URL, cache: process.env.LUMINA_CACHE_DIR };
    process.env.LUMINA_HUB_URL = `http://127.0.0.1:${port}`;
    process.env.LUMINA_CACHE_DIR = cache;
    try {
      const args = ['--data', bundlePath, '--question', QUESTION, '--generator', hubId];
      const first = streamed();
      await askCommand([...args, '--top-k', '1'], first.io);
      expect(report(first.out).answer).toBe(SCRIPTED);
      const fetched = requests.map((url) => url.slice(prefix.length));
      expect(fetched).toContain('generation_config.json');
      expect(fetched).toContain('onnx/model.onnx');
      // The folder has no external weights file: asked for once, remembered as absent.
      expect(fetched).toContain('onnx/model.onnx_data');
      const cached = await readdir(path.join(cache, 'hub', ...hubId.split('/'), 'main'));
      expect(cached).toContain('generation_config.json');

      const before = requests.length;
      const second = streamed();
      await askCommand([...args, '--top-k', '1'], second.io);
      expect(report(second.out).answer).toBe(SCRIPTED);
      expect(requests.length).toBe(before);
    } finally {
      if (saved.hub === undefined) delete process.env.LUMINA_HUB_URL;
      else process.env.LUMINA_HUB_URL = saved.hub;
      if (saved.cache === undefined) delete process.env.LUMINA_CACHE_DIR;
      else process.env.LUMINA_CACHE_DIR = saved.cache;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);
});

function readFileSyncOrNull(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}
