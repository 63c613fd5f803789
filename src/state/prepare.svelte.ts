import {
  defaultPrepareOptions,
  type PreparedText,
  type PrepareOptions,
  type PrepareReport,
} from '../core/prepare/index.ts';
import { prepareClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import { JobState } from './job.svelte.ts';
import type { LibraryState } from './library.svelte.ts';

/** The cleaning / filtering / split pipeline over the selected dataset, and its exports. */
export class PrepareState {
  options = $state<PrepareOptions>(structuredClone(defaultPrepareOptions));
  report = $state<PrepareReport | null>(null);
  preview = $state<PreparedText[]>([]);
  saveAsDataset = $state(false);
  readonly job = new JobState();

  constructor(private readonly library: LibraryState) {}

  async run(): Promise<void> {
    const dataset = this.library.selected;
    const tokenizer = this.library.tokenizer;
    if (!dataset || !tokenizer) return;
    const options = $state.snapshot(this.options);
    const source = $state.snapshot(tokenizer.source);
    const saveAs = this.saveAsDataset ? `${dataset.name} · prepared` : null;
    const result = await this.job.run('Preparing', (signal, onProgress) =>
      // Cleaning runs as one synchronous pass in the worker, so a cancel ends it by restarting
      // the worker after a short grace period; saving, which writes, does listen to the signal.
      prepareClient.call(
        (api) => api.prepare(dataset.id, options, source, saveAs, signal, onProgress),
        signal,
        { hardCancelAfterMs: 3_000 },
      ),
    );
    if (!result) return;
    this.report = result.report;
    this.preview = result.preview;
    if (result.savedDatasetId) await this.library.load();
  }

  async export(format: 'parquet' | 'jsonl'): Promise<void> {
    const name = this.library.selected?.name ?? 'dataset';
    const bytes = await this.job.run(`Exporting ${format}`, () =>
      prepareClient.call((api) => api.exportPrepared(format)),
    );
    if (!bytes) return;
    const type = format === 'parquet' ? 'application/vnd.apache.parquet' : 'application/x-ndjson';
    downloadBlob(bytes as Uint8Array<ArrayBuffer>, `${name}.prepared.${format}`, type);
  }
}
