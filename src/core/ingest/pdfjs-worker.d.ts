// pdfjs-dist ships no types for its worker module; we import it only for its side effect of
// registering `globalThis.pdfjsWorker` (see pdf.ts).
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
