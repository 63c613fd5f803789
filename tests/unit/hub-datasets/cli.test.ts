import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import { startHubStandIn, type HubStandIn } from '../../../tools/hub-local/server.ts';
import { sharedDir } from '../../support/shared-data.ts';

let standIn: HubStandIn;
const dir = mkdtempSync(join(tmpdir(), 'lumina-hub-cli-'));
beforeAll(async () => {
  standIn = await startHubStandIn({ sharedDir, port: 0 });
});
afterAll(async () => {
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lumina hub import', () => {
  it('writes the first rows of a split as JSONL documents', async () => {
    const out = join(dir, 'queries.jsonl');
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runCli(
      [
        'hub',
        'import',
        'BeIR/scifact',
        '--config',
        'queries',
        '--split',
        'queries',
        '--id',
        '_id',
      ].concat(['--limit', '30', '--out', out, '--endpoint', standIn.url]),
      { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l) },
    );
    expect(stderr.filter((l) => l.includes('error'))).toEqual([]);
    expect(code).toBe(0);
    const expected = readFileSync(join(sharedDir, 'datasets/scifact/queries.jsonl'), 'utf8')
      .split('\n')
      .slice(0, 30)
      .map((line) => JSON.parse(line) as { _id: string; text: string });
    const written = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; text: string });
    expect(written.map((d) => [d.id, d.text])).toEqual(expected.map((q) => [q._id, q.text]));
    expect(JSON.parse(stdout.at(-1) ?? '{}')).toMatchObject({
      rowsRead: 30,
      documents: 30,
      splitRows: 1109,
    });
  });

  it('exits 2 naming the splits when the choice is ambiguous, 1 for an unknown dataset', async () => {
    const stderr: string[] = [];
    const io = { stdout: () => undefined, stderr: (l: string) => stderr.push(l) };
    const out = join(dir, 'x.jsonl');
    expect(
      await runCli(['hub', 'import', 'BeIR/scifact', '--out', out, '--endpoint', standIn.url], io),
    ).toBe(2);
    expect(stderr.join('\n')).toContain('--config corpus --split corpus');
    expect(
      await runCli(['hub', 'import', 'nobody/none', '--out', out, '--endpoint', standIn.url], io),
    ).toBe(1);
    expect(stderr.join('\n')).toContain('was not found on the Hub');
  });
});
