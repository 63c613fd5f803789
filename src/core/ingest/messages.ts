import type { FileMessage, MessageLevel } from '../types.ts';

/** Where in a file a message points: `line` when known, and a human label ("line 3", "record 7"). */
export interface Location {
  line?: number;
  label: string;
}

export const LISTED_PER_KIND = 20;

interface RepeatedKind {
  count: number;
  level: MessageLevel;
  summary: (unlisted: number, total: number) => string;
}

/**
 * The messages of one file. Problems that can repeat on every line (a malformed JSONL line, a
 * short CSV row) are listed up to LISTED_PER_KIND times, then summed up in one closing message,
 * so a broken million-line file cannot flood the UI or the memory.
 */
export class MessageLog {
  private readonly messages: FileMessage[] = [];
  private readonly repeated = new Map<string, RepeatedKind>();

  constructor(private readonly file: string) {}

  add(level: MessageLevel, message: string, where: { line?: number; field?: string } = {}): void {
    const entry: FileMessage = { file: this.file, level, message };
    if (where.line !== undefined) entry.line = where.line;
    if (where.field !== undefined) entry.field = where.field;
    this.messages.push(entry);
  }

  error(message: string, where?: { line?: number; field?: string }): void {
    this.add('error', message, where);
  }

  warning(message: string, where?: { line?: number; field?: string }): void {
    this.add('warning', message, where);
  }

  info(message: string, where?: { line?: number; field?: string }): void {
    this.add('info', message, where);
  }

  /**
   * A message of a kind that may repeat. `summary(unlisted, total)` words the closing message,
   * e.g. (37, 57) → "… and 37 more malformed lines (57 in all)".
   */
  repeatable(
    kind: string,
    level: MessageLevel,
    message: string,
    where: { line?: number; field?: string },
    summary: (unlisted: number, total: number) => string,
  ): void {
    const seen = this.repeated.get(kind) ?? { count: 0, level, summary };
    seen.count += 1;
    this.repeated.set(kind, seen);
    if (seen.count <= LISTED_PER_KIND) this.add(level, message, where);
  }

  countOf(kind: string): number {
    return this.repeated.get(kind)?.count ?? 0;
  }

  hasErrors(): boolean {
    return this.messages.some((m) => m.level === 'error');
  }

  /** All messages, with the closing summaries of repeated kinds that went past the limit. */
  finish(): FileMessage[] {
    for (const kind of this.repeated.values()) {
      if (kind.count > LISTED_PER_KIND) {
        this.add(kind.level, kind.summary(kind.count - LISTED_PER_KIND, kind.count));
      }
    }
    this.repeated.clear();
    return this.messages;
  }
}

/** The standard closing sentence of a repeated kind: "… and 37 more malformed lines (57 in all)". */
export function moreOf(plural: string): (unlisted: number, total: number) => string {
  return (unlisted, total) => `… and ${unlisted} more ${plural} (${total} in all)`;
}

/** Reasons that stop the whole file, turned into one error message by `ingestFile`. */
export class FileContentError extends Error {
  constructor(
    message: string,
    readonly where: { line?: number; field?: string } = {},
  ) {
    super(message);
    this.name = 'FileContentError';
  }
}
