import { parseArgs } from 'node:util';
import { mergeFaults, NO_FAULTS, type FaultConfig } from './faults.ts';
import { API_VERSION, startEmulator } from './server.ts';

/**
 * `npm run pinecone:local -- [--port 5080] [--rate429 0.1] [--latencyMs 50] ...`: an offline
 * Pinecone for demos and tests. Every fault switch can also come from the environment as
 * PINECONE_LOCAL_<SWITCH> (for example PINECONE_LOCAL_RATE503=0.2).
 */
const FAULT_FLAGS = Object.keys(NO_FAULTS) as (keyof FaultConfig)[];

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PINECONE_LOCAL_PORT ?? '5080' },
    host: { type: 'string', default: '127.0.0.1' },
    help: { type: 'boolean', default: false },
    ...Object.fromEntries(FAULT_FLAGS.map((name) => [name, { type: 'string' as const }])),
  },
});

if (values.help) {
  console.log(
    `Usage: npm run pinecone:local -- [--port N] [--host H] ${FAULT_FLAGS.map((f) => `[--${f} X]`).join(' ')}\n` +
      'Faults can be changed at run time: POST /_emulator/faults with a JSON object of switches.\n' +
      'GET /_emulator/stats counts requests, injected faults and applied ids.',
  );
  process.exit(0);
}

const faultPatch: Partial<Record<keyof FaultConfig, number>> = {};
for (const name of FAULT_FLAGS) {
  const raw =
    (values as Record<string, unknown>)[name] ??
    process.env[`PINECONE_LOCAL_${name.toUpperCase()}`];
  if (typeof raw === 'string') faultPatch[name] = Number(raw);
}

const controller = new AbortController();
const emulator = await startEmulator({
  port: Number(values.port),
  hostname: values.host,
  faults: mergeFaults(NO_FAULTS, faultPatch),
  signal: controller.signal,
});
console.log(`Pinecone emulator (API ${API_VERSION}) listening on ${emulator.url}`);
console.log(`Client: new Pinecone({ apiKey: 'local', controllerHostUrl: '${emulator.url}' })`);
console.log(`Faults: ${JSON.stringify(emulator.faults())}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort());
}
