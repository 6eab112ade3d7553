/**
 * JSON values of Kafka records, to and from columns.
 *
 * Decoding checks every value against the declared SQL type, so a record either becomes a row
 * whose values fit their columns or is reported (with the reason) for the dead-letter stream —
 * never half-decoded. Encoding writes one JSON object per row, keyed by output column name.
 */
import type { RecordBatch } from 'apache-arrow';
import { checkJsonDepth, parseExactJson, stringifyExactJson } from '../../common/exact-json.js';
import { dateSqlText, timeSqlText } from '../../common/timestamp-text.js';
import type { DataType, Field } from '../../common/types.js';
import { makeBatch, readColumn, plain } from '../../exec/columns.js';
import { coerceJson as coerce, Misfit, show } from '../../exec/nested-values.js';
import type { RowChecker } from '../../exec/row-constraints.js';

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
 * The relation's constraints a source applies (see exec/row-constraints.ts): records are decoded
 * with the relation's whole schema, DEFAULTs fill the columns they leave out, rows that break a
 * CHECK are rejected, and the batch holds the relation's `columns` (the source's fields).
 */
export interface DecodeConstraints {
  readonly checker: RowChecker;
  readonly columns: readonly number[];
}

/**
 * Decodes the JSON values of `records` into one batch of `fields`, once per fetched batch.
 * `recordTimeColumn`, when set, is filled from the record timestamp instead of the JSON value.
 */
export function decodeJsonRecords(fields: readonly Field[], records: readonly RawRecord[], recordTimeColumn?: number, constraints?: DecodeConstraints): DecodeResult {
  const schema = constraints ? constraints.checker.spec.schema : fields;
  const timeColumn = constraints && recordTimeColumn !== undefined ? constraints.columns[recordTimeColumn] : recordTimeColumn;
  const defaults = constraints?.checker.defaults;
  const cols: unknown[][] = schema.map(() => []);
  let kept: number[] = [];
  const rejected: { index: number; reason: string }[] = [];
  const row = new Array<unknown>(schema.length);
  for (let r = 0; r < records.length; r++) {
    const rec = records[r]!;
    const reason = decodeInto(schema, rec.value, rec.timestamp, timeColumn, row, defaults);
    if (reason !== undefined) {
      rejected.push({ index: r, reason });
      continue;
    }
    for (let c = 0; c < schema.length; c++) cols[c]!.push(row[c]);
    kept.push(r);
  }
  if (!constraints) return { batch: makeBatch(fields, cols, kept.length), kept, rejected };
  let rows = cols;
  const violations = constraints.checker.violations(makeBatch(schema, cols, kept.length));
  if (violations.size > 0) {
    const keep = (_: unknown, i: number) => !violations.has(i);
    for (const [i, reason] of violations) rejected.push({ index: kept[i]!, reason });
    rejected.sort((a, b) => a.index - b.index);
    rows = cols.map((c) => c.filter(keep));
    kept = kept.filter(keep);
  }
  return { batch: makeBatch(fields, constraints.columns.map((c) => rows[c]!), kept.length), kept, rejected };
}

/**
 * Each row of `batch` as a JSON object keyed by field name, as `stringifyExactJson` writes it,
 * built column by column: scalars are written directly, nested values go through the generic path.
 */
export function rowsAsJson(batch: RecordBatch, fields: readonly Field[]): string[] {
  const n = batch.numRows;
  const out = new Array<string>(n).fill('{');
  for (let c = 0; c < fields.length; c++) {
    const f = fields[c]!;
    const prefix = `${c === 0 ? '' : ','}${JSON.stringify(f.name)}:`;
    const values = readColumn(batch, c, f.type);
    const text = jsonText(f.type);
    for (let r = 0; r < n; r++) out[r] += prefix + text(values[r]);
  }
  for (let r = 0; r < n; r++) out[r] += '}';
  return out;
}

/** Writes one column value of `type` as JSON text. */
function jsonText(type: DataType): (v: unknown) => string {
  switch (type.kind) {
    case 'INT':
    case 'FLOAT':
    case 'DOUBLE':
    case 'TIMESTAMP':
    case 'INTERVAL':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : anyJsonText(v));
    case 'BIGINT':
      return (v) => (typeof v === 'bigint' ? v.toString() : anyJsonText(v));
    case 'DATE':
      // As text: a number would not say whether it counts days or milliseconds.
      return (v) => (typeof v === 'number' ? `"${dateSqlText(v)}"` : anyJsonText(v));
    case 'TIME':
      return (v) => (typeof v === 'number' ? `"${timeSqlText(v)}"` : anyJsonText(v));
    case 'STRING':
      return (v) => (typeof v === 'string' ? JSON.stringify(v) : anyJsonText(v));
    default:
      return anyJsonText;
  }
}

