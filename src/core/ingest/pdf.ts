import type * as PdfJsModule from 'pdfjs-dist/legacy/build/pdf.mjs';
import { throwIfAborted } from '../abort.ts';
import type { Metadata } from '../types.ts';
import type { FormatContext } from './context.ts';
import { FileContentError } from './messages.ts';

type PdfJs = typeof PdfJsModule;

let pdfJs: Promise<PdfJs> | undefined;

/**
 * Loads pdf.js so that it parses in the calling thread.
 *
 * pdf.js normally parses in its own Web Worker, found through `GlobalWorkerOptions.workerSrc`
 * (a URL) or `workerPort`. That URL differs between Node, the Vite dev server and a build, and
 * ingestion already runs inside Lumina's prepare worker, off the page. So we import the worker
 * module itself: it registers `globalThis.pdfjsWorker`, and pdf.js then runs its parser in this
 * thread ("fake worker") without fetching anything. The same code works in Node (unit tests,
 * CLI), in Chromium pages and in dedicated workers; tests/browser/ingest-pdf.test.ts proves the
 * browser side. The legacy build is used everywhere because Node 20 lacks APIs the modern build
 * needs (e.g. Promise.withResolvers) and it works in browsers as well.
 */
function loadPdfJs(): Promise<PdfJs> {
  pdfJs ??= (async () => {
    await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    return import('pdfjs-dist/legacy/build/pdf.mjs');
  })();
  return pdfJs;
}

interface TextPiece {
  str?: string;
  hasEOL?: boolean;
}

function pageText(items: readonly TextPiece[]): string {
  let text = '';
  for (const item of items) {
    if (item.str !== undefined) text += item.str;
    if (item.hasEOL) text += '\n';
  }
  return text.trim();
}

function pdfFailure(error: unknown): FileContentError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'PasswordException') return new FileContentError('the PDF is password-protected');
  const reason = error instanceof Error ? error.message : String(error);
  return new FileContentError(`could not read the PDF (corrupt or not a PDF): ${reason}`);
}

/** `.pdf`: the text of every page, pages joined by a blank line; metadata.pages (and title). */
export async function readPdf(context: FormatContext): Promise<void> {
  const { input, batcher, signal } = context;
  const data = await context.stream.allBytes();
  const pdfjs = await loadPdfJs();
  throwIfAborted(signal);
  const task = pdfjs.getDocument({
    data,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
  });
  try {
    let document: Awaited<typeof task.promise>;
    try {
      document = await task.promise;
    } catch (error) {
      throw pdfFailure(error);
    }
    const pages: string[] = [];
    for (let number = 1; number <= document.numPages; number++) {
      throwIfAborted(signal);
      try {
        const page = await document.getPage(number);
        const content = await page.getTextContent();
        pages.push(pageText(content.items as TextPiece[]));
        page.cleanup();
      } catch (error) {
        throw pdfFailure(error);
      }
    }
    const text = pages.filter((page) => page !== '').join('\n\n');
    if (text === '') {
      throw new FileContentError(
        `no extractable text in ${document.numPages} page(s); it may be a scanned PDF (images of text), which needs OCR first`,
      );
    }
    const metadata: Metadata = { pages: document.numPages };
    const title = await documentTitle(document);
    if (title) metadata.title = title;
    await batcher.add({ id: input.path, text, metadata }, { label: 'the file' });
  } finally {
    await task.destroy();
  }
}

async function documentTitle(document: {
  getMetadata(): Promise<{ info: object }>;
}): Promise<string | null> {
  try {
    const { info } = await document.getMetadata();
    const title = (info as { Title?: unknown }).Title;
    return typeof title === 'string' && title.trim() !== '' ? title.trim() : null;
  } catch {
    return null;
  }
}
