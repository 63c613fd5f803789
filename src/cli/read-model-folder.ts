import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The folder's files for the fp32 graph, relative path → bytes (other ONNX variants skipped). */
export async function readModelFolder(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(name);
      else if (
        entry.isFile() &&
        !name.startsWith('.') &&
        !name.endsWith('.safetensors') &&
        !(name.endsWith('.onnx') && name !== 'onnx/model.onnx')
      ) {
        files.set(name, new Uint8Array(await readFile(path.join(dir, name))));
      }
    }
  };
  await walk('');
  return files;
}
