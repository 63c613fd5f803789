import type { DatasetRecord } from '../core/store/index.ts';
import type {
  TokenizerFileName,
  TokenizerJobResult,
  TokenizerType,
} from '../core/tokenizer/train/index.ts';
import { trainClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import { JobState } from './job.svelte.ts';
import { pageStore } from './library.svelte.ts';

const DEFAULT_SPECIALS: Record<TokenizerType, string> = {
  bpe: '<s>, <pad>, </s>, <unk>, <mask>',
  wordpiece: '[PAD], [UNK], [CLS], [SEP], [MASK]',
};

/** Training a tokenizer on a stored dataset in the train worker, and its files to download. */
export class TokenizerTrainState {
  datasets = $state<DatasetRecord[]>([]);
  datasetId = $state<string | null>(null);
  type = $state<TokenizerType>('wordpiece');
  vocabSize = $state(8000);
  minFrequency = $state(2);
  lowercase = $state(true);
  addPrefixSpace = $state(false);
  specials = $state(DEFAULT_SPECIALS.wordpiece);
  /** Every n-th document is held out for the coverage report; 0 trains on all. */
  holdOutEvery = $state(20);
  result = $state.raw<TokenizerJobResult | null>(null);
  loadError = $state<string | null>(null);
  readonly job = new JobState();

  async load(): Promise<void> {
    try {
      this.datasets = await (await pageStore()).listDatasets();
      this.datasetId ??= this.datasets[0]?.id ?? null;
      this.loadError = null;
    } catch (error) {
      this.loadError = `Datasets could not be read: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Switching type resets the per-type defaults (lowercasing, special tokens). */
  setType(type: TokenizerType): void {
    this.type = type;
    this.lowercase = type === 'wordpiece';
    this.specials = DEFAULT_SPECIALS[type];
  }

  async train(): Promise<void> {
    const datasetId = this.datasetId;
    if (!datasetId) return;
    this.result = null;
    const specialTokens = this.specials
      .split(',')
      .map((token) => token.trim())
      .filter(Boolean);
    const request = {
      options: {
        type: this.type,
        vocabSize: this.vocabSize,
        minFrequency: this.minFrequency,
        lowercase: this.lowercase,
        addPrefixSpace: this.addPrefixSpace,
        specialTokens,
      },
      holdOutEvery: this.holdOutEvery,
    };
    const result = await this.job.run('Training tokenizer', (signal, onProgress) =>
      trainClient.call(
        (api) => api.trainTokenizer({ datasetId }, request, signal, onProgress),
        signal,
      ),
    );
    if (result) this.result = result;
  }

  download(name: TokenizerFileName): void {
    const text = this.result?.files[name];
    if (text !== undefined) downloadBlob(text, name, 'application/json');
  }
}
