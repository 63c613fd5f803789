import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { datasetPath, ingestPath, messagesOf } from './helpers.ts';

describe('ingest real data sets', () => {
  it('reads SciFact corpus.jsonl: 5,183 docs, ids from _id, title in metadata', async () => {
    const file = datasetPath('scifact/corpus.jsonl');
    const started = performance.now();
    const { result, docs, batches } = await ingestPath(file, {}, {}, 'scifact/corpus.jsonl');
    const seconds = (performance.now() - started) / 1000;
    console.info(`SciFact corpus.jsonl (8.1 MB): ${docs.length} docs in ${seconds.toFixed(2)} s`);

    expect(result.format).toBe('jsonl');
    expect(result.documents).toBe(5183);
    expect(docs).toHaveLength(5183);
    // Byte-identical to BEIR's file; its sha256 is in the data set's PROVENANCE.md.
    expect(result.contentHash).toBe(
      'dec31c8182f3d744c7d2c09423756fd1d17cbef75808db13ba01cc0aab4d1ac6',
    );
    expect(result.bytes).toBe(8106566);
    expect(messagesOf(result, 'error')).toEqual([]);
    expect(messagesOf(result, 'warning')).toEqual([]);
    expect(messagesOf(result, 'info').join('\n')).toMatch(/field "text".*field "_id"/);

    const first = docs[0];
    expect(first?.id).toBe('4983');
    expect(first?.source).toBe('scifact/corpus.jsonl');
    expect(first?.text.startsWith('Alterations of the architecture of cerebral white matter')).toBe(
      true,
    );
    expect(first?.metadata.title).toBe(
      'Microstructural development of human newborn cerebral white matter assessed in vivo by diffusion tensor magnetic resonance imaging.',
    );
    expect(first?.metadata).not.toHaveProperty('_id');
    expect(first?.metadata).not.toHaveProperty('text');
    expect(new Set(docs.map((d) => d.id)).size).toBe(5183);
    // Batches of the default size reach the sink, the last one with the rest.
    expect(batches.slice(0, -1).every((n) => n === 500)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(5183);
    expect(seconds).toBeLessThan(10);
  });

  it('reads STS-B sts-train.csv: tab-separated without header, text in the 6th column', async () => {
    const file = datasetPath('stsb/sts-train.csv');
    const { result, docs } = await ingestPath(file, {}, {}, 'stsb/sts-train.csv');
    expect(result.format).toBe('csv');
    expect(result.documents).toBe(5749);
    const info = messagesOf(result, 'info').join('\n');
    expect(info).toMatch(/tab-separated/);
    expect(info).toMatch(/no header row/);
    expect(info).toMatch(/column "column6"/);
    const first = docs[0];
    expect(first?.id).toBe('stsb/sts-train.csv#1');
    expect(first?.text).toBe('A plane is taking off.');
    expect(first?.metadata).toEqual({
      column1: 'main-captions',
      column2: 'MSRvid',
      column3: '2012test',
      column4: '0001',
      column5: '5.000',
      column7: 'An air plane is taking off.',
    });
    // Quotes are characters in this file: a sentence that starts with one stays one row.
    const line2002 = readFileSync(file, 'utf8').split('\n')[2001]?.split('\t');
    const doc2002 = docs.find((d) => d.id === 'stsb/sts-train.csv#2002');
    expect(doc2002?.text).toBe(line2002?.[5]);
    expect(doc2002?.text.startsWith('"')).toBe(true);
    // A few rows carry extra trailing source columns: warned about (capped), still kept.
    const warnings = result.messages.filter((m) => m.level === 'warning');
    expect(warnings[0]?.message).toMatch(/^line \d+ has \d+ columns, expected 7$/);
    expect(warnings.at(-1)?.message).toMatch(
      /more rows with a different number of columns \(197 in all\)/,
    );
  });

  it('reads STS-B with a chosen column: the second sentence by name or by number', async () => {
    const file = datasetPath('stsb/sts-train.csv');
    const byName = await ingestPath(file, { textField: 'column7' });
    const byNumber = await ingestPath(file, { textField: '7' });
    expect(byName.docs[0]?.text).toBe('An air plane is taking off.');
    expect(byNumber.docs.map((d) => d.text)).toEqual(byName.docs.map((d) => d.text));
  });

  it('reads WikiText-2 valid.txt whole and line by line', async () => {
    const file = datasetPath('wikitext-2/valid.txt');
    const content = readFileSync(file, 'utf8');
    const whole = await ingestPath(file, {}, {}, 'wikitext-2/valid.txt');
    expect(whole.result.documents).toBe(1);
    expect(whole.docs[0]).toEqual({
      id: 'wikitext-2/valid.txt',
      source: 'wikitext-2/valid.txt',
      text: content,
      metadata: {},
    });

    const lines = await ingestPath(file, { txtMode: 'lines' }, {}, 'wikitext-2/valid.txt');
    const nonEmpty = content
      .split('\n')
      .flatMap((text, i) => (text.trim() === '' ? [] : [{ text, line: i + 1 }]));
    expect(lines.result.documents).toBe(nonEmpty.length);
    expect(lines.docs.map((d) => d.text)).toEqual(nonEmpty.map((l) => l.text));
    expect(lines.docs[0]).toEqual({
      id: 'wikitext-2/valid.txt#2',
      source: 'wikitext-2/valid.txt',
      text: ' = Homarus gammarus = ',
      metadata: { line: 2 },
    });
    expect(messagesOf(lines.result, 'info').join('\n')).toMatch(/blank lines skipped/);
    expect(lines.result.contentHash).toBe(whole.result.contentHash);
  });
});
