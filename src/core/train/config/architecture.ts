/**
 * What `model.architecture` changes: the activation each model implements, and the fields only
 * the BERT/MLM path reads. A gpt2 decoder ignores those fields when they hold their defaults
 * (so one config shape serves both) and validation rejects them when they were changed.
 */
import { ARCHITECTURE_ACTIVATION, defaultTrainConfigCopy } from './defaults.ts';
import { getAtPath, setAtPath } from './paths.ts';
import type { ModelArchitecture, TrainConfig } from './types.ts';

export const ARCHITECTURES: readonly ModelArchitecture[] = ['bert', 'gpt2'];

/** Fields the gpt2 decoder does not read, each with the reason. */
export const BERT_ONLY_FIELDS: ReadonlyMap<string, string> = new Map([
  ['model.type_vocab_size', 'a GPT-2 decoder has no token type (segment) embeddings'],
  ['data.mask_probability', 'causal LM predicts every next token; nothing is masked'],
  ['data.masking.mask', 'causal LM predicts every next token; nothing is masked'],
  ['data.masking.random', 'causal LM predicts every next token; nothing is masked'],
  ['data.masking.keep', 'causal LM predicts every next token; nothing is masked'],
]);

/** Groups whose every field is BERT-only: hidden or left out with them. */
const BERT_ONLY_GROUPS: ReadonlySet<string> = new Set(['data.masking']);

/** Whether a field (or a group such as `data.masking`) is read by this architecture. */
export function fieldApplies(path: string, architecture: ModelArchitecture): boolean {
  return architecture === 'bert' || !(BERT_ONLY_FIELDS.has(path) || BERT_ONLY_GROUPS.has(path));
}

/** The training objective an architecture is trained with. */
export function objectiveOf(architecture: ModelArchitecture): 'mlm' | 'clm' {
  return architecture === 'gpt2' ? 'clm' : 'mlm';
}

/**
 * The field edits that turn a config into one for another architecture: the architecture, its
 * activation, its LayerNorm epsilon when the old one was the old architecture's default, and the
 * fields the new architecture does not read back to their defaults (so they raise no conflict).
 */
export function architectureChanges(
  config: TrainConfig,
  architecture: ModelArchitecture,
): { path: string; value: unknown }[] {
  const from = defaultTrainConfigCopy(config.model.architecture);
  const to = defaultTrainConfigCopy(architecture);
  const changes: { path: string; value: unknown }[] = [];
  const set = (path: string, value: unknown) => {
    if (getAtPath(config, path) !== value) changes.push({ path, value });
  };
  set('model.architecture', architecture);
  set('model.hidden_act', ARCHITECTURE_ACTIVATION[architecture]);
  if (config.model.layer_norm_eps === from.model.layer_norm_eps) {
    set('model.layer_norm_eps', to.model.layer_norm_eps);
  }
  for (const path of BERT_ONLY_FIELDS.keys()) {
    if (!fieldApplies(path, architecture)) set(path, getAtPath(to, path));
  }
  return changes;
}

/** A copy of the config for another architecture (see {@link architectureChanges}). */
export function withArchitecture(
  config: TrainConfig,
  architecture: ModelArchitecture,
): TrainConfig {
  const copy = structuredClone(config);
  for (const { path, value } of architectureChanges(config, architecture)) {
    setAtPath(copy, path, value);
  }
  return copy;
}
