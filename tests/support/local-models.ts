import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { env } from '@huggingface/transformers';
import { afterAll, beforeAll } from 'vitest';

export interface LocalModelRoot {
  /** Set once the file's tests start. */
  readonly root: string;
}

/**
 * A temporary folder for the test file from which transformers.js loads models by folder name and
 * never from the network; made before the file's tests, removed after them.
 */
export function useLocalModelRoot(prefix: string): LocalModelRoot {
  let root: string | undefined;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), prefix));
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${root}${path.sep}`;
  });
  afterAll(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });
  return {
    get root() {
      if (root === undefined) throw new Error('the local model root is used outside a test');
      return root;
    },
  };
}
