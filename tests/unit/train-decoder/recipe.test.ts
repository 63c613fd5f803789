import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import { wikiTextDecoderRecipe } from '../../../src/core/train/decoder/index.ts';

const WIKITEXT = new URL('../../../../shared/datasets/wikitext-2/', import.meta.url);

function head(file: string, lineCount: number): string {
  return readFileSync(new URL(file, WIKITEXT), 'utf8').split('\n').slice(0, lineCount).join('\n');
}

describe('wikiTextDecoderRecipe', () => {
  it('trains for the time budget and scores the test text', async () => {
    await useBackend('wasm');
    const started = performance.now();
    const result = await wikiTextDecoderRecipe({
      trainText: head('valid.txt', 300),
      testText: head('test.txt', 40),
      minutes: 0.05,
      vocabSize: 500,
      model: { d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64 },
      blockSize: 32,
      batchSize: 8,
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `recipe: ${result.steps} steps, ${Math.round(result.tokensPerSecond)} tok/s, test ppl ` +
        `${result.testPerplexity.toFixed(1)} (word ppl ${result.testWordPerplexity.toFixed(1)}) in ${seconds.toFixed(1)} s`,
    );
    expect(result.steps).toBeGreaterThan(3);
    expect(result.trainSeconds).toBeLessThan(3 + 2);
    expect(result.testTokens).toBeGreaterThan(1000);
    // Trained a little: better than uniform over the vocabulary, worse than perfect.
    expect(result.testPerplexity).toBeGreaterThan(1);
    expect(result.testPerplexity).toBeLessThan(500);
    expect(result.testWordPerplexity).toBeGreaterThan(result.testPerplexity);
    expect(result.vocabSize).toBe(500);
  });
});
