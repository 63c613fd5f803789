import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SeededRandom } from '../../src/core/model/seeded-random.ts';
import { loadTokenizer } from '../../src/core/tokenizer/index.ts';

export interface CorpusOptions {
  /** ../shared, holding datasets/ and models/. */
  sharedDir: string;
  texts: number;
  seed: number;
  /** Tokens per text with the model's 2 special tokens ([CLS] … [SEP]). */
  maxTokens: number;
  /** Share of SciFact abstracts; the rest are short STS-B sentences. */
  longShare?: number;
}

const SPECIAL_TOKENS = 2;

/**
 * A length-skewed corpus: long SciFact abstracts mixed with short STS-B sentences, shuffled with
 * a fixed seed. Texts are cut at a token boundary to fit `maxTokens`, so neither engine has to
 * truncate: transformers.js's own truncation drops the trailing [SEP] while Lumina keeps it,
 * and the output check must compare the engines, not their truncation rules.
 */
export async function buildCorpus(options: CorpusOptions): Promise<string[]> {
  const { sharedDir, texts, seed, maxTokens } = options;
  const longCount = Math.round(texts * (options.longShare ?? 0.3));
  const random = new SeededRandom(seed, 'bench-corpus');
  const abstracts = shuffle(await readSciFact(sharedDir), random).slice(0, longCount);
  const sentences = shuffle(await readStsb(sharedDir), random).slice(0, texts - longCount);
  if (abstracts.length + sentences.length < texts) {
    throw new Error(`The datasets hold only ${abstracts.length + sentences.length} texts`);
  }
  const tokenizer = loadTokenizer(
    JSON.parse(await readModelFile(sharedDir, 'tokenizer.json')),
    JSON.parse(await readModelFile(sharedDir, 'tokenizer_config.json')),
  );
  const textBudget = maxTokens - SPECIAL_TOKENS;
  const fit = (text: string): string => {
    const { offsets } = tokenizer.encode(text);
    const last = offsets[textBudget - 1];
    if (offsets.length <= textBudget || !last) return text;
    // Re-tokenising a cut text can split its last word differently: shrink until it fits.
    for (let keep = textBudget; keep > 0; keep--) {
      const end = offsets[keep - 1]?.[1] ?? 0;
      const cut = text.slice(0, end);
      if (tokenizer.count(cut) <= textBudget) return cut;
    }
    return text.slice(0, last[1]);
  };
  return shuffle([...abstracts, ...sentences].map(fit), random);
}

async function readSciFact(sharedDir: string): Promise<string[]> {
  const file = path.join(sharedDir, 'datasets/scifact/corpus.jsonl');
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim());
  return lines.map((line) => {
    const doc = JSON.parse(line) as { title?: unknown; text?: unknown };
    return `${String(doc.title ?? '')} ${String(doc.text ?? '')}`.trim();
  });
}

/** Sentence pairs in columns 6 and 7 (tab-separated); every distinct sentence once. */
async function readStsb(sharedDir: string): Promise<string[]> {
  const file = path.join(sharedDir, 'datasets/stsb/sts-train.csv');
  const sentences = new Set<string>();
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const columns = line.split('\t');
    for (const sentence of [columns[5], columns[6]]) {
      const text = sentence?.trim();
      if (text) sentences.add(text);
    }
  }
  return [...sentences];
}

function readModelFile(sharedDir: string, name: string): Promise<string> {
  return readFile(path.join(sharedDir, 'models/all-MiniLM-L6-v2', name), 'utf8');
}

/** Fisher–Yates with the seeded generator, on a copy. */
function shuffle<T>(values: readonly T[], random: SeededRandom): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.nextFloat() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
