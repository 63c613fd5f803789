import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/core/progress.ts';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import {
  AdamW,
  StepGradients,
  paramIndex,
  patienceVerdict,
  runSteps,
  startProgress,
  type CheckpointReason,
  type StepLoop,
  type TrainStatus,
} from '../../../src/core/train/loop/index.ts';

beforeAll(async () => {
  await useBackend('cpu');
});

interface Trace {
  logs: number[];
  evals: number[];
  checkpoints: [CheckpointReason, number, TrainStatus][];
  events: Progress[];
}

/** A loop whose steps do nothing but count, with 4 steps an epoch. */
function fakeLoop(
  totalSteps: number,
  overrides: Partial<StepLoop> = {},
  stopAfterEval: number | null = null,
): { loop: StepLoop; trace: Trace } {
  const trace: Trace = { logs: [], evals: [], checkpoints: [], events: [] };
  const state = { step: 0, totalSteps, status: 'running' as TrainStatus };
  const loop: StepLoop = {
    training: { log_every_steps: 3, eval_every_steps: 5, checkpoint_every_steps: 2 },
    state,
    progress: startProgress((e) => trace.events.push(e), 0, 'Training'),
    trainStep: async () => {
      state.step += 1;
      return { lr: 0.1, gradNorm: 1 };
    },
    isEpochEnd: (steps) => steps % 4 === 0,
    logTrain: async () => void trace.logs.push(state.step),
    validate: async () => {
      trace.evals.push(state.step);
      return stopAfterEval !== null && trace.evals.length >= stopAfterEval;
    },
    checkpoint: async (reason, status) => void trace.checkpoints.push([reason, state.step, status]),
    ...overrides,
  };
  return { loop, trace };
}

describe('runSteps', () => {
  it('logs, evaluates and checkpoints on their cadences, epoch ends and the last step', async () => {
    const { loop, trace } = fakeLoop(10);
    expect(await runSteps(loop)).toBe('completed');
    expect(loop.state.status).toBe('completed');
    // log every 3, epochs of 4, last step 10.
    expect(trace.logs).toEqual([3, 4, 6, 8, 9, 10]);
    expect(trace.evals).toEqual([4, 5, 8, 10]);
    // Epoch checkpoints win over interval ones at the same step; none after the last step.
    expect(trace.checkpoints).toEqual([
      ['interval', 2, 'running'],
      ['epoch', 4, 'running'],
      ['interval', 6, 'running'],
      ['epoch', 8, 'running'],
      ['final', 10, 'completed'],
    ]);
    const progress = trace.events.filter((e) => e.status === 'progress');
    expect(progress.map((e) => (e.status === 'progress' ? e.done : -1))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });

  it('stops early when validate says so, and between steps when aborted', async () => {
    const early = fakeLoop(20, {}, 2);
    expect(await runSteps(early.loop)).toBe('early-stopped');
    expect(early.loop.state.step).toBe(5);
    expect(early.trace.checkpoints.at(-1)).toEqual(['final', 5, 'early-stopped']);

    const controller = new AbortController();
    const stopped = fakeLoop(20, { signal: controller.signal, validate: undefined });
    const inner = stopped.loop.trainStep;
    stopped.loop.trainStep = async () => {
      const figures = await inner();
      if (stopped.loop.state.step === 3) controller.abort();
      return figures;
    };
    expect(await runSteps(stopped.loop)).toBe('stopped');
    // The step under way finishes with its log row; no evaluation without validate.
    expect(stopped.loop.state.step).toBe(3);
    expect(stopped.trace.logs).toEqual([3]);
    expect(stopped.trace.evals).toEqual([]);
    expect(stopped.trace.checkpoints.at(-1)).toEqual(['final', 3, 'stopped']);
  });

  it('continues a stopped run and leaves a finished one finished', async () => {
    const resumed = fakeLoop(6);
    resumed.loop.state.step = 3;
    resumed.loop.state.status = 'stopped';
    expect(await runSteps(resumed.loop)).toBe('completed');
    expect(resumed.trace.logs).toEqual([4, 6]);

    const done = fakeLoop(6);
    done.loop.state.step = 4;
    done.loop.state.status = 'early-stopped';
    expect(await runSteps(done.loop)).toBe('early-stopped');
    expect(done.trace.logs).toEqual([]);
    expect(done.trace.checkpoints).toEqual([['final', 4, 'early-stopped']]);
  });
});

describe('patienceVerdict', () => {
  it('counts evaluations without a gain beyond min_delta, either direction', () => {
    const lower = { patience: 2, minDelta: 0.1, higherIsBetter: false };
    const state = { patienceCounter: 0 };
    expect(patienceVerdict(state, 5, null, lower)).toBe('improved');
    expect(patienceVerdict(state, 4.95, 5, lower)).toBe('waiting');
    expect(state.patienceCounter).toBe(1);
    expect(patienceVerdict(state, 4.8, 5, lower)).toBe('improved');
    expect(state.patienceCounter).toBe(0);
    expect(patienceVerdict(state, 6, 4.8, lower)).toBe('waiting');
    expect(patienceVerdict(state, 6, 4.8, lower)).toBe('exhausted');

    const higher = { patience: 0, minDelta: 0, higherIsBetter: true };
    const other = { patienceCounter: 0 };
    expect(patienceVerdict(other, 0.5, 0.4, higher)).toBe('improved');
    for (let i = 0; i < 5; i++) expect(patienceVerdict(other, 0.3, 0.5, higher)).toBe('waiting');
    expect(patienceVerdict(other, Number.NaN, 0.5, higher)).toBe('waiting');
  });
});

describe('StepGradients', () => {
  it('applies the mean of the micro-batch gradients, clipped by global norm', async () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]), true, 'step-gradients-w');
    const params = new Map([['w', w]]);
    const optimizer = new AdamW(params, {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: 0,
    });
    const gradients = new StepGradients(paramIndex(params), 2);
    // d/dw sum(a·w²) = 2·a·w: micro-batches with a = 1 and a = 3 average to 4·w = [4, -8, 12].
    const l1 = gradients.backward(() => tf.sum(tf.mul(tf.square(w), 1)) as tf.Scalar);
    const l2 = gradients.backward(() => tf.sum(tf.mul(tf.square(w), 3)) as tf.Scalar);
    expect((await l1.data())[0]).toBeCloseTo(14, 5);
    expect((await l2.data())[0]).toBeCloseTo(42, 5);
    tf.dispose([l1, l2]);
    const norm = await gradients.apply(optimizer, 0.01, 1);
    expect(norm).toBeCloseTo(Math.hypot(4, 8, 12), 4);
    // Adam's first step moves each weight by lr against its gradient's sign, whatever the clip.
    const after = Array.from(await w.data());
    expect(after[0]).toBeCloseTo(0.99, 5);
    expect(after[1]).toBeCloseTo(-1.99, 5);
    expect(after[2]).toBeCloseTo(2.99, 5);
    optimizer.dispose();
    w.dispose();
  });
});
