import ortWasmMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

/** The ONNX Runtime files the embed worker loads (the same hashed assets it imports). */
export const ORT_RUNTIME_URLS: readonly string[] = [ortWasmMjs, ortWasm];

/**
 * Fetches the ONNX Runtime files once through the service worker, which keeps them in its
 * runtime cache. Without this they are cached only when a model first runs online, so a model
 * imported later could not embed offline. Files already cached are not fetched again.
 */
export async function warmRuntimeCache(signal?: AbortSignal): Promise<number> {
  if (!navigator.onLine || !navigator.serviceWorker?.controller) return 0;
  let fetched = 0;
  for (const url of ORT_RUNTIME_URLS) {
    if (await caches.match(url)) continue;
    const response = await fetch(url, signal ? { signal } : {});
    // Reading the body lets the service worker finish storing it.
    await response.arrayBuffer();
    if (response.ok) fetched += 1;
  }
  return fetched;
}
