import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAbortError } from '../../../src/core/abort.ts';
import { finetuneCli, parseFinetuneArgs } from '../../../src/cli/finetune.ts';
import { HubDownloadError } from '../../../src/cli/hub-download.ts';
import { downloadHubBase, HubBaseError, isHubModelId } from '../../../src/core/finetune/index.ts';
import type { ModelFolder } from '../../../src/core/model/seeded-model-folder.ts';
import { decodeSafetensors, encodeSafetensors } from '../../../src/core/model/safetensors.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { startFakeHub, type FakeHub } from '../../support/fake-hub.ts';
import { writeFolder } from '../decoder/write-folder.ts';
import { sharedDir, tinySeededModel } from '../../support/shared-data.ts';
import { captureIo } from '../../support/cli-io.ts';

const HUB_ID = 'lumina-test/tiny-bert';

let root: string;
let folder: ModelFolder;
let pairsFile: string;

function startHub(files: ReadonlyMap<string, Uint8Array>): Promise<FakeHub> {
  return startFakeHub(HUB_ID, files);
}

/** A port nothing listens on: a server is started there and closed. */
async function closedPortUrl(): Promise<string> {
  const hub = await startHub(new Map());
  await hub.close();
  return hub.url;
}

function args(base: string, out: string, extra: string[] = []) {
  return parseFinetuneArgs([
    '--base',
    base,
    '--pairs',
    pairsFile,
    '--loss',
    'cosine',
    '--out',
    out,
    '--batch',
    '8',
    '--max-steps',
    '2',
    '--max-length',
    '32',
    '--backend',
    'cpu',
    ...extra,
  ]);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-ft-hub-'));
  folder = await tinySeededModel(21);
  pairsFile = path.join(root, 'pairs.csv');
  const sts = readFileSync(path.join(sharedDir, 'datasets/stsb/sts-train.csv'), 'utf8');
  await writeFile(pairsFile, sts.split('\n').slice(0, 40).join('\n'));
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('base models that Lumina did not train', () => {
  it('a local HF folder with model.safetensors (BertModel names, sentence-transformers pooling)', async () => {
    const dir = path.join(root, 'seeded');
    await writeFolder(dir, folder.files);
    const run = captureIo();
    const report = await finetuneCli(args(dir, path.join(root, 'out-local')), run.io);
    expect(report.status).toBe('completed');
    expect(report.steps).toBe(2);
    expect(report.loss.first).toBeTypeOf('number');
    const exported = await readFile(path.join(root, 'out-local', 'model.safetensors'));
    expect([...decodeSafetensors(exported).tensors.keys()]).toContain(
      'encoder.layer.0.attention.self.query.weight',
    );
  }, 60_000);

  it('a BertForMaskedLM-style folder (`bert.`-prefixed names, no pooling files)', async () => {
    const dir = path.join(root, 'mlm-style');
    const decoded = decodeSafetensors(folder.files.get('model.safetensors') as Uint8Array);
    const renamed = new Map([...decoded.tensors].map(([name, tensor]) => [`bert.${name}`, tensor]));
    const files = new Map(
      [...folder.files].filter(([name]) => !/^(1_Pooling|modules|onnx|sentence)/.test(name)),
    );
    files.set('model.safetensors', encodeSafetensors(renamed, { format: 'pt' }));
    await writeFolder(dir, files);
    const report = await finetuneCli(args(dir, path.join(root, 'out-mlm')), captureIo().io);
    expect(report.status).toBe('completed');
    expect(report.steps).toBe(2);
  }, 60_000);
});

describe('--base <hub id>', () => {
  let hub: FakeHub;
  beforeAll(async () => {
    hub = await startHub(folder.files);
  });
  afterAll(async () => {
    await hub.close();
  });

  it('downloads config, tokenizer and model.safetensors with progress, then uses the cache', async () => {
    const cacheDir = path.join(root, 'cache');
    const settings = { url: hub.url, cacheDir };
    const run = captureIo();
    const report = await finetuneCli(args(HUB_ID, path.join(root, 'out-hub')), run.io, undefined, {
      ...settings,
    });
    expect(report.status).toBe('completed');
    const log = run.err.join('\n');
    expect(log).toMatch(/hub: lumina-test\/tiny-bert model\.safetensors .* done/);
    expect(log).toMatch(/finetune: base lumina-test\/tiny-bert \(revision main\) downloaded to/);
    // The ONNX graph is not needed to train, so it is not fetched.
    expect(hub.requests.some((url) => url.endsWith('onnx/model.onnx'))).toBe(false);
    const cached = path.join(cacheDir, 'hub', 'lumina-test', 'tiny-bert', 'main');
    const served = folder.files.get('model.safetensors') as Uint8Array;
    expect(Buffer.from(served).equals(await readFile(path.join(cached, 'model.safetensors')))).toBe(
      true,
    );
    const asked = hub.requests.length;
    const again = captureIo();
    await finetuneCli(args(HUB_ID, path.join(root, 'out-hub-2')), again.io, undefined, settings);
    expect(again.err.join('\n')).toMatch(/from the cache/);
    expect(hub.requests.length).toBe(asked);
  }, 60_000);

  it('says what to do when offline, and refuses what is neither a folder nor an id', async () => {
    const offline = {
      url: await closedPortUrl(),
      cacheDir: path.join(root, 'cache-offline'),
    };
    const run = finetuneCli(args(HUB_ID, path.join(root, 'x')), captureIo().io, undefined, offline);
    await expect(run).rejects.toThrow(HubDownloadError);
    await expect(
      finetuneCli(args(HUB_ID, path.join(root, 'x')), captureIo().io, undefined, offline),
    ).rejects.toThrow(/could not download config\.json.*local model folder to --base/s);
    await expect(
      finetuneCli(args('no/such/dir', path.join(root, 'x')), captureIo().io),
    ).rejects.toThrow(/neither a local model folder nor a Hugging Face Hub id/);
  });

  it('downloadHubBase (the browser view’s path): bytes, progress, errors, abort', async () => {
    const events: Progress[] = [];
    const files = await downloadHubBase(HUB_ID, {
      hubUrl: hub.url,
      onProgress: (e) => events.push(e),
    });
    expect([...files.keys()].sort()).toEqual(
      [
        '1_Pooling/config.json',
        'config.json',
        'modules.json',
        'model.safetensors',
        'tokenizer.json',
        'tokenizer_config.json',
      ].sort(),
    );
    for (const [name, bytes] of files) {
      expect(Buffer.from(bytes).equals(folder.files.get(name) as Uint8Array), name).toBe(true);
    }
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    expect(
      events.some((e) => e.status === 'progress' && /model\.safetensors/.test(e.message)),
    ).toBe(true);

    hub.missing.add('model.safetensors');
    try {
      await expect(downloadHubBase(HUB_ID, { hubUrl: hub.url })).rejects.toThrow(
        /no model\.safetensors .*404/,
      );
    } finally {
      hub.missing.delete('model.safetensors');
    }
    await expect(downloadHubBase(HUB_ID, { hubUrl: await closedPortUrl() })).rejects.toThrow(
      HubBaseError,
    );
    await expect(downloadHubBase(HUB_ID, { hubUrl: await closedPortUrl() })).rejects.toThrow(
      /Offline\? Pick a local model folder/,
    );
    const controller = new AbortController();
    controller.abort();
    await expect(
      downloadHubBase(HUB_ID, { hubUrl: hub.url, signal: controller.signal }),
    ).rejects.toSatisfy(isAbortError);
    expect(isHubModelId(HUB_ID)).toBe(true);
    expect(isHubModelId('../etc')).toBe(false);
    await expect(downloadHubBase('a--b/c', { hubUrl: hub.url })).rejects.toThrow(/not a Hub/);
  });
});
