import { loadTokenizer, whitespaceCounter, type TokenCounter } from '../tokenizer/index.ts';
import type { LuminaStore } from '../store/index.ts';

/** Where a tokenizer comes from: built in, an HF-layout folder served at a URL, or stored. */
export type TokenizerSource =
  | { kind: 'whitespace' }
  | { kind: 'url'; name: string; baseUrl: string }
  | { kind: 'stored'; modelId: string };

export function tokenizerKey(source: TokenizerSource): string {
  switch (source.kind) {
    case 'whitespace':
      return 'whitespace';
    case 'url':
      return `url:${source.baseUrl}`;
    case 'stored':
      return `stored:${source.modelId}`;
  }
}

async function fetchJson(url: string, fetchFn: typeof fetch, optional: boolean): Promise<unknown> {
  const response = await fetchFn(url);
  if (!response.ok) {
    if (optional) return undefined;
    throw new Error(`Could not load ${url}: HTTP ${response.status}.`);
  }
  return response.json();
}

async function blobJson(value: Blob | ArrayBuffer | undefined): Promise<unknown> {
  if (value === undefined) return undefined;
  const text = value instanceof Blob ? await value.text() : new TextDecoder().decode(value);
  return JSON.parse(text);
}

/** Loads the tokenizer a source names; callers cache the result by `tokenizerKey`. */
export async function resolveTokenizer(
  source: TokenizerSource,
  store: LuminaStore,
  fetchFn: typeof fetch = fetch,
): Promise<TokenCounter> {
  switch (source.kind) {
    case 'whitespace':
      return whitespaceCounter;
    case 'url': {
      const base = source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`;
      const [tokenizerJson, config] = await Promise.all([
        fetchJson(`${base}tokenizer.json`, fetchFn, false),
        fetchJson(`${base}tokenizer_config.json`, fetchFn, true),
      ]);
      return loadTokenizer(tokenizerJson, config, source.name);
    }
    case 'stored': {
      const model = await store.getModel(source.modelId);
      const files = model?.files;
      if (!model || !files?.['tokenizer.json']) {
        throw new Error(`The stored tokenizer "${source.modelId}" is missing; import it again.`);
      }
      return loadTokenizer(
        await blobJson(files['tokenizer.json']),
        await blobJson(files['tokenizer_config.json']),
        model.name,
      );
    }
  }
}
