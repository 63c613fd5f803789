import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAbortError } from '../../../src/core/abort.ts';
import { semanticChunks, type SemanticChunkOptions } from '../../../src/core/chunk/index.ts';
import { percentile } from '../../../src/core/chunk/semantic.ts';
import { EmbeddingModel, loadModelTokenCounter } from '../../../src/core/embed/runtime/index.ts';
import { whitespaceCounter, type TokenCounter } from '../../../src/core/tokenizer/index.ts';
import type { TextChunk } from '../../../src/core/types.ts';
import { tinySeededModel } from '../../support/shared-data.ts';

const CATS = [
  'The cat sleeps on the warm mat.',
  'A kitten chases the cat around.',
  'Every cat likes a quiet nap.',
  'The old cat purrs by the fire.',
];
const ROCKETS = [
  'The rocket engine roars at launch.',
  'A rocket carries the satellite to orbit.',
  'Fuel tanks feed the rocket stage.',
  'The rocket lands back on the pad.',
];
const TRAINS = [
  'A train rocket waits at the platform.',
  'The night train rocket crosses the plain.',
];

/** Topic words counted: cats along x, rockets along y, "train rocket" between y and z. */
function topicVector(text: string): number[] {
  const count = (pattern: RegExp) => [...text.matchAll(pattern)].length;
  return [count(/cat|kitten/gu), count(/rocket/gu), count(/train/gu)];
}

function fakeEmbed(calls: string[][] = []) {
  return async (texts: string[]): Promise<Float32Array> => {
    calls.push(texts);
    return Float32Array.from(texts.flatMap(topicVector));
  };
}

function expectInvariants(text: string, chunks: TextChunk[], limit: number) {
  let previousEnd = 0;
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(text.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.text);
    expect(chunk.text).toBe(chunk.text.trim());
    expect(chunk.text.length).toBeGreaterThan(0);
    expect(chunk.charStart).toBeGreaterThanOrEqual(previousEnd);
    expect(text.slice(previousEnd, chunk.charStart).trim()).toBe('');
    expect(chunk.tokenCount).toBeLessThanOrEqual(limit);
    previousEnd = chunk.charEnd;
  });
  expect(text.slice(previousEnd).trim()).toBe('');
}

const options = (o: Partial<SemanticChunkOptions> = {}): SemanticChunkOptions => ({
  chunkTokens: 200,
  bufferSentences: 0,
  ...o,
});

