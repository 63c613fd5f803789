import * as Comlink from 'comlink';
import type { Progress } from '../core/progress.ts';
import type { GeneratorDtype, GeneratorInfo } from '../core/model/decoder/index.ts';
import {
  listCrossEncoderModels,
  listGeneratorModels,
  type StoredCrossEncoderSummary,
  type StoredGeneratorSummary,
} from '../core/model/stored-models.ts';
import type { CrossEncoderInfo } from '../core/rag/cross-encoder.ts';
import {
  DEFAULT_ABSTAIN_THRESHOLDS,
  DEFAULT_MAX_NEW_TOKENS,
  DEFAULT_PROMPT_TEMPLATE,
  transcriptJsonl,
  transcriptMarkdown,
  turnFromJson,
  turnToJson,
  type AskSettings,
  type AskTurn,
  type Citation,
  type GenerativeAnswer,
  type RagAnswer,
  type RagMode,
  type Reranker,
  type TranscriptInfo,
} from '../core/rag/index.ts';
import type { ConversationRecord } from '../core/store/index.ts';
import type { GenerativeWorkerAskOptions } from '../../workers/generate.worker.ts';
import type { AskOptions } from '../../workers/index.worker.ts';
import { generateClient, indexClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import type { ExploreState } from './explore.svelte.ts';
import { pageStore } from './library.svelte.ts';
import {
  ModelChoice,
  type ModelSourceKind,
  type OptionalModelSourceKind,
} from './model-choice.svelte.ts';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A conversation's title from its first question: short enough for the list. */
export function titleOf(question: string): string {
  const text = question.trim().replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 59)}…` : text || 'Untitled conversation';
}

/** A file name part from a title: letters, digits and dashes. */
function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'conversation'
  );
}

/** The chunk index of a chunk id (`<docId>#<index>`); null when it has none. */
export function chunkIndexOf(chunkId: string): number | null {
  const at = chunkId.lastIndexOf('#');
  const index = at < 0 ? Number.NaN : Number(chunkId.slice(at + 1));
  return Number.isInteger(index) ? index : null;
}

export type Answerer = 'extractive' | 'generator';

/** An ms-marco MiniLM cross-encoder with an ONNX export for transformers.js (about 90 MB). */
export const DEFAULT_RERANKER_HUB_ID = 'Xenova/ms-marco-MiniLM-L-6-v2';

/** Small instruct model with an ONNX export for transformers.js; q4f16 keeps it near 500 MB. */
export const DEFAULT_GENERATOR_HUB_ID = 'onnx-community/Qwen2.5-0.5B-Instruct';

/** Whether an answer came from a text-generation model (it carries stream and citation flags). */
export function isGenerated(answer: RagAnswer): answer is GenerativeAnswer {
  return (answer as Partial<GenerativeAnswer>).generated === true;
}

/**
 * The Ask tool: questions answered from the selected dataset with citations, extractively or by
 * a text-generation model streaming in its worker, kept as conversations per dataset in IndexedDB.
 */
export class AskState {
  question = $state('');
  mode = $state<RagMode>('bm25');
  k = $state(5);
  mmr = $state(true);
  /** MMR: 1 = relevance only, 0 = diversity only. */
  lambda = $state(0.7);
  neighbours = $state(0);
  lexicalThreshold = $state(DEFAULT_ABSTAIN_THRESHOLDS.lexical);
  semanticThreshold = $state(DEFAULT_ABSTAIN_THRESHOLDS.semantic);

  conversations = $state.raw<ConversationRecord[]>([]);
  /** The conversation shown and continued; null: the next question starts a new one. */
  currentId = $state<string | null>(null);
  turns = $state.raw<AskTurn[]>([]);

  asking = $state(false);
  progress = $state<{ fraction: number; message: string } | null>(null);
  error = $state<string | null>(null);

  answerer = $state<Answerer>('extractive');
  readonly generatorModel = new ModelChoice<ModelSourceKind, StoredGeneratorSummary>(
    'hub',
    DEFAULT_GENERATOR_HUB_ID,
    listGeneratorModels,
  );
  /** Local folders Lumina writes carry fp32 only; Hub instruct models ship quantised files. */
  generatorDtype = $state<GeneratorDtype>('q4f16');
  temperature = $state(0);
  topP = $state(0.9);
  maxNewTokens = $state(DEFAULT_MAX_NEW_TOKENS);
  /** The user turn of the chat template, or the whole prompt when the model has none. */
  promptTemplate = $state(DEFAULT_PROMPT_TEMPLATE);
  /** The loaded text-generation model, as its worker reports it. */
  generator = $state.raw<GeneratorInfo | null>(null);
  loadingGenerator = $state(false);
  /** Where the cross-encoder comes from; 'off' ranks by retrieval alone. */
  readonly rerankerModel = new ModelChoice<OptionalModelSourceKind, StoredCrossEncoderSummary>(
    'off',
    DEFAULT_RERANKER_HUB_ID,
    listCrossEncoderModels,
  );
  /** The cross-encoder loaded in the search worker, as it reports it. */
  reranker = $state.raw<CrossEncoderInfo | null>(null);
  loadingReranker = $state(false);
  /** The answer being generated, piece by piece. */
  streaming = $state<{ question: string; text: string } | null>(null);

