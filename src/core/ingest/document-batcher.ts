import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import type { Metadata, SourceDocument } from '../types.ts';
import type { DocumentSink } from './types.ts';
import { moreOf, type Location, type MessageLog } from './messages.ts';

export const DEFAULT_BATCH_SIZE = 500;
/** Longest stretch of synchronous work between two returns to the event loop. */
const MAX_BUSY_MS = 50;

/** Wraps an error thrown by the caller's sink: that is the caller's failure, not the file's. */
export class SinkFailure extends Error {
  constructor(readonly failure: unknown) {
    super('the document sink failed');
    this.name = 'SinkFailure';
  }
}

export interface DraftDocument {
  id: string;
  text: string;
  metadata: Metadata;
}

/**
 * Collects the documents of one file and hands them to the sink in batches. It also keeps ids
 * unique within the file (a repeated id gets `#dup2`, `#dup3`, … and a warning) and skips empty
 * texts, counting them.
 */
export class DocumentBatcher {
  documents = 0;
  private batch: SourceDocument[] = [];
  private readonly ids = new Set<string>();
  private readonly repeats = new Map<string, number>();
  private emptySkipped = 0;
  private firstEmpty: Location | null = null;
  private lastYield = Date.now();

  constructor(
    private readonly source: string,
    private readonly sink: DocumentSink,
    private readonly log: MessageLog,
    private readonly batchSize = DEFAULT_BATCH_SIZE,
    private readonly signal?: AbortSignal,
  ) {}

  async add(draft: DraftDocument, at: Location): Promise<void> {
    if (draft.text.trim() === '') {
      this.emptySkipped++;
      this.firstEmpty ??= at;
      return;
    }
    const id = this.uniqueId(draft.id, at);
    this.batch.push({ id, source: this.source, text: draft.text, metadata: draft.metadata });
    this.documents++;
    if (this.batch.length >= this.batchSize) await this.flush();
  }

  /** Flushes what is left; `emptyWhat` names skipped empty texts in the closing message. */
  async finish(emptyWhat: { plural: string; level: 'info' | 'warning' }): Promise<number> {
    await this.flush();
    if (this.emptySkipped > 0 && this.firstEmpty) {
      this.log.add(
        emptyWhat.level,
        `${this.emptySkipped} ${emptyWhat.plural} skipped (the first at ${this.firstEmpty.label})`,
        { line: this.firstEmpty.line },
      );
      this.emptySkipped = 0;
    }
    return this.documents;
  }

  async flush(): Promise<void> {
    throwIfAborted(this.signal);
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    try {
      await this.sink(batch);
    } catch (error) {
      throw new SinkFailure(error);
    }
    // A sink that resolves at once would let a big file run without a break; give the event
    // loop a turn now and then so abort signals and UI messages get through.
    if (Date.now() - this.lastYield > MAX_BUSY_MS) {
      await yieldToEventLoop();
      this.lastYield = Date.now();
    }
  }

  private uniqueId(id: string, at: Location): string {
    if (!this.ids.has(id)) {
      this.ids.add(id);
      return id;
    }
    let n = this.repeats.get(id) ?? 1;
    let candidate: string;
    do {
      n++;
      candidate = `${id}#dup${n}`;
    } while (this.ids.has(candidate));
    this.repeats.set(id, n);
    this.ids.add(candidate);
    this.log.repeatable(
      'duplicate-id',
      'warning',
      `${at.label}: duplicate id "${id}"; kept as "${candidate}"`,
      { line: at.line },
      moreOf('duplicate ids'),
    );
    return candidate;
  }
}
