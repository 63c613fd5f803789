import { describe, expect, it } from 'vitest';
import {
  refuseMixedPrecision,
  resumedState,
  type ResumeChecks,
} from '../../../src/core/train/loop/resume.ts';
import type { JsonValue } from '../../../src/core/types.ts';

interface Stored {
  settings: string;
  dataFingerprint: string;
}

const checks = (settingsKey: string, dataFingerprint: string): ResumeChecks<Stored> => ({
  parse: (json) => json as unknown as Stored,
  settingsKeyOf: (state) => state.settings,
  settingsKey,
  dataFingerprint,
  messages: { settings: 'other settings', data: 'other data' },
});

const stored = (settings: string, dataFingerprint: string): { state: JsonValue } => ({
  state: { settings, dataFingerprint },
});

describe('starting or resuming a run', () => {
  it('refuses fp16 with the reason, for every run kind, and accepts off', () => {
    expect(() => refuseMixedPrecision({ mixed_precision: 'fp16' })).toThrow(
      'training.mixed_precision "fp16": TF.js has no float16 tensors on any backend',
    );
    expect(() => refuseMixedPrecision({ mixed_precision: 'off' })).not.toThrow();
  });

  it('gives no state for a new run and the stored state for a matching checkpoint', () => {
    expect(resumedState(undefined, checks('a', 'x'))).toBeNull();
    expect(resumedState(stored('a', 'x'), checks('a', 'x'))).toEqual({
      settings: 'a',
      dataFingerprint: 'x',
    });
  });

  it('refuses a checkpoint from other settings before one from other data', () => {
    expect(() => resumedState(stored('b', 'y'), checks('a', 'x'))).toThrow('other settings');
    expect(() => resumedState(stored('a', 'y'), checks('a', 'x'))).toThrow('other data');
  });
});
