export { loadTokenizer } from './hf-tokenizer.ts';
export { whitespaceCounter, type TokenCounter } from './token-counter.ts';
