import { parquetSchema, type FileMetaData, type SchemaTree } from 'hyparquet';
import type { HubAccess } from './access.ts';
import { openParquetFile, type ByteCounter } from './parquet-file.ts';
import type { HubSplit } from './resolve.ts';

export type HubColumnKind = 'text' | 'text-list' | 'number' | 'boolean' | 'other';

/** A column as the import can use it; nested fields are named by dotted path (`context.contexts`). */
export interface HubColumn {
  path: string;
  kind: HubColumnKind;
}

export interface HubSplitSchema {
  columns: HubColumn[];
  /** Rows in the first Parquet file (the split's count comes from `HubSplit.numRows`). */
  firstFileRows: number;
  rowGroups: number;
  /** Best guesses for the text and id columns, null when nothing fits. */
  suggestedText: string | null;
  suggestedId: string | null;
}

const TEXT_NAMES = [
  'text',
  'content',
  'document',
  'body',
  'abstract',
  'article',
  'context',
  'question',
];
const ID_NAMES = ['_id', 'id', 'doc_id', 'docid', 'pubid', 'uuid', 'guid'];

function isText(node: SchemaTree): boolean {
  const { element } = node;
  return (
    element.type === 'BYTE_ARRAY' &&
    (element.converted_type === 'UTF8' || element.logical_type?.type === 'STRING')
  );
}

function leafKind(node: SchemaTree): HubColumnKind {
  if (isText(node)) return 'text';
  switch (node.element.type) {
    case 'INT32':
    case 'INT64':
    case 'FLOAT':
    case 'DOUBLE':
      return 'number';
    case 'BOOLEAN':
      return 'boolean';
    default:
      return 'other';
  }
}

/** The element of a LIST group (`list.element` in the standard 3-level layout, or a 2-level one). */
function listElement(node: SchemaTree): SchemaTree | null {
  const repeated = node.children[0];
  if (!repeated) return null;
  if (repeated.children.length === 0) return repeated;
  return repeated.children.length === 1 ? (repeated.children[0] ?? null) : null;
}

function isList(node: SchemaTree): boolean {
  return node.element.converted_type === 'LIST' || node.element.logical_type?.type === 'LIST';
}

function collect(node: SchemaTree, prefix: string, out: HubColumn[]): void {
  const path = prefix ? `${prefix}.${node.element.name}` : node.element.name;
  if (node.children.length === 0) {
    out.push({ path, kind: leafKind(node) });
  } else if (isList(node)) {
    const element = listElement(node);
    out.push({
      path,
      kind: element && element.children.length === 0 && isText(element) ? 'text-list' : 'other',
    });
  } else {
    for (const child of node.children) collect(child, path, out);
  }
}

/** The usable columns of a Parquet file, structs flattened to dotted paths. */
export function columnsOf(metadata: FileMetaData): HubColumn[] {
  const columns: HubColumn[] = [];
  for (const child of parquetSchema(metadata).children) collect(child, '', columns);
  return columns;
}

function suggest(columns: HubColumn[], names: string[], kinds: HubColumnKind[]): string | null {
  const usable = columns.filter((c) => kinds.includes(c.kind));
  for (const name of names) {
    const hit = usable.find(
      (c) => c.path.toLowerCase() === name || c.path.toLowerCase().endsWith(`.${name}`),
    );
    if (hit) return hit.path;
  }
  return null;
}

/** Reads the footer of the split's first Parquet file: its columns and shape, a few KB. */
export async function describeHubSplit(
  split: HubSplit,
  what: string,
  access: HubAccess = {},
  onBytes?: ByteCounter,
): Promise<HubSplitSchema> {
  const first = split.files[0];
  if (!first) throw new Error(`${what} lists no Parquet file.`);
  const { metadata } = await openParquetFile(first, what, access, onBytes);
  const columns = columnsOf(metadata);
  return {
    columns,
    firstFileRows: Number(metadata.num_rows),
    rowGroups: metadata.row_groups.length,
    suggestedText:
      suggest(columns, TEXT_NAMES, ['text']) ??
      suggest(columns, TEXT_NAMES, ['text-list']) ??
      columns.find((c) => c.kind === 'text' || c.kind === 'text-list')?.path ??
      null,
    suggestedId: suggest(columns, ID_NAMES, ['text', 'number']),
  };
}
