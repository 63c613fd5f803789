import { loadTokenizer, type TokenCounter } from '../../tokenizer/index.ts';
import { filesResolver, modelFolderFiles, urlResolver, type FileResolver } from './model-files.ts';
import { readHubJson } from './transformers-env.ts';
import type { ModelSource } from './types.ts';

async function resolvedJson(resolve: FileResolver, path: string): Promise<unknown> {
  const blob = await resolve(path);
  return blob ? (JSON.parse(await blob.text()) as unknown) : undefined;
}

/**
 * The model's own tokenizer as a TokenCounter (with char offsets), read from the same source
 * the model loads from, so chunks are measured in the tokens the model will see.
 */
export async function loadModelTokenCounter(source: ModelSource): Promise<TokenCounter> {
  if (source.kind === 'hub') {
    const revision = source.revision ?? 'main';
    const [tokenizerJson, config] = await Promise.all([
      readHubJson(source.id, revision, 'tokenizer.json'),
      readHubJson(source.id, revision, 'tokenizer_config.json'),
    ]);
    if (tokenizerJson === null) {
      throw new Error(`${source.id} has no tokenizer.json in the offline cache or on the Hub.`);
    }
    return loadTokenizer(tokenizerJson, config ?? undefined, source.id);
  }
  const name = source.name ?? (source.kind === 'url' ? source.baseUrl : 'local model folder');
  const served =
    source.kind === 'url'
      ? urlResolver(source.baseUrl)
      : { resolve: filesResolver(modelFolderFiles(source.files)), release: () => undefined };
  const { resolve } = served;
  try {
    const tokenizerJson = await resolvedJson(resolve, 'tokenizer.json');
    if (tokenizerJson === undefined) throw new Error(`${name} has no tokenizer.json.`);
    return loadTokenizer(tokenizerJson, await resolvedJson(resolve, 'tokenizer_config.json'), name);
  } finally {
    served.release();
  }
}