  private controller: AbortController | null = null;
  private loadedFor: string | null = null;

  constructor(readonly explore: ExploreState) {}

  get datasetName(): string {
    return this.explore.library.selected?.name ?? 'this dataset';
  }

  /** Why dense and hybrid retrieval cannot run now, in words; null when they can. */
  vectorProblem(): string | null {
    return this.explore.modelProblem();
  }

  get current(): ConversationRecord | null {
    return this.conversations.find((c) => c.id === this.currentId) ?? null;
  }

  /** Lists the selected dataset's conversations and shows the latest (once per dataset). */
  async load(): Promise<void> {
    const datasetId = this.explore.datasetId;
    if (!datasetId) {
      this.conversations = [];
      this.currentId = null;
      this.turns = [];
      this.loadedFor = null;
      return;
    }
    const store = await pageStore();
    const list = await store.listConversations(datasetId);
    if (this.explore.datasetId !== datasetId) return;
    this.conversations = list;
    if (this.loadedFor !== datasetId || !list.some((c) => c.id === this.currentId)) {
      this.loadedFor = datasetId;
      this.show(list[0] ?? null);
    }
  }

  private show(record: ConversationRecord | null): void {
    this.error = null;
    this.currentId = record?.id ?? null;
    try {
      this.turns = record ? record.turns.map(turnFromJson) : [];
    } catch (error) {
      this.turns = [];
      this.error = `Could not read this conversation: ${message(error)}`;
    }
  }

  open(id: string): void {
    this.show(this.conversations.find((c) => c.id === id) ?? null);
  }

  newConversation(): void {
    this.cancel();
    this.show(null);
    this.question = '';
  }

  async rename(id: string, title: string): Promise<void> {
    const name = title.trim();
    if (!name) return;
    try {
      await (await pageStore()).renameConversation(id, name);
      await this.load();
    } catch (error) {
      this.error = `Rename failed: ${message(error)}`;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await (await pageStore()).deleteConversation(id);
      if (this.currentId === id) this.show(null);
      await this.load();
    } catch (error) {
      this.error = `Delete failed: ${message(error)}`;
    }
  }

  cancel(): void {
    this.controller?.abort();
  }

  settings(): AskSettings {
    const generator = this.answerer === 'generator' ? this.generator : null;
    const reranker = this.rerankerModel.kind === 'off' ? null : this.reranker;
    return {
      answerer: this.answerer,
      ...(reranker
        ? {
            reranker: { model: reranker.name, device: reranker.device, seeded: reranker.seeded },
          }
        : {}),
      ...(generator
        ? {
            generator: {
              model: generator.name,
              device: generator.device,
              dtype: generator.dtype,
              temperature: this.temperature,
              topP: this.topP,
              maxNewTokens: Math.max(1, Math.round(this.maxNewTokens)),
              seeded: generator.seeded,
            },
          }
        : {}),
      mode: this.mode,
      k: Math.max(1, Math.round(this.k)),
      mmrLambda: this.mmr ? Math.min(1, Math.max(0, this.lambda)) : null,
      neighbours: Math.max(0, Math.round(this.neighbours)),
      thresholds: { lexical: this.lexicalThreshold, semantic: this.semanticThreshold },
      setId: this.mode === 'bm25' ? null : this.explore.setId || null,
    };
  }

