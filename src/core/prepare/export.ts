import { parquetWriteBuffer } from 'hyparquet-writer';
import type { PreparedText } from './prepare-texts.ts';

/** One JSON object per line, in the column order of the Parquet export. */
export function toJsonl(texts: PreparedText[]): string {
  return texts
    .map(({ text_id, text, token_count, char_count, split, doc_id, source }) =>
      JSON.stringify({ text_id, text, token_count, char_count, split, doc_id, source }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** Parquet with columns text_id, text, token_count, char_count, split, doc_id, source. */
export async function toParquet(texts: PreparedText[]): Promise<Uint8Array> {
  const strings = (key: 'text_id' | 'text' | 'split' | 'doc_id' | 'source') => ({
    name: key,
    data: texts.map((t) => t[key]),
    type: 'STRING' as const,
    nullable: false,
  });
  const integers = (key: 'token_count' | 'char_count') => ({
    name: key,
    data: Int32Array.from(texts, (t) => t[key]),
    type: 'INT32' as const,
    nullable: false,
  });
  const buffer = parquetWriteBuffer({
    columnData: [
      strings('text_id'),
      strings('text'),
      integers('token_count'),
      integers('char_count'),
      strings('split'),
      strings('doc_id'),
      strings('source'),
    ],
  });
  return Promise.resolve(new Uint8Array(buffer));
}
