/**
 * Sentence-embedding fine-tuning core: pair data readers, pooling, the sentence-transformers
 * losses over the TF.js BERT encoder, and evaluators. Pure: runs in Node and in workers.
 */
export * from './data/batch.ts';
export * from './data/beir-pairs.ts';
export * from './data/epoch-plan.ts';
export * from './data/readers.ts';
export * from './data/split.ts';
export * from './data/types.ts';
export * from './encode.ts';
export * from './hub-base.ts';
export * from './evaluation/evaluators.ts';
export * from './evaluation/threshold.ts';
export * from './losses/contrastive.ts';
export * from './losses/cosine-similarity.ts';
export * from './losses/encoder-loss.ts';
export * from './losses/multiple-negatives-ranking.ts';
export * from './losses/similarity.ts';
export * from './pooling.ts';
export * from './tokenize.ts';
export * from './presets.ts';
export * from './train.ts';
export * from './job.ts';
