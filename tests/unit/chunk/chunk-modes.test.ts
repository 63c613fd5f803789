import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chunkText,
  defaultChunkOptions,
  validateChunkOptions,
  type ChunkOptions,
} from '../../../src/core/chunk/index.ts';
import { isAbortError } from '../../../src/core/abort.ts';
import { loadTokenizer, whitespaceCounter } from '../../../src/core/tokenizer/index.ts';

const texts = (text: string, options: Partial<ChunkOptions>) =>
  chunkText(text, { ...defaultChunkOptions, ...options }, whitespaceCounter).map((c) => c.text);

describe('chunk modes', () => {
  it('defaults to recursive, 256 tokens, 32 overlap', () => {
    expect(defaultChunkOptions).toEqual({ mode: 'recursive', chunkTokens: 256, overlapTokens: 32 });
  });

  it('recursive: packs whole paragraphs while they fit', () => {
    const text = 'p1 a b c.\n\np2 d e f.\n\np3 g h i.';
    expect(texts(text, { chunkTokens: 8, overlapTokens: 0 })).toEqual([
      'p1 a b c.\n\np2 d e f.',
      'p3 g h i.',
    ]);
  });

  it('recursive: cuts a long paragraph at sentences, then at words', () => {
    const text = 'one two three. four five six. seven eight nine ten eleven twelve thirteen';
    expect(texts(text, { chunkTokens: 4, overlapTokens: 0 })).toEqual([
      'one two three.',
      'four five six.',
      'seven eight nine ten',
      'eleven twelve thirteen',
    ]);
  });

  it('recursive: repeats the last overlapTokens words at the start of the next chunk', () => {
    const text = 'a b c d e f g h i j';
    expect(texts(text, { chunkTokens: 4, overlapTokens: 2 })).toEqual([
      'a b c d',
      'c d e f',
      'e f g h',
      'g h i j',
    ]);
  });

  it('recursive: honours custom separators', () => {
    const text = 'a b | c d | e f';
    // Eight whitespace tokens: "|" counts as one.
    expect(texts(text, { chunkTokens: 6, overlapTokens: 0, separators: ['| ', ' '] })).toEqual([
      'a b | c d |',
      'e f',
    ]);
    expect(texts(text, { chunkTokens: 6, overlapTokens: 0, separators: [' '] })).toEqual([
      'a b | c d |',
      'e f',
    ]);
    expect(texts(text, { chunkTokens: 5, overlapTokens: 0, separators: ['| ', ' '] })).toEqual([
      'a b |',
      'c d | e f',
    ]);
  });

  it('paragraph: blank lines (even with spaces) separate paragraphs, which are packed', () => {
    const text = 'a b c\n  \nd e\n\t\nf g h i j k l m n';
    expect(texts(text, { mode: 'paragraph', chunkTokens: 5, overlapTokens: 0 })).toEqual([
      'a b c\n  \nd e',
      'f g h i j',
      'k l m n',
    ]);
  });

  it('sentence: packs whole sentences and overlaps by whole sentences', () => {
    const text = 'One two. Three four five. Six. Seven eight.';
    expect(texts(text, { mode: 'sentence', chunkTokens: 5, overlapTokens: 0 })).toEqual([
      'One two. Three four five.',
      'Six. Seven eight.',
    ]);
    expect(texts(text, { mode: 'sentence', chunkTokens: 5, overlapTokens: 1 })).toEqual([
      'One two. Three four five.',
      'Six. Seven eight.',
    ]);
    expect(texts(text, { mode: 'sentence', chunkTokens: 4, overlapTokens: 1 })).toEqual([
      'One two.',
      'Three four five. Six.',
      'Six. Seven eight.',
    ]);
  });

  it('fixed: windows of exactly chunkTokens tokens sharing exactly overlapTokens', () => {
    const text = 'w0 w1 w2 w3 w4 w5 w6 w7 w8 w9';
    expect(texts(text, { mode: 'fixed', chunkTokens: 4, overlapTokens: 1 })).toEqual([
      'w0 w1 w2 w3',
      'w3 w4 w5 w6',
      'w6 w7 w8 w9',
    ]);
    expect(texts(text, { mode: 'fixed', chunkTokens: 3, overlapTokens: 0 })).toEqual([
      'w0 w1 w2',
      'w3 w4 w5',
      'w6 w7 w8',
      'w9',
    ]);
  });

  it('fixed: cuts on token offsets of a real tokenizer', () => {
    const minilm = loadTokenizer(
      JSON.parse(
        readFileSync(
          new URL('../../../../shared/models/all-MiniLM-L6-v2/tokenizer.json', import.meta.url),
          'utf8',
        ),
      ),
    );
    const text = 'Tokenization is fun, isn’t it?';
    const chunks = chunkText(text, { mode: 'fixed', chunkTokens: 3, overlapTokens: 1 }, minilm);
    // token ##ization is | fun , | isn ’ | t it | ? : each window repeats the last token.
    expect(chunks.map((c) => c.text)).toEqual([
      'Tokenization is',
      'is fun,',
      ', isn’',
      '’t it',
      'it?',
    ]);
    expect(chunks.map((c) => c.tokenCount)).toEqual([3, 3, 3, 3, 2]);
  });

  it('regex: a new unit starts at every match, units are packed up to the limit', () => {
    const text = 'Chapter 1 a b\nChapter 2 c d e\nChapter 3 f';
    const options = { mode: 'regex' as const, pattern: '^Chapter \\d+', overlapTokens: 0 };
    expect(texts(text, { ...options, chunkTokens: 5 })).toEqual([
      'Chapter 1 a b',
      'Chapter 2 c d e',
      'Chapter 3 f',
    ]);
    expect(texts(text, { ...options, chunkTokens: 9 })).toEqual([
      'Chapter 1 a b\nChapter 2 c d e',
      'Chapter 3 f',
    ]);
  });

  it('section: every Markdown, setext and wiki heading opens a new chunk', () => {
    const text = [
      'Intro text.',
      '# Title',
      'text a',
      '## Sub',
      'text b',
      'Setext title',
      '============',
      'text c',
      ' = Wiki title = ',
      ' ',
      ' text d',
      ' = = Wiki sub = = ',
      'text e',
    ].join('\n');
    expect(texts(text, { mode: 'section', chunkTokens: 100, overlapTokens: 10 })).toEqual([
      'Intro text.',
      '# Title\ntext a',
      '## Sub\ntext b',
      'Setext title\n============\ntext c',
      '= Wiki title = \n \n text d',
      '= = Wiki sub = = \ntext e',
    ]);
  });

  it('section: a long section is split recursively, the heading staying in its first chunk', () => {
    const text = '# Heading\none two three four five six seven\n# Next\nend';
    expect(texts(text, { mode: 'section', chunkTokens: 4, overlapTokens: 0 })).toEqual([
      '# Heading',
      'one two three four',
      'five six seven',
      '# Next\nend',
    ]);
  });

  it('returns nothing for blank text and trims every chunk', () => {
    expect(texts('  \n\t ', {})).toEqual([]);
    const chunks = chunkText('\n\n  hello   world \n', defaultChunkOptions, whitespaceCounter);
    expect(chunks).toEqual([
      { index: 0, text: 'hello   world', charStart: 4, charEnd: 17, tokenCount: 2 },
    ]);
  });

  it('reports progress up to the text length and stops when aborted', () => {
    const text = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const seen: number[] = [];
    chunkText(text, { mode: 'recursive', chunkTokens: 10, overlapTokens: 2 }, whitespaceCounter, {
      onProgress: (done, total) => {
        expect(total).toBe(text.length);
        seen.push(done);
      },
    });
    expect(seen.length).toBeGreaterThan(10);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(text.length);

    const controller = new AbortController();
    let error: unknown;
    try {
      chunkText(text, { mode: 'fixed', chunkTokens: 10, overlapTokens: 0 }, whitespaceCounter, {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
    } catch (caught) {
      error = caught;
    }
    expect(isAbortError(error)).toBe(true);
  });
});

describe('validateChunkOptions', () => {
  it('accepts the defaults', () => {
    expect(validateChunkOptions(defaultChunkOptions)).toEqual([]);
  });

  it('names the field in every problem', () => {
    const problems = (o: Partial<ChunkOptions>) =>
      validateChunkOptions({ ...defaultChunkOptions, ...o }).join(' ');
    expect(problems({ overlapTokens: 256 })).toMatch(
      /overlapTokens \(256\).*smaller than chunkTokens \(256\)/,
    );
    expect(problems({ overlapTokens: -1 })).toMatch(/overlapTokens/);
    expect(problems({ chunkTokens: 0 })).toMatch(/chunkTokens/);
    expect(problems({ chunkTokens: 2.5 })).toMatch(/chunkTokens/);
    expect(problems({ mode: 'regex' })).toMatch(/pattern is required/);
    expect(problems({ mode: 'regex', pattern: '([a-z' })).toMatch(
      /pattern is not a valid regular expression/,
    );
    expect(problems({ separators: [] })).toMatch(/separators/);
    expect(problems({ mode: 'words' as ChunkOptions['mode'] })).toMatch(/mode must be one of/);
  });

  it('makes chunkText throw with the same messages', () => {
    expect(() =>
      chunkText('text', { mode: 'fixed', chunkTokens: 4, overlapTokens: 4 }, whitespaceCounter),
    ).toThrow(/overlapTokens \(4\) must be smaller than chunkTokens \(4\)/);
  });
});
