import type { MetadataScalar, SearchFilter } from '../search/index.ts';
import { RESERVED_KEYS } from './records.ts';

const RESERVED = new Set<string>(RESERVED_KEYS);

/** One field's accepted values as a Pinecone condition: $eq for one, $in (or $or for booleans). */
function pineconeCondition(field: string, values: readonly MetadataScalar[]): object {
  if (values.length === 1) return { [field]: { $eq: values[0] } };
  if (values.every((v) => typeof v !== 'boolean')) return { [field]: { $in: values } };
  return { $or: values.map((value) => ({ [field]: { $eq: value } })) };
}

/**
 * The search filter in Pinecone's filter language: sources match the `source` metadata Lumina
 * writes, metadata fields match the user fields (reserved names renamed as the sync renames them).
 */
export function toPineconeFilter(where: SearchFilter | undefined): object | undefined {
  const parts: object[] = [];
  if (where?.sources?.length) parts.push(pineconeCondition('source', where.sources));
  for (const [key, accepted] of Object.entries(where?.metadata ?? {})) {
    const field = RESERVED.has(key) ? `user_${key}` : key;
    const values: readonly MetadataScalar[] = Array.isArray(accepted) ? accepted : [accepted];
    if (values.length) parts.push(pineconeCondition(field, values));
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { $and: parts };
}
