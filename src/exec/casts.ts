/**
 * CAST between SQL types, one converter per (from, to) pair, built once per query. A value that
 * does not convert throws with a message naming the value and the target type; the compiled
 * expression turns that into a dead letter for the row (a plan never fails on data).
 *
 * Numbers follow DuckDB: DOUBLE/FLOAT -> INT/BIGINT rounds to the nearest integer, ties to even,
 * and refuses NaN, infinities and values out of range; STRING -> INT/BIGINT is parsed exactly
 * (no detour through a double), after trimming spaces, accepting a sign, a fraction or exponent
 * (rounded half away from zero, as DuckDB does for text) and 0x hex; STRING -> DOUBLE/FLOAT also
 * takes 'NaN', 'inf', '-inf' and 'Infinity' in any case. Booleans take PostgreSQL's spellings.
 * TIMESTAMP -> BIGINT is epoch milliseconds (TIMESTAMP -> INT is refused by the planner), and a
 * number cast to TIMESTAMP is read as epoch milliseconds (NaN or beyond ±8.64e15 is an error).
 */
import { intervalText, parseIntervalText } from '../common/interval-text.js';
import { dateOf, dateSqlText, parseDateText, parseTimeText, parseTimestampText, timeOf, timeSqlText, timestampSqlText } from '../common/timestamp-text.js';
import { T, mapTypes, typeToString, type DataType, type Decimal } from '../common/types.js';
import { fixedPointText, roundDecimal, toDecimal } from './decimals.js';
import { castNested } from './nested-values.js';
import { checkedMap, mapTextEntries, type MapEntry } from './map-values.js';
import { nestedTextCaster } from './nested-text.js';
import { fits, outOfRange, roundDouble, toBigint, toInt, type IntKind } from './integers.js';

export type Caster = (x: unknown) => unknown;

export function caster(from: DataType, to: DataType): Caster {
  switch (to.kind) {
    case 'INT':
    case 'BIGINT':
      return toInteger(from, to.kind);
    case 'FLOAT':
      return (x) => toFloat(toDouble(x));
    case 'DOUBLE':
      return to.decimal ? toDecimalCaster(from, to.decimal) : toDouble;
    case 'STRING':
      if (from.kind === 'FLOAT') return (x) => floatText(x as number);
      if (from.kind === 'DOUBLE' && from.decimal) {
        const scale = from.decimal.scale;
        return (x) => fixedPointText(x as number, scale);
      }
      if (from.kind === 'DOUBLE') return (x) => decimalText(x as number);
      if (from.kind === 'TIMESTAMP') return (x) => timestampSqlText(Number(x));
      if (from.kind === 'DATE') return (x) => dateSqlText(Number(x));
      if (from.kind === 'TIME') return (x) => timeSqlText(Number(x));
      if (from.kind === 'INTERVAL') return (x) => intervalText(Number(x));
      if (from.kind === 'BYTES') return (x) => bytesText(x as Uint8Array);
      // A list or struct as DuckDB writes it: [1, 2], {'a': x}.
      if (from.kind === 'ARRAY' || from.kind === 'STRUCT') return nestedTextCaster(from, (t) => caster(t, to));
      return (x) => (typeof x === 'object' ? JSON.stringify(x, bigintAsText) : String(x));
    case 'BOOLEAN':
      return toBoolean;
    case 'TIMESTAMP':
      return (x) => {
        if (typeof x === 'number' || typeof x === 'bigint') return epochMillis(x);
        const v = parseTimestampText(String(x));
        if (v === undefined) throw new Error(`cannot cast '${String(x)}' to TIMESTAMP: expected 'YYYY-MM-DD[ HH:MM:SS[.fff]]' with valid fields`);
        return v;
      };
    case 'DATE':
      // From a TIMESTAMP: its day (the time is cut off, as DuckDB does); from a DATE: itself.
      if (from.kind === 'TIMESTAMP' || from.kind === 'DATE') return (x) => dateOf(Number(x));
      return (x) => {
        const v = parseDateText(String(x));
        if (v === undefined) throw new Error(`cannot cast '${String(x)}' to DATE: expected 'YYYY-MM-DD' with valid fields`);
        return v;
      };
    case 'TIME':
      // From a TIMESTAMP: its time of day (UTC); from a TIME: itself.
      if (from.kind === 'TIMESTAMP') return (x) => timeOf(Number(x));
      if (from.kind === 'TIME') return (x) => x;
      return (x) => {
        const v = parseTimeText(String(x));
        if (v === undefined) throw new Error(`cannot cast '${String(x)}' to TIME: expected 'HH:MM:SS[.fff]' with valid fields`);
        return v;
      };
    case 'ARRAY': {
      const map = mapTypes(to);
      if (map) return mapCaster(from, to, map);
      // Elements are cast one by one when their type changes (ARRAY<INT> -> ARRAY<BIGINT> turns
      // numbers into bigints, so every BIGINT value in the executor is a bigint).
      const each = from.kind === 'ARRAY' && from.element.kind !== to.element.kind ? caster(from.element, to.element) : undefined;
      // JSON text is checked like a decoded JSON value; a declared length holds either way.
      return (x) => {
        if (typeof x === 'string') return castNested(x, to);
        const out = each ? Array.from(x as ArrayLike<unknown>, (v) => (v === null || v === undefined ? null : each(v))) : x;
        const n = (out as ArrayLike<unknown>).length;
        if (to.size !== undefined && n !== to.size) throw new Error(`cannot cast to ${typeToString(to)}: expected an array of ${to.size} elements, got ${n}`);
        return out;
      };
    }
    case 'STRUCT': {
      if (from.kind !== 'STRUCT') return (x) => (typeof x === 'string' ? castNested(x, to) : x);
      // Field by field, by name (as DuckDB): a field `from` lacks is NULL, one `to` lacks is left out.
      const fields = to.fields.map((f) => {
        const g = from.fields.find((x) => x.name.toLowerCase() === f.name.toLowerCase());
        return { name: f.name, source: g?.name, cast: g ? caster(g.type, f.type) : undefined };
      });
      return (x) => {
        const o = x as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const f of fields) {
          const v = f.source === undefined ? null : o[f.source];
          out[f.name] = v === null || v === undefined ? null : f.cast!(v);
        }
        return out;
      };
    }
    case 'INTERVAL':
      return from.kind === 'INTERVAL' ? (x) => x : textToInterval;
    case 'BYTES':
      return from.kind === 'STRING' ? (x) => textBytes(String(x)) : (x) => x;
    case 'NULL':
      return (x) => x;
  }
}

