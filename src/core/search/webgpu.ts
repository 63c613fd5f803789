/// <reference types="@webgpu/types" />
import { throwIfAborted } from '../abort.ts';
import { MAX_BATCH } from './shard.ts';
import type { GpuScorer, ScoreSink, VectorIndex } from './vector-index.ts';

/**
 * WebGPU scoring: the index's rows are uploaded once into storage buffers (as many as the
 * adapter's binding and buffer limits require), one invocation scores one row against every query
 * of a batch, and the scores are read back for the CPU top-k. Reading back n floats per query is
 * cheap next to the scan; a GPU-side partial top-k would shrink it further (not done).
 */

const WORKGROUP = 64;

const SHADER = /* wgsl */ `
struct Params { rows: u32, stride: u32, queries: u32, width: u32 }
@group(0) @binding(0) var<storage, read> vectors: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> queries: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> scores: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let row = id.x + id.y * params.width;
  if (row >= params.rows) { return; }
  let base = row * params.stride;
  for (var q = 0u; q < params.queries; q++) {
    let qBase = q * params.stride;
    var acc = vec4<f32>(0.0);
    for (var i = 0u; i < params.stride; i++) {
      acc += vectors[base + i] * queries[qBase + i];
    }
    scores[q * params.rows + row] = (acc.x + acc.y) + (acc.z + acc.w);
  }
}
`;

export interface WebGpuOptions {
  /** The WebGPU entry point (`navigator.gpu`); read off globalThis when left out. */
  gpu?: GPU;
  /** Caps the bytes of one vector buffer below the device limits (tests use it to force shards). */
  maxShardBytes?: number;
  powerPreference?: GPUPowerPreference;
}

export interface WebGpuInfo {
  architecture: string;
  vendor: string;
  /** A software adapter (SwiftShader): correct but slower than the WASM path. */
  isFallbackAdapter: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  shards: number;
}

interface GpuShard {
  rowBase: number;
  rows: number;
  vectors: GPUBuffer;
  scores: GPUBuffer;
  readback: GPUBuffer;
  params: GPUBuffer;
  bindGroup: GPUBindGroup;
}

function defaultGpu(): GPU | undefined {
  return (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
}

/** Uploads `index` to a new WebGPU device and attaches the scorer to it. */
export async function attachWebGpu(
  index: VectorIndex,
  {
    gpu = defaultGpu(),
    maxShardBytes = Infinity,
    powerPreference = 'high-performance',
  }: WebGpuOptions = {},
): Promise<WebGpuInfo> {
  if (!gpu) throw new Error('WebGPU is not available here (no navigator.gpu).');
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) throw new Error('WebGPU is present but offered no adapter.');
  // The defaults (128 MiB bindings, 256 MiB buffers) are far below what adapters allow.
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const scorer = new WebGpuScorer(device, index, maxShardBytes);
  index.attachGpu(scorer);
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    architecture: info.architecture,
    vendor: info.vendor,
    isFallbackAdapter: info.isFallbackAdapter === true || info.architecture === 'swiftshader',
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
    shards: scorer.shardCount,
  };
}

class WebGpuScorer implements GpuScorer {
  private readonly shards: GpuShard[] = [];
  private readonly queries: GPUBuffer;
  private readonly pipeline: GPUComputePipeline;
  private readonly stride: number;
  /** One search at a time: the readback buffers are shared. */
  private queue: Promise<unknown> = Promise.resolve();
  private lost: string | null = null;

  constructor(
    private readonly device: GPUDevice,
    index: VectorIndex,
    maxShardBytes: number,
  ) {
    void device.lost.then((info) => {
      this.lost = info.message || info.reason;
    });
    this.stride = index.strideFloats / 4;
    const rowBytes = index.strideBytes;
    const limit = Math.min(
      device.limits.maxStorageBufferBindingSize,
      device.limits.maxBufferSize,
      maxShardBytes,
    );
    // Both the rows and the scores of a full batch must fit one binding.
    const shardRows = Math.max(1, Math.floor(Math.min(limit / rowBytes, limit / (MAX_BATCH * 4))));
    this.queries = device.createBuffer({
      size: MAX_BATCH * rowBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    this.pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' },
    });
    for (let rowBase = 0; rowBase < index.size; rowBase += shardRows) {
      this.shards.push(this.upload(index, rowBase, Math.min(shardRows, index.size - rowBase)));
    }
  }

  get shardCount(): number {
    return this.shards.length;
  }

  private upload(index: VectorIndex, rowBase: number, rows: number): GpuShard {
    const { device } = this;
    const rowBytes = index.strideBytes;
    const vectors = device.createBuffer({
      size: rows * rowBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    // Copy from the wasm shards, which may split this range (their sizes are chosen separately).
    for (let row = rowBase; row < rowBase + rows;) {
      const shard = index.shardOf(row);
      const local = row - shard.rowBase;
      const count = Math.min(shard.rows - local, rowBase + rows - row);
      device.queue.writeBuffer(
        vectors,
        (row - rowBase) * rowBytes,
        shard.memory.buffer,
        shard.rowAddress(local),
        count * rowBytes,
      );
      row += count;
    }
    const scores = device.createBuffer({
      size: MAX_BATCH * rows * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const readback = device.createBuffer({
      size: MAX_BATCH * rows * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const params = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const bindGroup = device.createBindGroup({
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: vectors } },
        { binding: 1, resource: { buffer: this.queries } },
        { binding: 2, resource: { buffer: scores } },
        { binding: 3, resource: { buffer: params } },
      ],
    });
    return { rowBase, rows, vectors, scores, readback, params, bindGroup };
  }

  score(queries: readonly Float32Array[], sink: ScoreSink, signal?: AbortSignal): Promise<void> {
    const run = this.queue.then(() => this.scoreNow(queries, sink, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async scoreNow(
    queries: readonly Float32Array[],
    sink: ScoreSink,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (this.lost !== null) throw new Error(`The WebGPU device was lost: ${this.lost}`);
    if (queries.length > MAX_BATCH) throw new RangeError(`At most ${MAX_BATCH} queries per pass.`);
    const { device } = this;
    const packed = new Float32Array(queries.length * this.stride * 4);
    queries.forEach((query, q) => packed.set(query, q * this.stride * 4));
    device.queue.writeBuffer(this.queries, 0, packed);
    const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
    for (const shard of this.shards) {
      throwIfAborted(signal);
      const groups = Math.ceil(shard.rows / WORKGROUP);
      const x = Math.min(groups, maxGroups);
      const y = Math.ceil(groups / x);
      device.queue.writeBuffer(
        shard.params,
        0,
        Uint32Array.of(shard.rows, this.stride, queries.length, x * WORKGROUP),
      );
      const bytes = queries.length * shard.rows * 4;
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(this.pipeline);
      pass.setBindGroup(0, shard.bindGroup);
      pass.dispatchWorkgroups(x, y);
      pass.end();
      encoder.copyBufferToBuffer(shard.scores, 0, shard.readback, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await shard.readback.mapAsync(GPUMapMode.READ, 0, bytes);
      try {
        const scores = new Float32Array(shard.readback.getMappedRange(0, bytes));
        for (let q = 0; q < queries.length; q++) {
          sink(q, scores, q * shard.rows, shard.rows, shard.rowBase);
        }
      } finally {
        shard.readback.unmap();
      }
    }
  }

  destroy(): void {
    for (const shard of this.shards) {
      for (const buffer of [shard.vectors, shard.scores, shard.readback, shard.params])
        buffer.destroy();
    }
    this.queries.destroy();
    this.device.destroy();
  }
}
