import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import {
  describeHubSplit,
  lookUpHubDataset,
  readHubDocuments,
} from '../../../src/core/hub-datasets/index.ts';
import type { SourceDocument } from '../../../src/core/types.ts';

/** A PubMedQA-shaped file: `pubid` INT64 and `context` struct { contexts: list<string> }. */
const file = new Uint8Array(
  parquetWriteBuffer({
    columnData: [
      { name: 'pubid', data: [101n, 102n, 103n, 104n] },
      {
        name: 'context',
        data: [
          { contexts: ['Background.', 'Methods.'] },
          null,
          { contexts: [] },
          { contexts: ['Only.'] },
        ],
      },
      { name: 'final_decision', data: ['yes', 'no', 'maybe', 'yes'] },
    ],
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'pubid', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'context', repetition_type: 'OPTIONAL', num_children: 1 },
      { name: 'contexts', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      {
        name: 'final_decision',
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        repetition_type: 'REQUIRED',
      },
    ],
  }),
);

const FILE_URL =
  'https://hub.test/datasets/qiaojin/PubMedQA/resolve/refs%2Fconvert%2Fparquet/pqa_labeled/train/0000.parquet';

/** An injected fetch: the viewer's /parquet listing, a failing /size, and range reads of the file. */
const fakeFetch: typeof fetch = (input, init) => {
  const url = new URL(
    typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
  );
  const json = (status: number, body: unknown) =>
    Promise.resolve(new Response(JSON.stringify(body), { status }));
  if (url.pathname === '/parquet') {
    return json(200, {
      parquet_files: [
        {
          dataset: 'qiaojin/PubMedQA',
          config: 'pqa_labeled',
          split: 'train',
          url: FILE_URL,
          filename: '0000.parquet',
          size: file.byteLength,
        },
      ],
      pending: [],
      failed: [],
      partial: false,
    });
  }
  if (url.pathname === '/size') return json(500, { error: 'size job failed' });
  const range = /bytes=(\d+)-(\d*)/.exec(new Headers(init?.headers).get('Range') ?? '');
  if (url.href === FILE_URL && range) {
    const start = Number(range[1]);
    const end = range[2] ? Number(range[2]) + 1 : file.byteLength;
    return Promise.resolve(new Response(file.slice(start, end), { status: 206 }));
  }
  return json(404, { error: 'not found' });
};

const access = {
  endpoints: { viewerUrl: 'https://viewer.test', hubUrl: 'https://hub.test' },
  fetch: fakeFetch,
};

describe('nested columns through an injected fetch', () => {
  it('offers struct fields by dotted path and lists of strings as text', async () => {
    const info = await lookUpHubDataset('qiaojin/PubMedQA', access);
    expect(info.splits[0]?.numRows).toBeNull();
    expect(info.sizeNote).toContain('Row counts unavailable');
    const split = info.splits[0];
    if (!split) throw new Error('no split listed');
    const schema = await describeHubSplit(split, 'PubMedQA', access);
    expect(schema.columns).toEqual([
      { path: 'pubid', kind: 'number' },
      { path: 'context.contexts', kind: 'text-list' },
      { path: 'final_decision', kind: 'text' },
    ]);
    expect(schema.suggestedId).toBe('pubid');
  });

  it('joins the list with blank lines, keeps bigint ids, and reports the rows it skips', async () => {
    const docs: SourceDocument[] = [];
    const result = await readHubDocuments(
      {
        dataset: 'qiaojin/PubMedQA',
        config: 'pqa_labeled',
        split: 'train',
        textColumn: 'context.contexts',
        idColumn: 'pubid',
        limit: 10,
      },
      async (batch) => void docs.push(...batch),
      access,
    );
    expect(docs.map((d) => [d.id, d.text])).toEqual([
      ['101', 'Background.\n\nMethods.'],
      ['104', 'Only.'],
    ]);
    expect(result.rowsRead).toBe(4);
    expect(result.messages.map((m) => m.message)).toEqual([
      'Row 2: column "context.contexts" holds no value, not text; row skipped',
      'Row 3: column "context.contexts" is empty; row skipped',
    ]);
  });
});
