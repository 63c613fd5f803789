import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOnnxModel, OnnxDataType } from '../../../src/core/model/onnx/index.ts';
import { exportTrainedModel } from '../../../src/core/train/export/index.ts';
import { parseBertConfig } from '../../../src/core/model/bert-config.ts';
import { initBertWeights } from '../../../src/core/model/init.ts';
import { tinyBertConfig } from '../../support/shared-data.ts';
import {
  minilmTokenizerFiles,
  perturb,
  trainedMlmHead,
  tinyEncoderConfig,
  writeFolder,
} from './fixtures.ts';

const run = promisify(execFile);

/**
 * Debian's python3-onnx installs into the system interpreter; a pyenv or venv `python3` earlier
 * on PATH does not see it, so the system one is asked too.
 */
const PYTHONS = [process.env.LUMINA_PYTHON, 'python3', '/usr/bin/python3'].filter(
  (candidate): candidate is string => Boolean(candidate),
);

async function pythonWithOnnx(): Promise<{ python: string; version: string }> {
  const tried: string[] = [];
  for (const python of PYTHONS) {
    try {
      const { stdout } = await run(python, ['-c', 'import onnx; print(onnx.__version__)']);
      return { python, version: stdout.trim() };
    } catch (error) {
      tried.push(`${python}: ${(error as Error).message.split('\n')[0] ?? ''}`);
    }
  }
  throw new Error(
    "No Python with the onnx module: install Debian's python3-onnx (`apt-get install -y " +
      `python3-onnx\`; .ci/run does it when missing). Tried ${tried.join('; ')}`,
  );
}

const CHECK =
  'import onnx, sys; onnx.checker.check_model(sys.argv[1], full_check=True); print("ok")';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lumina-onnx-checker-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('onnx.checker', () => {
  it('passes full_check (with strict shape inference) on an exported trained model', async () => {
    const { python, version } = await pythonWithOnnx();
    const config = tinyEncoderConfig();
    const weights = perturb(
      await initBertWeights(parseBertConfig(tinyBertConfig()), { seed: 4 }),
      5,
    );
    const files = await exportTrainedModel({
      config,
      encoderWeights: weights,
      tokenizerFiles: minilmTokenizerFiles(),
      pooling: 'mean',
      normalize: true,
      name: 'checked',
      maxSeqLength: 128,
      mlmHeadWeights: trainedMlmHead(config, 6),
    });
    const dir = path.join(tmp, 'checked');
    await writeFolder(dir, files);
    const { stdout, stderr } = await run(python, ['-c', CHECK, path.join(dir, 'onnx/model.onnx')]);
    console.info(
      `onnx ${version} (${python}) check_model full_check: ${stdout.trim()} ${stderr.trim()}`,
    );
    expect(stdout.trim()).toBe('ok');
  });

  it('fails full_check on a graph with a type error, so a pass means something', async () => {
    const { python } = await pythonWithOnnx();
    // Add(float, int64): each node is well formed, only full_check's typed inference sees it.
    const model = encodeOnnxModel({
      irVersion: 8,
      opsetImports: [{ domain: '', version: 17 }],
      producerName: 'lumina-test',
      producerVersion: '0',
      graph: {
        name: 'mistyped',
        nodes: [{ opType: 'Add', name: 'add', inputs: ['a', 'b'], outputs: ['c'] }],
        initializers: [],
        inputs: [
          { name: 'a', elemType: OnnxDataType.FLOAT, shape: [2] },
          { name: 'b', elemType: OnnxDataType.INT64, shape: [2] },
        ],
        outputs: [{ name: 'c', elemType: OnnxDataType.FLOAT, shape: [2] }],
      },
    });
    const file = path.join(tmp, 'mistyped.onnx');
    await writeFile(file, model);
    const light = 'import onnx, sys; onnx.checker.check_model(sys.argv[1]); print("ok")';
    expect((await run(python, ['-c', light, file])).stdout.trim()).toBe('ok');
    await expect(run(python, ['-c', CHECK, file])).rejects.toThrow(/ShapeInferenceError|type/i);
  });
});
