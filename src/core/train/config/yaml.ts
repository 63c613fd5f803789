/**
 * YAML import and export with the `yaml` library (eemeli/yaml): it keeps source ranges on
 * every node, so problems point at a line, and it writes comments, so exported files explain
 * themselves.
 */
import { Document, LineCounter, isMap, isScalar, parseDocument, type Node } from 'yaml';
import { fieldApplies } from './architecture.ts';
import { FIELD_BY_PATH, GROUP_PATHS, GROUP_DOCS, SECTION_DOCS, SECTIONS } from './fields.ts';
import { validateTrainConfig, type ValidateOptions } from './validate.ts';
import type { ConfigIssue, ConfigResult, ModelArchitecture, TrainConfig } from './types.ts';

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
export function parseTrainConfigYaml(text: string, options: ValidateOptions = {}): ConfigResult {
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
  const result = validateTrainConfig(doc.toJS({ maxAliasCount: 100 }), options);
  if (result.ok) return result;
  const positions = positionsOf(doc, lines);
  const issues = result.issues.map((issue) => {
    const position = locate(issue, positions);
    return position ? { ...issue, line: position.line, column: position.column } : issue;
  });
  issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  return { ok: false, config: null, issues };
}

const TITLE: Record<ModelArchitecture, string> = {
  bert: ' Lumina training config (model / data / training): a BERT encoder, masked-LM pretraining.',
  gpt2: ' Lumina training config (model / data / training): a GPT-2 decoder, causal-LM pretraining.',
};

const HEADER = [
  ' Keys left out take their defaults. Also accepted on input: HF config.json names',
  ' (hidden_size or n_embd, num_hidden_layers or n_layer, num_attention_heads or n_head,',
  ' intermediate_size or n_inner, max_position_embeddings or n_positions, ...) and LuminaLM',
  ' names (lr, num_epochs, patience,',
  ' train_split / val_split / test_split, use_mixed_precision, gradient_accumulation_steps).',
];

/**
 * The config as commented YAML; `parseTrainConfigYaml` reads it back to an equal config. Fields
 * the architecture does not read (gpt2: token types, masking) are left out, since validation
 * holds them at their defaults anyway.
 */
export function trainConfigToYaml(config: TrainConfig): string {
  const { architecture } = config.model;
  const doc = new Document(config);
  doc.commentBefore = [TITLE[architecture], ...HEADER].join('\n');
  const annotate = (node: unknown, parent: string) => {
    if (!isMap(node)) return;
    node.items = node.items.filter(
      (pair) =>
        !isScalar(pair.key) ||
        fieldApplies(
          parent === '' ? String(pair.key.value) : `${parent}.${String(pair.key.value)}`,
          architecture,
        ),
    );
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

/**
 * The `model.architecture` a YAML text writes itself, or null when it leaves it to the default
 * (or does not parse): lets the Train view tell a chosen architecture from a defaulted one.
 */
export function writtenArchitecture(text: string): ModelArchitecture | null {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return null;
  const value: unknown = doc.getIn(['model', 'architecture']);
  return value === 'bert' || value === 'gpt2' ? value : null;
}
