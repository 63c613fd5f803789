/**
 * A 2-layer, 32-wide BERT config over all-MiniLM-L6-v2's 30,522-token WordPiece vocabulary: the
 * seeded base the fine-tuning tests start from, in Node and in Chromium.
 */
export const tinyBaseConfigJson = {
  vocab_size: 30522,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: 64,
} as const;
