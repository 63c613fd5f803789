import { describe, expect, it } from 'vitest';
import { detectFormat, ingestPaste, SUPPORTED_EXTENSIONS } from '../../../src/core/ingest/index.ts';
import { ingestBytes, messagesOf } from './helpers.ts';

describe('detectFormat', () => {
  it('maps extensions case-insensitively and rejects others', () => {
    expect(detectFormat('a.TXT')).toBe('txt');
    expect(detectFormat('notes/readme.md')).toBe('md');
    expect(detectFormat('x.jsonl')).toBe('jsonl');
    expect(detectFormat('x.ndjson')).toBe('jsonl');
    expect(detectFormat('x.json')).toBe('json');
    expect(detectFormat('x.csv')).toBe('csv');
    expect(detectFormat('x.tsv')).toBe('tsv');
    expect(detectFormat('x.pdf')).toBe('pdf');
    expect(detectFormat('x.docx')).toBeNull();
    expect(detectFormat('Makefile')).toBeNull();
    expect(detectFormat('.txt')).toBeNull();
    expect(SUPPORTED_EXTENSIONS).toContain('.jsonl');
  });
});

describe('txt and md', () => {
  it('keeps a whole txt file as one document with the path as id', async () => {
    const { docs } = await ingestBytes('dir/a.txt', 'line one\nline two\n');
    expect(docs).toEqual([
      { id: 'dir/a.txt', source: 'dir/a.txt', text: 'line one\nline two\n', metadata: {} },
    ]);
  });

  it('reads one document per non-empty line, CRLF included, ids by line number', async () => {
    const { docs, result } = await ingestBytes('a.txt', 'first\r\n\r\n  \r\nfourth\r\nlast', {
      txtMode: 'lines',
    });
    expect(docs.map((d) => [d.id, d.text, d.metadata.line])).toEqual([
      ['a.txt#1', 'first', 1],
      ['a.txt#4', 'fourth', 4],
      ['a.txt#5', 'last', 5],
    ]);
    expect(messagesOf(result, 'info')).toEqual(['2 blank lines skipped (the first at line 2)']);
  });

  it('takes the first Markdown heading as the title, ignoring code blocks and front matter', async () => {
    const atx = await ingestBytes('a.md', '```\n# not this\n```\nintro\n\n## Real Title ##\ntext');
    expect(atx.docs[0]?.metadata).toEqual({ title: 'Real Title' });
    expect(atx.docs[0]?.text).toContain('# not this');
    const setext = await ingestBytes('b.md', 'Setext Title\n============\n\nbody');
    expect(setext.docs[0]?.metadata.title).toBe('Setext Title');
    const front = await ingestBytes('c.md', '---\ntitle: "From YAML"\ntags: [a]\n---\n# Heading\n');
    expect(front.docs[0]?.metadata.title).toBe('From YAML');
    const none = await ingestBytes('d.md', 'no heading here');
    expect(none.docs[0]?.metadata).toEqual({});
  });
});

