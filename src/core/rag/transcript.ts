import type { JsonValue } from '../types.ts';
import type { AbstainThresholds } from './abstain.ts';
import type { RagAnswer } from './answer.ts';
import type { RagMode } from './retrieve.ts';

/** The text-generation model and sampling a generated answer ran with. */
export interface GeneratorSettings {
  model: string;
  device: 'wasm' | 'webgpu';
  dtype: string;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** Lumina's seeded (untrained) weights: the text is meaningless. */
  seeded: boolean;
}

/** The cross-encoder that re-ranked the retrieved candidates. */
export interface RerankerSettings {
  model: string;
  device: 'wasm' | 'webgpu';
  /** Lumina's seeded (untrained) weights: the scores are meaningless. */
  seeded: boolean;
}

/** How a turn was answered: the settings the Ask view ran with. */
export interface AskSettings {
  answerer: 'extractive' | 'generator';
  /** Set when `answerer` is 'generator'. */
  generator?: GeneratorSettings;
  /** Set when a cross-encoder re-ranked the candidates. */
  reranker?: RerankerSettings;
  mode: RagMode;
  k: number;
  /** MMR's lambda; null: no MMR. */
  mmrLambda: number | null;
  neighbours: number;
  thresholds: AbstainThresholds;
  /** The embedding set dense and hybrid retrieval used; null for BM25. */
  setId: string | null;
}

/** One question and its answer in a conversation. */
export interface AskTurn {
  question: string;
  answer: RagAnswer;
  options: AskSettings;
  createdAt: number;
}

/** What a transcript is headed with. */
export interface TranscriptInfo {
  title: string;
  datasetName: string;
  conversationId: string;
}

/** A turn as a stored conversation keeps it (plain JSON: IndexedDB and exports alike). */
export function turnToJson(turn: AskTurn): JsonValue {
  return JSON.parse(JSON.stringify(turn)) as JsonValue;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A stored turn back as a typed one. Checks the fields the views and exports read, so a
 * record written by another version fails here with a clear message rather than in rendering.
 */
export function turnFromJson(value: JsonValue): AskTurn {
  const fail = (what: string): never => {
    throw new Error(`Not a stored Ask turn: ${what}.`);
  };
  if (!isRecord(value)) return fail('not an object');
  const { question, answer, options, createdAt } = value;
  if (typeof question !== 'string') fail('no question');
  if (typeof createdAt !== 'number') fail('no createdAt');
  if (!isRecord(options) || typeof options['mode'] !== 'string') fail('no options');
  if (!isRecord(answer)) return fail('no answer');
  if (typeof answer['text'] !== 'string') fail('the answer has no text');
  if (typeof answer['abstained'] !== 'boolean') fail('the answer has no abstained flag');
  for (const list of ['citations', 'passages', 'sources'] as const) {
    if (!Array.isArray(answer[list])) fail(`the answer has no ${list}`);
  }
  return value as unknown as AskTurn;
}

/** `> ` before every line, so a passage stays one Markdown blockquote. */
function quote(text: string): string {
  return text
    .trim()
    .split(/\r?\n/)
    .map((line) => (line.trim() ? `> ${line}` : '>'))
    .join('\n');
}

function score(value: number | null): string {
  return value === null ? '—' : value.toFixed(3);
}

function settingsLine(options: AskSettings): string {
  const parts = [
    `retriever ${options.mode}`,
    `top ${options.k}`,
    options.mmrLambda === null ? 'no MMR' : `MMR λ ${options.mmrLambda}`,
    `neighbours ${options.neighbours}`,
    `answer ${options.answerer}`,
  ];
  if (options.reranker) {
    const { model, device, seeded } = options.reranker;
    parts.push(
      `re-ranked by ${model} on ${device}${seeded ? ' (seeded: scores meaningless)' : ''}`,
    );
  }
  if (options.setId) parts.push(`set ${options.setId}`);
  return parts.join(' · ');
}

/**
 * A conversation as Markdown: each question, its answer with `[n]` markers, and a "Sources"
 * list with each cited source's document, chunks, score and the quoted passage.
 */
export function transcriptMarkdown(info: TranscriptInfo, turns: readonly AskTurn[]): string {
  const out: string[] = [`# ${info.title}`, '', `Dataset: ${info.datasetName}`, ''];
  turns.forEach((turn, i) => {
    out.push(`## ${i + 1}. ${turn.question}`, '');
    out.push(`_${settingsLine(turn.options)}_`, '');
    out.push(turn.answer.text, '');
    if (turn.answer.abstained) {
      out.push('Nothing retrieved scored above the abstention threshold; no sources cited.', '');
      return;
    }
    out.push('### Sources', '');
    const sources = new Map(turn.answer.sources.map((s) => [s.sourceNumber, s]));
    for (const citation of turn.answer.citations) {
      out.push(
        `- [${citation.n}] ${citation.docId} (chunks ${citation.chunkIds.join(', ')}; score ${score(citation.score)})`,
      );
      const text = sources.get(citation.n)?.text;
      if (text) out.push('', quote(text), '');
    }
    if (out[out.length - 1] !== '') out.push('');
  });
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * A conversation as JSON Lines: one line per turn with the question, the answer, its citations,
 * and every retrieved passage with its scores.
 */
export function transcriptJsonl(info: TranscriptInfo, turns: readonly AskTurn[]): string {
  return turns
    .map((turn, i) =>
      JSON.stringify({
        conversationId: info.conversationId,
        dataset: info.datasetName,
        turn: i + 1,
        createdAt: new Date(turn.createdAt).toISOString(),
        question: turn.question,
        answer: turn.answer.text,
        abstained: turn.answer.abstained,
        options: turn.options,
        citations: turn.answer.citations.map((c) => ({
          ...c,
          text: turn.answer.sources.find((s) => s.sourceNumber === c.n)?.text ?? null,
        })),
        passages: turn.answer.passages.map((p) => ({
          chunkId: p.id,
          docId: p.docId,
          rank: p.rank,
          score: p.score,
          retrievalScore: p.retrievalScore ?? null,
          lexicalScore: p.lexicalScore,
          semanticScore: p.semanticScore,
          neighbourOf: p.neighbourOf,
          charStart: p.charStart,
          charEnd: p.charEnd,
          text: p.text,
        })),
        timings: turn.answer.timings,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}
