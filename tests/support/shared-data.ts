import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSeededModelFolder, type ModelFolder } from '../../src/core/model/index.ts';
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

/** MiniLM's config shrunk to 2 layers of width 32: the real vocabulary, milliseconds to run. */
export function tinyBertConfig(): Record<string, unknown> {
  const config = JSON.parse(readFileSync(join(minilmDir, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return {
    ...config,
    num_hidden_layers: 2,
    hidden_size: 32,
    num_attention_heads: 4,
    intermediate_size: 64,
  };
}

/** A Lumina-written model folder with seeded weights and the real MiniLM tokenizer. */
export function tinySeededModel(seed: number): Promise<ModelFolder> {
  return buildSeededModelFolder({
    configJson: tinyBertConfig(),
    seed,
    tokenizerFiles: new Map(
      ['tokenizer.json', 'tokenizer_config.json'].map((name) => [
        name,
        new Uint8Array(readFileSync(join(minilmDir, name))),
      ]),
    ),
  });
}