describe('json', () => {
  it('reads an array of strings; ids are the record index', async () => {
    const { docs } = await ingestBytes('a.json', '["alpha", "beta"]');
    expect(docs.map((d) => [d.id, d.text])).toEqual([
      ['a.json#0', 'alpha'],
      ['a.json#1', 'beta'],
    ]);
  });

  it('reads an array of objects: own id field, other fields in metadata, nested metadata merged', async () => {
    const json = JSON.stringify([
      { id: 7, body: 'seven', lang: 'en', metadata: { year: 2020 } },
      { id: 'x', body: 'ex', lang: 'fr' },
      { body: 'no id', lang: 'de' },
    ]);
    const { docs, result } = await ingestBytes('a.json', json);
    expect(docs).toEqual([
      { id: '7', source: 'a.json', text: 'seven', metadata: { year: 2020, lang: 'en' } },
      { id: 'x', source: 'a.json', text: 'ex', metadata: { lang: 'fr' } },
      { id: 'a.json#2', source: 'a.json', text: 'no id', metadata: { lang: 'de' } },
    ]);
    expect(messagesOf(result, 'info')[0]).toMatch(/field "body" \(auto-detected/);
  });

  it('uses the chosen text and id fields', async () => {
    const json = JSON.stringify([{ key: 'k1', a: 'short', b: 'the chosen text' }]);
    const { docs, result } = await ingestBytes('a.json', json, { textField: 'b', idField: 'key' });
    expect(docs[0]).toEqual({
      id: 'k1',
      source: 'a.json',
      text: 'the chosen text',
      metadata: { a: 'short' },
    });
    expect(messagesOf(result, 'info')[0]).toMatch(/field "b" \(as asked\); ids from field "key"/);
  });

  it('auto-detects the first long string field when no well-known name is there', async () => {
    const json = JSON.stringify([
      { label: 'pos', review_body: 'a long review of the thing', stars: 5 },
    ]);
    const { docs } = await ingestBytes('a.json', json);
    expect(docs[0]?.text).toBe('a long review of the thing');
    expect(docs[0]?.metadata).toEqual({ label: 'pos', stars: 5 });
  });

  it('reads an object of id → text and an object of id → object', async () => {
    const map = await ingestBytes('m.json', '{"d1": "one", "d2": "two"}');
    expect(map.docs.map((d) => [d.id, d.text])).toEqual([
      ['d1', 'one'],
      ['d2', 'two'],
    ]);
    const nested = await ingestBytes(
      'n.json',
      '{"d1": {"text": "one", "tag": "a"}, "d2": {"text": "two"}}',
    );
    expect(nested.docs).toEqual([
      { id: 'd1', source: 'n.json', text: 'one', metadata: { tag: 'a' } },
      { id: 'd2', source: 'n.json', text: 'two', metadata: {} },
    ]);
    expect(messagesOf(nested.result, 'info')[0]).toMatch(/ids from the object keys/);
  });

  it('finds the records inside a wrapper object such as {"data": [...]}', async () => {
    const { docs, result } = await ingestBytes(
      'w.json',
      '{"version": 2, "data": [{"id": "a", "text": "A"}]}',
    );
    expect(docs.map((d) => [d.id, d.text])).toEqual([['a', 'A']]);
    expect(messagesOf(result, 'info')[0]).toMatch(/field "data"/);
  });

  it('suffixes repeated ids with #dup2, #dup3 and warns', async () => {
    const json = JSON.stringify([
      { id: 'a', text: '1' },
      { id: 'a', text: '2' },
      { id: 'a', text: '3' },
    ]);
    const { docs, result } = await ingestBytes('a.json', json);
    expect(docs.map((d) => d.id)).toEqual(['a', 'a#dup2', 'a#dup3']);
    expect(messagesOf(result, 'warning')).toEqual([
      'record [1]: duplicate id "a"; kept as "a#dup2"',
      'record [2]: duplicate id "a"; kept as "a#dup3"',
    ]);
  });
});

describe('jsonl', () => {
  it('reads objects and strings; ids from id, else path#line', async () => {
    const text = '{"_id": "a", "text": "A", "title": "T"}\n\n"plain string"\n{"text": "no id"}\n';
    const { docs } = await ingestBytes('x.jsonl', text);
    expect(docs).toEqual([
      { id: 'a', source: 'x.jsonl', text: 'A', metadata: { title: 'T' } },
      { id: 'x.jsonl#3', source: 'x.jsonl', text: 'plain string', metadata: {} },
      { id: 'x.jsonl#4', source: 'x.jsonl', text: 'no id', metadata: {} },
    ]);
  });

  it('warns about duplicate ids naming the line, keeping both', async () => {
    const text = '{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n';
    const { docs, result } = await ingestBytes('x.jsonl', text);
    expect(docs.map((d) => [d.id, d.text])).toEqual([
      ['1', 'a'],
      ['1#dup2', 'b'],
    ]);
    expect(result.messages.find((m) => m.level === 'warning')).toMatchObject({
      line: 2,
      message: 'line 2: duplicate id "1"; kept as "1#dup2"',
    });
  });
});

describe('csv and tsv', () => {
  it('reads a header, quoted newlines, escaped quotes and the text column', async () => {
    const csv = 'id,text,label\n1,"Hello, ""world""\nsecond line",pos\n2,plain,neg\n';
    const { docs, result } = await ingestBytes('a.csv', csv);
    expect(docs).toEqual([
      { id: '1', source: 'a.csv', text: 'Hello, "world"\nsecond line', metadata: { label: 'pos' } },
      { id: '2', source: 'a.csv', text: 'plain', metadata: { label: 'neg' } },
    ]);
    expect(messagesOf(result, 'info').join('\n')).toMatch(
      /first row read as column names \(id, text, label\)/,
    );
  });

  it('numbers fallback ids by the line a row starts on, counting quoted newlines', async () => {
    const csv = 'title,body\n"a","x\ny\nz"\n"b","w"\n';
    const { docs } = await ingestBytes('a.csv', csv);
    expect(docs.map((d) => [d.id, d.text])).toEqual([
      ['a.csv#2', 'x\ny\nz'],
      ['a.csv#5', 'w'],
    ]);
  });

  it('strips CRLF line ends but keeps CRLF inside quoted fields', async () => {
    const csv = 'id,text\r\n1,"a\r\nb"\r\n2,c\r\n';
    const { docs } = await ingestBytes('a.csv', csv);
    expect(docs.map((d) => d.text)).toEqual(['a\r\nb', 'c']);
  });

  it('honours csvHeader yes/no and a chosen column', async () => {
    const csv = 'alpha,beta\ngamma,delta\n';
    const no = await ingestBytes('a.csv', csv, { csvHeader: 'no', textField: 'column2' });
    expect(no.docs.map((d) => [d.id, d.text, d.metadata])).toEqual([
      ['a.csv#1', 'beta', { column1: 'alpha' }],
      ['a.csv#2', 'delta', { column1: 'gamma' }],
    ]);
    const yes = await ingestBytes('a.csv', csv, { csvHeader: 'yes', textField: 'beta' });
    expect(yes.docs.map((d) => [d.id, d.text, d.metadata])).toEqual([
      ['a.csv#2', 'delta', { alpha: 'gamma' }],
    ]);
  });

  it('detects a header above numeric columns and none above data rows', async () => {
    const withHeader = await ingestBytes(
      'a.csv',
      'score,sentence\n0.5,The cat sat.\n0.7,A dog ran.\n',
    );
    expect(withHeader.docs.map((d) => d.text)).toEqual(['The cat sat.', 'A dog ran.']);
    expect(withHeader.docs[0]?.metadata).toEqual({ score: '0.5' });
    const noHeader = await ingestBytes(
      'b.csv',
      '0.5,The cat sat on the mat.\n0.7,A dog ran in the park.\n',
    );
    expect(noHeader.docs.map((d) => d.text)).toEqual([
      'The cat sat on the mat.',
      'A dog ran in the park.',
    ]);
  });

  it('reads .tsv with a header and quoted fields when the file quotes them', async () => {
    const tsv = 'id\ttext\n1\t"tab\tinside"\n2\tsaid "hi"\n';
    const { docs } = await ingestBytes('a.tsv', tsv);
    expect(docs.map((d) => [d.id, d.text])).toEqual([
      ['1', 'tab\tinside'],
      ['2', 'said "hi"'],
    ]);
  });

  it('reads semicolon-separated .csv', async () => {
    const { docs } = await ingestBytes('a.csv', 'id;text\n1;un, deux\n2;trois\n');
    expect(docs.map((d) => [d.id, d.text])).toEqual([
      ['1', 'un, deux'],
      ['2', 'trois'],
    ]);
  });
});

describe('ingestPaste', () => {
  it('makes one document with id and source paste:<index>', () => {
    expect(ingestPaste('some text\nmore', { index: 3 })).toEqual({
      documents: [{ id: 'paste:3', source: 'paste:3', text: 'some text\nmore', metadata: {} }],
      messages: [],
    });
  });

  it('refuses empty pasted text with a message', () => {
    const { documents, messages } = ingestPaste('  \n ', { index: 0 });
    expect(documents).toEqual([]);
    expect(messages).toEqual([
      { file: 'paste:0', level: 'error', message: 'the pasted text is empty' },
    ]);
  });
});
