import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import {
  createEncoder,
  tokenizerFileTexts,
  trainTokenizer,
  type TokenizerTrainOptions,
  type TrainedEncoder,
} from '../../../src/core/tokenizer/train/index.ts';
import { EDGE_CASES, wikiLines } from './corpus.ts';
import { useLocalModelRoot } from '../../support/local-models.ts';

const TRAIN = wikiLines('valid', 150_000);
const HELD_OUT = [...wikiLines('test', 60_000).slice(0, 300), ...EDGE_CASES];

const models = useLocalModelRoot('lumina-tokenizer-train-');

/** Trains, writes the three files into `<root>/<name>/`, and loads them with AutoTokenizer. */
async function trainAndLoad(
  name: string,
  options: TokenizerTrainOptions,
): Promise<{ encoder: TrainedEncoder; hf: PreTrainedTokenizer }> {
  const trained = await trainTokenizer(TRAIN, options);
  const dir = path.join(models.root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(tokenizerFileTexts(trained))) {
    await writeFile(path.join(dir, file), text);
  }
  const hf = await AutoTokenizer.from_pretrained(name);
  return { encoder: createEncoder(trained.tokenizerJson), hf };
}

const BYTE_OF = new Map<string, number>();
{
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    BYTE_OF.set(String.fromCharCode(printable.includes(b) ? b : 256 + shifted++), b);
  }
}

function tokenBytes(token: string): number[] {
  return [...token].map((ch) => {
    const byte = BYTE_OF.get(ch);
    if (byte === undefined) throw new Error(`not a byte-level token: ${token}`);
    return byte;
  });
}

