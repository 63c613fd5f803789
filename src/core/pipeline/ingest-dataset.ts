import { isAbortError, throwIfAborted } from '../abort.ts';
import { sha256OfBlob } from '../hash.ts';
import {
  detectFormat,
  ingestFile,
  ingestPaste,
  type IngestInput,
  type IngestOptions,
} from '../ingest/index.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { LuminaStore } from '../store/index.ts';
import type { FileFormat, FileMessage, SourceDocument } from '../types.ts';

export type FileOutcomeStatus = 'added' | 'duplicate' | 'failed';

export interface FileOutcome {
  file: string;
  status: FileOutcomeStatus;
  format: FileFormat | null;
  bytes: number;
  documents: number;
  messages: FileMessage[];
}

export interface IngestDatasetResult {
  files: FileOutcome[];
  documentsAdded: number;
}

/**
 * Gives ids that clash with documents already in the dataset (or earlier in this file) a
 * source-qualified id, and says so, so one record never silently replaces another.
 */
async function disambiguateIds(
  store: LuminaStore,
  datasetId: string,
  docs: SourceDocument[],
  seen: Set<string>,
  messages: FileMessage[],
  file: string,
): Promise<SourceDocument[]> {
  const stored = await store.existingDocumentIds(
    datasetId,
    docs.map((d) => d.id),
  );
  return docs.map((doc) => {
    if (!stored.has(doc.id) && !seen.has(doc.id)) {
      seen.add(doc.id);
      return doc;
    }
    let id = `${doc.source}::${doc.id}`;
    for (let n = 2; stored.has(id) || seen.has(id); n++) id = `${doc.source}::${doc.id}#${n}`;
    seen.add(id);
    if (messages.filter((m) => m.field === 'id').length < 20) {
      messages.push({
        file,
        level: 'warning',
        field: 'id',
        message: `Document id "${doc.id}" is already used in this dataset; stored as "${id}".`,
      });
    }
    return { ...doc, id };
  });
}

function failedOutcome(input: IngestInput, messages: FileMessage[]): FileOutcome {
  return {
    file: input.path,
    status: 'failed',
    format: detectFormat(input.name),
    bytes: input.blob.size,
    documents: 0,
    messages,
  };
}

async function rollBackFile(store: LuminaStore, datasetId: string, hash: string): Promise<void> {
  await store.deleteFileDocuments(datasetId, hash);
  await store.deleteFile(datasetId, hash);
}

/**
 * Removes the documents of files whose ingestion never finished (the tab was closed or the worker
 * killed midway), so a dataset never keeps half a file. Returns the paths cleaned up.
 */
export async function recoverInterruptedIngests(
  store: LuminaStore,
  datasetId: string,
): Promise<string[]> {
  const interrupted = (await store.listFiles(datasetId)).filter((f) => f.state === 'ingesting');
  for (const file of interrupted) await rollBackFile(store, datasetId, file.hash);
  return interrupted.map((f) => f.path);
}

/**
 * Ingests files into a dataset: identical files (by sha256) are skipped, documents are written
 * in batches, and a file that fails midway is rolled back so the dataset never holds half a file.
 * One bad file never stops the others; only an abort does (after rolling back the current file).
 */