function anyJsonText(v: unknown): string {
  return stringifyExactJson(jsonValue(plain(v)));
}

/** BYTES become base64 text so that decoding them again gives the same bytes; BIGINT stays exact. */
function jsonValue(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  // JSON has no NaN or infinities; JSON.stringify would write null. The HTTP API writes them the same way.
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/** Decodes one JSON object to row values of `fields` (table rows), or the reason it does not fit. */
export function decodeJsonRow(fields: readonly Field[], value: Buffer, defaults?: readonly unknown[]): { values: unknown[] } | { error: string } {
  const row = new Array<unknown>(fields.length);
  const reason = decodeInto(fields, value, 0, undefined, row, defaults);
  return reason === undefined ? { values: row } : { error: reason };
}

/**
 * Fills `row` from one record; returns why the record does not fit, or undefined. The text is
 * read by `JSON.parse` first: a row that fits that way holds what the exact parse would give
 * (see `coerceJson`), and only a record that does not fit (a BIGINT beyond 2^53, or a misfit
 * whose reason shows the value as written) is parsed again exactly.
 */
function decodeInto(fields: readonly Field[], value: Buffer | null, timestamp: number, recordTimeColumn: number | undefined, row: unknown[], defaults?: readonly unknown[]): string | undefined {
  if (value === null) return 'record has no value (a tombstone); a stream expects a JSON object';
  const text = value.toString('utf8');
  const quick = parseOrUndefined(text);
  if (quick !== undefined && fillRow(fields, quick, timestamp, recordTimeColumn, row, defaults) === undefined) return undefined;
  let obj: unknown;
  try {
    obj = parseExactJson(text);
  } catch (err) {
    return `value is not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
  }
  return fillRow(fields, obj, timestamp, recordTimeColumn, row, defaults);
}

/** `JSON.parse` of `text`, or undefined where it is not JSON (the exact parse then says where). */
function parseOrUndefined(text: string): unknown {
  try {
    checkJsonDepth(text);
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Fills `row` from one parsed JSON value (an object keyed by field name); returns why it does
 * not fit `fields`, or undefined. Used for Kafka records and rows posted over HTTP alike. A
 * column the object leaves out takes its value in `defaults` (a column's DEFAULT), if any, else
 * NULL; a column given as null is NULL.
 */
export function fillRow(fields: readonly Field[], obj: unknown, timestamp: number, recordTimeColumn: number | undefined, row: unknown[], defaults?: readonly unknown[]): string | undefined {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return `value must be a JSON object, got ${show(obj)}`;
  const o = obj as Record<string, unknown>;
  let matched = false;
  for (let c = 0; c < fields.length; c++) {
    const f = fields[c]!;
    // A JSON value is never a function: one is Object.prototype's (a column named toString).
    let given = o[f.name];
    if (typeof given === 'function') given = undefined;
    if (given !== undefined) matched = true;
    const d = given === undefined ? defaults?.[c] : undefined;
    const x = c === recordTimeColumn ? timestamp : d !== undefined ? d : coerce(f.type, given, f.name);
    if (x instanceof Misfit) return x.reason;
    if (x === null && !f.nullable) return `${f.name}: missing or NULL in a NOT NULL column`;
    row[c] = x;
  }
  // An object none of whose keys is a column (`{"rows": [...]}`, `{"ID": 4}` for a column id) is
  // a mistake, not a row of NULLs; `{}` is a row of defaults.
  if (!matched) {
    const keys = Object.keys(o);
    if (keys.length > 0) {
      const shown = keys.slice(0, 5).map((k) => JSON.stringify(k)).join(', ') + (keys.length > 5 ? ', ...' : '');
      const columns = fields.filter((_, c) => c !== recordTimeColumn).map((f) => f.name);
      return `none of the object's keys (${shown}) is a column: expected ${columns.slice(0, 8).join(', ')}${columns.length > 8 ? ', ...' : ''} (names match exactly, as declared)`;
    }
  }
  return undefined;
}
