import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function writeFolder(
  dir: string,
  files: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  for (const [relative, bytes] of files) {
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
}
