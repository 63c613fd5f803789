import {
  defaultChunkOptions,
  type ChunkMode,
  type ChunkOptions,
  type SemanticChunkOptions,
} from '../core/chunk/index.ts';
import type { EmbeddingOptions, ModelSource } from '../core/embed/runtime/index.ts';
import type { IngestInput, IngestOptions } from '../core/ingest/index.ts';
import type { FileOutcome } from '../core/pipeline/ingest-dataset.ts';
import type { TokenizerSource } from '../core/pipeline/tokenizer-source.ts';
import {
  openStore,
  type ChunkRecord,
  type DatasetRecord,
  type DocumentRecord,
  type FileRecord,
  type LuminaStore,
} from '../core/store/index.ts';
import { embedClient, prepareClient } from '../lib/clients.ts';
import { JobState } from './job.svelte.ts';

export interface TokenizerChoice {
  label: string;
  source: TokenizerSource;
}

/** The model chosen in the Embed panel, as semantic chunking needs it. */
export interface EmbedModelChoice {
  readonly modelName: string;
  source(): ModelSource | null;
  options(): EmbeddingOptions;
}

/** The chunk modes offered: the core's, plus semantic, which runs in the embed worker. */
export type ChunkModeChoice = ChunkMode | 'semantic';

const PAGE_SIZE = 50;

let storePromise: Promise<LuminaStore> | null = null;
export const pageStore = (): Promise<LuminaStore> => (storePromise ??= openStore());

/** Datasets, their files and documents, and the jobs that fill them. */
export class LibraryState {
  datasets = $state<DatasetRecord[]>([]);
  selectedId = $state<string | null>(null);
  files = $state<FileRecord[]>([]);
  documents = $state<DocumentRecord[]>([]);
  page = $state(0);
  opened = $state<{ doc: DocumentRecord; chunks: ChunkRecord[]; activeChunk?: number } | null>(
    null,
  );
  outcomes = $state<FileOutcome[]>([]);
  ingestOptions = $state<IngestOptions>({ txtMode: 'whole', csvHeader: 'auto' });
  chunkOptions = $state<ChunkOptions>({ ...defaultChunkOptions });
  tokenizers = $state<TokenizerChoice[]>([
    { label: 'Whitespace words (approximate)', source: { kind: 'whitespace' } },
  ]);
  tokenizerIndex = $state(0);
  semanticChunking = $state(false);
  /** Semantic mode cuts where sentence distances exceed this percentile. */
  semanticPercentile = $state(95);
  /** Set by the Embed panel's state once it is shown. */
  embedModel = $state.raw<EmbedModelChoice | null>(null);
  loadError = $state<string | null>(null);
  readonly job = new JobState();

  selected = $derived(this.datasets.find((d) => d.id === this.selectedId) ?? null);
  pageCount = $derived(Math.max(1, Math.ceil((this.selected?.documentCount ?? 0) / PAGE_SIZE)));
  tokenizer = $derived(this.tokenizers[this.tokenizerIndex] ?? this.tokenizers[0]);

