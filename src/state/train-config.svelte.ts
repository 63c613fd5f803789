import {
  defaultTrainConfigCopy,
  parseTrainConfigYaml,
  setAtPath,
  trainConfigToYaml,
  validateTrainConfig,
  type ConfigIssue,
  type TrainConfig,
} from '../core/train/config/index.ts';
import { downloadBlob } from '../lib/download.ts';

const STORAGE_KEY = 'lumina.train.config.yaml';

export type ConfigTab = 'form' | 'yaml';

function readSaved(): { draft: TrainConfig; yaml: string; notice: string | null } {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Blocked storage (private mode, sandboxed frame) starts from the defaults like a first visit.
  }
  if (saved !== null) {
    const result = parseTrainConfigYaml(saved);
    if (result.ok) return { draft: result.config, yaml: saved, notice: null };
    const defaults = defaultTrainConfigCopy();
    return {
      draft: defaults,
      yaml: trainConfigToYaml(defaults),
      notice: `The last-used config could not be read (${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}, e.g. ${result.issues[0]?.message ?? ''}); the defaults are loaded.`,
    };
  }
  const defaults = defaultTrainConfigCopy();
  return { draft: defaults, yaml: trainConfigToYaml(defaults), notice: null };
}

/**
 * The training config as a form and as YAML, kept in sync: form edits rewrite the YAML text;
 * YAML edits that parse replace the form's values, and those that do not leave the form at the
 * last valid config and list the problems with their lines. The last valid text is saved in
 * localStorage, so the user's own comments survive a reload.
 */
export class TrainConfigState {
  /** What the form shows; may hold values the form cannot accept yet (an emptied number box). */
  draft = $state<TrainConfig>(defaultTrainConfigCopy());
  yamlText = $state('');
  yamlIssues = $state.raw<ConfigIssue[]>([]);
  tab = $state<ConfigTab>('form');
  notice = $state<string | null>(null);

  readonly validation = $derived(validateTrainConfig(this.draft));
  readonly formIssues = $derived(this.validation.issues);
  /** The usable config, or null while the form or the YAML has problems. */
  readonly config = $derived(
    this.validation.ok && this.yamlIssues.length === 0 ? this.validation.config : null,
  );

  constructor() {
    const saved = readSaved();
    this.draft = saved.draft;
    this.yamlText = saved.yaml;
    this.notice = saved.notice;
  }

  /** Problems for one field or group, from the form (the YAML's are listed by line). */
  issuesAt(path: string): ConfigIssue[] {
    return this.formIssues.filter((issue) => issue.path === path);
  }

  setField(path: string, value: unknown): void {
    setAtPath(this.draft, path, value);
    this.yamlText = trainConfigToYaml($state.snapshot(this.draft));
    this.yamlIssues = [];
    if (this.validation.ok) this.save(this.yamlText);
  }

  editYaml(text: string): void {
    this.yamlText = text;
    const result = parseTrainConfigYaml(text);
    if (!result.ok) {
      this.yamlIssues = result.issues;
      return;
    }
    this.yamlIssues = [];
    this.draft = result.config;
    this.save(text);
  }

  async importFile(file: File): Promise<void> {
    this.editYaml(await file.text());
    const problems = this.yamlIssues.length;
    this.notice =
      problems === 0
        ? `Imported ${file.name}.`
        : `${file.name} has ${problems} problem${problems === 1 ? '' : 's'}; fix ${problems === 1 ? 'it' : 'them'} in the YAML tab.`;
    if (problems > 0) this.tab = 'yaml';
  }

  exportYaml(fileName = 'train-config.yaml'): void {
    if (!this.config) return;
    downloadBlob(this.yamlText, fileName, 'application/yaml');
  }

  reset(): void {
    const defaults = defaultTrainConfigCopy();
    this.draft = defaults;
    this.yamlText = trainConfigToYaml(defaults);
    this.yamlIssues = [];
    this.notice = null;
    this.save(this.yamlText);
  }

  private save(text: string): void {
    try {
      localStorage.setItem(STORAGE_KEY, text);
    } catch {
      // A full or blocked storage only loses the "last used" convenience, never the config itself.
    }
  }
}
