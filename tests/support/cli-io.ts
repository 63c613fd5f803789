import type { CliIo } from '../../src/cli/cli-types.ts';

export interface CapturedIo {
  io: CliIo;
  /** stdout lines, in order. */
  out: string[];
  /** stderr lines, in order. */
  err: string[];
}

/** A CLI io that keeps every line; `onErr` sees each stderr line as it comes (to act mid-run). */
export function captureIo(onErr: (line: string) => void = () => undefined): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (line) => out.push(line),
    stderr: (line) => {
      err.push(line);
      onErr(line);
    },
  };
  return { io, out, err };
}
