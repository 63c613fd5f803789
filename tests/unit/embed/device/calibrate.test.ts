import { describe, expect, it } from 'vitest';
import {
  measureTokensPerSecond,
  type CalibrationModel,
} from '../../../../src/core/embed/device/calibrate.ts';

function fakeModel(clock: { t: number }, msPerCall: number[], log: string[]): CalibrationModel {
  let call = 0;
  return {
    countTokens: (texts) => Int32Array.from(texts, (t) => t.length),
    embed: async (texts) => {
      clock.t += msPerCall[call++] ?? 0;
      log.push(`embed ${texts.length}`);
      return new Float32Array(texts.length);
    },
    dispose: async () => {
      log.push('dispose');
    },
  };
}

describe('measureTokensPerSecond', () => {
  it('skips the warm-up, keeps the best timed run, and releases the model', async () => {
    const clock = { t: 0 };
    const log: string[] = [];
    const sample = ['abcd', 'efgh', 'ij'];
    // warm-up 5000 ms (ignored), then 100 ms and 50 ms: best is 50 ms for 10 "tokens".
    const rate = await measureTokensPerSecond(
      'wasm',
      async () => fakeModel(clock, [5000, 100, 50], log),
      {
        sample,
        now: () => clock.t,
      },
    );
    expect(rate).toBeCloseTo(200);
    expect(log).toEqual(['embed 2', 'embed 3', 'embed 3', 'dispose']);
  });

  it('releases the model when a run fails', async () => {
    const log: string[] = [];
    const model: CalibrationModel = {
      countTokens: () => new Int32Array([1]),
      embed: async () => {
        throw new Error('device lost');
      },
      dispose: async () => {
        log.push('dispose');
      },
    };
    await expect(
      measureTokensPerSecond('webgpu', async () => model, { sample: ['a'] }),
    ).rejects.toThrow('device lost');
    expect(log).toEqual(['dispose']);
  });
});
