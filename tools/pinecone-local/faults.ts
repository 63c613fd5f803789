import { seededRandom, type Random } from '../../src/core/project/random.ts';

/** Switches that make the emulator misbehave the way a real, remote service can. */
export interface FaultConfig {
  /** Fraction of requests answered 429 RESOURCE_EXHAUSTED. */
  rate429: number;
  /** Fraction of requests answered 500. */
  rate500: number;
  /** Fraction of requests answered 503 UNAVAILABLE. */
  rate503: number;
  /** Fraction of requests whose socket is destroyed without an answer. */
  dropRate: number;
  /** Delay added before every answer, in milliseconds. */
  latencyMs: number;
  /** Writes become visible to reads only after this many milliseconds. */
  consistencyLagMs: number;
  /** Seed of the generator that picks which requests fail. */
  seed: number;
}

export const NO_FAULTS: FaultConfig = {
  rate429: 0,
  rate500: 0,
  rate503: 0,
  dropRate: 0,
  latencyMs: 0,
  consistencyLagMs: 0,
  seed: 1,
};

export type FaultDecision = 'drop' | 429 | 500 | 503 | null;

const FAULT_KEYS = Object.keys(NO_FAULTS) as (keyof FaultConfig)[];

/** Merges a partial config from JSON or the command line; throws on unknown keys or bad values. */
export function mergeFaults(base: FaultConfig, patch: unknown): FaultConfig {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new Error('fault config must be a JSON object');
  }
  const next = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (!FAULT_KEYS.includes(key as keyof FaultConfig)) {
      throw new Error(`unknown fault switch "${key}" (known: ${FAULT_KEYS.join(', ')})`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`fault switch "${key}" must be a non-negative number`);
    }
    if (key.startsWith('rate') || key === 'dropRate') {
      if (value > 1) throw new Error(`fault switch "${key}" is a fraction in [0, 1]`);
    }
    next[key as keyof FaultConfig] = value;
  }
  const total = next.rate429 + next.rate500 + next.rate503 + next.dropRate;
  if (total > 1) throw new Error('fault rates add up to more than 1');
  return next;
}

/** Decides, reproducibly for a given seed and request order, which requests fail and how. */
export class FaultInjector {
  private random: Random;
  constructor(private config: FaultConfig = NO_FAULTS) {
    this.random = seededRandom(config.seed);
  }

  get current(): FaultConfig {
    return this.config;
  }

  /** Replaces the config and restarts the generator from its seed. */
  set(config: FaultConfig): void {
    this.config = config;
    this.random = seededRandom(config.seed);
  }

  decide(): FaultDecision {
    const { dropRate, rate429, rate500, rate503 } = this.config;
    if (dropRate + rate429 + rate500 + rate503 === 0) return null;
    const u = this.random();
    if (u < dropRate) return 'drop';
    if (u < dropRate + rate429) return 429;
    if (u < dropRate + rate429 + rate500) return 500;
    if (u < dropRate + rate429 + rate500 + rate503) return 503;
    return null;
  }
}
