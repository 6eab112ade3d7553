/**
 * ARRAY and STRUCT values: element access, and conversion of JSON (parsed, or as text from
 * INSERT and CAST) into the executor's representation of a declared type.
 *
 * Invariants: a NULL element or field stays NULL (never 0 or ''); a field missing from the JSON
 * object is NULL; an array of the wrong length for a declared `ARRAY<T>(n)` does not fit.
 */
import { assertNever } from '../common/errors.js';
import { parseExactJson, stringifyExactJson } from '../common/exact-json.js';
import { parseDateText, parseTimeText, parseTimestampText } from '../common/timestamp-text.js';
import { mapTypes, typeToString, type DataType } from '../common/types.js';
import { elementKey } from './list-functions.js';
import { BIGINT_MAX, BIGINT_MIN, INT_MAX, INT_MIN } from './integers.js';
import { toDecimal } from './decimals.js';

/** Why a value does not fit its declared type (a value, so callers decide how to report it). */
export class Misfit {
  constructor(readonly reason: string) {}
}

/** A decimal number's digits as text: `-12.50`, `3`, `.5`; groups 1 and 2 hold the fraction. */
const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.(\d*))?|\.(\d+))$/;

/**
 * `list[k]`, 1-based as in DuckDB: `k = 1` is the first element, `k = -1` the last; 0 and
 * positions past either end give NULL.
 */
export function listElement(list: ArrayLike<unknown>, k: number | bigint): unknown {
  const n = list.length;
  const i = Number(k);
  if (!Number.isInteger(i)) return null;
  const at = i > 0 ? i - 1 : i < 0 ? n + i : -1;
  return at >= 0 && at < n ? (list[at] ?? null) : null;
}

/** JSON has no NaN or infinities: they travel as these strings (written by every JSON output). */
const NON_FINITE_TEXT = new Map<string, number>([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

/**
 * Checks and converts one JSON value to the executor's representation of `t` (bigints for
 * BIGINT, numbers for other numeric and TIMESTAMP columns, Uint8Array for BYTES).
 * `undefined`/null mean SQL NULL.
 *
 * Invariant: an integer beyond ±(2^53 - 1) read as a double (by `JSON.parse`) either fits as the
 * same value `parseExactJson`'s bigint gives (FLOAT, DOUBLE) or does not fit, so a value that
 * fits after `JSON.parse` is the value the exact parse would give.
 */
export function coerceJson(t: DataType, v: unknown, path: string): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case 'BOOLEAN':
      return typeof v === 'boolean' ? v : new Misfit(`${path}: expected BOOLEAN, got ${show(v)}`);
    case 'INT':
      return typeof v === 'number' && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX ? v : new Misfit(`${path}: expected INT (32-bit), got ${show(v)}`);
    case 'BIGINT': {
      // Exact: the parser gives a bigint for integers beyond 2^53; digits in a string are taken too.
      const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : typeof v === 'string' && /^-?\d+$/.test(v) ? BigInt(v) : undefined;
      if (b !== undefined && b >= BIGINT_MIN && b <= BIGINT_MAX) return b;
      return new Misfit(`${path}: expected BIGINT (64-bit integer), got ${show(v)}`);
    }
    case 'INTERVAL':
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
      if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
      return new Misfit(`${path}: expected ${t.kind}, got ${show(v)}`);
    case 'FLOAT':
    case 'DOUBLE':
      if (t.kind === 'DOUBLE' && t.decimal) {
        // A number, or its digits as a string ("12.50", as exact decimals are often sent).
        const digits = typeof v === 'string' ? DECIMAL_TEXT.exec(v) : null;
        if (typeof v === 'number' || typeof v === 'bigint' || digits) {
          try {
            return toDecimal(Number(v), t.decimal, digits ? Math.min((digits[1] ?? digits[2] ?? '').length, 38) : undefined);
          } catch (err) {
            return new Misfit(`${path}: ${(err as Error).message}`);
          }
        }
        return new Misfit(`${path}: expected ${typeToString(t)} (a number, or its digits as a string), got ${show(v)}`);
      }
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'string' && NON_FINITE_TEXT.has(v)) return NON_FINITE_TEXT.get(v);
      return typeof v === 'number' ? v : new Misfit(`${path}: expected ${t.kind} (a number, or "NaN", "Infinity", "-Infinity"), got ${show(v)}`);
    case 'STRING':
      return typeof v === 'string' ? v : new Misfit(`${path}: expected STRING, got ${show(v)}`);
    case 'BYTES':
      return typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : new Misfit(`${path}: expected BYTES as a base64 string, got ${show(v)}`);
    case 'TIMESTAMP': {
      if (typeof v === 'number' && Number.isSafeInteger(Math.trunc(v))) return Math.trunc(v);
      if (typeof v === 'string') {
        // Field by field: Date.parse would read 2024-02-30 as March 1.
        const ms = parseTimestampText(v);
        if (ms !== undefined) return ms;
      }
      return new Misfit(`${path}: expected TIMESTAMP (epoch milliseconds or ISO-8601 text), got ${show(v)}`);
    }
    case 'DATE': {
      const ms = typeof v === 'string' ? parseDateText(v) : undefined;
      return ms ?? new Misfit(`${path}: expected DATE ('YYYY-MM-DD' text), got ${show(v)}`);
    }
    case 'TIME': {
      const ms = typeof v === 'string' ? parseTimeText(v) : undefined;
      return ms ?? new Misfit(`${path}: expected TIME ('HH:MM:SS[.fff]' text), got ${show(v)}`);
    }
    case 'ARRAY': {
      const map = mapTypes(t);
      if (map) return coerceMap(map, v, path);
      if (!Array.isArray(v)) return new Misfit(`${path}: expected ${t.size === undefined ? 'an array' : `an array of ${t.size}`}, got ${show(v)}`);
      if (t.size !== undefined && v.length !== t.size) return new Misfit(`${path}: expected an array of ${t.size} elements, got ${v.length}`);
      // A number is a FLOAT or DOUBLE element as it is: an array of numbers only is the value
      // itself (no copy, no call per element of a feature vector).
      const numbers = t.element.kind === 'FLOAT' || t.element.kind === 'DOUBLE';
      if (numbers) {
        let i = 0;
        while (i < v.length && typeof v[i] === 'number') i++;
        if (i === v.length) return v;
      }
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        const e = v[i];
        if (numbers && typeof e === 'number') {
          out[i] = e;
          continue;
        }
        // The element's path is spelled out only for a misfit (not once per element of every row).
        const x = coerceJson(t.element, e, path);
        if (x instanceof Misfit) return coerceJson(t.element, v[i], `${path}[${i}]`);
        out[i] = x;
      }
      return out;
    }
    case 'STRUCT': {
      if (typeof v !== 'object' || Array.isArray(v)) return new Misfit(`${path}: expected an object, got ${show(v)}`);
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of t.fields) {
        const x = coerceJson(f.type, o[f.name], `${path}.${f.name}`);
        if (x instanceof Misfit) return x;
        if (x === null && !f.nullable) return new Misfit(`${path}.${f.name}: NULL in a NOT NULL field`);
        out[f.name] = x;
      }
      return out;
    }
    case 'NULL':
      return new Misfit(`${path}: expected NULL, got ${show(v)}`);
    default:
      return assertNever(t, 'type');
  }
}

