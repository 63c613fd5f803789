import type { ModelSource } from '../core/embed/runtime/index.ts';
import {
  storedModelFiles,
  type ModelStore,
  type StoredModelSummary,
} from '../core/model/stored-models.ts';
import { folderFiles } from '../lib/model-folder.ts';
import { pageStore } from './library.svelte.ts';

export type ModelSourceKind = 'hub' | 'folder' | 'stored';
/** Where an optional model comes from; 'off' is none. */
export type OptionalModelSourceKind = 'off' | ModelSourceKind;
export type ModelDevice = 'wasm' | 'webgpu';

/** A model stored in this browser as a picker lists it. */
export interface StoredModelChoice extends StoredModelSummary {
  seeded: boolean;
  trained?: boolean;
}

/**
 * One model the page chooses (a Hub id, a picked folder or a stored model) and the device to run
 * it on: what Ask keeps for its generator and its cross-encoder alike.
 */
export class ModelChoice<
  Kind extends OptionalModelSourceKind,
  Stored extends StoredModelChoice = StoredModelChoice,
> {
  kind: Kind;
  hubId: string;
  device = $state<ModelDevice>('wasm');
  folder = $state.raw<{ name: string; files: Map<string, File> } | null>(null);
  stored = $state.raw<Stored[]>([]);
  storedId = $state('');

  constructor(
    kind: Kind,
    hubId: string,
    private readonly listStored: (store: ModelStore) => Promise<Stored[]>,
  ) {
    this.kind = $state(kind);
    this.hubId = $state(hubId);
  }

  pickFolder(files: readonly File[]): void {
    this.folder = files.length ? folderFiles(files) : null;
  }

  /** Lists the stored models again, keeping the chosen one when it is still there. */
  async refreshStored(): Promise<void> {
    this.stored = await this.listStored(await pageStore());
    if (!this.stored.some((m) => m.id === this.storedId)) {
      this.storedId = this.stored[0]?.id ?? '';
    }
  }

  /** The chosen model as the workers load it. */
  async source(): Promise<ModelSource> {
    if (this.kind === 'off') throw new Error('No model is chosen.');
    if (this.kind === 'hub') {
      const id = this.hubId.trim();
      if (!id) throw new Error('Enter a Hugging Face Hub id.');
      return { kind: 'hub', id };
    }
    if (this.kind === 'folder') {
      if (!this.folder) throw new Error('Pick a model folder.');
      return { kind: 'files', files: this.folder.files, name: this.folder.name };
    }
    const stored = this.stored.find((m) => m.id === this.storedId);
    if (!stored) throw new Error('Choose a stored model.');
    return {
      kind: 'files',
      files: await storedModelFiles(await pageStore(), stored.id),
      name: stored.name,
    };
  }
}
