/** Pinecone's serverless limits (API 2026-04) that a sync must stay within. */
export const PINECONE_LIMITS = {
  /** Record ids: the spec says 512 characters; counting UTF-8 bytes is never looser. */
  maxIdBytes: 512,
  /** Serialized metadata JSON per record. */
  maxMetadataBytes: 40 * 1024,
  maxVectorsPerUpsert: 1000,
  /** Serialized request body of an upsert. */
  maxRequestBytes: 2 * 1024 * 1024,
  maxIdsPerDelete: 1000,
  maxListLimit: 100,
} as const;

const encoder = new TextEncoder();

export function utf8Bytes(text: string): number {
  return encoder.encode(text).byteLength;
}

/** Bytes of `value` serialized as JSON, which is what the service measures. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}
