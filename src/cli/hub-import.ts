/**
 * `lumina hub import <dataset-id> --out <file.jsonl>`: the first rows of a Hugging Face dataset
 * split as JSONL documents (`id`, `text`, `source`, `metadata`), read from the Hub's Parquet
 * export by the same core as the app's "From Hugging Face" import. A token for gated datasets
 * comes from HF_TOKEN and is never printed.
 */

import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  DEFAULT_HUB_ENDPOINTS,
  describeHubSplit,
  lookUpHubDataset,
  readHubDocuments,
  type HubAccess,
  type HubImportRequest,
} from '../core/hub-datasets/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        split: { type: 'string' },
        text: { type: 'string' },
        id: { type: 'string' },
        limit: { type: 'string', default: '1000' },
        out: { type: 'string' },
        endpoint: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

export async function hubImportCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parse(args);
  const [dataset, ...extra] = positionals;
  if (!dataset || extra.length) throw new UsageError('give one dataset id, e.g. BeIR/scifact');
  if (!values.out) throw new UsageError('--out is required');
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError('--limit must be a whole number ≥ 1');
  // One stand-in origin serves both APIs; the real Hub has two.
  const endpoints = values.endpoint
    ? { viewerUrl: values.endpoint, hubUrl: values.endpoint }
    : { ...DEFAULT_HUB_ENDPOINTS };
  const token = process.env.HF_TOKEN?.trim();
  const access: HubAccess = { endpoints, ...(token ? { token } : {}) };

  const info = await lookUpHubDataset(dataset, access);
  const candidates = info.splits.filter(
    (s) =>
      (values.config === undefined || s.config === values.config) &&
      (values.split === undefined || s.split === values.split),
  );
  const split = candidates.length === 1 ? candidates[0] : undefined;
  if (!split) {
    const known = info.splits.map((s) => `--config ${s.config} --split ${s.split}`).join('; ');
    throw new UsageError(
      candidates.length ? `choose one split: ${known}` : `no such split; the dataset has: ${known}`,
    );
  }
  let textColumn = values.text;
  if (!textColumn) {
    const schema = await describeHubSplit(
      split,
      `${info.dataset} (${split.config}/${split.split})`,
      access,
    );
    if (!schema.suggestedText) throw new UsageError('no text column found; give --text <column>');
    textColumn = schema.suggestedText;
    io.stderr(`hub: text column "${textColumn}" (give --text to choose another)`);
  }
  const request: HubImportRequest = {
    dataset: info.dataset,
    config: split.config,
    split: split.split,
    textColumn,
    idColumn: values.id ?? null,
    limit,
  };

  const partial = `${values.out}.partial`;
  const stream = createWriteStream(partial);
  let lastLine = 0;
  try {
    const result = await readHubDocuments(
      request,
      async (docs) => {
        const text = docs.map((d) => `${JSON.stringify(d)}\n`).join('');
        if (!stream.write(text)) await once(stream, 'drain');
      },
      {
        ...access,
        onProgress: (event) => {
          if (event.status !== 'progress' || Date.now() - lastLine < 2000) return;
          lastLine = Date.now();
          io.stderr(`hub: ${Math.floor(event.fraction * 100)}% ${event.message}`);
        },
      },
    );
    stream.end();
    await once(stream, 'finish');
    await rename(partial, values.out);
    for (const message of result.messages) io.stderr(`hub: ${message.level}: ${message.message}`);
    io.stdout(
      JSON.stringify({
        source: result.source,
        rowsRead: result.rowsRead,
        documents: result.documents,
        splitRows: result.splitRows,
        bytesDownloaded: result.bytesDownloaded,
        out: values.out,
      }),
    );
  } catch (error) {
    stream.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}
