import type { CliIo } from './cli-types.ts';
import type { HubFileProgress } from './hub-download.ts';

/**
 * Download progress as plain stderr lines: one when a file starts, one every few seconds while it
 * streams, one when it is done. Lines rather than a redrawn bar so logs stay readable.
 */
export function hubProgressPrinter(
  io: CliIo,
  label: string,
  intervalMs = 2000,
  now: () => number = () => Date.now(),
): (event: HubFileProgress) => void {
  let lastLine = 0;
  let current = '';
  return (event) => {
    const time = now();
    const starting = event.file !== current;
    if (!starting && !event.finished && time - lastLine < intervalMs) return;
    current = event.finished ? '' : event.file;
    lastLine = time;
    const size =
      event.total === null
        ? `${formatBytes(event.done)}`
        : `${formatBytes(event.done)}/${formatBytes(event.total)}` +
          (event.total > 0 ? ` (${Math.floor((event.done / event.total) * 100)}%)` : '');
    const state = event.finished ? 'done' : starting ? 'downloading' : '';
    io.stderr(['hub:', label, event.file, size, state].filter(Boolean).join(' '));
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