function containsRun(haystack: Uint8Array, needle: readonly number[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function expectSameAsTransformers(encoder: TrainedEncoder, hf: PreTrainedTokenizer): void {
  const specialIds = new Set(hf.all_special_ids);
  for (const text of HELD_OUT) {
    const mine = encoder.encode(text);
    expect(mine.ids, JSON.stringify(text)).toEqual(hf.encode(text));
    expect(mine.tokens, JSON.stringify(text)).toEqual(
      hf.tokenize(text, { add_special_tokens: true }),
    );
    // Special tokens are flagged; an [UNK] the model produced for a word is not.
    mine.ids.forEach((id, i) => {
      const flagged = mine.specialTokensMask[i] === 1;
      if (flagged) expect(specialIds.has(id)).toBe(true);
      else if (specialIds.has(id)) expect(id).toBe(hf.unk_token_id);
    });
    const bare = encoder.encode(text, { addSpecialTokens: false });
    expect(bare.ids).toEqual(hf.encode(text, { add_special_tokens: false }));
  }
}

function checkByteLevelOffsets(encoder: TrainedEncoder, prefixSpace: boolean): void {
  const utf8 = new TextEncoder();
  const strict = new TextDecoder('utf-8', { fatal: true });
  let checkedWhole = 0;
  for (const text of HELD_OUT) {
    const { tokens, offsets, specialTokensMask } = encoder.encode(text);
    let previousStart = 0;
    tokens.forEach((token, i) => {
      const [start, end] = offsets[i] ?? [0, 0];
      if (specialTokensMask[i] === 1) {
        // Special tokens written in the text cover exactly their spelling.
        if (end > 0) expect(text.slice(start, end)).toBe(token);
        return;
      }
      expect(start).toBeGreaterThanOrEqual(0);
      expect(end).toBeLessThanOrEqual(text.length);
      expect(start).toBeGreaterThanOrEqual(previousStart);
      expect(end).toBeGreaterThanOrEqual(start);
      previousStart = start;
      const bytes = tokenBytes(token);
      const slice = text.slice(start, end);
      let whole: string | undefined;
      try {
        whole = strict.decode(Uint8Array.from(bytes));
      } catch {
        whole = undefined;
      }
      if (whole !== undefined && !whole.includes('\ufffd')) {
        checkedWhole++;
        const virtualSpace = prefixSpace && whole.startsWith(' ') && slice === whole.slice(1);
        if (!virtualSpace) expect(slice, `${JSON.stringify(text)} token ${token}`).toBe(whole);
      } else {
        // A token holding part of a character spans that whole character.
        const lead = prefixSpace && bytes[0] === 0x20 ? bytes.slice(1) : bytes;
        expect(containsRun(utf8.encode(slice), lead), `${token} in ${slice}`).toBe(true);
      }
    });
  }
  expect(checkedWhole).toBeGreaterThan(1000);
}

/** The same folding transformers.js' normalizer does to a slice; final sigma is contextual. */
function checkWordPieceOffsets(encoder: TrainedEncoder, hf: PreTrainedTokenizer): void {
  const normalizer = hf._tokenizer.normalizer;
  if (!normalizer) throw new Error('expected a normalizer');
  const fold = (s: string) => normalizer.normalize(s).trim().replaceAll('ς', 'σ');
  let checked = 0;
  for (const text of HELD_OUT) {
    const { tokens, offsets, specialTokensMask } = encoder.encode(text);
    tokens.forEach((token, i) => {
      const [start, end] = offsets[i] ?? [0, 0];
      if (specialTokensMask[i] === 1) return;
      const slice = text.slice(start, end);
      if (token === '[UNK]') {
        expect(slice.trim().length).toBeGreaterThan(0);
        return;
      }
      checked++;
      expect(fold(slice), `${JSON.stringify(text)} token ${token}`).toBe(
        token.replace(/^##/, '').replaceAll('ς', 'σ'),
      );
    });
  }
  expect(checked).toBeGreaterThan(1000);
}

describe('trained tokenizers load in transformers.js and encode like Lumina', () => {
  it('byte-level BPE (RoBERTa layout)', async () => {
    const { encoder, hf } = await trainAndLoad('bpe', { type: 'bpe', vocabSize: 4000 });
    expect(hf.constructor.name).toBe('RobertaTokenizer');
    expect([
      hf.bos_token_id,
      hf.pad_token_id,
      hf.eos_token_id,
      hf.unk_token_id,
      hf.mask_token_id,
    ]).toEqual([0, 1, 2, 3, 4]);
    expectSameAsTransformers(encoder, hf);
    checkByteLevelOffsets(encoder, false);
    const text = 'The lobster, naïvely 😀!';
    expect(hf.decode(encoder.encode(text).ids, { skip_special_tokens: true })).toBe(text);
  });

  it('byte-level BPE with a prefix space and lowercasing', async () => {
    const { encoder, hf } = await trainAndLoad('bpe-prefix-lower', {
      type: 'bpe',
      vocabSize: 3000,
      addPrefixSpace: true,
      lowercase: true,
    });
    expectSameAsTransformers(encoder, hf);
    const { tokens, offsets } = encoder.encode('Hello World', { addSpecialTokens: false });
    expect(tokens[0]?.startsWith('Ġ')).toBe(true);
    expect(offsets[0]?.[0]).toBe(0);
  });

  it('WordPiece (BERT layout, uncased)', async () => {
    const { encoder, hf } = await trainAndLoad('wordpiece', { type: 'wordpiece', vocabSize: 4000 });
    expect(hf.constructor.name).toBe('BertTokenizer');
    expect([hf.pad_token_id, hf.unk_token_id, hf.mask_token_id]).toEqual([0, 1, 4]);
    expect([hf.sep_token_id]).toEqual([3]);
    expectSameAsTransformers(encoder, hf);
    checkWordPieceOffsets(encoder, hf);
  });

  it('WordPiece cased, accents kept, a small alphabet (so [UNK] appears)', async () => {
    const { encoder, hf } = await trainAndLoad('wordpiece-cased', {
      type: 'wordpiece',
      vocabSize: 2500,
      lowercase: false,
      limitAlphabet: 60,
    });
    expectSameAsTransformers(encoder, hf);
    checkWordPieceOffsets(encoder, hf);
    const unknown = HELD_OUT.flatMap((t) => encoder.encode(t).tokens).filter((t) => t === '[UNK]');
    expect(unknown.length).toBeGreaterThan(0);
  });
});