  /** At start-up: clean files a closed tab left half-ingested, and say so. */
  async recover(): Promise<void> {
    try {
      const cleaned = await prepareClient.call((api) => api.recoverInterrupted());
      const entries = Object.entries(cleaned);
      if (entries.length) {
        this.job.notice = `Removed half-imported files left by an interrupted import: ${entries
          .map(([name, paths]) => `${paths.join(', ')} (${name})`)
          .join('; ')}. Add them again to import them fully.`;
        await this.load();
      }
    } catch (error) {
      this.job.error = `Could not check for interrupted imports: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  async load(): Promise<void> {
    try {
      const store = await pageStore();
      this.datasets = await store.listDatasets();
      if (this.selectedId && !this.datasets.some((d) => d.id === this.selectedId))
        this.selectedId = null;
      if (!this.selectedId && this.datasets[0]) this.selectedId = this.datasets[0].id;
      await this.loadSelected();
      this.loadError = null;
    } catch (error) {
      this.loadError = `Could not open local storage: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  async loadSelected(): Promise<void> {
    const id = this.selectedId;
    if (!id) {
      this.files = [];
      this.documents = [];
      return;
    }
    const store = await pageStore();
    const [files, documents] = await Promise.all([
      store.listFiles(id),
      store.listDocuments(id, { offset: this.page * PAGE_SIZE, limit: PAGE_SIZE }),
    ]);
    this.files = files;
    this.documents = documents;
  }

  async select(id: string): Promise<void> {
    this.selectedId = id;
    this.page = 0;
    this.opened = null;
    this.outcomes = [];
    await this.loadSelected();
  }

  async goToPage(page: number): Promise<void> {
    this.page = Math.min(Math.max(0, page), this.pageCount - 1);
    await this.loadSelected();
  }

  async createDataset(name: string): Promise<void> {
    const store = await pageStore();
    const dataset = await store.createDataset(name.trim() || 'Untitled dataset');
    await this.load();
    await this.select(dataset.id);
  }

  async deleteDataset(id: string): Promise<void> {
    const store = await pageStore();
    await store.deleteDataset(id);
    if (this.selectedId === id) this.selectedId = null;
    this.opened = null;
    await this.load();
  }

  /** Adds files to the selected dataset, creating one named after the first file if none is. */
  async addFiles(inputs: IngestInput[]): Promise<void> {
    if (!inputs.length) return;
    if (!this.selectedId) await this.createDataset(inputs[0]?.path.split('/')[0] ?? 'My data');
    const datasetId = this.selectedId;
    if (!datasetId) return;
    const options = $state.snapshot(this.ingestOptions);
    const result = await this.job.run(`Adding ${inputs.length} file(s)`, (signal, onProgress) =>
      prepareClient.call(
        (api) => api.ingest(datasetId, inputs, options, signal, onProgress),
        signal,
      ),
    );
    if (result) {
      this.outcomes = result.files;
      this.job.notice = `Added ${result.documentsAdded} document(s) from ${result.files.filter((f) => f.status === 'added').length} of ${inputs.length} file(s).`;
    }
    await this.load();
  }

  /** Imports `.lumina` bundles, each as a new dataset (checked first; nothing partial is kept). */
  async importBundles(files: readonly File[]): Promise<void> {
    const notices: string[] = [];
    let lastId: string | null = null;
    for (const file of files) {
      const name = file.name.replace(/\.lumina$/i, '');
      const result = await this.job.run(`Importing ${file.name}`, (signal, onProgress) =>
        prepareClient.call((api) => api.importBundle(file, name, signal, onProgress), signal),
      );
      if (!result) break;
      notices.push(`${file.name}: ${result.message}`);
      lastId = result.datasetId;
    }
    await this.load();
    if (lastId) await this.select(lastId);
    if (notices.length) this.job.notice = notices.join(' ');
  }

  async paste(text: string): Promise<void> {
    if (!text.trim()) return;
    if (!this.selectedId) await this.createDataset('Pasted text');
    const datasetId = this.selectedId;
    if (!datasetId) return;
    const options = $state.snapshot(this.ingestOptions);
    const result = await this.job.run('Adding pasted text', () =>
      prepareClient.call((api) => api.paste(datasetId, text, options)),
    );
    if (result) this.outcomes = result.files;
    await this.load();
  }

  get chunkMode(): ChunkModeChoice {
    return this.semanticChunking ? 'semantic' : this.chunkOptions.mode;
  }

  set chunkMode(mode: ChunkModeChoice) {
    this.semanticChunking = mode === 'semantic';
    if (mode !== 'semantic') this.chunkOptions.mode = mode;
  }

  /** Why semantic chunking cannot run now, or null when it can. */
  get semanticBlocker(): string | null {
    if (this.embedModel?.source()) return null;
    return (this.selected?.chunkCount ?? 0) > 0
      ? 'Semantic chunking embeds sentences with a model: pick one in the Embed panel first.'
      : 'Semantic chunking embeds sentences with a model: chunk once with another mode, then pick a model in the Embed panel.';
  }

  async chunk(): Promise<void> {
    if (this.semanticChunking) return this.chunkSemantic();
    const datasetId = this.selectedId;
    const choice = this.tokenizer;
    if (!datasetId || !choice) return;
    const options = $state.snapshot(this.chunkOptions);
    const source = $state.snapshot(choice.source);
    const result = await this.job.run('Chunking', (signal, onProgress) =>
      prepareClient.call(
        (api) => api.chunk(datasetId, options, source, signal, onProgress),
        signal,
      ),
    );
    if (result)
      this.job.notice = `${result.chunks} chunks (${result.tokens} tokens) from ${result.documents} documents.`;
    await this.load();
    if (this.opened) await this.openDocument(this.opened.doc.id);
  }

  private async chunkSemantic(): Promise<void> {
    const datasetId = this.selectedId;
    const model = this.embedModel;
    const source = model?.source();
    if (!datasetId || !model || !source) return;
    const embeddingOptions = model.options();
    const options: SemanticChunkOptions = {
      chunkTokens: this.chunkOptions.chunkTokens,
      threshold: { kind: 'percentile', value: this.semanticPercentile },
    };
    const result = await this.job.run(
      `Semantic chunking with ${model.modelName}`,
      (signal, onProgress) =>
        embedClient.call(
          (api) =>
            api.chunkSemantic(datasetId, source, embeddingOptions, options, signal, onProgress),
          signal,
        ),
    );
    if (result)
      this.job.notice = `${result.chunks} chunks (${result.tokens} tokens) from ${result.documents} documents.`;
    await this.load();
    if (this.opened) await this.openDocument(this.opened.doc.id);
  }

  /** Opens a document, with the chunk of index `activeChunk` highlighted (default the first). */
  async openDocument(docId: string, activeChunk?: number): Promise<void> {
    const datasetId = this.selectedId;
    if (!datasetId) return;
    const store = await pageStore();
    const doc = await store.getDocument(datasetId, docId);
    this.opened = doc
      ? {
          doc,
          chunks: await store.listChunks(datasetId, docId),
          ...(activeChunk === undefined ? {} : { activeChunk }),
        }
      : null;
  }

  /** Tokenizers offered: built in, served model folders (dev and tests), imported ones. */
  async discoverTokenizers(): Promise<void> {
    const choices: TokenizerChoice[] = [
      { label: 'Whitespace words (approximate)', source: { kind: 'whitespace' } },
    ];
    try {
      const response = await fetch('/models/index.json');
      if (response.ok) {
        const { models } = (await response.json()) as { models: string[] };
        for (const name of models)
          choices.push({ label: name, source: { kind: 'url', name, baseUrl: `/models/${name}/` } });
      }
    } catch {
      // No local model folder is served: only the built-in and imported tokenizers are offered.
    }
    const store = await pageStore();
    for (const model of await store.listModels()) {
      if (model.files?.['tokenizer.json'])
        choices.push({
          label: `${model.name} (imported)`,
          source: { kind: 'stored', modelId: model.id },
        });
    }
    this.tokenizers = choices;
    const preferred = choices.findIndex((c) => c.source.kind !== 'whitespace');
    this.tokenizerIndex = preferred >= 0 ? preferred : 0;
  }

  /** Keeps a user's tokenizer.json (and tokenizer_config.json) for later sessions. */
  async importTokenizer(files: File[]): Promise<void> {
    const tokenizerFile = files.find((f) => f.name === 'tokenizer.json');
    if (!tokenizerFile) {
      this.job.error = 'Pick a tokenizer.json file (optionally with tokenizer_config.json).';
      return;
    }
    try {
      JSON.parse(await tokenizerFile.text());
    } catch (error) {
      this.job.error = `${tokenizerFile.name} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
    const config = files.find((f) => f.name === 'tokenizer_config.json');
    const store = await pageStore();
    const folder = tokenizerFile.webkitRelativePath.split('/')[0] || 'tokenizer';
    await store.putModel({
      id: `tokenizer:${folder}:${Date.now()}`,
      name: folder,
      source: 'imported',
      createdAt: Date.now(),
      config: null,
      files: {
        'tokenizer.json': tokenizerFile,
        ...(config ? { 'tokenizer_config.json': config } : {}),
      },
    });
    await this.discoverTokenizers();
    this.tokenizerIndex = this.tokenizers.length - 1;
  }
}
