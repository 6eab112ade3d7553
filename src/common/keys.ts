import { stringifyExactJson } from './exact-json.js';

/**
 * Key strings for tables, views and keyed state: one value as text; several joined by U+0001;
 * NULL is U+0000.
 *
 * Invariant: distinct value lists give distinct keys. A string holding U+0000, U+0001 or U+0002
 * has each of them written as U+0002 and a digit, so 'a\u0001b', 'c' cannot meet 'a', 'b\u0001c'
 * and the string '\u0000' cannot meet NULL; every other string is its own key, as before.
 */
export function keyOf(values: readonly unknown[]): string {
  if (values.length === 1) return keyPart(values[0]);
  return values.map(keyPart).join('\u0001');
}

/** keyOf([value]), without the list. */
export function keyOfValue(value: unknown): string {
  return keyPart(value);
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