  /** Answers the question from the dataset, adds the turn to the conversation and stores it. */
  async ask(): Promise<void> {
    const datasetId = this.explore.datasetId;
    const question = this.question.trim();
    if (!datasetId || !question || this.asking) return;
    if (this.answerer === 'generator' && !this.generator) {
      this.error = 'Load a text-generation model first (Advanced → Answer with).';
      return;
    }
    if (this.rerankerModel.kind !== 'off' && !this.reranker) {
      this.error = 'Load the cross-encoder first (Advanced → Re-rank with a cross-encoder).';
      return;
    }
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const signal = controller.signal;
    this.error = null;
    this.asking = true;
    this.progress = { fraction: 0, message: 'Starting' };
    try {
      const settings = this.settings();
      if (settings.reranker) await this.checkReranker(settings.reranker.model);
      let queryVector: Float32Array | undefined;
      let embedSentences: ((texts: readonly string[]) => Promise<Float32Array[]>) | undefined;
      if (settings.mode !== 'bm25') {
        const problem = this.vectorProblem();
        if (problem) throw new Error(problem);
        this.progress = { fraction: 0, message: 'Embedding the question' };
        [queryVector] = await this.explore.embedTexts([question], 'query', signal);
        if (!queryVector) throw new Error('The model returned no vector for the question.');
        embedSentences = (texts) => this.explore.embedTexts(texts, 'document', signal);
      }
      const options: AskOptions = {
        datasetName: this.datasetName,
        mode: settings.mode,
        k: settings.k,
        neighbours: settings.neighbours,
        thresholds: settings.thresholds,
        ...(settings.reranker ? { rerankWith: settings.reranker.model } : {}),
        ...(settings.mmrLambda !== null ? { mmr: { lambda: settings.mmrLambda } } : {}),
        ...(queryVector
          ? { queryVector: Comlink.transfer(queryVector, [queryVector.buffer]) }
          : {}),
      };
      const onProgress = Comlink.proxy((event: Progress) => {
        this.progress = { fraction: event.fraction, message: event.message };
      });
      const setId = settings.setId ?? undefined;
      if (settings.generator) {
        const answer = await this.generate(
          datasetId,
          setId,
          question,
          options,
          settings,
          signal,
          onProgress,
        );
        const turn: AskTurn = { question, answer, options: settings, createdAt: Date.now() };
        await this.save(datasetId, turn);
        this.question = '';
        return;
      }
      const answer = await indexClient.call(
        (api) =>
          api.ask(
            datasetId,
            setId,
            question,
            options,
            signal,
            onProgress,
            embedSentences ? Comlink.proxy(embedSentences) : undefined,
          ),
        signal,
      );
      const turn: AskTurn = { question, answer, options: settings, createdAt: Date.now() };
      await this.save(datasetId, turn);
      this.question = '';
    } catch (error) {
      if (!signal.aborted) this.error = `Ask failed: ${message(error)}`;
    } finally {
      if (this.controller === controller) this.controller = null;
      this.asking = false;
      this.progress = null;
      this.streaming = null;
    }
  }

  /**
   * Streams a generated answer into `streaming`; Stop (cancel) keeps the text so far, which the
   * worker returns marked interrupted.
   */
  private async generate(
    datasetId: string,
    setId: string | undefined,
    question: string,
    options: AskOptions,
    settings: AskSettings,
    signal: AbortSignal,
    onProgress: (event: Progress) => void,
  ): Promise<GenerativeAnswer> {
    const generator = settings.generator;
    if (!generator) throw new Error('No text-generation model is loaded.');
    const { rerankWith, ...retrieval } = options;
    const generativeOptions: GenerativeWorkerAskOptions = {
      ...retrieval,
      maxNewTokens: generator.maxNewTokens,
      temperature: generator.temperature,
      topP: generator.topP,
      template: this.promptTemplate,
    };
    this.streaming = { question, text: '' };
    const onToken = Comlink.proxy((piece: string) => {
      if (this.streaming) this.streaming.text += piece;
    });
    // Retrieval runs in the generate worker; the cross-encoder stays loaded in the search worker.
    const reranker: Reranker | undefined =
      rerankWith === undefined
        ? undefined
        : {
            rerank: (query, passages) =>
              indexClient.call(
                (api) => api.rerank(rerankWith, query, [...passages], signal),
                signal,
              ),
          };
    const answer = await generateClient.call(
      (api) =>
        api.ask(
          datasetId,
          setId,
          question,
          generativeOptions,
          signal,
          onProgress,
          onToken,
          reranker ? Comlink.proxy(reranker) : undefined,
        ),
      signal,
    );
    return answer;
  }

  pickGeneratorFolder(files: readonly File[]): void {
    this.generatorModel.pickFolder(files);
    this.generatorDtype = 'fp32';
  }

  /** A new generator source: stored models are listed. */
  async generatorKindChanged(): Promise<void> {
    if (this.generatorModel.kind === 'stored') await this.refreshStored(this.generatorModel);
  }

  /** A new re-ranker source: stored models are listed, and "off" frees the loaded one. */
  async rerankerKindChanged(): Promise<void> {
    if (this.rerankerModel.kind === 'stored') await this.refreshStored(this.rerankerModel);
    if (this.rerankerModel.kind === 'off') await this.unloadReranker();
  }

  private async refreshStored(choice: { refreshStored(): Promise<void> }): Promise<void> {
    try {
      await choice.refreshStored();
    } catch (error) {
      this.error = `Could not list stored models: ${message(error)}`;
    }
  }

