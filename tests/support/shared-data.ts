import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer, type TokenCounter } from '../../src/core/tokenizer/index.ts';

/** `../shared` beside the checkout: real datasets and the MiniLM tokenizer, read in place. */
export const sharedDir = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const minilmDir = join(sharedDir, 'models/all-MiniLM-L6-v2');

export function readShared(relative: string): string {
  return readFileSync(join(sharedDir, relative), 'utf8');
}

let minilm: TokenCounter | undefined;

/** The real all-MiniLM-L6-v2 WordPiece tokenizer, loaded once per test file. */
export function minilmTokenizer(): TokenCounter {
  minilm ??= loadTokenizer(
    JSON.parse(readFileSync(join(minilmDir, 'tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(join(minilmDir, 'tokenizer_config.json'), 'utf8')),
    'all-MiniLM-L6-v2',
  );
  return minilm;
}
