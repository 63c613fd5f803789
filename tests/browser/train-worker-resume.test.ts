import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/core/progress.ts';
import type { MetricRecord, MetricRow } from '../../src/core/store/index.ts';
import type { DecoderRunRequest } from '../../src/core/train/decoder/index.ts';
import { trainClient } from '../../src/lib/clients.ts';
import { repeatedCorpus, tinyDecoderTrainConfig } from '../unit/train-decoder/fixture.ts';

const TOTAL_STEPS = 16;
const CHECKPOINT_EVERY = 2;

const config = tinyDecoderTrainConfig((c) => {
  c.training.max_steps = TOTAL_STEPS;
  c.training.epochs = 20;
  c.training.checkpoint_every_steps = CHECKPOINT_EVERY;
  c.training.backend = 'wasm';
});
const corpus = { texts: repeatedCorpus(4) };

function trainRows(metrics: readonly MetricRecord[]): MetricRecord[] {
  return metrics.filter((m) => m.split === 'train').sort((a, b) => a.step - b.step);
}

function losses(rows: readonly MetricRecord[]): number[] {
  return rows.map((row) => row.values['loss'] ?? Number.NaN);
}

async function storedTokenizer(runId: string): Promise<string> {
  const runs = await trainClient.call((api) => api.listRuns());
  const stored = runs.find((run) => run.id === runId)?.config as { tokenizerJson?: unknown };
  if (typeof stored.tokenizerJson !== 'string') throw new Error(`run ${runId} has no tokenizer`);
  return stored.tokenizerJson;
}

/** A decoder ('clm') run through the real train worker: stopped by its signal, then resumed. */
describe('train worker: resuming a decoder run', () => {
  it('continues from the stop checkpoint to the end on the uninterrupted loss curve', async () => {
    const referenceId = `clm-reference-${crypto.randomUUID()}`;
    const reference = await trainClient.call((api) =>
      api.startRun({
        objective: 'clm',
        run: { config, corpus, vocabSize: 400, runId: referenceId },
      }),
    );
    expect(reference).toMatchObject({ status: 'completed', step: TOTAL_STEPS });
    const referenceLosses = losses(
      trainRows(await trainClient.call((api) => api.runMetrics(referenceId))),
    );
    expect(referenceLosses).toHaveLength(TOTAL_STEPS);

    // The same tokenizer, so both runs train on the same blocks.
    const run: DecoderRunRequest = {
      config,
      corpus,
      tokenizerJson: await storedTokenizer(referenceId),
      runId: `clm-resumed-${crypto.randomUUID()}`,
    };
    const runId = run.runId ?? '';
    const controller = new AbortController();
    const stopAfterFirstCheckpoint = (rows: MetricRow[]) => {
      if (rows.some((row) => row.split === 'train' && row.step === CHECKPOINT_EVERY)) {
        controller.abort();
      }
    };
    const stopped = await trainClient.call(
      (api) =>
        api.startRun(
          { objective: 'clm', run },
          controller.signal,
          undefined,
          Comlink.proxy(stopAfterFirstCheckpoint),
        ),
      controller.signal,
    );
    expect(stopped.status).toBe('stopped');
    const stopStep = stopped.step;
    // The abort reaches the worker while it goes on: it stops between later steps.
    expect(stopStep).toBeGreaterThanOrEqual(CHECKPOINT_EVERY);
    expect(stopStep).toBeLessThan(TOTAL_STEPS);
    const checkpoints = await trainClient.call((api) => api.listCheckpoints(runId));
    // The stop wrote a final checkpoint at the step it stopped at: the one a resume starts from.
    expect(checkpoints.at(-1)).toMatchObject({ step: stopStep, reason: 'final' });

    const beforeResume = trainRows(await trainClient.call((api) => api.runMetrics(runId)));
    expect(beforeResume.map((row) => row.step)).toEqual(
      Array.from({ length: stopStep }, (_, i) => i + 1),
    );
    // Until the stop both runs did the same computation from the same seed.
    expect(losses(beforeResume)).toEqual(referenceLosses.slice(0, stopStep));

    const progress: Progress[] = [];
    const resumed = await trainClient.call((api) =>
      api.resumeRun(
        'clm',
        runId,
        undefined,
        Comlink.proxy((event: Progress) => void progress.push(event)),
      ),
    );
    expect(resumed).toMatchObject({
      runId,
      status: 'completed',
      step: TOTAL_STEPS,
      totalSteps: TOTAL_STEPS,
    });
    expect(resumed.backend.name).toBe('wasm');
    await expect.poll(() => progress.at(-1)?.status).toBe('done');
    expect(progress[0]?.message).toBe(`Resuming at step ${stopStep}`);

    const afterResume = trainRows(await trainClient.call((api) => api.runMetrics(runId)));
    expect(afterResume.map((row) => row.step)).toEqual(
      Array.from({ length: TOTAL_STEPS }, (_, i) => i + 1),
    );
    // The rows written before the stop are kept as they were, not rewritten by the resume.
    expect(afterResume.slice(0, stopStep)).toEqual(beforeResume);
    const resumedLosses = losses(afterResume).slice(stopStep);
    const expected = referenceLosses.slice(stopStep);
    expect(resumedLosses).toHaveLength(TOTAL_STEPS - stopStep);
    const maxRel = Math.max(
      ...resumedLosses.map((loss, i) => {
        const want = expected[i] ?? Number.NaN;
        return Math.abs(loss - want) / Math.abs(want);
      }),
    );
    console.log(
      `clm resume through the worker: stopped at step ${stopStep}, max relative loss ` +
        `difference over steps ${stopStep + 1}-${TOTAL_STEPS}: ${maxRel.toExponential(2)}`,
    );
    expect(maxRel).toBeLessThan(1e-5);
  });
});
