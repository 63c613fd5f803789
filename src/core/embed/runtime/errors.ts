/**
 * A model that could not be loaded. The message says why and what to do, in words a user can
 * act on; it survives the trip through comlink (only name and message do).
 */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';

  constructor(why: string, whatToDo: string, options?: { cause?: unknown }) {
    super(`${why} ${whatToDo}`, options);
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
