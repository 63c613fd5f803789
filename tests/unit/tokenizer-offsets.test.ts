import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/core/tokenizer/index.ts';
import { byteLevelDecoder } from '../../src/core/tokenizer/bytes.ts';

const modelDir = new URL('../../../shared/models/all-MiniLM-L6-v2/', import.meta.url);
const minilm = loadTokenizer(JSON.parse(readFileSync(new URL('tokenizer.json', modelDir), 'utf8')));
const vocab = readFileSync(new URL('vocab.txt', modelDir), 'utf8').split('\n');
const UNK = vocab.indexOf('[UNK]');

/** What BERT's normaliser does to a span: accents stripped, lowercased, no whitespace. */
function bertFold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .replace(/ς/gu, 'σ')
    .replace(/[\s\p{Cc}\p{Cf}]/gu, '');
}

function spans(text: string): string[] {
  return minilm.encode(text).offsets.map(([a, b]) => text.slice(a, b));
}

describe('token offsets (MiniLM, BERT normalisation)', () => {
  it('map lowercased, accent-stripped tokens back onto the original characters', () => {
    expect(spans('Héllo  ΟΔΟΣ naïve café!! ---')).toEqual([
      'Héllo',
      'Ο',
      'Δ',
      'ΟΣ',
      'naïve',
      'café',
      '!',
      '!',
      '-',
      '-',
      '-',
    ]);
  });

  it('handle CJK, decomposed accents, ligatures and runs of whitespace', () => {
    const text = '中文  e\u0301te\u0301 \t\n İstanbul ｢x｣';
    const { ids, offsets } = minilm.encode(text);
    expect(offsets.map(([a, b]) => text.slice(a, b))).toEqual([
      '中',
      '文',
      'e\u0301t',
      'e\u0301',
      'İstanbul',
      '｢',
      'x',
      '｣',
    ]);
    expect(ids).toHaveLength(minilm.count(text));
  });

  it('give [UNK] the whole word it replaced, and keep going after it', () => {
    const text = 'a 😀abc abc Ａｂｃ! done';
    const pieces = spans(text);
    const { ids } = minilm.encode(text);
    expect(ids.filter((id) => id === UNK)).toHaveLength(2);
    expect(pieces).toEqual(['a', '😀abc', 'abc', 'Ａｂｃ', '!', 'done']);
  });

  it('place special tokens written in the text', () => {
    expect(spans('one [SEP] two')).toEqual(['one', '[SEP]', 'two']);
  });

  it('are exact on random tricky text', () => {
    const fragment = fc.oneof(
      fc.constantFrom(
        ' ',
        '  ',
        '\n',
        '\t',
        '.',
        ',',
        '!?',
        '—',
        '"',
        "'s",
        '(',
        ')',
        '中',
        '文字',
        'é',
        'e\u0301',
        'Ω',
        'ΟΔΟΣ',
        'ß',
        'Ǆ',
        'İ',
        'ﬁ',
        '½',
        '😀',
        '\u0000',
        '\u200b',
      ),
      fc.stringMatching(/^[A-Za-z]{1,14}$/),
      fc.constantFrom('Tokenization', 'naïve', 'Café', 'CRÈME', 'Straße', 'Ελλάδα', 'Москва'),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        const { ids, offsets } = minilm.encode(text);
        expect(ids).toHaveLength(minilm.count(text));
        let previousEnd = 0;
        offsets.forEach(([start, end], k) => {
          expect(start).toBeGreaterThanOrEqual(previousEnd);
          expect(end).toBeGreaterThan(start);
          previousEnd = end;
          const id = ids[k] ?? -1;
          if (id === UNK) return;
          const piece = (vocab[id] ?? '').replace(/^##(?=.)/u, '').replace(/ς/gu, 'σ');
          expect(bertFold(text.slice(start, end))).toBe(piece);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('token offsets (byte-level BPE)', () => {
  // A GPT-2 style tokenizer small enough to write here: every byte plus a few merges.
  const characters = [...byteLevelDecoder().keys()];
  const vocabulary: Record<string, number> = Object.fromEntries(characters.map((c, i) => [c, i]));
  const merges = [
    ['Ġ', 'h'],
    ['Ġh', 'e'],
    ['l', 'l'],
    ['Ġhe', 'll'],
    ['Ã', '©'],
  ];
  for (const [a, b] of merges) vocabulary[`${a}${b}`] = Object.keys(vocabulary).length;
  const byteLevel = {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  };
  const gpt = loadTokenizer({
    added_tokens: [
      {
        id: 999,
        content: '<|endoftext|>',
        special: true,
        normalized: false,
        lstrip: false,
        rstrip: false,
        single_word: false,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      vocab: vocabulary,
      merges: merges.map((m) => m.join(' ')),
      unk_token: null,
    },
  });

  it('cover multi-byte characters split over several tokens', () => {
    const text = 'Oh hello wörld 😀 é<|endoftext|>x';
    const { offsets } = gpt.encode(text);
    const pieces = offsets.map(([a, b]) => text.slice(a, b)).filter((p) => p.length > 0);
    expect(pieces).toEqual([
      'O',
      'h',
      'hell',
      'o',
      'w',
      'ö',
      'ö',
      'r',
      'l',
      'd',
      '😀',
      '😀',
      '😀',
      '😀',
      'é',
      '<|endoftext|>',
      'x',
    ]);
  });

  it('stay monotonic and cover every non-space character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (text) => {
        const { ids, offsets } = gpt.encode(text);
        expect(ids).toHaveLength(gpt.count(text));
        const covered = new Set<number>();
        let previousStart = 0;
        for (const [start, end] of offsets) {
          expect(start).toBeGreaterThanOrEqual(previousStart);
          expect(end).toBeGreaterThanOrEqual(start);
          previousStart = start;
          for (let i = start; i < end; i++) covered.add(i);
        }
        for (let i = 0; i < text.length; i++) {
          if (!/\s/u.test(text[i] ?? '')) expect(covered.has(i)).toBe(true);
        }
      }),
      // U+FFFD is an ordinary character in the text, not the mark of a split byte sequence.
      {
        numRuns: 200,
        examples: [['\uFFFD'], ['a\uFFFDb'], ['é\uFFFD😀'], ['\u2581'], ['a \u2581b']],
      },
    );
  });

  it('give a literal U+FFFD the bytes it was encoded from', () => {
    const text = 'x \uFFFD y';
    const { offsets } = gpt.encode(text);
    const pieces = offsets.map(([a, b]) => text.slice(a, b)).filter((p) => p.length > 0);
    expect(pieces.join('')).toContain('\uFFFD');
    expect(pieces.filter((p) => p === '\uFFFD').length).toBeGreaterThan(0);
  });
});

describe('token offsets (SentencePiece-style Metaspace BPE)', () => {
  const pieces = ['<unk>', '▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', '▁h', '▁he', 'll', '▁hell'];
  const sentencePiece = loadTokenizer({
    added_tokens: [],
    normalizer: null,
    post_processor: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: {
      type: 'BPE',
      vocab: Object.fromEntries(pieces.map((p, i) => [p, i])),
      merges: ['▁ h', '▁h e', 'l l', '▁he ll'],
      unk_token: '<unk>',
    },
  });

  it('treat the space marker as the space it stands for', () => {
    const text = 'hello  world';
    const { offsets } = sentencePiece.encode(text);
    const spans = offsets.map(([a, b]) => text.slice(a, b)).filter((p) => p.length > 0);
    expect(spans).toEqual(['hell', 'o', 'w', 'o', 'r', 'l', 'd']);
  });
});