  /** Disposes the cross-encoder's ONNX session in the search worker (a load under way stops). */
  async unloadReranker(): Promise<void> {
    if (!this.reranker && !this.loadingReranker) return;
    if (this.loadingReranker) this.controller?.abort();
    this.reranker = null;
    try {
      await indexClient.call((api) => api.unloadReranker());
    } catch (error) {
      this.error = `Unloading the cross-encoder failed: ${message(error)}`;
    }
  }

  /** Loads the chosen cross-encoder in the search worker on exactly the chosen device. */
  async loadReranker(): Promise<void> {
    if (this.loadingReranker || this.rerankerModel.kind === 'off') return;
    this.loadingReranker = true;
    this.reranker = null;
    try {
      this.reranker = await this.loadInWorker('the cross-encoder', async (signal, onProgress) => {
        const source = await this.rerankerModel.source();
        const options = { device: this.rerankerModel.device };
        return indexClient.call(
          (api) => api.loadReranker(source, options, signal, onProgress),
          signal,
        );
      });
    } finally {
      this.loadingReranker = false;
    }
  }

  /**
   * One model load in a worker, cancelling what this panel was doing: its progress shown, its
   * failure (not a cancel) as the error; null when it did not load.
   */
  private async loadInWorker<T>(
    what: string,
    load: (signal: AbortSignal, onProgress: (event: Progress) => void) => Promise<T>,
  ): Promise<T | null> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.error = null;
    this.progress = { fraction: 0, message: `Loading ${what}` };
    try {
      const onProgress = Comlink.proxy((event: Progress) => {
        this.progress = { fraction: event.fraction, message: event.message };
      });
      return await load(controller.signal, onProgress);
    } catch (error) {
      if (!controller.signal.aborted) this.error = `Loading ${what} failed: ${message(error)}`;
      return null;
    } finally {
      if (this.controller === controller) this.controller = null;
      this.progress = null;
    }
  }

  /** The search worker restarts after a crash or a hard cancel, and then holds no cross-encoder. */
  private async checkReranker(name: string): Promise<void> {
    const loaded = await indexClient.call((api) => api.rerankerInfo());
    if (loaded?.name !== name) {
      this.reranker = null;
      throw new Error(
        `The cross-encoder ${name} is no longer loaded (the search worker restarted); load it again.`,
      );
    }
  }

  /** Loads the chosen model in the generate worker on exactly the chosen device. */
  async loadGenerator(): Promise<void> {
    if (this.loadingGenerator) return;
    this.loadingGenerator = true;
    this.generator = null;
    try {
      this.generator = await this.loadInWorker('the model', async (signal, onProgress) => {
        const source = await this.generatorModel.source();
        const dtype = this.generatorModel.kind === 'hub' ? this.generatorDtype : 'fp32';
        const options = { device: this.generatorModel.device, dtype };
        return generateClient.call((api) => api.load(source, options, signal, onProgress), signal);
      });
    } finally {
      this.loadingGenerator = false;
    }
  }

  private async save(datasetId: string, turn: AskTurn): Promise<void> {
    const store = await pageStore();
    const now = turn.createdAt;
    const existing = this.currentId ? await store.getConversation(this.currentId) : undefined;
    const record: ConversationRecord = existing
      ? { ...existing, updatedAt: now, turns: [...existing.turns, turnToJson(turn)] }
      : {
          id: crypto.randomUUID(),
          datasetId,
          title: titleOf(turn.question),
          createdAt: now,
          updatedAt: now,
          turns: [turnToJson(turn)],
        };
    await store.putConversation(record);
    this.currentId = record.id;
    this.turns = [...(existing ? this.turns : []), turn];
    if (this.explore.datasetId === datasetId) {
      this.conversations = await store.listConversations(datasetId);
    }
  }

  /** Opens the cited document with the cited chunk highlighted. */
  async openCitation(citation: Citation): Promise<void> {
    const first = citation.chunkIds[0];
    const index = first === undefined ? null : chunkIndexOf(first);
    await this.explore.library.openDocument(citation.docId, index ?? undefined);
  }

  async openPassage(docId: string, index: number): Promise<void> {
    await this.explore.library.openDocument(docId, index);
  }

  exportTranscript(format: 'markdown' | 'jsonl'): void {
    const record = this.current;
    if (!record || !this.turns.length) return;
    const info: TranscriptInfo = {
      title: record.title,
      datasetName: this.datasetName,
      conversationId: record.id,
    };
    const base = `${slug(this.datasetName)}-${slug(record.title)}`;
    if (format === 'markdown') {
      downloadBlob(transcriptMarkdown(info, this.turns), `${base}.md`, 'text/markdown');
    } else {
      downloadBlob(transcriptJsonl(info, this.turns), `${base}.jsonl`, 'application/jsonl');
    }
  }
}
