/**
 * JSON values of Kafka records, to and from columns.
 *
 * Decoding checks every value against the declared SQL type, so a record either becomes a row
 * whose values fit their columns or is reported (with the reason) for the dead-letter stream —
 * never half-decoded. Encoding writes one JSON object per row, keyed by output column name.
 */
import type { RecordBatch } from 'apache-arrow';
import { assertNever } from '../../common/errors.js';
import { parseExactJson, stringifyExactJson } from '../../common/exact-json.js';
import { parseTimestampText } from '../../common/timestamp-text.js';
import type { DataType, Field } from '../../common/types.js';
import { makeBatch, readColumn, plain } from '../../exec/columns.js';
import { BIGINT_MAX, BIGINT_MIN, INT_MAX, INT_MIN } from '../../exec/integers.js';

/** Why a value does not fit its declared type. */
class Misfit {
  constructor(readonly reason: string) {}
}


/**
 * Checks and converts one JSON value to the executor's representation of `t` (bigints for
 * BIGINT, numbers for other numeric and TIMESTAMP columns, Uint8Array for BYTES).
 * `undefined`/null mean SQL NULL.
 */
function coerce(t: DataType, v: unknown, path: string): unknown {
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
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
      return new Misfit(`${path}: expected ${t.kind}, got ${show(v)}`);
    case 'FLOAT':
    case 'DOUBLE':
      if (typeof v === 'bigint') return Number(v);
      return typeof v === 'number' ? v : new Misfit(`${path}: expected ${t.kind}, got ${show(v)}`);
    case 'STRING':
      return typeof v === 'string' ? v : new Misfit(`${path}: expected STRING, got ${show(v)}`);
    case 'BYTES':
      return typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : new Misfit(`${path}: expected BYTES as a base64 string, got ${show(v)}`);
    case 'TIMESTAMP': {
      if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
      if (typeof v === 'string') {
        // Field by field: Date.parse would read 2024-02-30 as March 1.
        const ms = parseTimestampText(v);
        if (ms !== undefined) return ms;
      }
      return new Misfit(`${path}: expected TIMESTAMP (epoch milliseconds or ISO-8601 text), got ${show(v)}`);
    }
    case 'ARRAY': {
      if (!Array.isArray(v)) return new Misfit(`${path}: expected ${t.size === undefined ? 'an array' : `an array of ${t.size}`}, got ${show(v)}`);
      if (t.size !== undefined && v.length !== t.size) return new Misfit(`${path}: expected an array of ${t.size} elements, got ${v.length}`);
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        const x = coerce(t.element, v[i], `${path}[${i}]`);
        if (x instanceof Misfit) return x;
        out[i] = x;
      }
      return out;
    }
    case 'STRUCT': {
      if (typeof v !== 'object' || Array.isArray(v)) return new Misfit(`${path}: expected an object, got ${show(v)}`);
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of t.fields) {
        const x = coerce(f.type, o[f.name], `${path}.${f.name}`);
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

function show(v: unknown): string {
  const s = stringifyExactJson(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** One record to decode: its JSON value bytes (null for a tombstone) and its timestamp (ms). */
export interface RawRecord {
  readonly value: Buffer | null;
  readonly timestamp: number;
}

export interface DecodeResult {
  readonly batch: RecordBatch;
  /** Indexes (into the input records) of the rows of `batch`, in order. */
  readonly kept: number[];
  /** Records that did not decode, with the reason. */
  readonly rejected: { readonly index: number; readonly reason: string }[];
}

/**
 * Decodes the JSON values of `records` into one batch of `fields`, once per fetched batch.
 * `recordTimeColumn`, when set, is filled from the record timestamp instead of the JSON value.
 */
export function decodeJsonRecords(fields: readonly Field[], records: readonly RawRecord[], recordTimeColumn?: number): DecodeResult {
  const cols: unknown[][] = fields.map(() => []);
  const kept: number[] = [];
  const rejected: { index: number; reason: string }[] = [];
  const row = new Array<unknown>(fields.length);
  for (let r = 0; r < records.length; r++) {
    const rec = records[r]!;
    const reason = decodeInto(fields, rec.value, rec.timestamp, recordTimeColumn, row);
    if (reason !== undefined) {
      rejected.push({ index: r, reason });
      continue;
    }
    for (let c = 0; c < fields.length; c++) cols[c]!.push(row[c]);
    kept.push(r);
  }
  return { batch: makeBatch(fields, cols, kept.length), kept, rejected };
}

/** Each row of `batch` as a JSON object keyed by field name. */
export function rowsAsJson(batch: RecordBatch, fields: readonly Field[]): string[] {
  const cols = fields.map((f, i) => readColumn(batch, i, f.type));
  const out = new Array<string>(batch.numRows);
  for (let r = 0; r < batch.numRows; r++) {
    const o: Record<string, unknown> = {};
    for (let c = 0; c < fields.length; c++) o[fields[c]!.name] = jsonValue(plain(cols[c]![r]));
    out[r] = stringifyExactJson(o);
  }
  return out;
}

/** BYTES become base64 text so that decoding them again gives the same bytes; BIGINT stays exact. */
function jsonValue(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

/** Decodes one JSON object to row values of `fields` (table rows), or the reason it does not fit. */
export function decodeJsonRow(fields: readonly Field[], value: Buffer): { values: unknown[] } | { error: string } {
  const row = new Array<unknown>(fields.length);
  const reason = decodeInto(fields, value, 0, undefined, row);
  return reason === undefined ? { values: row } : { error: reason };
}

/** Fills `row` from one record; returns why the record does not fit, or undefined. */
function decodeInto(fields: readonly Field[], value: Buffer | null, timestamp: number, recordTimeColumn: number | undefined, row: unknown[]): string | undefined {
  if (value === null) return 'record has no value (a tombstone); a stream expects a JSON object';
  let obj: unknown;
  try {
    obj = parseExactJson(value.toString('utf8'));
  } catch (err) {
    return `value is not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return `value must be a JSON object, got ${show(obj)}`;
  const o = obj as Record<string, unknown>;
  for (let c = 0; c < fields.length; c++) {
    const f = fields[c]!;
    const x = c === recordTimeColumn ? timestamp : coerce(f.type, o[f.name], f.name);
    if (x instanceof Misfit) return x.reason;
    if (x === null && !f.nullable) return `${f.name}: missing or NULL in a NOT NULL column`;
    row[c] = x;
  }
  return undefined;
}