/**
 * Text as BYTES, as DuckDB reads it: each ASCII character its byte, `\xHH` the byte of two hex
 * digits; any other character is refused (write it as its UTF-8 bytes in `\x` escapes).
 */
function textBytes(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) {
      const hex = /^\\x([0-9a-fA-F]{2})/.exec(s.slice(i, i + 4));
      if (!hex) throw new Error(`cannot cast '${s.length > 40 ? `${s.slice(0, 40)}...` : s}' to BYTES: a backslash must start an escape \\xHH (two hex digits)`);
      out.push(parseInt(hex[1]!, 16));
      i += 3;
    } else if (c < 0x80) out.push(c);
    else throw new Error(`cannot cast '${s.length > 40 ? `${s.slice(0, 40)}...` : s}' to BYTES: '${String.fromCodePoint(s.codePointAt(i)!)}' is not ASCII; write its bytes as \\xHH escapes`);
  }
  return new Uint8Array(out);
}

/** BYTES as text, as DuckDB writes them: printable ASCII as it is, every other byte as `\xHH`. */
function bytesText(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c <= 0x7e && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
  return s;
}

/** Text as an INTERVAL (`'1 day 02:00:00'`, `'90 minutes'`): a fixed length, so no months. */
function textToInterval(x: unknown): number {
  const v = parseIntervalText(String(x));
  if (typeof v === 'string') throw new Error(`cannot cast '${String(x)}' to INTERVAL: expected e.g. '1 day 02:00:00' or '90 minutes'`);
  if (v.months !== 0) throw new Error(`cannot cast '${String(x)}' to INTERVAL: months and years have no fixed length to be an INTERVAL value`);
  if (!(Math.abs(v.millis) <= MAX_INTERVAL_MS)) throw new Error(`cannot cast '${String(x)}' to INTERVAL: out of range (±${MAX_INTERVAL_MS} ms)`);
  return v.millis;
}

/** JavaScript dates reach ±8.64e15 ms (about ±273,790 years); beyond that a TIMESTAMP cannot print. */
export const MAX_EPOCH_MS = 8.64e15;
/** An INTERVAL is a whole number of milliseconds, exact up to 2^53 - 1. */
export const MAX_INTERVAL_MS = Number.MAX_SAFE_INTEGER;

/**
 * Throws the error of TIMESTAMP or INTERVAL arithmetic `a op b` (milliseconds) whose result is
 * past the type's range (called only once it is known to be).
 */
