import { describe, expect, it } from 'vitest';
import {
  chooseDevice,
  type WebGpuStatus,
} from '../../../../src/core/embed/device/choose-device.ts';

const gpu: WebGpuStatus = { available: true, isFallbackAdapter: false };
const swiftshader: WebGpuStatus = { available: true, isFallbackAdapter: true };
const none: WebGpuStatus = {
  available: false,
  isFallbackAdapter: false,
  reason: 'navigator.gpu is missing',
};

const speeds = (wasm: number, webgpu: number) => async (device: 'wasm' | 'webgpu') =>
  device === 'wasm' ? wasm : webgpu;

describe('chooseDevice', () => {
  it('takes WebGPU when it measures faster on the model', async () => {
    const choice = await chooseDevice('auto', { webgpu: gpu, measure: speeds(2000, 9000) });
    expect(choice).toMatchObject({ device: 'webgpu', forced: false });
    expect(choice.reason).toBe('WebGPU: measured 9000 tokens/s vs WASM 2000 tokens/s.');
  });

  it('never picks a software adapter that is slower than WASM, and says why', async () => {
    const choice = await chooseDevice('auto', { webgpu: swiftshader, measure: speeds(2200, 50) });
    expect(choice.device).toBe('wasm');
    expect(choice.reason).toContain('software WebGPU adapter 50 tokens/s');
  });

  it('uses WASM without measuring when there is no WebGPU', async () => {
    let measured = 0;
    const choice = await chooseDevice('auto', {
      webgpu: none,
      measure: async () => {
        measured++;
        return 1;
      },
    });
    expect(choice.device).toBe('wasm');
    expect(choice.reason).toContain('navigator.gpu is missing');
    expect(measured).toBe(0);
  });

  it('falls back to the device that works when the other fails during calibration', async () => {
    const choice = await chooseDevice('auto', {
      webgpu: gpu,
      measure: async (device) => {
        if (device === 'webgpu') throw new Error('device lost');
        return 100;
      },
    });
    expect(choice.device).toBe('wasm');
    expect(choice.reason).toContain('failed: device lost');
  });

  it('fails clearly when neither device runs the model', async () => {
    await expect(
      chooseDevice('auto', {
        webgpu: gpu,
        measure: async () => {
          throw new Error('bad graph');
        },
      }),
    ).rejects.toThrow(/Neither device/);
  });

  it('reuses a remembered choice instead of measuring again', async () => {
    const remembered = await chooseDevice('auto', {
      webgpu: gpu,
      measure: speeds(1, 2),
      now: () => Date.UTC(2026, 10, 1),
    });
    let measured = 0;
    const again = await chooseDevice('auto', {
      webgpu: gpu,
      remembered,
      measure: async () => {
        measured++;
        return 1;
      },
    });
    expect(again.device).toBe('webgpu');
    expect(again.reason).toContain('(measured 2026-11-01)');
    expect(measured).toBe(0);
  });

  it('honours a forced device, and refuses WebGPU where there is none', async () => {
    expect(await chooseDevice('wasm', { webgpu: gpu, measure: speeds(1, 1000) })).toMatchObject({
      device: 'wasm',
      forced: true,
    });
    await expect(chooseDevice('webgpu', { webgpu: none, measure: speeds(1, 1) })).rejects.toThrow(
      /not available here \(navigator.gpu is missing\)/,
    );
  });

  it('lets an abort through instead of treating it as a failed device', async () => {
    await expect(
      chooseDevice('auto', {
        webgpu: gpu,
        measure: async () => {
          throw new DOMException('stop', 'AbortError');
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});
