import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadBeir, type OpenLines } from '../../src/core/eval/beir.ts';
import {
  formatBadRows,
  readBeirTrainingPairs,
  readScoredPairs,
  retrievalSetFromBeir,
  type PairExample,
  type RankingExample,
  type RetrievalSet,
} from '../../src/core/finetune/index.ts';
import { scifactAbstracts, wikitextParagraphs } from '../train/quality.ts';

/**
 * The bench's data, all read from `../shared/datasets` (read-only, never copied). STS-B dev and
 * test and WikiText-2 test stay out of pretraining; STS-B test and SciFact test qrels are only
 * ever evaluated on.
 */

export interface PretrainCorpus {
  texts: string[];
  chars: number;
  wikitextValidParagraphs: number;
  scifactAbstracts: number;
  stsTrainSentences: number;
}

/** A short description of the pretraining corpus, for the recipe column. */
export function describeCorpus(corpus: PretrainCorpus): string {
  return (
    `WikiText-2 valid (${corpus.wikitextValidParagraphs} paragraphs) + SciFact corpus ` +
    `(${corpus.scifactAbstracts} abstracts) + STS-B train sentences (${corpus.stsTrainSentences} distinct), ` +
    `${(corpus.chars / 1e6).toFixed(2)} M chars`
  );
}

/**
 * Pretraining text: WikiText-2 valid paragraphs, SciFact abstracts (title + text) and the distinct
 * sentences of STS-B train. WikiText-2 test is left out (bench:train scores perplexity on it).
 */
export async function loadPretrainCorpus(datasets: string): Promise<PretrainCorpus> {
  const read = (file: string) => readFile(path.join(datasets, file), 'utf8');
  const wiki = wikitextParagraphs(await read('wikitext-2/valid.txt'));
  const scifact = scifactAbstracts(await read('scifact/corpus.jsonl'));
  const sts = await readStsFile(path.join(datasets, 'stsb', 'sts-train.csv'));
  const sentences = [...new Set(sts.flatMap((pair) => [pair.text1, pair.text2]))];
  const texts = [...wiki, ...scifact, ...sentences];
  return {
    texts,
    chars: texts.reduce((sum, text) => sum + text.length, 0),
    wikitextValidParagraphs: wiki.length,
    scifactAbstracts: scifact.length,
    stsTrainSentences: sentences.length,
  };
}

/** An STS Benchmark file's pairs, scores mapped onto [0, 1]; a bad row is an error. */
export async function readStsFile(file: string): Promise<PairExample[]> {
  const { examples, badRows } = await readScoredPairs(await readFile(file, 'utf8'), {
    file: path.basename(file),
  });
  if (badRows.length > 0) throw new Error(`${file}:\n${formatBadRows(badRows)}`);
  return examples;
}

export interface StsData {
  train: PairExample[];
  dev: PairExample[];
  test: PairExample[];
}

export async function loadSts(datasets: string): Promise<StsData> {
  const file = (name: string) => path.join(datasets, 'stsb', name);
  return {
    train: await readStsFile(file('sts-train.csv')),
    dev: await readStsFile(file('sts-dev.csv')),
    test: await readStsFile(file('sts-test.csv')),
  };
}

function openLines(dir: string): OpenLines {
  return (relative) =>
    createInterface({
      input: createReadStream(path.join(dir, relative), 'utf8'),
      crlfDelay: Infinity,
    });
}

export interface SciFactData {
  /** (query, relevant document as title + text) pairs of qrels/train.tsv. */
  train: RankingExample[];
  trainQueries: number;
  /** qrels/test.tsv over the full corpus. */
  test: RetrievalSet;
}

export async function loadSciFact(datasets: string, signal?: AbortSignal): Promise<SciFactData> {
  const dir = path.join(datasets, 'scifact');
  const options = signal ? { signal } : {};
  const train = await readBeirTrainingPairs(openLines(dir), { split: 'train', ...options });
  const test = retrievalSetFromBeir(await loadBeir(openLines(dir), { split: 'test', ...options }));
  return { train, trainQueries: new Set(train.map((pair) => pair.anchor)).size, test };
}