describe('semanticChunks with a fake embedding', () => {
  const text = [...CATS, ...ROCKETS].join(' ');

  it('breaks exactly where the topic changes', async () => {
    const chunks = await semanticChunks(text, options(), whitespaceCounter, fakeEmbed());
    expect(chunks.map((c) => c.text)).toEqual([CATS.join(' '), ROCKETS.join(' ')]);
    expectInvariants(text, chunks, 200);
  });

  it('still breaks at the topic change when neighbouring sentences are embedded along', async () => {
    const calls: string[][] = [];
    const chunks = await semanticChunks(
      text,
      options({ bufferSentences: 1 }),
      whitespaceCounter,
      fakeEmbed(calls),
    );
    expect(chunks.map((c) => c.text)).toEqual([CATS.join(' '), ROCKETS.join(' ')]);
    // Sentence 4 (the first rocket one) is embedded with its two neighbours.
    expect(calls.flat()[4]).toBe([CATS[3], ROCKETS[0], ROCKETS[1]].join(' '));
  });

  it('keeps every chunk under the token limit without crossing the topic change', async () => {
    const spaced = [...CATS, ...ROCKETS].join('\n');
    const chunks = await semanticChunks(
      spaced,
      options({ chunkTokens: 9 }),
      whitespaceCounter,
      fakeEmbed(),
    );
    expectInvariants(spaced, chunks, 9);
    expect(chunks.length).toBeGreaterThan(2);
    const topicChange = spaced.indexOf(ROCKETS[0] ?? '');
    for (const chunk of chunks) {
      expect(chunk.charEnd <= topicChange || chunk.charStart >= topicChange).toBe(true);
    }
  });

  it('cuts a sentence longer than the limit with the recursive splitter', async () => {
    const long = `${CATS[0]} ${'word '.repeat(40).trim()} rocket. ${ROCKETS[1]}`;
    const chunks = await semanticChunks(
      long,
      options({ chunkTokens: 7 }),
      whitespaceCounter,
      fakeEmbed(),
    );
    expectInvariants(long, chunks, 7);
  });

  describe('thresholds', () => {
    const three = [...CATS.slice(0, 3), ...ROCKETS.slice(0, 3), ...TRAINS].join(' ');
    const count = async (threshold: SemanticChunkOptions['threshold']) =>
      (
        await semanticChunks(
          three,
          options(threshold ? { threshold } : {}),
          whitespaceCounter,
          fakeEmbed(),
        )
      ).length;

    // Distances: 1 between cats and rockets, 1 − 1/√2 ≈ 0.29 between rockets and trains.
    it('absolute: breaks at every distance above the value', async () => {
      expect(await count({ kind: 'absolute', value: 0.2 })).toBe(3);
      expect(await count({ kind: 'absolute', value: 0.5 })).toBe(2);
      expect(await count({ kind: 'absolute', value: 1 })).toBe(1);
    });

    it('percentile: the default 95th keeps only the sharpest change, a lower one takes both', async () => {
      expect(await count(undefined)).toBe(2);
      expect(await count({ kind: 'percentile', value: 95 })).toBe(2);
      expect(await count({ kind: 'percentile', value: 70 })).toBe(3);
    });

    it('percentile interpolates between ranks like numpy', () => {
      expect(percentile([0, 0, 0, 0, 1], 95)).toBeCloseTo(0.8);
      expect(percentile([3, 1, 2], 50)).toBe(2);
    });

    it('rejects out-of-range settings', async () => {
      await expect(
        semanticChunks(
          three,
          options({ threshold: { kind: 'percentile', value: 120 } }),
          whitespaceCounter,
          fakeEmbed(),
        ),
      ).rejects.toThrow(/percentile/);
      await expect(
        semanticChunks(three, options({ bufferSentences: -1 }), whitespaceCounter, fakeEmbed()),
      ).rejects.toThrow(/bufferSentences/);
    });
  });

  it('embeds in bounded batches and reports progress', async () => {
    const calls: string[][] = [];
    const progress: Array<[number, number]> = [];
    await semanticChunks(text, options({ batchSize: 3 }), whitespaceCounter, fakeEmbed(calls), {
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(calls.map((batch) => batch.length)).toEqual([3, 3, 2]);
    expect(progress).toEqual([
      [3, 8],
      [6, 8],
      [8, 8],
    ]);
  });

  it('stops when aborted between batches', async () => {
    const controller = new AbortController();
    const calls: string[][] = [];
    const embed = fakeEmbed(calls);
    const run = semanticChunks(
      text,
      options({ batchSize: 2 }),
      whitespaceCounter,
      async (texts) => {
        controller.abort();
        return embed(texts);
      },
      { signal: controller.signal },
    );
    const error: unknown = await run.catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('does not embed at all with an aborted signal', async () => {
    const calls: string[][] = [];
    const controller = new AbortController();
    controller.abort();
    await expect(
      semanticChunks(text, options(), whitespaceCounter, fakeEmbed(calls), {
        signal: controller.signal,
      }),
    ).rejects.toThrow(/abort/i);
    expect(calls).toHaveLength(0);
  });

  it('needs no embedding for blank text or a single sentence', async () => {
    const calls: string[][] = [];
    expect(await semanticChunks('  \n ', options(), whitespaceCounter, fakeEmbed(calls))).toEqual(
      [],
    );
    const one = await semanticChunks(
      '  One lone sentence here.  ',
      options(),
      whitespaceCounter,
      fakeEmbed(calls),
    );
    expect(one.map((c) => [c.text, c.charStart])).toEqual([['One lone sentence here.', 2]]);
    expect(calls).toHaveLength(0);
  });
});

describe('semanticChunks with the real runtime (onnxruntime-node, tiny seeded model)', () => {
  let model: EmbeddingModel;
  let counter: TokenCounter;

  beforeAll(async () => {
    const folder = await tinySeededModel(11);
    const source = { kind: 'files' as const, files: folder.files, name: 'tiny' };
    model = await EmbeddingModel.load(source);
    counter = await loadModelTokenCounter(source);
  });

  afterAll(() => model.dispose());

  it('chunks with the model and its own tokenizer, keeping every invariant', async () => {
    const text = `${[...CATS, ...ROCKETS, ...TRAINS].join(' ')}\n\nCafé déjà vu: naïve façade.`;
    const calls: number[] = [];
    const chunks = await semanticChunks(
      text,
      { chunkTokens: 16, bufferSentences: 1, batchSize: 4 },
      counter,
      (texts) => {
        calls.push(texts.length);
        return model.embed(texts, 'document');
      },
    );
    expect(counter.name).toBe('tiny');
    expect(calls).toEqual([4, 4, 3]);
    expect(chunks.length).toBeGreaterThan(1);
    expectInvariants(text, chunks, 16);
    for (const chunk of chunks) expect(chunk.tokenCount).toBe(counter.count(chunk.text));
  });
});
