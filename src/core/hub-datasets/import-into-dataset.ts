import { sha256Hex } from '../hash.ts';
import type { FileOutcome } from '../pipeline/ingest-dataset.ts';
import type { LuminaStore } from '../store/index.ts';
import type { SourceDocument } from '../types.ts';
import { readHubDocuments, type HubReadControl } from './read-documents.ts';
import { hubSource, type HubImportRequest } from './request.ts';

export interface HubImportResult {
  /** One outcome, for the split, shaped like a file's so the Library shows it the same way. */
  files: FileOutcome[];
  documentsAdded: number;
  /** Documents this split had already put in the dataset (an earlier import of the same rows). */
  alreadyPresent: number;
  rowsRead: number;
  bytesDownloaded: number;
}

/**
 * Picks each document's stored id: its own when free, `<source>::<id>` when another source holds
 * it (as file ingestion does), or null when this very split already stored it, so importing the
 * same rows again adds nothing and a larger limit adds only the rows not yet there.
 */
async function placeDocuments(
  store: LuminaStore,
  datasetId: string,
  docs: SourceDocument[],
): Promise<{ fresh: SourceDocument[]; present: number; renamed: number }> {
  const taken = await store.existingDocumentIds(
    datasetId,
    docs.map((d) => d.id),
  );
  const placed: SourceDocument[] = [];
  for (const doc of docs) {
    if (!taken.has(doc.id)) {
      placed.push(doc);
      continue;
    }
    const holder = await store.getDocument(datasetId, doc.id);
    if (holder?.source === doc.source) continue;
    placed.push({ ...doc, id: `${doc.source}::${doc.id}` });
  }
  const renamedIds = placed.filter((d) => d.id.startsWith(`${d.source}::`)).map((d) => d.id);
  const renamedTaken = await store.existingDocumentIds(datasetId, renamedIds);
  const fresh = placed.filter((d) => !renamedTaken.has(d.id));
  return {
    fresh,
    present: docs.length - fresh.length,
    renamed: fresh.filter((d) => d.id.startsWith(`${d.source}::`)).length,
  };
}

/**
 * Imports the first rows of a Hub dataset split into a Lumina dataset. Resumable and idempotent:
 * rows already imported are recognised by id and skipped, and what was written before an abort
 * stays (re-running carries on), which is why the split's import record is never left in the
 * 'ingesting' state that start-up recovery rolls back.
 */
export async function importHubIntoDataset(
  store: LuminaStore,
  datasetId: string,
  request: HubImportRequest,
  control: HubReadControl = {},
): Promise<HubImportResult> {
  const source = hubSource(request);
  const hash = await sha256Hex(source);
  const previous = await store.findFile(datasetId, hash);
  let written = 0;
  let present = 0;
  let renamed = 0;
  const saveRecord = async (bytes: number, messages: FileOutcome['messages']) =>
    store.putFile({
      datasetId,
      hash,
      name: `${request.dataset} ${request.config}/${request.split}`,
      path: source,
      bytes: (previous?.bytes ?? 0) + bytes,
      format: 'hub',
      documents: (previous?.documents ?? 0) + written,
      messages,
      addedAt: previous?.addedAt ?? Date.now(),
      state: 'done',
    });
  let result;
  try {
    result = await readHubDocuments(
      request,
      async (docs) => {
        const placed = await placeDocuments(store, datasetId, docs);
        present += placed.present;
        renamed += placed.renamed;
        if (placed.fresh.length) {
          written += await store.addDocuments(datasetId, hash, placed.fresh);
        }
      },
      control,
    );
  } catch (error) {
    // Keep the count of what an interrupted import already stored, for the next run to build on.
    if (written > 0) await saveRecord(0, previous?.messages ?? []);
    throw error;
  }
  const messages = [...result.messages];
  if (present > 0) {
    messages.push({
      file: source,
      level: 'info',
      message: `${present} row(s) were already in this dataset from an earlier import; not added again.`,
    });
  }
  if (renamed > 0) {
    messages.push({
      file: source,
      level: 'warning',
      field: request.idColumn ?? 'id',
      message: `${renamed} id(s) were already used by other sources in this dataset; stored as "${source}::<id>".`,
    });
  }
  await saveRecord(result.bytesDownloaded, messages);
  return {
    files: [
      {
        file: source,
        status: written > 0 ? 'added' : present > 0 ? 'duplicate' : 'failed',
        format: 'hub',
        bytes: result.bytesDownloaded,
        documents: written,
        messages,
      },
    ],
    documentsAdded: written,
    alreadyPresent: present,
    rowsRead: result.rowsRead,
    bytesDownloaded: result.bytesDownloaded,
  };
}
