/** Where a command writes; tests pass their own to capture the output. */
export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export type Command = (args: string[], io: CliIo) => Promise<void>;

/** A mistake in how the CLI was called (exit code 2), as opposed to a failure while working. */
export class UsageError extends Error {
  override name = 'UsageError';
}
