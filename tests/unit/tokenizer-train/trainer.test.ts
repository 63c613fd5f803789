import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { isAbortError } from '../../../src/core/abort.ts';
import type { Progress } from '../../../src/core/progress.ts';
import {
  serializeTokenizerJson,
  trainTokenizer,
  type TokenizerTrainOptions,
  type TrainedTokenizer,
} from '../../../src/core/tokenizer/train/index.ts';
import { learnMerges } from '../../../src/core/tokenizer/train/merge-learner.ts';
import { wikiLines } from './corpus.ts';

const SMALL = wikiLines('valid', 20_000);
const MEDIUM = wikiLines('valid', 120_000);

/**
 * Plain BPE as textbooks write it, recounting every pair after every merge: the most frequent
 * pair wins, ties go to the smaller ids. Words come from transformers.js' own normalizer and
 * pre-tokenizer loaded from the trained file, so nothing here reuses the trainer's code.
 */
function referenceMerges(trained: TrainedTokenizer, options: TokenizerTrainOptions): string[][] {
  const json = trained.tokenizerJson;
  const hf = new PreTrainedTokenizer(
    structuredClone(json),
    structuredClone(trained.tokenizerConfig),
  );
  const { normalizer, pre_tokenizer: preTokenizer } = hf._tokenizer;
  const counts = new Map<string, number>();
  for (const text of SMALL) {
    const normalized = normalizer ? normalizer.normalize(text) : text;
    const words = preTokenizer ? preTokenizer.pre_tokenize(normalized) : [normalized];
    for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const prefix = json.model.type === 'WordPiece' ? '##' : '';
  const vocab = Object.entries(json.model.vocab)
    .sort((a, b) => a[1] - b[1])
    .map(([token]) => token);
  // Specials and alphabet: every token of one character, with or without the prefix.
  const base = vocab.filter(
    (t, id) => id < json.added_tokens.length || [...t.replace(/^##/, '')].length === 1,
  );
  const ids = new Map(base.map((t, i) => [t, i]));
  const table = [...base];
  const words = [...counts].map(([word, count]) => ({
    symbols: [...word]
      .map((ch, i) => ids.get(i > 0 && prefix ? prefix + ch : ch) ?? -1)
      .filter((id) => id >= 0),
    count,
  }));
  const merges: string[][] = [];
  const minFrequency = Math.max(1, options.minFrequency ?? 2);
  while (table.length < options.vocabSize) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const k = `${symbols[i]},${symbols[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + count);
      }
    }
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [k, count] of pairs) {
      const [a = 0, b = 0] = k.split(',').map(Number);
      if (
        count > bestCount ||
        (count === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))
      ) {
        best = [a, b];
        bestCount = count;
      }
    }
    if (!best || bestCount < minFrequency) break;
    const [a, b] = best;
    const left = table[a] ?? '';
    const right = (table[b] ?? '').replace(
      prefix && (table[b] ?? '').startsWith(prefix) ? prefix : '',
      '',
    );
    const merged = left + right;
    let id = ids.get(merged);
    if (id === undefined) {
      id = table.length;
      table.push(merged);
      ids.set(merged, id);
    }
    merges.push([table[a] ?? '', table[b] ?? '']);
    for (const word of words) {
      const out: number[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (word.symbols[i] === a && word.symbols[i + 1] === b) {
          out.push(id);
          i++;
        } else out.push(word.symbols[i] ?? -1);
      }
      word.symbols = out;
    }
  }
  return [table, ...merges];
}

describe('tokenizer trainers', () => {
  it('learn the merges of HF tokenizers’ own BPE trainer example', async () => {
    // tokenizers/src/models/bpe/trainer.rs `test_train`: min_frequency 2 gives re, are, is.
    const counts: Record<string, number> = {
      roses: 1,
      are: 2,
      red: 1,
      voilets: 1,
      blue: 1,
      BERT: 1,
      is: 2,
      big: 1,
      and: 1,
      so: 1,
      'GPT-2': 1,
    };
    const alphabet = [...new Set(Object.keys(counts).join(''))].sort();
    const vocab = [...alphabet];
    const words = Object.keys(counts).map((w) => [...w].map((ch) => alphabet.indexOf(ch)));
    const { merges, stop } = await learnMerges({
      words,
      counts: Object.values(counts),
      vocab,
      vocabSize: 30_000,
      minFrequency: 2,
    });
    expect(vocab.slice(alphabet.length)).toEqual(['re', 'are', 'is']);
    expect(merges.map(([a, b]) => `${vocab[a]} ${vocab[b]}`)).toEqual(['r e', 'a re', 'i s']);
    expect(alphabet.length).toBe(22);
    expect(stop).toBe('min-frequency');
  });

  for (const options of [
    { type: 'bpe', vocabSize: 900, minFrequency: 2 },
    { type: 'wordpiece', vocabSize: 900, minFrequency: 3 },
  ] satisfies TokenizerTrainOptions[]) {
    it(`${options.type}: merges and vocabulary equal a from-scratch reference BPE`, async () => {
      const trained = await trainTokenizer(SMALL, options);
      const [table = [], ...merges] = referenceMerges(trained, options);
      const vocab = Object.entries(trained.tokenizerJson.model.vocab)
        .sort((a, b) => a[1] - b[1])
        .map(([token]) => token);
      expect(vocab).toEqual(table);
      if (trained.tokenizerJson.model.type === 'BPE') {
        expect(trained.tokenizerJson.model.merges).toEqual(merges);
      }
      expect(trained.stats.merges).toBe(merges.length);
    });
  }

  it('honours the vocabulary size exactly, specials first at fixed ids', async () => {
    for (const type of ['bpe', 'wordpiece'] as const) {
      const trained = await trainTokenizer(MEDIUM, { type, vocabSize: 2345 });
      const vocab = trained.tokenizerJson.model.vocab;
      expect(Object.keys(vocab)).toHaveLength(2345);
      expect(new Set(Object.values(vocab)).size).toBe(2345);
      expect(Math.max(...Object.values(vocab))).toBe(2344);
      expect(trained.stats).toMatchObject({ vocabSize: 2345, stop: 'vocab-size' });
      const specials =
        type === 'bpe'
          ? ['<s>', '<pad>', '</s>', '<unk>', '<mask>']
          : ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
      specials.forEach((token, id) => expect(vocab[token]).toBe(id));
      expect(trained.tokenizerJson.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual(
        specials.map((token, id) => [id, token, true]),
      );
    }
    const custom = await trainTokenizer(SMALL, {
      type: 'bpe',
      vocabSize: 400,
      specialTokens: ['<|endoftext|>', '<pad>'],
    });
    expect(custom.tokenizerJson.model.vocab['<|endoftext|>']).toBe(0);
    expect(custom.tokenizerJson.model.vocab['<pad>']).toBe(1);
    expect(custom.tokenizerJson.post_processor).toBeNull();
  });

  it('stops early, and says so, when the corpus runs out of pairs or of frequent ones', async () => {
    const tiny = ['low lower lowest', 'newer newest wider'];
    const exhausted = await trainTokenizer(tiny, { type: 'bpe', vocabSize: 5000, minFrequency: 0 });
    expect(exhausted.stats.stop).toBe('no-pairs');
    expect(exhausted.stats.vocabSize).toBeLessThan(5000);
    // Every distinct word ends up as one token once no pair is left.
    for (const word of ['low', 'Ġlower', 'Ġlowest', 'newer', 'Ġnewest', 'Ġwider']) {
      expect(exhausted.tokenizerJson.model.vocab[word], word).toBeDefined();
    }
    const frequent = await trainTokenizer(SMALL, {
      type: 'bpe',
      vocabSize: 50_000,
      minFrequency: 25,
    });
    expect(frequent.stats.stop).toBe('min-frequency');
    expect(frequent.stats.vocabSize).toBeLessThan(50_000);
  });

  it('honours the minimum frequency: no merge is rarer than asked', async () => {
    const trained = await trainTokenizer(SMALL, {
      type: 'bpe',
      vocabSize: 50_000,
      minFrequency: 7,
    });
    const [, ...merges] = referenceMerges(trained, {
      type: 'bpe',
      vocabSize: 50_000,
      minFrequency: 7,
    });
    expect(
      trained.tokenizerJson.model.type === 'BPE' && trained.tokenizerJson.model.merges,
    ).toEqual(merges);
    const looser = await trainTokenizer(SMALL, { type: 'bpe', vocabSize: 50_000, minFrequency: 2 });
    expect(looser.stats.merges).toBeGreaterThan(trained.stats.merges);
  });

  it('is deterministic: the same corpus gives byte-identical tokenizer.json', async () => {
    for (const type of ['bpe', 'wordpiece'] as const) {
      const a = await trainTokenizer(MEDIUM, { type, vocabSize: 1500 });
      const b = await trainTokenizer([...MEDIUM], { type, vocabSize: 1500 });
      expect(serializeTokenizerJson(a.tokenizerJson)).toBe(serializeTokenizerJson(b.tokenizerJson));
    }
  });

  it('reports progress up to 1 and stops on abort', async () => {
    const events: Progress[] = [];
    await trainTokenizer(
      MEDIUM,
      { type: 'bpe', vocabSize: 3000 },
      {
        onProgress: (e) => events.push(e),
        expectedChars: MEDIUM.reduce((n, t) => n + t.length, 0),
      },
    );
    const fractions = events.map((e) => e.fraction);
    expect(fractions.at(-1)).toBe(1);
    expect(events.at(-1)?.status).toBe('done');
    expect(fractions).toEqual([...fractions].sort((x, y) => x - y));

    const before = new AbortController();
    before.abort();
    await expect(
      trainTokenizer(SMALL, { type: 'bpe', vocabSize: 500 }, { signal: before.signal }),
    ).rejects.toSatisfy(isAbortError);

    // Aborted from inside the merge phase, once progress shows it started merging.
    const during = new AbortController();
    let lastFraction = 0;
    const run = trainTokenizer(
      (async function* () {
        for (const line of MEDIUM) yield line;
      })(),
      { type: 'wordpiece', vocabSize: 30_000, minFrequency: 0 },
      {
        signal: during.signal,
        onProgress(e) {
          lastFraction = e.fraction;
          if (e.fraction > 0.3 && e.fraction < 1) during.abort();
        },
      },
    );
    await expect(run).rejects.toSatisfy(isAbortError);
    expect(lastFraction).toBeLessThan(1);
  });

  it('rejects options it cannot honour', async () => {
    await expect(
      trainTokenizer(SMALL, { type: 'wordpiece', vocabSize: 100, specialTokens: ['[PAD]'] }),
    ).rejects.toThrow(/unknown token/);
    await expect(trainTokenizer(SMALL, { type: 'bpe', vocabSize: 0 })).rejects.toThrow(/vocabSize/);
  });
});
