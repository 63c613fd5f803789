import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { SpeedRequest, SpeedResult } from './protocol.ts';
import { measureSpeed } from './speed.ts';

/**
 * The page side of `npm run bench:train`: one speed measurement per page, on the page's main
 * thread, with the wasm binaries served by Vite as the app's train worker serves them.
 */
export interface LuminaTrainBench {
  run(request: SpeedRequest): Promise<SpeedResult>;
  crossOriginIsolated: boolean;
}

const bench: LuminaTrainBench = {
  run: (request) =>
    measureSpeed(
      request,
      {
        wasmPaths: {
          'tfjs-backend-wasm.wasm': wasmPlain,
          'tfjs-backend-wasm-simd.wasm': wasmSimd,
          'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
        },
      },
      undefined,
      (event) => console.log(`[bench:train] ${request.backend}: ${event.message}`),
    ),
  crossOriginIsolated: globalThis.crossOriginIsolated,
};

(globalThis as unknown as { luminaTrainBench: LuminaTrainBench }).luminaTrainBench = bench;
