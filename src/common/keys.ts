import { createHash } from 'node:crypto';
import { stringifyExactJson } from './exact-json.js';
import { checkMemory } from './memory-guard.js';

/**
 * Key strings for tables, views and keyed state: one value as text; several joined by U+0001;
 * NULL is U+0000.
 *
 * Invariant: distinct value lists give distinct keys. A string holding U+0000, U+0001 or U+0002
 * has each of them written as U+0002 and a digit, so 'a\u0001b', 'c' cannot meet 'a', 'b\u0001c'
 * and the string '\u0000' cannot meet NULL; every other string is its own key, as before. A key
 * longer than V8 hashes is its digest (see `hashable`).
 */
export function keyOf(values: readonly unknown[]): string {
  return hashable(values.length === 1 ? keyPart(values[0]) : values.map(keyPart).join('\u0001'));
}

/** keyOf([value]), without the list. */
export function keyOfValue(value: unknown): string {
  return hashable(keyPart(value));
}

/**
 * V8 hashes a string longer than this by its length alone, so in a Map or Set every such key of
 * one length collides with the others and each lookup compares it with all of them: a few
 * thousand keys of 100,000 characters (SQL can make them with REPEAT) took a GROUP BY, DISTINCT
 * or join minutes with the event loop held.
 */
export const LONGEST_HASHED_STRING = 16383;

/**
 * `key` itself, or for a key V8 would not hash (see LONGEST_HASHED_STRING) its SHA-256 digest
 * after two U+0000, which no other key starts with (NULL is one U+0000, alone or before U+0001):
 * distinct keys stay distinct but for a SHA-256 collision.
 */
export function hashable(key: string): string {
  if (key.length <= LONGEST_HASHED_STRING) return key;
  // Hashing flattens a string SQL built cheaply (REPEAT(s, n) || x) into a copy of its own.
  checkMemory('a key of more than 16,383 characters');
  return `\u0000\u0000${createHash('sha256').update(key).digest('base64')}`;
}

const HAS_RESERVED = /[\u0000-\u0002]/;
const RESERVED = /[\u0000-\u0002]/g;

function keyPart(v: unknown): string {
  if (v === null || v === undefined) return '\u0000';
  if (typeof v === 'string') return HAS_RESERVED.test(v) ? v.replace(RESERVED, (c) => `\u0002${c.charCodeAt(0)}`) : v;
  if (ArrayBuffer.isView(v)) return stringifyExactJson(Array.from(v as unknown as ArrayLike<number>));
  // A BIGINT key prints its exact digits, so keys differing only beyond 2^53 stay distinct.
  return typeof v === 'object' ? stringifyExactJson(v) : String(v);
}

/** A value as a Map or Set key: itself, but a string too long for V8 to hash as its digest (see `hashable`). */
export function hashableValue<T>(v: T): T | string {
  return typeof v === 'string' && v.length > LONGEST_HASHED_STRING ? hashable(v) : v;
}
