import * as Comlink from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSeededDecoderFolder,
  type DecoderFolder,
} from '../../src/core/model/decoder/index.ts';
import { generateClient } from '../../src/lib/clients.ts';
import { decoderTokenizer, tinyDecoderConfig } from '../unit/decoder/fixtures.ts';

/**
 * The real generate worker (transformers.js on wasm and WebGPU) on a seeded GPT-2 folder Lumina
 * writes in the page, scripted so that greedy decoding says a known sentence: tokens must stream
 * in order and Stop must cut the answer short.
 */

const SCRIPTED = ' Sunlight helps the skin [1].';
const PROMPT = '<|user|>What does sunlight do?</s><|assistant|>';
let folder: DecoderFolder;
/** Unscripted: greedy decoding runs to the token limit, long enough to be stopped midway. */
let rambler: DecoderFolder;

beforeAll(async () => {
  const tokenizer = await decoderTokenizer();
  folder = await buildSeededDecoderFolder({
    config: tinyDecoderConfig(tokenizer, { tieWordEmbeddings: false }),
    seed: 4,
    tokenizer,
    scriptedText: SCRIPTED,
  });
  rambler = await buildSeededDecoderFolder({
    config: tinyDecoderConfig(tokenizer, { nPositions: 512, nEmbd: 64, nLayer: 3 }),
    seed: 9,
    tokenizer,
  });
});

afterAll(() => generateClient.terminate());

async function load(device: 'wasm' | 'webgpu', model = folder) {
  return generateClient.call((api) =>
    api.load({ kind: 'files', files: model.files, name: 'seeded' }, { device, dtype: 'fp32' }),
  );
}

/** Generates; with a `stopper`, aborts it as soon as the first piece reaches the page. */
async function streamed(maxNewTokens: number, stopper?: AbortController) {
  const pieces: string[] = [];
  let resolved = false;
  let piecesBeforeResolve = 0;
  const result = await generateClient.call(
    (api) =>
      api.generate(
        PROMPT,
        { maxNewTokens, temperature: 0, topP: 1 },
        stopper?.signal,
        Comlink.proxy((piece: string) => {
          pieces.push(piece);
          if (!resolved) piecesBeforeResolve++;
          stopper?.abort();
        }),
      ),
    stopper?.signal,
  );
  resolved = true;
  return { result, pieces, piecesBeforeResolve };
}

describe.each(['wasm', 'webgpu'] as const)('generate worker on %s', (device) => {
  it('loads on exactly that device and streams the scripted answer token by token', async () => {
    if (device === 'webgpu') {
      expect(await navigator.gpu.requestAdapter(), 'Chromium must run with WebGPU').not.toBeNull();
    }
    const info = await load(device);
    expect(info).toMatchObject({ device, seeded: true, scriptedText: SCRIPTED, modelType: 'gpt2' });
    const { result, pieces, piecesBeforeResolve } = await streamed(40);
    expect(result.text).toBe(SCRIPTED);
    expect(result.interrupted).toBe(false);
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.join('')).toBe(SCRIPTED);
    // Every piece arrived while generation was still running, not in one batch at the end.
    expect(piecesBeforeResolve).toBe(pieces.length);
    expect(result.firstTokenMs).not.toBeNull();
    expect(result.firstTokenMs ?? Infinity).toBeLessThanOrEqual(result.ms);
  });

  it('stops on abort mid-generation and returns the partial answer', async () => {
    // SwiftShader runs WebGPU on the CPU, far slower per token than wasm.
    const long = device === 'wasm' ? 300 : 30;
    await load(device, rambler);
    const full = await streamed(long);
    expect(full.result.tokens).toBe(long);
    expect(full.result.interrupted).toBe(false);
    const stopped = await streamed(long, new AbortController());
    console.log(
      `${device}: ${long} tokens in ${full.result.ms.toFixed(0)} ms; stopped after ${stopped.result.tokens}`,
    );
    expect(stopped.result.interrupted).toBe(true);
    expect(stopped.result.tokens).toBeLessThan(long);
    expect(stopped.result.text.length).toBeGreaterThan(0);
    expect(full.result.text.startsWith(stopped.result.text)).toBe(true);
  });
});
