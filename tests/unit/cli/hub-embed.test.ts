import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isAbortError } from '../../../src/core/abort.ts';
import { readBundle } from '../../../src/core/bundle/index.ts';
import { runCli } from '../../../src/cli/cli.ts';
import { parseEmbedArgs } from '../../../src/cli/embed-args.ts';
import { embed, type HubSettings } from '../../../src/cli/embed.ts';
import { HUB_COMPLETE_MARKER } from '../../../src/cli/hub-download.ts';
import { isHubId } from '../../../src/cli/hub-model-ref.ts';
import { startFakeHub, type FakeHub } from '../../support/fake-hub.ts';
import { tinySeededModel } from '../../support/shared-data.ts';
import { captureIo } from '../../support/cli-io.ts';

const HUB_ID = 'lumina-test/tiny-bert';
const WEIGHTS = 'onnx/model.onnx';
const CREATED = '2026-01-02T03:04:05.000Z';
const SETTINGS = ['--chunk-tokens', '16', '--overlap', '4', '--batch-tokens', '96'];

let root: string;
let corpus: string;
let modelDir: string;
let modelFiles: Map<string, Uint8Array>;

function startHub(files: ReadonlyMap<string, Uint8Array>): Promise<FakeHub> {
  return startFakeHub(HUB_ID, files);
}

async function freshCache(): Promise<string> {
  return mkdtemp(path.join(root, 'cache-'));
}

function hubOptions(out: string, ...extra: string[]) {
  return parseEmbedArgs([corpus, '--model', HUB_ID, '--out', out, ...SETTINGS, ...extra]);
}

/** Byte equality; vitest's deep equality walks megabytes element by element. */
function sameBytes(a: ArrayBufferView | undefined, b: ArrayBufferView | undefined): boolean {
  if (!a || !b) return false;
  const view = (x: ArrayBufferView) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return Buffer.compare(view(a), view(b)) === 0;
}

