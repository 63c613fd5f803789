import type { CliIo } from './cli-types.ts';

/** Progress of one phase as occasional stderr lines (always the first and the last). */
export function phaseProgress(
  io: CliIo,
  label: string,
  unit: string,
  intervalMs = 5000,
  now: () => number = () => Date.now(),
): (done: number, total: number) => void {
  let last = -Infinity;
  return (done, total) => {
    const time = now();
    if (done > 0 && done < total && time - last < intervalMs) return;
    last = time;
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    io.stderr(`eval: ${label} ${percent}% ${done}/${total} ${unit}`);
  };
}