export async function ingestIntoDataset(
  store: LuminaStore,
  datasetId: string,
  inputs: IngestInput[],
  options: IngestOptions,
  control: { signal?: AbortSignal; onProgress?: ProgressCallback } = {},
): Promise<IngestDatasetResult> {
  const { signal } = control;
  const reporter = new ProgressReporter(control.onProgress);
  const totalBytes = inputs.reduce((sum, input) => sum + input.blob.size, 0) || 1;
  let doneBytes = 0;
  const files: FileOutcome[] = [];
  let documentsAdded = 0;
  reporter.start(`Reading ${inputs.length} file(s)`);
  await recoverInterruptedIngests(store, datasetId);

  for (const input of inputs) {
    throwIfAborted(signal);
    if (detectFormat(input.name) === null) {
      // Not worth reading (or hashing) a file of a type Lumina cannot parse: say so and move on.
      const result = await ingestFile(input, options, () => Promise.resolve(), { signal });
      files.push(failedOutcome(input, result.messages));
      doneBytes += input.blob.size;
      reporter.update(doneBytes, totalBytes, input.path);
      continue;
    }
    const hash = await sha256OfBlob(input.blob, signal);
    const previous = await store.findFile(datasetId, hash);
    if (previous && previous.documents > 0 && previous.state !== 'ingesting') {
      files.push({
        file: input.path,
        status: 'duplicate',
        format: previous.format,
        bytes: input.blob.size,
        documents: 0,
        messages: [
          {
            file: input.path,
            level: 'info',
            message: `Skipped: identical to "${previous.path}", already in this dataset.`,
          },
        ],
      });
      doneBytes += input.blob.size;
      reporter.update(doneBytes, totalBytes, input.path);
      continue;
    }

    const idMessages: FileMessage[] = [];
    const seen = new Set<string>();
    let written = 0;
    const record = {
      datasetId,
      hash,
      name: input.name,
      path: input.path,
      bytes: input.blob.size,
      format: detectFormat(input.name),
      documents: 0,
      messages: [],
      addedAt: Date.now(),
      state: 'ingesting' as const,
    };
    try {
      await store.putFile(record);
      const result = await ingestFile(
        input,
        options,
        async (docs) => {
          const unique = await disambiguateIds(
            store,
            datasetId,
            docs,
            seen,
            idMessages,
            input.path,
          );
          written += await store.addDocuments(datasetId, hash, unique);
        },
        {
          signal,
          onProgress: (read) => reporter.update(doneBytes + read, totalBytes, input.path),
        },
      );
      const messages = [...result.messages, ...idMessages];
      await store.putFile({
        ...record,
        bytes: result.bytes,
        format: result.format,
        documents: written,
        messages,
        state: 'done',
      });
      documentsAdded += written;
      files.push({
        file: input.path,
        status: written > 0 ? 'added' : 'failed',
        format: result.format,
        bytes: result.bytes,
        documents: written,
        messages,
      });
    } catch (error) {
      await rollBackFile(store, datasetId, hash);
      if (isAbortError(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      files.push(
        failedOutcome(input, [
          {
            file: input.path,
            level: 'error',
            message: `Nothing from this file was kept: ${reason}`,
          },
        ]),
      );
    }
    doneBytes += input.blob.size;
    reporter.update(doneBytes, totalBytes, input.path);
  }
  reporter.finish(`Added ${documentsAdded} document(s)`);
  return { files, documentsAdded };
}

/** Pasted text becomes one document; pasting the same text twice is detected like a file. */
export async function ingestPastedText(
  store: LuminaStore,
  datasetId: string,
  text: string,
  options: IngestOptions,
): Promise<IngestDatasetResult> {
  const blob = new Blob([text], { type: 'text/plain' });
  const hash = await sha256OfBlob(blob);
  const name = `paste:${hash.slice(0, 8)}`;
  const previous = await store.findFile(datasetId, hash);
  if (previous && previous.documents > 0) {
    return {
      documentsAdded: 0,
      files: [
        {
          file: name,
          status: 'duplicate',
          format: 'paste',
          bytes: blob.size,
          documents: 0,
          messages: [
            {
              file: name,
              level: 'info',
              message: 'Skipped: this exact text was already pasted into this dataset.',
            },
          ],
        },
      ],
    };
  }
  const index = (await store.listFiles(datasetId)).filter((f) => f.format === 'paste').length + 1;
  const { documents, messages } = ingestPaste(text, { ...options, index });
  const written = documents.length ? await store.addDocuments(datasetId, hash, documents) : 0;
  await store.putFile({
    datasetId,
    hash,
    name,
    path: name,
    bytes: blob.size,
    format: 'paste',
    documents: written,
    messages,
    addedAt: Date.now(),
  });
  return {
    documentsAdded: written,
    files: [
      {
        file: name,
        status: written ? 'added' : 'failed',
        format: 'paste',
        bytes: blob.size,
        documents: written,
        messages,
      },
    ],
  };
}
