import { svelte } from '@sveltejs/vite-plugin-svelte';
import { playwright } from '@vitest/browser-playwright';
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { VitePWA } from 'vite-plugin-pwa';
import { serveModels } from './scripts/serve-models.ts';
import { chromiumArgs, chromiumPath } from './tests/support/chromium.ts';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// Cross-origin isolation unlocks SharedArrayBuffer and so multi-threaded WASM (ONNX Runtime).
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  plugins: [
    svelte(),
    serveModels(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icons/*.png', 'icons/*.svg'],
      manifest: {
        name: 'Lumina — embeddings studio',
        short_name: 'Lumina',
        description: 'Prepare text, train and run embedding models on your own GPU, offline.',
        theme_color: '#1d2540',
        background_color: '#0f1424',
        display: 'standalone',
        start_url: '.',
        scope: '.',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
        // The installed app opens .lumina bundles from the file manager (File Handling API).
        file_handlers: [{ action: './', accept: { 'application/x-lumina-bundle': ['.lumina'] } }],
      },
      workbox: {
        // The app shell only; models and ORT wasm binaries are cached on first use below.
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        globIgnores: ['**/ort-*.js', '**/*.wasm'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: 'index.html',
        // Control the page on the very first visit, so it works offline without a reload.
        // Updates still wait for the user's "Update now" (registerType: 'prompt').
        clientsClaim: true,
        runtimeCaching: [
          {
            urlPattern: ({ url }) =>
              url.pathname.endsWith('.wasm') || url.pathname.includes('/ort'),
            handler: 'CacheFirst',
            options: { cacheName: 'lumina-runtime-wasm', expiration: { maxEntries: 16 } },
          },
          {
            // The list of served folders changes when folders are added: fresh when online.
            urlPattern: ({ url }) => url.pathname === '/models/index.json',
            handler: 'NetworkFirst',
            options: { cacheName: 'lumina-models-index', networkTimeoutSeconds: 5 },
          },
          {
            urlPattern: ({ url }) =>
              url.pathname.startsWith('/models/') || url.hostname.endsWith('huggingface.co'),
            handler: 'CacheFirst',
            options: { cacheName: 'lumina-models', expiration: { maxEntries: 256 } },
          },
        ],
      },
    }),
  ],
  worker: { format: 'es' },
  optimizeDeps: {
    exclude: ['onnxruntime-web', '@huggingface/transformers'],
    // Pre-bundled up front so the first browser test does not race Vite's dependency scan.
    include: [
      'pdfjs-dist/legacy/build/pdf.mjs',
      'pdfjs-dist/legacy/build/pdf.worker.mjs',
      'papaparse',
      'comlink',
      'idb',
      '@huggingface/tokenizers',
      '@noble/hashes/sha2.js',
      'ml-matrix',
      'ml-levenberg-marquardt',
    ],
  },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          testTimeout: 120_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath(), args: chromiumArgs() },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