/**
 * A MAP from JSON: an object (each name a key: the name itself for text keys, else the JSON it
 * holds, e.g. {"1": "a"} for an INT key), or a list of {"key": ..., "value": ...} entries. Keys
 * must be present and unique.
 */
function coerceMap(map: { readonly key: DataType; readonly value: DataType }, v: unknown, path: string): unknown {
  let raw: { key: unknown; value: unknown }[];
  if (Array.isArray(v)) {
    raw = [];
    for (const e of v as unknown[]) {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) return new Misfit(`${path}: expected an object or a list of {"key": ..., "value": ...} entries, got ${show(v)}`);
      raw.push({ key: (e as Record<string, unknown>)['key'], value: (e as Record<string, unknown>)['value'] });
    }
  } else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
    raw = Object.entries(v as Record<string, unknown>).map(([name, value]) => ({ key: map.key.kind === 'STRING' ? name : jsonOrText(name), value }));
  } else {
    return new Misfit(`${path}: expected a MAP as an object or a list of {"key": ..., "value": ...} entries, got ${show(v)}`);
  }
  const out: { key: unknown; value: unknown }[] = [];
  const seen = new Set<unknown>();
  for (const e of raw) {
    const key = coerceJson(map.key, e.key, `${path} key`);
    if (key instanceof Misfit) return key;
    if (key === null) return new Misfit(`${path}: a map key is NULL; every key of a MAP must be a value`);
    const k = elementKey(key);
    if (seen.has(k)) return new Misfit(`${path}: the key ${show(e.key)} comes twice; the keys of a MAP must be unique`);
    seen.add(k);
    const value = coerceJson(map.value, e.value, `${path}[${show(e.key)}]`);
    if (value instanceof Misfit) return value;
    out.push({ key, value });
  }
  return out;
}

/** An object's property name as the JSON value it spells (`1`, `true`), or as the text itself. */
function jsonOrText(name: string): unknown {
  try {
    return parseExactJson(name);
  } catch {
    return name;
  }
}

export function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : (stringifyExactJson(v) ?? String(v));
  } catch {
    // Nested past what JSON.stringify can write (values from JSON text are held to MAX_JSON_DEPTH).
    return 'a value nested too deeply to show';
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * CAST to ARRAY or STRUCT (also how INSERT converts its values): JSON text is parsed, then the
 * value is checked against `to` like a decoded JSON value. Throws a plain Error for a misfit.
 */
export function castNested(x: unknown, to: Extract<DataType, { kind: 'ARRAY' | 'STRUCT' }>): unknown {
  let v = x;
  if (typeof x === 'string') {
    try {
      v = parseExactJson(x);
    } catch {
      throw new Error(`cannot cast '${x.length > 60 ? `${x.slice(0, 57)}...` : x}' to ${typeToString(to)}: not JSON text`);
    }
  } else if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    v = Array.from(x as unknown as ArrayLike<number>);
  }
  const out = coerceJson(to, v, 'value');
  if (out instanceof Misfit) throw new Error(`cannot cast to ${typeToString(to)}: ${out.reason.replace(/^value: /, '')}`);
  return out;
}
