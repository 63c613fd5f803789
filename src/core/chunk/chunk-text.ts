import type { TokenCounter } from '../tokenizer/token-counter.ts';
import type { TextChunk } from '../types.ts';
import {
  paragraphBoundaries,
  regexBoundaries,
  sentenceBoundaries,
  separatorBoundaries,
  type Boundaries,
} from './boundaries.ts';
import { headingStarts } from './headings.ts';
import {
  compileChunkPattern,
  DEFAULT_SEPARATORS,
  validateChunkOptions,
  type ChunkOptions,
} from './options.ts';
import { packChunks, type ChunkControl, type PackPlan } from './packer.ts';
import { TokenIndex } from './token-index.ts';

function separatorLevels(text: string, options: ChunkOptions): Boundaries[] {
  const separators = options.separators ?? DEFAULT_SEPARATORS;
  // "" (split anywhere) needs no list: token starts are always the last resort.
  return separators.filter((s) => s.length > 0).map((s) => separatorBoundaries(text, s));
}

function sections(text: string): Array<[number, number]> {
  const starts = headingStarts(text).filter((start) => start > 0);
  const edges = [0, ...starts, text.length];
  return edges.slice(1).map((end, i): [number, number] => [edges[i] ?? 0, end]);
}

function planFor(text: string, options: ChunkOptions): PackPlan {
  const whole: Array<[number, number]> = [[0, text.length]];
  const levels = separatorLevels(text, options);
  switch (options.mode) {
    case 'paragraph':
      return {
        segments: whole,
        levels: [paragraphBoundaries(text), ...levels],
        overlapStyle: 'units',
        keepTwoTokens: false,
      };
    case 'sentence':
      return {
        segments: whole,
        levels: [sentenceBoundaries(text), ...levels],
        overlapStyle: 'units',
        keepTwoTokens: false,
      };
    case 'regex': {
      const pattern = compileChunkPattern(options.pattern ?? '');
      return {
        segments: whole,
        levels: [regexBoundaries(text, pattern), ...levels],
        overlapStyle: 'units',
        keepTwoTokens: false,
      };
    }
    case 'fixed':
      // Token starts only: every window ends exactly chunkTokens tokens after its start and
      // the next one starts exactly overlapTokens tokens before that end.
      return { segments: whole, levels: [], overlapStyle: 'longest', keepTwoTokens: true };
    case 'section':
      return { segments: sections(text), levels, overlapStyle: 'longest', keepTwoTokens: true };
    default:
      return { segments: whole, levels, overlapStyle: 'longest', keepTwoTokens: true };
  }
}

/**
 * Splits a text into chunks of at most `options.chunkTokens` tokens of `counter`. Every chunk
 * is `text.slice(charStart, charEnd)`, trimmed, non-empty and in document order; together the
 * chunks cover every non-whitespace character. Only a single code point that is by itself
 * longer than the limit (possible with byte-level tokenizers and tiny limits) can exceed it.
 */
export function chunkText(
  text: string,
  options: ChunkOptions,
  counter: TokenCounter,
  control: ChunkControl = {},
): TextChunk[] {
  const problems = validateChunkOptions(options);
  if (problems.length > 0) throw new Error(`Invalid chunk options: ${problems.join(' ')}`);
  if (text.trim().length === 0) return [];
  const index = TokenIndex.fromOffsets(counter.encode(text).offsets, text.length);
  const sizing = { limit: options.chunkTokens, overlap: options.overlapTokens };
  const chunks = packChunks(text, counter, index, sizing, planFor(text, options), control);
  return chunks.map((chunk, i) => ({ index: i, ...chunk }));
}
