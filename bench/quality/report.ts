import { formatTable } from '../shared.ts';

/** One figure of the quality table with everything needed to reproduce it. */
export interface QualityRow {
  figure: string;
  /** The measured value, or "not measured". */
  value: string;
  /** Reference or target, and whether it is met. */
  reference: string;
  data: string;
  steps: string;
  minutes: string;
  backend: string;
  model: string;
}

export const QUALITY_HEADER = [
  'figure',
  'value',
  'reference / target',
  'data',
  'steps',
  'minutes',
  'backend',
  'model shape',
] as const;

export function qualityTable(rows: readonly QualityRow[]): string {
  return formatTable(
    [...QUALITY_HEADER],
    rows.map((row) => [
      row.figure,
      row.value,
      row.reference,
      row.data,
      row.steps,
      row.minutes,
      row.backend,
      row.model,
    ]),
  );
}

export const STS_TARGET = 0.58;

/** "target ≥ 0.58 (GloVe …): met / not met". */
export function stsTargetNote(spearman: number, target = STS_TARGET): string {
  return `target ≥ ${target} (avg. GloVe, Reimers & Gurevych 2019 T.1): ${spearman >= target ? 'met' : 'NOT met'}`;
}

/** A signed difference, e.g. "+0.1234". */
export function signed(value: number, digits = 4): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

export const minutes = (seconds: number): string => (seconds / 60).toFixed(1);
