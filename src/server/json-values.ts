/**
 * Converts engine values into JSON-safe values: typed arrays become arrays, bytes become base64,
 * dates ISO text; TIMESTAMP columns are written by the writers of timestamps.ts. BIGINT stays a bigint, which `stringifyExactJson` (the server's serializer)
 * writes as a JSON number with every digit: 9007199254740993 is never rounded to ...992.
 */
import { parseExactJson } from '../common/exact-json.js';
import type { QueryInfo, RowError, StatementResult } from '../engine/types.js';
import type { JsonValue } from './json-value.js';
import { columnWriters, type TimestampFormat, type ValueWriter } from './timestamps.js';

export type { JsonValue } from './json-value.js';

export function toJsonValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return v;
    case 'object':
      return objectToJson(v);
    default:
      return String(v);
  }
}

function objectToJson(v: object): JsonValue {
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array || v instanceof Buffer) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (ArrayBuffer.isView(v)) {
    const items: unknown[] = Array.from(v as unknown as ArrayLike<unknown>);
    return items.map(toJsonValue);
  }
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toJsonValue(x)]));
  const out: { [key: string]: JsonValue } = {};
  for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x);
  return out;
}

/** A row as JSON; `writers` (one per column, see timestamps.ts) write its TIMESTAMP values first. */
export function rowToJson(values: readonly unknown[], writers?: readonly ValueWriter[]): JsonValue[] {
  return writers === undefined ? values.map(toJsonValue) : values.map((v, i) => toJsonValue(writers[i] ? writers[i](v) : v));
}

/** The JSON form of a finished statement's result. Push results are never passed here. */
export function resultToJson(r: Exclude<StatementResult, { kind: 'push' }>, timestamps: TimestampFormat = 'iso'): JsonValue {
  switch (r.kind) {
    case 'ok':
      return { kind: 'ok', statement: r.statement, message: r.message };
    case 'rows':
      return {
        kind: 'rows',
        statement: r.statement,
        columns: r.columns.map((c) => ({ name: c.name, type: c.type })),
        rows: ((writers) => r.rows.map((row) => rowToJson(row, writers)))(columnWriters(r.columns, timestamps)),
        ...(r.errors ? { errors: r.errors.map(rowErrorToJson) } : {}),
      };
    case 'explain':
      return { kind: 'explain', statement: r.statement, text: r.text };
  }
}

/** A failed row of a pull query: `{reason, operator, row}` with the row as a JSON object. */
export function rowErrorToJson(e: RowError): JsonValue {
  let row: JsonValue;
  try {
    row = parseExactJson(e.row) as JsonValue;
  } catch {
    row = e.row;
  }
  return { reason: e.reason, operator: e.operator, row };
}

export function queryInfoToJson(q: QueryInfo): JsonValue {
  return toJsonValue(q);
}
