import { stringifyExactJson } from '../common/exact-json.js';

/** Key strings for tables, views and keyed state: one value as text; several joined by U+0001. */
export function keyOf(values: readonly unknown[]): string {
  if (values.length === 1) return keyPart(values[0]);
  return values.map(keyPart).join('\u0001');
}

function keyPart(v: unknown): string {
  if (v === null || v === undefined) return '\u0000';
  if (ArrayBuffer.isView(v)) return stringifyExactJson(Array.from(v as unknown as ArrayLike<number>));
  // A BIGINT key prints its exact digits, so keys differing only beyond 2^53 stay distinct.
  return typeof v === 'object' ? stringifyExactJson(v) : String(v);
}
