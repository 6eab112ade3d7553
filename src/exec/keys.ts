import { stringifyExactJson } from '../common/exact-json.js';

/**
 * Key strings for tables, views and keyed state: one value as text; several joined by U+0001.
 *
 * Invariant: different key values give different strings. NULL is U+0000 on its own; a string
 * is its own text unless it holds U+0000, U+0001 or U+0002, in which case it is U+0002
 * followed by its JSON text, so the string '\u0000' is not NULL and 'a\u0001b' is not the pair
 * ('a', 'b'). Strings without those characters (all keys written before this rule) keep their
 * old encoding, so stored state stays readable.
 */
export function keyOf(values: readonly unknown[]): string {
  if (values.length === 1) return keyPart(values[0]);
  return values.map(keyPart).join('\u0001');
}

const NULL_KEY = '\u0000';
const ESCAPED = '\u0002';
const NEEDS_ESCAPE = /[\u0000-\u0002]/;

function keyPart(v: unknown): string {
  if (v === null || v === undefined) return NULL_KEY;
  if (ArrayBuffer.isView(v)) return stringifyExactJson(Array.from(v as unknown as ArrayLike<number>));
  if (typeof v === 'string') return NEEDS_ESCAPE.test(v) ? ESCAPED + JSON.stringify(v) : v;
  // A BIGINT key prints its exact digits, so keys differing only beyond 2^53 stay distinct; JSON
  // text escapes control characters, so objects never hold the separators.
  return typeof v === 'object' ? stringifyExactJson(v) : String(v);
}
