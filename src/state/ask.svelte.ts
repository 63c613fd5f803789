import * as Comlink from 'comlink';
import type { Progress } from '../core/progress.ts';
import {
  DEFAULT_ABSTAIN_THRESHOLDS,
  transcriptJsonl,
  transcriptMarkdown,
  turnFromJson,
  turnToJson,
  type AskSettings,
  type AskTurn,
  type Citation,
  type RagMode,
  type TranscriptInfo,
} from '../core/rag/index.ts';
import type { ConversationRecord } from '../core/store/index.ts';
import type { AskOptions } from '../../workers/index.worker.ts';
import { indexClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import type { ExploreState } from './explore.svelte.ts';
import { pageStore } from './library.svelte.ts';

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

/**
 * The Ask tool: questions answered from the selected dataset with citations (extractively, as no
 * generator exists yet), kept as conversations per dataset in IndexedDB.
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
    return {
      answerer: 'extractive',
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
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const signal = controller.signal;
    this.error = null;
    this.asking = true;
    this.progress = { fraction: 0, message: 'Starting' };
    try {
      const settings = this.settings();
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
        ...(settings.mmrLambda !== null ? { mmr: { lambda: settings.mmrLambda } } : {}),
        ...(queryVector
          ? { queryVector: Comlink.transfer(queryVector, [queryVector.buffer]) }
          : {}),
      };
      const onProgress = Comlink.proxy((event: Progress) => {
        this.progress = { fraction: event.fraction, message: event.message };
      });
      const setId = settings.setId ?? undefined;
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
