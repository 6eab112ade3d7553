/**
 * Text encoding of partial accumulator states (the `__state_<i>` columns between the two phases
 * of a GROUP BY). Round-trips every value accumulators save: finite and non-finite numbers,
 * bigints, strings, booleans, null and nested arrays.
 */
import type { StateValue } from '../../state/index.js';

const TAGGED = '~';

export function encodeState(v: StateValue): string {
  return plainJson(v) ? JSON.stringify(v) : TAGGED + JSON.stringify(v, tagReplacer);
}

export function decodeState(text: string): StateValue {
  return text.startsWith(TAGGED) ? (JSON.parse(text.slice(1), tagReviver) as StateValue) : (JSON.parse(text) as StateValue);
}

function plainJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(plainJson);
  return false;
}

function tagReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return { $b: v.toString() };
  if (typeof v === 'number' && !Number.isFinite(v)) return { $n: String(v) };
  return v;
}

function tagReviver(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { $b?: string; $n?: string };
    if (o.$b !== undefined) return BigInt(o.$b);
    if (o.$n !== undefined) return Number(o.$n);
  }
  return v;
}
