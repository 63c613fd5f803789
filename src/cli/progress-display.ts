import type { CliIo } from './cli-types.ts';

/** A terminal to redraw one line on; absent when stderr is a file or a pipe. */
export interface Terminal {
  write: (text: string) => void;
  columns: number;
}

/**
 * Progress on stderr: a bar redrawn in place on a terminal; otherwise a plain line every few
 * seconds, so logs of long runs show progress without thousands of lines.
 */
export class ProgressDisplay {
  private lastLine = 0;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly terminal: Terminal | undefined,
    private readonly intervalMs = 5000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  update(done: number, total: number, detail: string): void {
    const fraction = total > 0 ? done / total : 1;
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const counts = `${done}/${total} chunks`;
    if (this.terminal) {
      const text = [percent, counts, detail].filter(Boolean).join(' ');
      const width = Math.max(10, Math.min(40, this.terminal.columns - text.length - 4));
      const filled = Math.round(fraction * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      this.terminal.write(`\r${bar} ${text}\u001b[K`);
      this.drawn = true;
      return;
    }
    const time = this.now();
    if (done < total && time - this.lastLine < this.intervalMs) return;
    this.lastLine = time;
    this.io.stderr(['embed:', percent.trim(), counts, detail].filter(Boolean).join(' '));
  }

  /** Ends the bar's line so later messages start on their own. */
  finish(): void {
    if (this.terminal && this.drawn) this.terminal.write('\n');
    this.drawn = false;
  }
}