/** Every file under `dir`, as paths relative to it. */
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-hub-cli-'));
  modelFiles = (await tinySeededModel(11)).files;
  modelDir = path.join(root, 'tiny-bert');
  for (const [relative, bytes] of modelFiles) {
    await mkdir(path.dirname(path.join(modelDir, relative)), { recursive: true });
    await writeFile(path.join(modelDir, relative), bytes);
  }
  corpus = path.join(root, 'corpus');
  await mkdir(corpus, { recursive: true });
  await writeFile(
    path.join(corpus, 'notes.txt'),
    'Enzymes speed up reactions in cells.\n\nProteins fold into shapes that decide their work. ' +
      'Researchers measure folding with care and publish what they find.',
  );
  await writeFile(
    path.join(corpus, 'claims.jsonl'),
    ['Aspirin lowers fever.', 'Sleep improves memory.']
      .map((text, i) => JSON.stringify({ _id: `c${i}`, text }))
      .join('\n'),
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('lumina embed --model <hub id>', () => {
  it('downloads into the cache, names the hub model in the manifest, then runs offline', async () => {
    const hub = await startHub(modelFiles);
    const cacheDir = await freshCache();
    const settings: HubSettings = { url: hub.url, cacheDir };
    const first = captureIo();
    const online = path.join(root, 'online.lumina');
    try {
      await embed(hubOptions(online), first.io, { created: CREATED, hub: settings });
    } finally {
      await hub.close();
    }

    const bundle = await readBundle(new Uint8Array(await readFile(online)));
    const weightsSha256 = createHash('sha256')
      .update(modelFiles.get(WEIGHTS) ?? new Uint8Array())
      .digest('hex');
    expect(bundle.manifest.model).toMatchObject({
      id: HUB_ID,
      revision: 'main',
      weightsSha256,
      dims: 32,
    });
    const log = first.err.join('\n');
    const size = modelFiles.get(WEIGHTS)?.byteLength ?? 0;
    expect(log).toMatch(new RegExp(`hub: ${HUB_ID} onnx/model\\.onnx .*\\(0%\\) downloading`));
    expect(log).toMatch(new RegExp(`hub: ${HUB_ID} onnx/model\\.onnx .*\\(100%\\) done`));
    expect(log).toContain(`(revision main) downloaded to`);
    expect(size).toBeGreaterThan(10_000);

    // The cache holds the hub layout: the files the model has, byte for byte, and nothing else.
    const cached = path.join(cacheDir, 'hub', 'lumina-test', 'tiny-bert', 'main');
    const wanted = [
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'vocab.txt',
      'modules.json',
      'sentence_bert_config.json',
      'config_sentence_transformers.json',
      '1_Pooling/config.json',
      WEIGHTS,
    ];
    const expected = wanted.filter((file) => modelFiles.has(file));
    expect(expected).toContain('1_Pooling/config.json');
    expect(expected).not.toContain('vocab.txt');
    expect(await listTree(cached)).toEqual([...expected, HUB_COMPLETE_MARKER].sort());
    for (const file of expected) {
      const bytes = await readFile(path.join(cached, file));
      expect(sameBytes(bytes, modelFiles.get(file)), file).toBe(true);
    }
    // Absent optional files were asked for and answered 404 without failing the run.
    expect(hub.requests).toContain(`/${HUB_ID}/resolve/main/vocab.txt`);
    expect(hub.requests).not.toContain(`/${HUB_ID}/resolve/main/model.safetensors`);

    // The same model as a local folder gives the same vectors.
    const local = path.join(root, 'local.lumina');
    await embed(
      parseEmbedArgs([corpus, '--model', modelDir, '--out', local, ...SETTINGS]),
      captureIo().io,
      { created: CREATED },
    );
    const localBundle = await readBundle(new Uint8Array(await readFile(local)));
    expect(localBundle.manifest.model).toMatchObject({ id: 'tiny-bert', revision: null });
    expect(bundle.embeddings.length).toBe(bundle.chunks.length * 32);
    expect(sameBytes(bundle.embeddings, localBundle.embeddings)).toBe(true);
    expect(bundle.chunks.length).toBeGreaterThan(2);

    // The server is gone: the second run reads the cache only and writes the same bytes.
    const second = captureIo();
    const offline = path.join(root, 'offline.lumina');
    await embed(hubOptions(offline), second.io, { created: CREATED, hub: settings });
    expect(second.err.join('\n')).toContain(`(revision main) from the cache ${cached}`);
    expect(second.err.join('\n')).not.toMatch(/hub:/);
    const [a, b] = await Promise.all([readFile(online), readFile(offline)]);
    expect(Buffer.compare(a, b)).toBe(0);
  });

  it('names the id, revision and file when the hub has no weights (settings from env)', async () => {
    const hub = await startHub(modelFiles);
    hub.missing.add(WEIGHTS);
    const cacheDir = await freshCache();
    vi.stubEnv('LUMINA_HUB_URL', `${hub.url}/`);
    vi.stubEnv('LUMINA_CACHE_DIR', cacheDir);
    const { io, err: stderr } = captureIo();
    try {
      const out = path.join(root, 'missing.lumina');
      const code = await runCli(['embed', corpus, '--model', HUB_ID, '--out', out], io);
      expect(code).toBe(1);
      expect(stderr.join('\n')).toContain(
        `lumina embed: model ${HUB_ID} (revision main): onnx/model.onnx was not found on ` +
          `${hub.url}/${HUB_ID}/resolve/main/onnx/model.onnx: 404`,
      );
      await expect(stat(out)).rejects.toThrow();
    } finally {
      vi.unstubAllEnvs();
      await hub.close();
    }
    const cached = path.join(cacheDir, 'hub', 'lumina-test', 'tiny-bert', 'main');
    const files = await listTree(cached);
    expect(files).toContain('config.json');
    expect(files).not.toContain(WEIGHTS);
    expect(files).not.toContain(HUB_COMPLETE_MARKER);
  });

  it('leaves nothing that reads as complete when a download breaks off, and retries', async () => {
    const hub = await startHub(modelFiles);
    hub.cutOff.add(WEIGHTS);
    const cacheDir = await freshCache();
    const cached = path.join(cacheDir, 'hub', 'lumina-test', 'tiny-bert', 'main');
    const settings: HubSettings = { url: hub.url, cacheDir };
    const out = path.join(root, 'retry.lumina');
    try {
      const broken = await embed(hubOptions(out), captureIo().io, { hub: settings }).catch(
        (e: unknown) => e,
      );
      expect(broken).toBeInstanceOf(Error);
      expect((broken as Error).message).toMatch(
        new RegExp(
          `^model ${HUB_ID} \\(revision main\\): download of onnx/model\\.onnx from ` +
            `${hub.url}/\\S+ broke off after \\d+ of ${modelFiles.get(WEIGHTS)?.byteLength} bytes`,
        ),
      );
      const files = await listTree(cached);
      expect(files).not.toContain(WEIGHTS);
      expect(files).not.toContain(HUB_COMPLETE_MARKER);
      expect(files.filter((file) => file.endsWith('.part'))).toEqual([]);

      // The server works again: only the missing weights are fetched.
      hub.cutOff.clear();
      hub.requests.length = 0;
      const retry = captureIo();
      await embed(hubOptions(out), retry.io, { hub: settings });
      expect(hub.requests).toContain(`/${HUB_ID}/resolve/main/onnx/model.onnx`);
      expect(hub.requests).not.toContain(`/${HUB_ID}/resolve/main/config.json`);
      const bundle = await readBundle(new Uint8Array(await readFile(out)));
      expect(bundle.manifest.model.id).toBe(HUB_ID);
      const weights = await readFile(path.join(cached, WEIGHTS));
      expect(sameBytes(weights, modelFiles.get(WEIGHTS))).toBe(true);
    } finally {
      await hub.close();
    }
  });

  it('stops a stalled download on abort and cleans up; offline, the error names the way out', async () => {
    const hub = await startHub(modelFiles);
    const controller = new AbortController();
    hub.stall.set(WEIGHTS, () => controller.abort());
    const cacheDir = await freshCache();
    const cached = path.join(cacheDir, 'hub', 'lumina-test', 'tiny-bert', 'main');
    const settings: HubSettings = { url: hub.url, cacheDir };
    const out = path.join(root, 'aborted.lumina');
    try {
      const error = await embed(hubOptions(out), captureIo().io, {
        hub: settings,
        signal: controller.signal,
      }).catch((e: unknown) => e);
      expect(isAbortError(error)).toBe(true);
    } finally {
      await hub.close();
    }
    const files = await listTree(cached);
    expect(files).not.toContain(WEIGHTS);
    expect(files.filter((file) => file.endsWith('.part'))).toEqual([]);

    const offline = await embed(hubOptions(out), captureIo().io, { hub: settings }).catch(
      (e: unknown) => e,
    );
    expect((offline as Error).message).toMatch(
      new RegExp(
        `^model ${HUB_ID} \\(revision main\\): could not download (\\S+) from ` +
          `${hub.url}/${HUB_ID}/resolve/main/\\1: .*ECONNREFUSED.*` +
          'set LUMINA_HUB_URL to a reachable mirror or pass a local model folder to --model',
      ),
    );
  });

  it('asks for the given --revision and keeps it apart in the cache and the manifest', async () => {
    const revision = 'refs/pr/1';
    const hub = await startHub(new Map());
    const cacheDir = await freshCache();
    const out = path.join(root, 'revision.lumina');
    try {
      const error = await embed(hubOptions(out, '--revision', revision), captureIo().io, {
        hub: { url: hub.url, cacheDir },
      }).catch((e: unknown) => e);
      expect((error as Error).message).toContain(
        `model ${HUB_ID} (revision refs/pr/1): config.json was not found on ` +
          `${hub.url}/${HUB_ID}/resolve/refs%2Fpr%2F1/config.json: 404`,
      );
      expect(hub.requests).toEqual([`/${HUB_ID}/resolve/refs%2Fpr%2F1/config.json`]);
    } finally {
      await hub.close();
    }
  });

  it('refuses a --model that is neither a folder nor a hub id, and --revision with a folder', async () => {
    const run = async (...argv: string[]) => {
      const { io, err: stderr } = captureIo();
      return { code: await runCli(argv, io), log: stderr.join('\n') };
    };
    const out = path.join(root, 'usage.lumina');
    const neither = await run('embed', corpus, '--model', './no/such/model', '--out', out);
    expect(neither.code).toBe(2);
    expect(neither.log).toContain(
      '--model ./no/such/model: neither a local model folder nor a Hugging Face Hub id',
    );
    expect(neither.log).toContain('--model <dir|owner/name>');
    const folder = await run(
      'embed',
      corpus,
      '--model',
      modelDir,
      '--revision',
      'v1',
      '--out',
      out,
    );
    expect(folder.code).toBe(2);
    expect(folder.log).toContain('--revision applies to a hub id');
    const badRevision = await run(
      'embed',
      corpus,
      '--model',
      HUB_ID,
      '--revision',
      '../x',
      '--out',
      out,
    );
    expect(badRevision.code).toBe(2);
    expect(badRevision.log).toContain('--revision "../x" is not a branch, tag or commit name');
  });

  it('recognises hub ids by the characters the hub allows', () => {
    for (const id of ['Xenova/all-MiniLM-L6-v2', 'BAAI/bge-small-en-v1.5', 'a_b/c.d']) {
      expect(isHubId(id), id).toBe(true);
    }
    for (const id of [
      'bert-base-uncased',
      'a/b/c',
      '../model',
      'owner/..',
      'owner/name.git',
      'owner/na--me',
      'owner/-name',
      'owner/name with space',
      `owner/${'x'.repeat(97)}`,
      '/abs/path',
    ]) {
      expect(isHubId(id), id).toBe(false);
    }
  });
});
