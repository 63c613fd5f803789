import type { JobRecord, JobState } from '../../store/index.ts';
import type { JsonValue } from '../../types.ts';
import type { EmbedModelSettings } from './types.ts';

export const EMBED_JOB_KIND = 'embed';

/**
 * The `cursor` of an embed job. Stored blocks are the truth: rows are appended in completion
 * order, so the rows written since `windowStartRow` name the chunks of the current window that
 * are done. Windows are pages of chunks in id order, the next one starting after `windowAfter`.
 */
export interface EmbedJobCursor {
  setId: string;
  modelId: string;
  device: string;
  dims: number;
  settings: { tokenBudget: number; maxTokens: number; normalize: boolean; windowSize: number };
  /** How the model embeds; absent in jobs recorded before it was kept. */
  model?: EmbedModelSettings;
  /** Chunks in the dataset when the job started. */
  total: number;
  /** Rows stored in the set so far. */
  rows: number;
  /** The first row of the current window. */
  windowStartRow: number;
  /** Id of the last chunk of the previous window; null before the first. */
  windowAfter: string | null;
  /** All chunks are stored; only the document averages may be left. */
  chunksDone: boolean;
  tokens: number;
  documents: number;
  missingDocuments: number;
}

export function embedJobId(datasetId: string, setId: string): string {
  return `embed:${JSON.stringify([datasetId, setId])}`;
}

export function documentSetId(setId: string): string {
  return `${setId}:docs`;
}

export function cursorJson(cursor: EmbedJobCursor): JsonValue {
  const { model, ...rest } = cursor;
  return { ...rest, settings: { ...cursor.settings }, ...(model ? { model: { ...model } } : {}) };
}

export function makeEmbedJob(
  id: string,
  datasetId: string,
  state: JobState,
  cursor: EmbedJobCursor,
  createdAt = Date.now(),
): JobRecord {
  return {
    id,
    datasetId,
    kind: EMBED_JOB_KIND,
    state,
    cursor: cursorJson(cursor),
    createdAt,
    updatedAt: createdAt,
  };
}

/** Reads an embed job's cursor back, refusing anything that is not one (a job of another kind). */
export function readEmbedCursor(job: JobRecord): EmbedJobCursor {
  const fail = (what: string): never => {
    throw new Error(`Job ${job.id} is not a resumable embed job: ${what}.`);
  };
  if (job.kind !== EMBED_JOB_KIND) fail(`its kind is '${job.kind}'`);
  const c = job.cursor;
  if (!isObject(c)) return fail('no cursor');
  const settings = c['settings'];
  if (!isObject(settings)) return fail('no settings');
  const windowAfter = c['windowAfter'];
  if (windowAfter !== null && typeof windowAfter !== 'string') fail('bad windowAfter');
  const model = readModelSettings(c['model']);
  return {
    setId: str(c, 'setId', fail),
    modelId: str(c, 'modelId', fail),
    device: str(c, 'device', fail),
    dims: num(c, 'dims', fail),
    settings: {
      tokenBudget: num(settings, 'tokenBudget', fail),
      maxTokens: num(settings, 'maxTokens', fail),
      normalize: settings['normalize'] === true,
      windowSize: num(settings, 'windowSize', fail),
    },
    total: num(c, 'total', fail),
    rows: num(c, 'rows', fail),
    windowStartRow: num(c, 'windowStartRow', fail),
    windowAfter: typeof windowAfter === 'string' ? windowAfter : null,
    chunksDone: c['chunksDone'] === true,
    tokens: num(c, 'tokens', fail),
    documents: num(c, 'documents', fail),
    missingDocuments: num(c, 'missingDocuments', fail),
    ...(model ? { model } : {}),
  };
}

const POOLINGS: readonly string[] = ['mean', 'cls', 'last-token'];
const DTYPES: readonly string[] = ['fp32', 'fp16', 'q8'];

/** A damaged or foreign model record reads as absent: the job still resumes, export refuses. */
function readModelSettings(value: JsonValue | undefined): EmbedModelSettings | undefined {
  if (!isObject(value)) return undefined;
  const { pooling, dtype, queryPrefix, documentPrefix, revision, weightsSha256 } = value;
  if (typeof pooling !== 'string' || !POOLINGS.includes(pooling)) return undefined;
  if (typeof dtype !== 'string' || !DTYPES.includes(dtype)) return undefined;
  if (typeof queryPrefix !== 'string' || typeof documentPrefix !== 'string') return undefined;
  if (revision !== null && typeof revision !== 'string') return undefined;
  if (weightsSha256 !== null && typeof weightsSha256 !== 'string') return undefined;
  return {
    pooling: pooling as EmbedModelSettings['pooling'],
    dtype: dtype as EmbedModelSettings['dtype'],
    queryPrefix,
    documentPrefix,
    revision,
    weightsSha256,
  };
}

type JsonObject = { [key: string]: JsonValue };

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(o: JsonObject, key: string, fail: (what: string) => never): string {
  const value = o[key];
  return typeof value === 'string' ? value : fail(`no ${key}`);
}

function num(o: JsonObject, key: string, fail: (what: string) => never): number {
  const value = o[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : fail(`no ${key}`);
}
