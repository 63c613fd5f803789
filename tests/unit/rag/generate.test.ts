import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSeededDecoderFolder,
  TransformersTextGenerator,
} from '../../../src/core/model/decoder/index.ts';
import {
  askGenerative,
  BundleRagSource,
  type GenerateOptions,
  type GenerationResult,
  type TextGenerator,
} from '../../../src/core/rag/index.ts';
import type { TrainedTokenizerJson } from '../../../src/core/tokenizer/train/types.ts';
import { decoderTokenizer, tinyDecoderConfig } from '../decoder/fixtures.ts';
import { chunkAt } from './helpers.ts';

const DOCS = [
  [
    'sun',
    'Sunlight helps the skin make vitamin D. Ten minutes of sunlight a day is enough for many people.',
  ],
  ['mito', 'The mitochondria is the powerhouse of the cell. Cells make energy from glucose.'],
  ['rain', 'Rain forms when water vapour condenses into droplets heavy enough to fall.'],
] as const;

const source = new BundleRagSource(
  {
    chunks: DOCS.map(([id, text]) => chunkAt(id, 0, text, 0, text.length)),
    embeddings: null,
    dims: null,
  },
  { name: 'the test notes' },
);

const QUESTION = 'What does sunlight do for the skin?';
const CITING = ' Sunlight helps the skin [1].';
const CITING_INVALID = ' Sunlight helps the skin [1] [7].';
const UNCITED = ' Sunlight helps the skin.';

let tokenizer: TrainedTokenizerJson;
const generators: TransformersTextGenerator[] = [];

/** A real transformers.js generator over a seeded GPT-2 whose greedy text is `scriptedText`. */
async function scriptedGenerator(scriptedText: string): Promise<TransformersTextGenerator> {
  const folder = await buildSeededDecoderFolder({
    config: tinyDecoderConfig(tokenizer, { tieWordEmbeddings: false, nPositions: 512 }),
    seed: 21,
    tokenizer,
    scriptedText,
  });
  const generator = await TransformersTextGenerator.load(
    { kind: 'files', files: folder.files, name: 'scripted' },
    { device: 'wasm' },
  );
  generators.push(generator);
  return generator;
}

/** Counts calls to a real generator (the abstention test checks none happened). */
function counting(inner: TextGenerator): TextGenerator & { calls: number } {
  const wrapped = {
    calls: 0,
    counter: inner.counter,
    maxPositions: inner.maxPositions,
    tokenizerConfig: inner.tokenizerConfig,
    generate(prompt: string, options: GenerateOptions): Promise<GenerationResult> {
      wrapped.calls++;
      return inner.generate(prompt, options);
    },
  };
  return wrapped;
}

beforeAll(async () => {
  tokenizer = await decoderTokenizer();
});

afterAll(async () => {
  for (const generator of generators) await generator.dispose();
});

describe('askGenerative with a scripted seeded decoder', () => {
  it('streams the answer in order, prompts with the chat template and maps [1] to the source', async () => {
    const generator = await scriptedGenerator(CITING);
    expect(generator.info).toMatchObject({
      seeded: true,
      scriptedText: CITING,
      device: 'wasm',
      hasChatTemplate: true,
    });
    const pieces: string[] = [];
    const answer = await askGenerative(source, QUESTION, generator, {
      mode: 'bm25',
      k: 2,
      maxNewTokens: 40,
      onToken: (piece) => pieces.push(piece),
    });
    expect(answer.abstained).toBe(false);
    expect(answer.prompt.startsWith('<|user|>')).toBe(true);
    expect(answer.prompt.endsWith('</s><|assistant|>')).toBe(true);
    expect(answer.prompt).toContain(`[1] ${DOCS[0][1]}`);
    expect(answer.text).toBe(CITING);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(CITING);
    expect(answer.tokens).toBeGreaterThan(pieces.length - 1);
    expect(answer.firstTokenMs).not.toBeNull();
    expect(answer.interrupted).toBe(false);
    expect(answer.uncited).toBe(false);
    expect(answer.invalidCitations).toEqual([]);
    expect(answer.citations.map((c) => [c.n, c.docId, c.chunkIds])).toEqual([
      [1, 'sun', ['sun#0']],
    ]);
  });

  it('stops mid-stream on abort and keeps the partial answer, marked interrupted', async () => {
    const generator = await scriptedGenerator(CITING);
    const controller = new AbortController();
    const pieces: string[] = [];
    const answer = await askGenerative(source, QUESTION, generator, {
      mode: 'bm25',
      k: 2,
      maxNewTokens: 40,
      signal: controller.signal,
      onToken: (piece) => {
        pieces.push(piece);
        if (pieces.length === 2) controller.abort();
      },
    });
    expect(answer.interrupted).toBe(true);
    expect(answer.text.length).toBeGreaterThan(0);
    expect(answer.text.length).toBeLessThan(CITING.length);
    expect(CITING.startsWith(answer.text)).toBe(true);
    expect(answer.citations).toEqual([]);
    expect(answer.uncited).toBe(true);
  });

  it('flags invalid citation numbers and uncited text', async () => {
    const invalid = await askGenerative(source, QUESTION, await scriptedGenerator(CITING_INVALID), {
      mode: 'bm25',
      k: 2,
      maxNewTokens: 40,
    });
    expect(invalid.text).toBe(CITING_INVALID);
    expect(invalid.citations.map((c) => c.docId)).toEqual(['sun']);
    expect(invalid.invalidCitations).toEqual([7]);

    const uncited = await askGenerative(source, QUESTION, await scriptedGenerator(UNCITED), {
      mode: 'bm25',
      k: 2,
      maxNewTokens: 40,
    });
    expect(uncited.text).toBe(UNCITED);
    expect(uncited.uncited).toBe(true);
    expect(uncited.citations).toEqual([]);
  });

  it('abstains before generating when nothing relevant is retrieved', async () => {
    const generator = counting(await scriptedGenerator(CITING));
    const answer = await askGenerative(source, 'Who won the football cup final?', generator, {
      mode: 'bm25',
      k: 2,
    });
    expect(answer.abstained).toBe(true);
    expect(answer.text).toBe('I could not find this in the test notes.');
    expect(generator.calls).toBe(0);
  });

  it('fits the sources into the window the model leaves', async () => {
    const generator = await scriptedGenerator(CITING);
    const broad = 'What do sunlight, cells and rain do?';
    const full = await askGenerative(source, broad, generator, {
      mode: 'bm25',
      k: 3,
      maxNewTokens: 40,
    });
    expect(full.sources.length).toBe(3);
    // 512 positions − 330 new tokens leave the ~133-token scaffold and about one source.
    const answer = await askGenerative(source, broad, generator, {
      mode: 'bm25',
      k: 3,
      maxNewTokens: 330,
    });
    expect(answer.sources.length).toBeGreaterThan(0);
    expect(answer.sources.length).toBeLessThan(full.sources.length);
    expect(generator.counter.count(answer.prompt) + 330).toBeLessThanOrEqual(512);
    await expect(
      askGenerative(source, QUESTION, generator, { mode: 'bm25', k: 3, maxNewTokens: 510 }),
    ).rejects.toThrow(/no room for sources/);
  });
});
