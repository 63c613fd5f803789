import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startHubStandIn, STAND_IN_DATASET } from './server.ts';

/**
 * `npm run hub:local -- [--port 5090] [--shared ../shared]`: a local stand-in for the Hugging Face
 * dataset viewer API and Hub that serves SciFact as `BeIR/scifact` Parquet, for offline demos and
 * tests. Point the app's "Hub endpoint" setting at the printed URL.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.HUB_LOCAL_PORT ?? '5090' },
    host: { type: 'string', default: '127.0.0.1' },
    shared: {
      type: 'string',
      default: fileURLToPath(new URL('../../../shared/', import.meta.url)),
    },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('Usage: npm run hub:local -- [--port N] [--host H] [--shared DIR]');
  process.exit(0);
}

const controller = new AbortController();
const standIn = await startHubStandIn({
  sharedDir: values.shared,
  port: Number(values.port),
  hostname: values.host,
  signal: controller.signal,
});
console.log(`Hub stand-in serving ${STAND_IN_DATASET} on ${standIn.url}`);
for (const split of standIn.splits) {
  const bytes = split.files.reduce((n, f) => n + f.bytes.byteLength, 0);
  console.log(
    `  ${split.config}/${split.split}: ${split.rows} rows, ${split.files.length} files, ${bytes} bytes`,
  );
}
console.log(`  e.g. ${standIn.url}/parquet?dataset=${STAND_IN_DATASET}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort());
}
