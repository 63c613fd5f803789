/**
 * YAML import and export with the `yaml` library (eemeli/yaml): it keeps source ranges on
 * every node, so problems point at a line, and it writes comments, so exported files explain
 * themselves.
 */
import { Document, LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import { FIELD_BY_PATH, GROUP_PATHS, GROUP_DOCS, SECTION_DOCS, SECTIONS } from './fields.ts';
import { validateTrainConfig } from './validate.ts';
import type { ConfigIssue, ConfigResult, TrainConfig } from './types.ts';

interface Position {
  line: number;
  column: number;
}

interface KeyPositions {
  key: Position;
  value: Position;
}

function positionsOf(doc: Document, lines: LineCounter): Map<string, KeyPositions> {
  const positions = new Map<string, KeyPositions>();
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const walk = (node: unknown, parent: string) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      if (!isScalar(pair.key) || !pair.key.range) continue;
      const path = parent === '' ? String(pair.key.value) : `${parent}.${String(pair.key.value)}`;
      const key = at(pair.key.range[0]);
      const valueNode = pair.value as Node | null;
      const value = valueNode?.range ? at(valueNode.range[0]) : key;
      positions.set(path, { key, value });
      walk(pair.value, path);
    }
  };
  walk(doc.contents, '');
  return positions;
}

/** Where an issue points: its key for key problems, its value otherwise, else the nearest written parent. */
function locate(issue: ConfigIssue, positions: Map<string, KeyPositions>): Position | undefined {
  const own = issue.writtenAs ?? issue.path;
  const onKey =
    issue.code === 'unknown-key' || issue.code === 'duplicate' || GROUP_PATHS.has(issue.path);
  let path = own;
  for (;;) {
    const found = positions.get(path);
    if (found) return onKey || path !== own ? found.key : found.value;
    const cut = path.lastIndexOf('.');
    if (cut < 0) return undefined;
    path = path.slice(0, cut);
  }
}

/**
 * Reads a config from YAML: the config, or every problem found (syntax errors first, since
 * nothing else can be checked then), each with its line and column.
 */
export function parseTrainConfigYaml(text: string): ConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      config: null,
      issues: doc.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return { code: 'yaml', path: '', message: error.message, line, column: col };
      }),
    };
  }
  const result = validateTrainConfig(doc.toJS({ maxAliasCount: 100 }));
  if (result.ok) return result;
  const positions = positionsOf(doc, lines);
  const issues = result.issues.map((issue) => {
    const position = locate(issue, positions);
    return position ? { ...issue, line: position.line, column: position.column } : issue;
  });
  issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { ok: false, config: null, issues };
}

const HEADER = [
  ' Lumina MLM training config (model / data / training).',
  ' Keys left out take their defaults. Also accepted on input: HF config.json names',
  ' (hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,',
  ' max_position_embeddings, ...) and LuminaLM names (lr, num_epochs, patience,',
  ' train_split / val_split / test_split, use_mixed_precision, gradient_accumulation_steps).',
];

/** The config as commented YAML; `parseTrainConfigYaml` reads it back to an equal config. */
export function trainConfigToYaml(config: TrainConfig): string {
  const doc = new Document(config);
  doc.commentBefore = HEADER.join('\n');
  const annotate = (node: unknown, parent: string) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      const path = parent === '' ? String(pair.key.value) : `${parent}.${String(pair.key.value)}`;
      const field = FIELD_BY_PATH.get(path);
      if (field) {
        const comment = ` ${field.doc}`;
        if (isScalar(pair.value)) pair.value.comment = comment;
        else pair.key.commentBefore = comment;
        continue;
      }
      const groupDoc = (SECTIONS as readonly string[]).includes(path)
        ? SECTION_DOCS[path as (typeof SECTIONS)[number]]
        : GROUP_DOCS[path];
      if (groupDoc) pair.key.commentBefore = ` ${groupDoc}`;
      if (parent === '' && pair !== node.items[0]) pair.key.spaceBefore = true;
      annotate(pair.value, path);
    }
  };
  annotate(doc.contents, '');
  return doc.toString({ lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
}
