/**
 * Pinecone's metadata filter language, evaluated against one record's metadata. Hand-written
 * because no npm library implements Pinecone's dialect (list fields match element-wise, range
 * operators take numbers only, unknown operators are errors rather than field names).
 */

export type MetadataValue = string | number | boolean | string[];
export type Metadata = Record<string, MetadataValue>;

/** A malformed filter; the emulator turns it into a 400 INVALID_ARGUMENT. */
export class FilterError extends Error {
  override name = 'FilterError';
}

type Scalar = string | number | boolean;

const COMPARISON_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'boolean' || Number.isFinite(value);
}

/** Throws `FilterError` when `filter` is not a valid Pinecone filter expression. */
export function validateFilter(filter: unknown): void {
  if (!isPlainObject(filter)) throw new FilterError('filter must be a JSON object');
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(condition) || condition.length === 0) {
        throw new FilterError(`${key} must be a non-empty array of filters`);
      }
      for (const sub of condition) validateFilter(sub);
    } else if (key.startsWith('$')) {
      throw new FilterError(`unknown top-level operator ${key}`);
    } else {
      validateFieldCondition(key, condition);
    }
  }
}

function validateFieldCondition(field: string, condition: unknown): void {
  if (isScalar(condition)) return;
  if (!isPlainObject(condition) || Object.keys(condition).length === 0) {
    throw new FilterError(
      `condition for field "${field}" must be a string, number, boolean or an operator object`,
    );
  }
  for (const [op, operand] of Object.entries(condition)) {
    if (!COMPARISON_OPERATORS.has(op)) {
      throw new FilterError(`unknown operator ${op} for field "${field}"`);
    }
    switch (op) {
      case '$eq':
      case '$ne':
        if (!isScalar(operand)) {
          throw new FilterError(`${op} for field "${field}" takes a string, number or boolean`);
        }
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        if (typeof operand !== 'number' || !Number.isFinite(operand)) {
          throw new FilterError(`${op} for field "${field}" takes a number`);
        }
        break;
      case '$in':
      case '$nin':
        if (!Array.isArray(operand) || !operand.every(isScalar)) {
          throw new FilterError(
            `${op} for field "${field}" takes an array of strings, numbers or booleans`,
          );
        }
        if (operand.length > 10_000) {
          throw new FilterError(`${op} for field "${field}" takes at most 10000 values`);
        }
        break;
      case '$exists':
        if (typeof operand !== 'boolean') {
          throw new FilterError(`$exists for field "${field}" takes a boolean`);
        }
        break;
    }
  }
}

/**
 * Whether `metadata` satisfies `filter`. Call `validateFilter` first; this assumes a valid
 * filter. A list-of-strings field matches a positive condition when any element does, and a
 * negative condition ($ne, $nin) when no element would match the positive one. Missing fields
 * match only the negative operators and `$exists: false`.
 */
export function matchesFilter(metadata: Metadata | undefined, filter: unknown): boolean {
  if (!isPlainObject(filter)) return false;
  return Object.entries(filter).every(([key, condition]) => {
    if (key === '$and') return (condition as unknown[]).every((f) => matchesFilter(metadata, f));
    if (key === '$or') return (condition as unknown[]).some((f) => matchesFilter(metadata, f));
    return matchesField(metadata?.[key], condition);
  });
}

function matchesField(value: MetadataValue | undefined, condition: unknown): boolean {
  if (isScalar(condition)) return anyElement(value, (v) => v === condition);
  return Object.entries(condition as Record<string, unknown>).every(([op, operand]) =>
    matchesOperator(value, op, operand),
  );
}

function anyElement(value: MetadataValue | undefined, test: (v: Scalar) => boolean): boolean {
  if (value === undefined) return false;
  return Array.isArray(value) ? value.some(test) : test(value);
}

function matchesOperator(value: MetadataValue | undefined, op: string, operand: unknown): boolean {
  switch (op) {
    case '$eq':
      return anyElement(value, (v) => v === operand);
    case '$ne':
      return !anyElement(value, (v) => v === operand);
    case '$gt':
      return anyElement(value, (v) => typeof v === 'number' && v > (operand as number));
    case '$gte':
      return anyElement(value, (v) => typeof v === 'number' && v >= (operand as number));
    case '$lt':
      return anyElement(value, (v) => typeof v === 'number' && v < (operand as number));
    case '$lte':
      return anyElement(value, (v) => typeof v === 'number' && v <= (operand as number));
    case '$in':
      return anyElement(value, (v) => (operand as Scalar[]).includes(v));
    case '$nin':
      return !anyElement(value, (v) => (operand as Scalar[]).includes(v));
    case '$exists':
      return (value !== undefined) === operand;
    default:
      return false;
  }
}
