import type { IngestInput } from '../core/ingest/index.ts';

/** Files from an <input type=file> (with or without `webkitdirectory`). */
export function inputsFromFileList(list: FileList | File[]): IngestInput[] {
  return Array.from(list, (file) => ({
    name: file.name,
    path: file.webkitRelativePath || file.name,
    blob: file,
  }));
}

async function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const all: FileSystemEntry[] = [];
  // readEntries returns at most ~100 entries per call; keep reading until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (!batch.length) return all;
    all.push(...batch);
  }
}

async function walkEntry(entry: FileSystemEntry, out: IngestInput[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    out.push({ name: file.name, path: entry.fullPath.replace(/^\//, ''), blob: file });
  } else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    for (const child of children) await walkEntry(child, out);
  }
}

/** Files and whole folders dropped on the page, with their relative paths. */
export async function inputsFromDrop(transfer: DataTransfer): Promise<IngestInput[]> {
  const entries = Array.from(transfer.items)
    .map((item) => item.webkitGetAsEntry())
    .filter((entry): entry is FileSystemEntry => entry !== null);
  if (!entries.length) return inputsFromFileList(transfer.files);
  const out: IngestInput[] = [];
  for (const entry of entries) await walkEntry(entry, out);
  return out;
}
