/**
 * Readers for untrusted values (parsed JSON, Parquet cells) that either return the typed value or
 * throw a {@link BundleError} naming the file and field, so every bad bundle gets a precise message.
 */

import type { JsonValue, Metadata } from '../types.ts';
import { BundleError } from './format.ts';

/** Where a value sits: the file (absent for writer input) and the field path inside it. */
export interface Place {
  file: string | undefined;
  field: string;
}

export function fail(place: Place, message: string): never {
  throw new BundleError(message, place.file, place.field);
}

export function at(place: Place, child: string | number): Place {
  const field = typeof child === 'number' ? `${place.field}[${child}]` : `${place.field}.${child}`;
  return { file: place.file, field };
}

export function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return String(value);
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readRecord(value: unknown, place: Place): Record<string, unknown> {
  if (!isRecord(value)) fail(place, `must be an object (got ${describe(value)})`);
  return value;
}

export function readString(value: unknown, place: Place, nonEmpty = false): string {
  if (typeof value !== 'string') fail(place, `must be a string (got ${describe(value)})`);
  if (nonEmpty && value.length === 0) fail(place, 'must not be empty');
  return value;
}

export function readNullableString(value: unknown, place: Place): string | null {
  return value === null ? null : readString(value, place, true);
}

export function readBoolean(value: unknown, place: Place): boolean {
  if (typeof value !== 'boolean') fail(place, `must be true or false (got ${describe(value)})`);
  return value;
}

/** A whole number in [min, max]. */
export function readInteger(
  value: unknown,
  place: Place,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(place, `must be a whole number from ${min} to ${max} (got ${describe(value)})`);
  }
  return value;
}

export function readOneOf<T extends string>(
  value: unknown,
  options: readonly T[],
  place: Place,
): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    fail(place, `must be one of ${options.join(', ')} (got ${describe(value)})`);
  }
  return value as T;
}

export function readJsonValue(value: unknown, place: Place): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(place, `must be a finite number (got ${value})`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => readJsonValue(item, at(place, i)));
  if (isRecord(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) out[key] = readJsonValue(item, at(place, key));
    return out;
  }
  return fail(place, `must be JSON (got ${describe(value)})`);
}

/** Metadata as stored in Parquet: the text of one JSON object. */
export function parseMetadataJson(text: unknown, place: Place): Metadata {
  const json = readString(text, place);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    fail(place, `is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(parsed)) fail(place, `must be a JSON object (got ${describe(parsed)})`);
  return readJsonValue(parsed, place) as Metadata;
}