export function temporalOverflow(kind: 'TIMESTAMP' | 'INTERVAL', op: string, a: unknown, b: unknown): never {
  const range = kind === 'TIMESTAMP' ? `±${MAX_EPOCH_MS} ms from 1970, the years -271821 to 275760` : `±${MAX_INTERVAL_MS} ms`;
  throw new Error(`${kind} out of range: ${String(a)} ${op} ${String(b)} (milliseconds) is outside ${range}`);
}

/** A number of epoch milliseconds as a TIMESTAMP value: whole, finite and within the range of a date. */
function epochMillis(x: number | bigint): number {
  const ms = typeof x === 'bigint' ? Number(x) : Math.trunc(x);
  if (!(ms >= -MAX_EPOCH_MS && ms <= MAX_EPOCH_MS)) throw new Error(`${String(x)} is out of range for TIMESTAMP (epoch milliseconds up to ±${MAX_EPOCH_MS})`);
  return ms;
}

function bigintAsText(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function toInteger(from: DataType, kind: IntKind): Caster {
  const exact = kind === 'INT' ? toInt : toBigint;
  switch (from.kind) {
    case 'INT':
    case 'BIGINT':
    case 'TIMESTAMP':
    case 'INTERVAL':
      return (x) => exact(x as number | bigint);
    case 'FLOAT':
    case 'DOUBLE':
      // A DECIMAL's ties round away from zero (2.5 is 3), as DuckDB; a DOUBLE's to even (2).
      if (from.kind === 'DOUBLE' && from.decimal) return (x) => roundDouble(roundDecimal(x as number, from.decimal!.scale, 0), kind);
      return (x) => roundDouble(x as number, kind);
    case 'BOOLEAN':
      return (x) => exact(x === true ? 1 : 0);
    default:
      return (x) => {
        if (typeof x === 'boolean') return exact(x ? 1 : 0);
        if (typeof x === 'number') return Number.isInteger(x) ? exact(x) : roundDouble(x, kind);
        if (typeof x === 'bigint') return exact(x);
        const v = parseIntegerText(String(x));
        if (v === undefined) throw new Error(`cannot cast '${String(x)}' to ${kind}`);
        // Out of range: name the text as written, not the digits it expands to.
        if (v === 'overflow' || !fits(v, kind)) throw outOfRange(String(x).trim(), kind);
        return exact(v);
      };
  }
}

/** Digits may be grouped by single underscores between them (`1_000.000_5`), as DuckDB reads numbers. */
const DECIMAL_TEXT = /^([+-]?)(\d+(?:_\d+)*)?(?:\.((?:\d+(?:_\d+)*)?))?(?:[eE]([+-]?\d+))?$/;
const HEX_TEXT = /^([+-]?)0[xX]([0-9a-fA-F]+)$/;

/**
 * The exact integer a text denotes, 'overflow' when it is far beyond any integer type, or
 * undefined when it is not a number. A fraction rounds half away from zero ('2.5' -> 3,
 * '-2.5' -> -3), as DuckDB casts text.
 */
export function parseIntegerText(text: string): bigint | 'overflow' | undefined {
  const s = text.trim();
  const hex = HEX_TEXT.exec(s);
  if (hex) return (hex[1] === '-' ? -1n : 1n) * BigInt(`0x${hex[2]}`);
  const m = DECIMAL_TEXT.exec(s);
  if (!m || (m[2] === undefined && !m[3])) return undefined;
  const int = (m[2] ?? '').replace(/_/g, '');
  const frac = (m[3] ?? '').replace(/_/g, '');
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  const shift = exp - frac.length;
  const digits = (int + frac).replace(/^0+(?=\d)/, '') || '0';
  // Beyond this many digits no value fits a BIGINT; refusing early keeps 10n ** shift small.
  if (digits !== '0' && digits.length + shift > 40) return 'overflow';
  const mantissa = BigInt(digits);
  let v: bigint;
  if (shift >= 0) v = mantissa * 10n ** BigInt(shift);
  else if (-shift > 40) v = 0n;
  else {
    const p = 10n ** BigInt(-shift);
    v = mantissa / p;
    if ((mantissa % p) * 2n >= p) v += 1n;
  }
  return m[1] === '-' ? -v : v;
}

const DOUBLE_TEXT = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const SPECIAL_DOUBLES: Readonly<Record<string, number>> = {
  nan: NaN, '+nan': NaN, '-nan': NaN,
  inf: Infinity, '+inf': Infinity, '-inf': -Infinity,
  infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity,
};

/**
 * To DECIMAL(p, s): rounded to `s` decimals half away from zero, from the exact digits of a DECIMAL
 * or of text (`CAST('1.005' AS DECIMAL(5, 2))` is 1.01), and an error past `p - s` whole digits.
 */
function toDecimalCaster(from: DataType, d: Decimal): Caster {
  const fromScale = from.kind === 'DOUBLE' ? from.decimal?.scale : from.kind === 'INT' || from.kind === 'BIGINT' ? 0 : undefined;
  if (fromScale !== undefined || from.kind === 'FLOAT' || from.kind === 'DOUBLE') return (x) => toDecimal(toDouble(x), d, fromScale);
  return (x) => {
    const v = typeof x === 'string' && !DOUBLE_TEXT.test(x.trim()) ? NaN : toDouble(x);
    if (Number.isNaN(v)) throw new Error(`cannot cast '${String(x)}' to DECIMAL(${d.precision},${d.scale})`);
    const text = typeof x === 'string' ? x.trim().replace(/_/g, '') : '';
    const digits = /^[+-]?\d*\.(\d+)$/.exec(text)?.[1]?.length;
    return toDecimal(v, d, digits === undefined ? undefined : Math.min(digits, 38));
  };
}

function toDouble(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'boolean') return x ? 1 : 0;
  const s = String(x).trim();
  const special = SPECIAL_DOUBLES[s.toLowerCase()];
  if (special !== undefined) return special;
  if (!DOUBLE_TEXT.test(s)) throw new Error(`cannot cast '${String(x)}' to DOUBLE`);
  return Number(s.includes('_') ? s.replace(/_/g, '') : s);
}

