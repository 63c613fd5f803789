/** Tokenizer files an exported folder carries, in the order they are written. */
export const EXPORTED_TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
] as const;

export class TrainedExportError extends Error {
  override name = 'TrainedExportError';
}

interface TokenizerJson {
  model?: { type?: unknown; vocab?: unknown };
  added_tokens?: unknown;
}

/**
 * The tokenizer files to copy, checked against the model: tokenizer.json must be there and
 * every id it can produce must have an embedding row. A WordPiece tokenizer without vocab.txt
 * gets one written from its vocabulary, which Python's slow BertTokenizer needs.
 */
export function tokenizerFilesFor(
  files: ReadonlyMap<string, Uint8Array>,
  vocabSize: number,
): Map<string, Uint8Array> {
  const json = files.get('tokenizer.json');
  if (!json) throw new TrainedExportError('The tokenizer files must include tokenizer.json');
  let parsed: TokenizerJson;
  try {
    parsed = JSON.parse(new TextDecoder().decode(json)) as TokenizerJson;
  } catch (error) {
    throw new TrainedExportError(`tokenizer.json is not valid JSON (${(error as Error).message})`);
  }
  const ids = tokenIds(parsed);
  const maxId = ids.reduce((max, id) => Math.max(max, id), -1);
  if (maxId >= vocabSize) {
    throw new TrainedExportError(
      `tokenizer.json has token id ${maxId}, but the model's vocab_size is ${vocabSize}: ` +
        'the tokenizer does not belong to this model',
    );
  }
  const out = new Map<string, Uint8Array>();
  for (const name of EXPORTED_TOKENIZER_FILES) {
    const bytes = files.get(name);
    if (bytes) out.set(name, bytes);
  }
  if (!out.has('vocab.txt') && parsed.model?.type === 'WordPiece') {
    out.set('vocab.txt', wordPieceVocabTxt(parsed.model.vocab));
  }
  return out;
}

function tokenIds(parsed: TokenizerJson): number[] {
  const vocab = parsed.model?.vocab;
  const ids: number[] = [];
  if (Array.isArray(vocab)) {
    // Unigram: [piece, score] pairs, the id is the position.
    ids.push(vocab.length - 1);
  } else if (typeof vocab === 'object' && vocab !== null) {
    for (const id of Object.values(vocab)) if (typeof id === 'number') ids.push(id);
  }
  if (Array.isArray(parsed.added_tokens)) {
    for (const token of parsed.added_tokens as unknown[]) {
      const id = (token as { id?: unknown } | null)?.id;
      if (typeof id === 'number') ids.push(id);
    }
  }
  return ids;
}

/** One token per line, line n holding id n; the ids must be 0..n-1 without gaps. */
function wordPieceVocabTxt(vocab: unknown): Uint8Array {
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
    throw new TrainedExportError('tokenizer.json: a WordPiece model needs a token → id vocab');
  }
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new TrainedExportError(
        `tokenizer.json: token ${JSON.stringify(token)} has id ${String(id)}`,
      );
    }
    if (tokens[id] !== undefined) {
      throw new TrainedExportError(`tokenizer.json: id ${id} is given to two tokens`);
    }
    tokens[id] = token;
  }
  for (let id = 0; id < tokens.length; id++) {
    if (tokens[id] === undefined) {
      throw new TrainedExportError(
        `tokenizer.json: the WordPiece vocab has no token with id ${id}, so no vocab.txt can be written`,
      );
    }
  }
  return new TextEncoder().encode(`${tokens.join('\n')}\n`);
}
