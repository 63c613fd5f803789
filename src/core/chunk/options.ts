export type ChunkMode = 'recursive' | 'paragraph' | 'sentence' | 'fixed' | 'regex' | 'section';

export interface ChunkOptions {
  mode: ChunkMode;
  /** Most tokens a chunk may hold, measured with the chosen TokenCounter. */
  chunkTokens: number;
  /** Tokens carried over from the end of one chunk into the next. */
  overlapTokens: number;
  /** Split points tried in order (recursive mode and inside over-long units of other modes). */
  separators?: string[];
  /** regex mode: a chunk boundary starts at every match (flags g, m and u are applied). */
  pattern?: string;
}

export const CHUNK_MODES: readonly ChunkMode[] = [
  'recursive',
  'paragraph',
  'sentence',
  'fixed',
  'regex',
  'section',
];

export const DEFAULT_SEPARATORS: readonly string[] = ['\n\n', '\n', '. ', ' ', ''];

export const defaultChunkOptions: ChunkOptions = {
  mode: 'recursive',
  chunkTokens: 256,
  overlapTokens: 32,
};

/** The regex-mode pattern compiled as chunking uses it. */
export function compileChunkPattern(pattern: string): RegExp {
  return new RegExp(pattern, 'gmu');
}

/** Problems with the options, each a sentence naming the field; empty when they are usable. */
export function validateChunkOptions(o: ChunkOptions): string[] {
  const problems: string[] = [];
  if (!CHUNK_MODES.includes(o.mode)) {
    problems.push(`mode must be one of ${CHUNK_MODES.join(', ')} (got "${String(o.mode)}").`);
  }
  const sizeOk = Number.isInteger(o.chunkTokens) && o.chunkTokens >= 1;
  if (!sizeOk) {
    problems.push(`chunkTokens must be a whole number of at least 1 (got ${o.chunkTokens}).`);
  }
  if (!Number.isInteger(o.overlapTokens) || o.overlapTokens < 0) {
    problems.push(`overlapTokens must be a whole number of 0 or more (got ${o.overlapTokens}).`);
  } else if (sizeOk && o.overlapTokens >= o.chunkTokens) {
    problems.push(
      `overlapTokens (${o.overlapTokens}) must be smaller than chunkTokens (${o.chunkTokens}).`,
    );
  }
  if (o.separators !== undefined) {
    if (!Array.isArray(o.separators) || o.separators.some((s) => typeof s !== 'string')) {
      problems.push('separators must be a list of strings.');
    } else if (o.separators.length === 0) {
      problems.push(
        'separators must not be empty (the default is ["\\n\\n", "\\n", ". ", " ", ""]).',
      );
    }
  }
  if (o.mode === 'regex') {
    if (typeof o.pattern !== 'string' || o.pattern.length === 0) {
      problems.push('pattern is required in regex mode.');
    } else {
      try {
        compileChunkPattern(o.pattern);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        problems.push(`pattern is not a valid regular expression: ${reason}`);
      }
    }
  }
  return problems;
}