const FLOAT_MAX = 3.4028234663852886e38;

function toFloat(x: number): number {
  const f = Math.fround(x);
  if (Number.isFinite(x) && !Number.isFinite(f) && Math.abs(x) > FLOAT_MAX) throw outOfRange(x, 'FLOAT');
  return f;
}

const TRUE_TEXT = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_TEXT = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/**
 * A FLOAT as the shortest text that reads back as the same 32-bit value, as DuckDB prints it
 * (CAST(CAST(0.1 AS FLOAT) AS STRING) is '0.1', not the double '0.10000000149011612').
 */
function floatText(x: number): string {
  if (!Number.isFinite(x)) return decimalText(x);
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(x.toPrecision(digits));
    if (Math.fround(shorter) === x) return decimalText(shorter);
  }
  return decimalText(Number(x.toPrecision(9)));
}

/**
 * A DOUBLE as DuckDB writes it: the shortest digits that read back as the same value, in plain
 * notation with at least one decimal ('100.0') for exponents from -5 to 15, else as '1e+16' or
 * '1.5e-05'; 'nan', 'inf' and '-inf'.
 */
function decimalText(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (e < -4 || e >= 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${frac}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, '0');
  const frac = digits.slice(e + 1);
  return `${sign}${whole}.${frac || '0'}`;
}

function toBoolean(x: unknown): boolean {
  if (typeof x === 'boolean') return x;
  if (typeof x === 'number') return x !== 0;
  if (typeof x === 'bigint') return x !== 0n;
  const s = String(x).trim().toLowerCase();
  if (TRUE_TEXT.has(s)) return true;
  if (FALSE_TEXT.has(s)) return false;
  throw new Error(`cannot cast '${String(x)}' to BOOLEAN: expected one of true/false, t/f, yes/no, y/n, on/off, 1/0`);
}

/**
 * CAST to a MAP: of a MAP, each key and value cast to the new types (keys that become equal fail
 * the row); of text, DuckDB's `{k=v, ...}` with each key and value cast from its text, or JSON
 * (an object, or a list of {"key": ..., "value": ...}).
 */
function mapCaster(from: DataType, to: DataType, map: { readonly key: DataType; readonly value: DataType }): Caster {
  const source = mapTypes(from);
  const [fromKey, fromValue] = source ? [source.key, source.value] : [T.STRING, T.STRING];
  const key = caster(fromKey, map.key);
  const value = caster(fromValue, map.value);
  const each = (entries: readonly { key: unknown; value: unknown }[]): MapEntry[] =>
    checkedMap(
      entries.map((e) => ({ key: e.key === null || e.key === undefined ? null : key(e.key), value: e.value === null || e.value === undefined ? null : value(e.value) })),
      `CAST to ${typeToString(to)}`,
    );
  if (source) return (x) => each(x as readonly MapEntry[]);
  return (x) => {
    const entries = mapTextEntries(String(x));
    return entries ? each(entries) : castNested(String(x), to as Extract<DataType, { kind: 'ARRAY' }>);
  };
}
