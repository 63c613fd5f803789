import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestBytes, ingestPath, messagesOf, scratchDir } from './helpers.ts';

const scratch = scratchDir();
afterAll(() => scratch.remove());

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const concat = (...parts: Uint8Array[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => [...p]));

describe('bad input becomes per-file messages, good records are kept', () => {
  it('reports an empty file', async () => {
    const { result, docs } = await ingestPath(scratch.write('empty.jsonl', ''));
    expect(docs).toEqual([]);
    expect(result.messages).toEqual([
      { file: 'empty.jsonl', level: 'error', message: 'empty file' },
    ]);
    expect(result.contentHash).toBe(createHash('sha256').update('').digest('hex'));
  });

  it('reports a file of only whitespace', async () => {
    const { result } = await ingestPath(scratch.write('blank.txt', ' \n\t\n'));
    expect(messagesOf(result, 'error')).toEqual(['the file contains only whitespace']);
  });

  it('refuses a binary file with NUL bytes, without reading it all', async () => {
    const png = concat(
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      new Uint8Array(100_000).fill(7),
    );
    const { result, docs } = await ingestPath(scratch.write('image.txt', png));
    expect(docs).toEqual([]);
    expect(messagesOf(result, 'error')).toEqual([
      'looks like a binary file (it contains NUL bytes), not text',
    ]);
    expect(result.contentHash).toBe('');
  });

  it('refuses a binary file full of control characters', async () => {
    const bytes = Uint8Array.from({ length: 4000 }, (_, i) => (i % 3 === 0 ? 0x01 : 0x41));
    const { result } = await ingestBytes('x.csv', bytes);
    expect(messagesOf(result, 'error')[0]).toMatch(/looks like a binary file/);
  });

  it('names UTF-16 text as such', async () => {
    const utf16 = concat(
      Uint8Array.from([0xff, 0xfe]),
      Uint8Array.from([...'hi'].flatMap((c) => [c.charCodeAt(0), 0])),
    );
    const { result } = await ingestBytes('u16.txt', utf16);
    expect(messagesOf(result, 'error')).toEqual([
      'the file is UTF-16 encoded; save it as UTF-8 and add it again',
    ]);
  });

  it('decodes invalid UTF-8 with replacement and warns with the first bad line, byte offset and count', async () => {
    const bytes = concat(
      utf8('good line\nbad '),
      Uint8Array.from([0xff]),
      utf8(' here\nalso '),
      Uint8Array.from([0xc3, 0x28]),
      utf8('\n'),
    );
    const { result, docs } = await ingestPath(scratch.write('latin.txt', bytes), {
      txtMode: 'lines',
    });
    expect(docs.map((d) => d.text)).toEqual(['good line', 'bad \uFFFD here', 'also \uFFFD(']);
    expect(result.messages).toContainEqual({
      file: 'latin.txt',
      level: 'warning',
      line: 2,
      message:
        'invalid UTF-8: 2 bad byte sequence(s) replaced by U+FFFD; the first is at byte offset 14 (line 2)',
    });
  });

  it('does not mistake a real U+FFFD character for invalid UTF-8', async () => {
    const { result, docs } = await ingestBytes('ok.txt', 'a \uFFFD b');
    expect(docs[0]?.text).toBe('a \uFFFD b');
    expect(result.messages).toEqual([]);
  });

  it('strips a UTF-8 BOM from text and from the first CSV header', async () => {
    const bom = Uint8Array.from([0xef, 0xbb, 0xbf]);
    const txt = await ingestPath(scratch.write('bom.txt', concat(bom, utf8('hello'))));
    expect(txt.docs[0]?.text).toBe('hello');
    const csv = await ingestPath(
      scratch.write('bom.csv', concat(bom, utf8('id,text\nr1,first\n'))),
    );
    expect(csv.docs).toEqual([{ id: 'r1', source: 'bom.csv', text: 'first', metadata: {} }]);
    const jsonl = await ingestPath(
      scratch.write('bom.jsonl', concat(bom, utf8('{"id":"a","text":"x"}\n'))),
    );
    expect(jsonl.docs.map((d) => d.id)).toEqual(['a']);
    expect(messagesOf(jsonl.result, 'error')).toEqual([]);
  });

  it('reads a 20 MB line in txt-lines and jsonl mode in linear time', async () => {
    const long = 'x'.repeat(20 * 1024 * 1024);
    const txtFile = scratch.write('long.txt', `short\n${long}\nend\n`);
    let started = performance.now();
    const txt = await ingestPath(txtFile, { txtMode: 'lines' });
    const txtSeconds = (performance.now() - started) / 1000;
    expect(txt.docs.map((d) => d.text.length)).toEqual([5, long.length, 3]);

    const jsonlFile = scratch.write(
      'long.jsonl',
      `{"text":"a"}\n{"id":"big","text":"${long}"}\n{"text":"b"}\n`,
    );
    started = performance.now();
    const jsonl = await ingestPath(jsonlFile);
    const jsonlSeconds = (performance.now() - started) / 1000;
    expect(jsonl.docs.map((d) => [d.id, d.text.length])).toEqual([
      ['long.jsonl#1', 1],
      ['big', long.length],
      ['long.jsonl#3', 1],
    ]);
    console.info(
      `20 MB line: txt-lines ${txtSeconds.toFixed(2)} s, jsonl ${jsonlSeconds.toFixed(2)} s`,
    );
    expect(txtSeconds).toBeLessThan(4);
    expect(jsonlSeconds).toBeLessThan(4);
  });

  it('lists malformed JSONL lines (20, then a count) and keeps the good ones', async () => {
    const lines: string[] = [];
    for (let i = 1; i <= 60; i++)
      lines.push(i % 2 === 0 ? `{"id": "${i}", "text": "ok ${i}"}` : `{"id": ${i}, "text": oops}`);
    const { result, docs } = await ingestPath(scratch.write('broken.jsonl', lines.join('\n')));
    expect(docs.map((d) => d.id)).toEqual(
      Array.from({ length: 30 }, (_, i) => String((i + 1) * 2)),
    );
    const errors = result.messages.filter((m) => m.level === 'error');
    expect(errors).toHaveLength(21);
    expect(errors[0]).toMatchObject({ line: 1 });
    expect(errors[0]?.message).toMatch(/^line 1 is not valid JSON \(.+\); skipped$/);
    expect(errors[19]).toMatchObject({ line: 39 });
    expect(errors[20]?.message).toBe('… and 10 more malformed lines (30 in all)');
  });

  it('names the line and field of JSONL records without a usable text', async () => {
    const text = [
      '{"id": "a", "text": "fine"}',
      '{"id": "b", "body": "no text field"}',
      '{"id": "c", "text": 42}',
      '{"id": "d", "text": ["a", "list"]}',
      '[1, 2]',
      '{"id": "e", "text": ""}',
      '{"id": "f", "text": "   "}',
    ].join('\n');
    const { result, docs } = await ingestBytes('t.jsonl', text);
    expect(docs.map((d) => d.id)).toEqual(['a']);
    const problems = result.messages.filter((m) => m.level !== 'info');
    expect(problems).toEqual([
      {
        file: 't.jsonl',
        level: 'warning',
        line: 2,
        field: 'text',
        message: 'line 2 has no text field "text"; skipped',
      },
      {
        file: 't.jsonl',
        level: 'warning',
        line: 3,
        field: 'text',
        message: 'line 3 has a number instead of a string in field "text"; skipped',
      },
      {
        file: 't.jsonl',
        level: 'warning',
        line: 4,
        field: 'text',
        message: 'line 4 has a list instead of a string in field "text"; skipped',
      },
      {
        file: 't.jsonl',
        level: 'error',
        line: 5,
        message: 'line 5 holds a list, not an object or a string; skipped',
      },
      {
        file: 't.jsonl',
        level: 'warning',
        line: 6,
        message: '2 records with empty text skipped (the first at line 6)',
      },
    ]);
  });

  it('warns about CSV rows with the wrong number of columns, naming the line', async () => {
    const csv = 'id,text,label\n1,one,a\n2,two\n3,three,c,extra\n4,four,d\n';
    const { result, docs } = await ingestBytes('rows.csv', csv);
    expect(docs.map((d) => d.text)).toEqual(['one', 'two', 'three', 'four']);
    expect(docs[2]?.metadata).toEqual({ label: 'c', column4: 'extra' });
    expect(result.messages.filter((m) => m.level === 'warning')).toEqual([
      { file: 'rows.csv', level: 'warning', line: 3, message: 'line 3 has 2 columns, expected 3' },
      { file: 'rows.csv', level: 'warning', line: 4, message: 'line 4 has 4 columns, expected 3' },
    ]);
  });

  it('reports an unterminated quote in a CSV', async () => {
    const { result, docs } = await ingestBytes(
      'q.csv',
      'id,text\n1,fine\n2,"never closed\n3,lost\n',
    );
    expect(docs[0]?.text).toBe('fine');
    expect(
      result.messages.some(
        (m) => m.level === 'warning' && m.line === 3 && /quote/i.test(m.message),
      ),
    ).toBe(true);
  });

  it('reports a CSV with a header row and nothing else', async () => {
    const { result, docs } = await ingestBytes('h.csv', 'id,text\n');
    expect(docs).toEqual([]);
    expect(messagesOf(result, 'error')).toEqual(['the file has a header row but no data rows']);
  });

  it('says which CSV columns exist when the chosen one is missing', async () => {
    const { result } = await ingestBytes('c.csv', 'id,body\n1,x\n', { textField: 'text' });
    expect(result.messages.find((m) => m.level === 'error')).toMatchObject({
      field: 'text',
      message: 'no column "text"; the columns are id, body',
    });
  });

  it('rejects an unsupported extension and lists the supported ones', async () => {
    const { result } = await ingestBytes('slides.pptx', 'whatever');
    expect(result.format).toBeNull();
    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]?.message).toBe(
      'unsupported file type ".pptx"; supported: .txt, .text, .md, .markdown, .json, .jsonl, .ndjson, .csv, .tsv, .pdf',
    );
  });

  it('reports invalid JSON with its line', async () => {
    const { result } = await ingestBytes('bad.json', '[\n  {"text": "a"},\n  {"text": }\n]');
    const error = result.messages.find((m) => m.level === 'error');
    expect(error?.line).toBe(3);
    expect(error?.message).toMatch(/^invalid JSON at line 3, column \d+: /);
  });

  it('reports a JSON shape it cannot read, and non-record items', async () => {
    const scalar = await ingestBytes('n.json', '42');
    expect(messagesOf(scalar.result, 'error')[0]).toMatch(/^unsupported JSON shape/);
    const mixed = await ingestBytes('m.json', '[{"text": "a"}, 5, null, {"text": "b"}]');
    expect(mixed.docs.map((d) => d.text)).toEqual(['a', 'b']);
    expect(messagesOf(mixed.result, 'error')).toEqual([
      'record [1] is a number, not a string or an object; skipped',
      'record [2] is null, not a string or an object; skipped',
    ]);
  });

  it('reports a file that yields no documents', async () => {
    const { result } = await ingestBytes('e.jsonl', '{"text": ""}\n');
    expect(messagesOf(result, 'error')).toEqual(['no documents found in this file']);
  });

  it('lets a failing sink throw its own error', async () => {
    const { ingestFile } = await import('../../../src/core/ingest/index.ts');
    const failure = new Error('disk full');
    const input = { name: 'a.txt', path: 'a.txt', blob: new Blob(['text']) };
    await expect(ingestFile(input, {}, () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
