import { describe, expect, it } from 'vitest';
import {
  ingestFile,
  type IngestFileResult,
  type IngestOptions,
} from '../../src/core/ingest/index.ts';
import type { SourceDocument } from '../../src/core/types.ts';
import type { IngestReply } from '../support/fixtures/ingest-worker.ts';
import { noTextPdf, textPdf } from '../support/fixtures/pdf.ts';

async function ingestOnPage(
  file: File,
  options: IngestOptions = {},
): Promise<{ result: IngestFileResult; docs: SourceDocument[] }> {
  const docs: SourceDocument[] = [];
  const result = await ingestFile(
    { name: file.name, path: file.webkitRelativePath || file.name, blob: file },
    options,
    async (batch) => {
      docs.push(...batch);
    },
  );
  return { result, docs };
}

function ingestInWorker(file: File, options: IngestOptions = {}): Promise<IngestReply> {
  const worker = new Worker(new URL('../support/fixtures/ingest-worker.ts', import.meta.url), {
    type: 'module',
  });
  return new Promise<IngestReply>((resolve, reject) => {
    // pdf.js, imported in a worker, also announces itself on the worker's port ("ready"):
    // keep to our own replies.
    worker.onmessage = (event: MessageEvent<IngestReply | object>) => {
      if ('ok' in event.data) resolve(event.data);
    };
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage({ file, options });
  }).finally(() => worker.terminate());
}

const pdfFile = (bytes: Uint8Array, name: string): File =>
  new File([bytes as Uint8Array<ArrayBuffer>], name, { type: 'application/pdf' });

const expectedPdfText = 'Hello from a PDF in Chromium.\nSecond line.\n\nPage two.';
const samplePdf = (): File =>
  pdfFile(
    textPdf([['Hello from a PDF in Chromium.', 'Second line.'], ['Page two.']], 'Browser PDF'),
    'sample.pdf',
  );

describe('ingestFile in Chromium', () => {
  it('extracts PDF text with pdf.js on the page', async () => {
    const { result, docs } = await ingestOnPage(samplePdf());
    expect(result.messages).toEqual([]);
    expect(docs).toEqual([
      {
        id: 'sample.pdf',
        source: 'sample.pdf',
        text: expectedPdfText,
        metadata: { pages: 2, title: 'Browser PDF' },
      },
    ]);
    expect(result.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('extracts PDF text with pdf.js inside a dedicated Web Worker', async () => {
    const reply = await ingestInWorker(samplePdf());
    expect(reply).toMatchObject({ ok: true, result: { documents: 1, messages: [] } });
    expect(reply.ok && reply.docs[0]?.text).toBe(expectedPdfText);
  });

  it('reports a PDF without text in the browser', async () => {
    const { result } = await ingestOnPage(pdfFile(noTextPdf(), 'scan.pdf'));
    expect(result.messages.map((m) => m.message)).toEqual([
      'no extractable text in 1 page(s); it may be a scanned PDF (images of text), which needs OCR first',
    ]);
  });

  it('reads a CSV File with quoted newlines, on the page and in a worker', async () => {
    const csv = 'id,text,lang\nd1,"Bonjour,\n""le monde""",fr\nd2,Hello,en\n';
    const file = new File([csv], 'greetings.csv', { type: 'text/csv' });
    const expected = [
      { id: 'd1', source: 'greetings.csv', text: 'Bonjour,\n"le monde"', metadata: { lang: 'fr' } },
      { id: 'd2', source: 'greetings.csv', text: 'Hello', metadata: { lang: 'en' } },
    ];
    const onPage = await ingestOnPage(file);
    expect(onPage.docs).toEqual(expected);
    const inWorker = await ingestInWorker(file);
    expect(inWorker.ok && inWorker.docs).toEqual(expected);
  });
});
