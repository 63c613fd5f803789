import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

/** One Parquet file of a split, built in memory (never written to disk). */
export interface StandInFile {
  filename: string;
  bytes: Uint8Array;
  rows: number;
}

export interface StandInSplit {
  config: string;
  split: string;
  columns: string[];
  rows: number;
  files: StandInFile[];
}

export interface ParquetLayout {
  /** Parquet files per split (the Hub splits big ones into 0000.parquet, 0001.parquet, …). */
  filesPerSplit: number;
  rowGroupRows: number;
  /** Data page size, small so the offset index lets a reader fetch a few rows' pages only. */
  pageBytes: number;
}

export const DEFAULT_LAYOUT: ParquetLayout = {
  filesPerSplit: 2,
  rowGroupRows: 250,
  pageBytes: 32 * 1024,
};

function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function stringColumn(records: Record<string, unknown>[], name: string): string[] {
  return records.map((record) => {
    const value = record[name];
    return typeof value === 'string' ? value : '';
  });
}

function splitOf(
  config: string,
  records: Record<string, unknown>[],
  columns: string[],
  layout: ParquetLayout,
): StandInSplit {
  const perFile = Math.ceil(records.length / layout.filesPerSplit);
  const files: StandInFile[] = [];
  for (let i = 0; i * perFile < records.length; i++) {
    const part = records.slice(i * perFile, (i + 1) * perFile);
    const buffer = parquetWriteBuffer({
      columnData: columns.map((name) => ({
        name,
        data: stringColumn(part, name),
        type: 'STRING' as const,
        nullable: false,
      })),
      rowGroupSize: layout.rowGroupRows,
      pageSize: layout.pageBytes,
    });
    files.push({
      filename: `${String(i).padStart(4, '0')}.parquet`,
      bytes: new Uint8Array(buffer),
      rows: part.length,
    });
  }
  // As on the Hub, BeIR/scifact's configs hold one split each, named like the config.
  return { config, split: config, columns, rows: records.length, files };
}

/**
 * SciFact as the Hub serves `BeIR/scifact`: config `corpus` (`_id`, `title`, `text`) and config
 * `queries` (`_id`, `text`), converted to Parquet from `<sharedDir>/datasets/scifact/*.jsonl`.
 */
export function scifactSplits(
  sharedDir: string,
  layout: ParquetLayout = DEFAULT_LAYOUT,
): StandInSplit[] {
  const dir = join(sharedDir, 'datasets', 'scifact');
  return [
    splitOf('corpus', readJsonl(join(dir, 'corpus.jsonl')), ['_id', 'title', 'text'], layout),
    splitOf('queries', readJsonl(join(dir, 'queries.jsonl')), ['_id', 'text'], layout),
  ];
}
