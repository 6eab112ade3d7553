/**
 * Between Arrow and the executor's loops. Operators pass Arrow RecordBatches; compiled
 * expressions read columns as plain arrays: a typed array when the column has no nulls and a
 * numeric type, otherwise a JS array holding `null` for nulls.
 *
 * Value representation (an invariant every operator relies on): INT, FLOAT and DOUBLE are JS
 * numbers; BIGINT is a JS bigint (a BigInt64Array straight from Arrow when there are no nulls),
 * so it is exact over the whole 64-bit range — a double holds integers exactly only up to 2^53,
 * and the per-row cost of bigint is paid by BIGINT columns alone. TIMESTAMP, DATE and INTERVAL
 * are milliseconds as JS numbers (exact for ±285,000 years). Decoded columns are cached per
 * Arrow Data object, so a column decoded by one operator is not decoded again by the next.
 */
import * as A from 'apache-arrow';
import { assertNever } from '../common/errors.js';
import type { DataType, Field } from '../common/types.js';
import { toScale } from './decimals.js';

export type Values = ArrayLike<unknown>;

const decoded = new WeakMap<A.Data, Values>();

export function arrowType(t: DataType): A.DataType {
  switch (t.kind) {
    case 'BOOLEAN':
      return new A.Bool();
    case 'INT':
      return new A.Int32();
    case 'BIGINT':
    case 'INTERVAL':
      return new A.Int64();
    case 'FLOAT':
      return new A.Float32();
    case 'DOUBLE':
      return new A.Float64();
    case 'STRING':
      return new A.Utf8();
    case 'BYTES':
      return new A.Binary();
    case 'TIMESTAMP':
      return new A.TimestampMillisecond();
    case 'DATE':
      return new A.DateMillisecond();
    case 'TIME':
      return new A.TimeMillisecond();
    case 'ARRAY':
      return new A.List(new A.Field('item', arrowType(t.element), true));
    case 'STRUCT':
      return new A.Struct(t.fields.map((f) => new A.Field(f.name, arrowType(f.type), true)));
    case 'NULL':
      return new A.Null();
    default:
      return assertNever(t, 'type');
  }
}

/** The Arrow schema made for each list of fields, with the fields it was made from. */
const schemas = new WeakMap<readonly Field[], { readonly fields: readonly Field[]; readonly schema: A.Schema }>();

/**
 * The Arrow schema of `fields`. Operators pass the same list for every batch, so its schema is
 * made once and shared by their batches (building one costs more than a small batch's data).
 */
export function arrowSchema(fields: readonly Field[]): A.Schema {
  const hit = schemas.get(fields);
  if (hit && hit.fields.length === fields.length && hit.fields.every((f, i) => f === fields[i])) return hit.schema;
  const schema = new A.Schema(fields.map((f) => new A.Field(f.name, arrowType(f.type), true)));
  schemas.set(fields, { fields: [...fields], schema });
  return schema;
}

/** Reads column `i` of a batch as plain values (see module doc). */
export function readColumn(batch: A.RecordBatch, i: number, t: DataType): Values {
  const data = batch.data.children[i]!;
  const hit = decoded.get(data);
  if (hit) return hit;
  const v = A.makeVector(data);
  const out = decode(v, t);
  decoded.set(data, out);
  return out;
}

/**
 * The values of column `i` of `batch` at `indexes`, as `readColumn` reads them: of a string
 * column not decoded yet, only those rows are decoded.
 */
export function readColumnAt(batch: A.RecordBatch, i: number, t: DataType, indexes: ArrayLike<number>, count = indexes.length): Values {
  const data = batch.data.children[i]!;
  if (t.kind === 'STRING' && count < data.length && !decoded.has(data)) return utf8StringsAt(data, indexes, count);
  return gather(readColumn(batch, i, t), indexes, count);
}

function decode(v: A.Vector, t: DataType): Values {
  const n = v.length;
  switch (t.kind) {
    case 'INT':
    case 'TIME':
    case 'FLOAT':
    case 'DOUBLE': {
      const arr = v.toArray() as Int32Array | Float32Array | Float64Array;
      if (v.nullCount === 0) return arr;
      return Array.from({ length: n }, (_, i) => (v.isValid(i) ? arr[i] : null));
    }
    case 'BIGINT': {
      // BIGINT stays bigint so values beyond 2^53 stay exact (see module doc).
      const arr = v.toArray() as BigInt64Array;
      if (v.nullCount === 0) return arr;
      return Array.from({ length: n }, (_, i) => (v.isValid(i) ? arr[i]! : null));
    }
    case 'INTERVAL':
    case 'TIMESTAMP':
    case 'DATE': {
      const arr = v.toArray() as BigInt64Array;
      if (v.nullCount === 0) {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = Number(arr[i]);
        return out;
      }
      return Array.from({ length: n }, (_, i) => (v.isValid(i) ? Number(arr[i]) : null));
    }
    case 'STRING':
      return v.data.length === 1 ? utf8Strings(v.data[0]!) : (v.toArray() as (string | null)[]);
    case 'ARRAY': {
      const out = new Array<unknown>(n);
      const data = v.data.length === 1 ? v.data[0]! : undefined;
      const child = data?.children[0];
      if (data && child && v.nullCount === 0 && child.nullCount === 0 && isNumericElement(t.element)) {
        // Views into the child buffer: no copy per row.
        const offs = data.valueOffsets as Int32Array;
        const values = A.makeVector(child).toArray() as Float32Array;
        for (let i = 0; i < n; i++) out[i] = values.subarray(offs[i]!, offs[i + 1]!);
        return out;
      }
      if (isNested(t.element)) {
        for (let i = 0; i < n; i++) out[i] = plainValue(v.get(i), t);
        return out;
      }
      for (let i = 0; i < n; i++) {
        const x = v.get(i) as A.Vector | null;
        // toArray() of a numeric vector reads a NULL element as 0; iteration keeps it NULL.
        out[i] = x === null ? null : x.nullCount > 0 ? Array.from(x as Iterable<unknown>, (e) => e ?? null) : x.toArray();
      }
      return out;
    }
    case 'STRUCT': {
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = plainValue(v.get(i), t);
      return out;
    }
    case 'BOOLEAN':
    case 'BYTES':
    case 'NULL': {
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = v.get(i) ?? null;
      return out;
    }
    default:
      return assertNever(t, 'type');
  }
}

const isNested = (t: DataType): boolean => t.kind === 'ARRAY' || t.kind === 'STRUCT';

/**
 * A value read from a nested Arrow column as the executor holds it: lists as arrays, structs (a
 * MAP's entries too) as plain objects, all the way down, with the scalar conventions of
 * top-level columns (times as numbers). Arrow gives row proxies and vectors, which cannot be
 * cloned or serialised as state.
 */
function plainValue(x: unknown, t: DataType): unknown {
  if (x === null || x === undefined) return null;
  switch (t.kind) {
    case 'ARRAY':
      return Array.from(x as Iterable<unknown>, (e) => plainValue(e, t.element));
    case 'STRUCT': {
      const row = x as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of t.fields) out[f.name] = plainValue(row[f.name], f.type);
      return out;
    }
    case 'TIMESTAMP':
    case 'DATE':
    case 'INTERVAL':
      return Number(x);
    default:
      return x;
  }
}

/**
 * The strings of a Utf8 column. Arrow's own decoding runs a TextDecoder per value; here an
 * all-ASCII column is decoded once and cut with substring, and other text per value natively
 * (about ten times faster for short strings).
 */
function utf8Strings(d: A.Data): (string | null)[] {
  const n = d.length;
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = offs[0]!;
  const last = offs[n]!;
  let ascii = true;
  for (let i = first; i < last; i++) {
    if (bytes[i]! > 0x7f) {
      ascii = false;
      break;
    }
  }
  const out = new Array<string | null>(n);
  if (ascii) {
    const all = buf.toString('latin1', first, last);
    for (let i = 0; i < n; i++) out[i] = all.substring(offs[i]! - first, offs[i + 1]! - first);
  } else {
    for (let i = 0; i < n; i++) out[i] = buf.toString('utf8', offs[i]!, offs[i + 1]!);
  }
  const bitmap = d.nullCount > 0 ? d.nullBitmap : undefined;
  if (bitmap) {
    for (let i = 0; i < n; i++) {
      const bit = d.offset + i;
      if (((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0) out[i] = null;
    }
  }
  return out;
}

/** The strings of a Utf8 column at `indexes` (see utf8Strings; UTF-8 reads ASCII as latin1 does). */
function utf8StringsAt(d: A.Data, indexes: ArrayLike<number>, count: number): (string | null)[] {
  const offs = d.valueOffsets as Int32Array;
  const bytes = d.values as Uint8Array;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bitmap = d.nullCount > 0 ? d.nullBitmap : undefined;
  const out = new Array<string | null>(count);
  for (let j = 0; j < count; j++) {
    const i = indexes[j]!;
    const bit = d.offset + i;
    out[j] = bitmap && ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0 ? null : buf.toString('utf8', offs[i]!, offs[i + 1]!);
  }
  return out;
}

/** Builds an Arrow column of type `t` from plain values (null = SQL NULL). */
export function buildData(t: DataType, values: Values, length: number): A.Data {
  const data = build(t, values, length);
  // BIGINT may be built from numbers (generators, older callers); readers must get bigints, so
  // only a BigInt64Array is kept as the decoded form and anything else is decoded again.

  if (t.kind !== 'BIGINT' || values instanceof BigInt64Array) decoded.set(data, values);
  return data;
}

/**
 * Like buildData, but a value the column cannot hold (an exception from Arrow or a BigInt
 * conversion) fails only its row: `bad` maps each such row to the reason, and the column holds
 * NULL there. The caller sends those rows to the dead-letter stream and leaves them out.
 */
export function buildDataChecked(t: DataType, values: Values, length: number): { data: A.Data; bad: Map<number, string> } {
  const bad = new Map<number, string>();
  try {
    return { data: buildData(t, values, length), bad };
  } catch {
    // Rare: find the offending rows one by one, then build the rest.
  }
  const cleaned = new Array<unknown>(length);
  for (let i = 0; i < length; i++) {
    try {
      build(t, [values[i]], 1);
      cleaned[i] = values[i];
    } catch (e) {
      bad.set(i, `cannot store ${describeValue(values[i])} as ${t.kind}: ${e instanceof Error ? e.message : String(e)}`);
      cleaned[i] = null;
    }
  }
  return { data: buildData(t, cleaned, length), bad };
}

function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return String(v);
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function build(t: DataType, values: Values, n: number): A.Data {
  switch (t.kind) {
    case 'INT':
      return numeric(new A.Int32(), Int32Array, values, n);
    case 'TIME':
      return numeric(new A.TimeMillisecond(), Int32Array, values, n);
    case 'FLOAT':
      return numeric(new A.Float32(), Float32Array, values, n);
    case 'DOUBLE':
      // A DECIMAL column holds values at its scale, however they were summed (see decimals.ts).
      return numeric(new A.Float64(), Float64Array, t.decimal ? atScale(values, n, t.decimal.scale) : values, n);
    case 'BIGINT':
    case 'INTERVAL':
    case 'TIMESTAMP':
    case 'DATE': {
      const type = arrowType(t);
      if (values instanceof BigInt64Array && values.length === n) {
        return A.makeData({ type, length: n, nullCount: 0, data: values } as never) as A.Data;
      }
      const out = new BigInt64Array(n);
      const words = LITTLE_ENDIAN ? new Int32Array(out.buffer) : undefined;
      const { bitmap, nulls } = validity(values, n);
      for (let i = 0; i < n; i++) {
        const x = values[i];
        if (x === null || x === undefined) continue;
        if (typeof x === 'bigint') {
          // A 64-bit slot would keep the low bits of a larger value: refused (buildDataChecked names the row).
          if (x > INT64_MAX || x < INT64_MIN) throw new RangeError(`${x} is outside the 64-bit range`);
          out[i] = x;
          continue;
        }
        const v = Math.trunc(x as number);
        // A safe integer is written as its two 32-bit halves: no bigint is made per row.
        if (words && Number.isSafeInteger(v)) {
          words[2 * i] = v >>> 0;
          words[2 * i + 1] = Math.floor(v / 4294967296);
        } else {
          if (!(v >= -9223372036854775808 && v < 9223372036854775808)) throw new RangeError(`${v} is outside the 64-bit range`);
          out[i] = BigInt(v);
        }
      }
      return A.makeData({ type, length: n, nullCount: nulls, nullBitmap: bitmap, data: out } as never) as A.Data;
    }
    case 'STRING':
      return buildUtf8(values, n);
    case 'ARRAY':
      if (isNumericElement(t.element)) {
        const fast = buildNumericList(t.element, values, n);
        if (fast) return fast;
      }
      return buildGeneric(t, values, n);
    case 'BOOLEAN':
    case 'BYTES':
    case 'STRUCT':
    case 'NULL':
      return buildGeneric(t, values, n);
    default:
      return assertNever(t, 'type');
  }
}

function buildGeneric(t: DataType, values: Values, n: number): A.Data {
  {
    {
      const arr = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        const x = values[i];
        arr[i] = x === undefined ? null : t.kind === 'ARRAY' && x !== null && !Array.isArray(x) ? Array.from(x as ArrayLike<unknown>) : x;
      }
      return A.vectorFromArray(arr, arrowType(t) as never).data[0] as A.Data;
    }
  }
}

function isNumericElement(t: DataType): boolean {
  return t.kind === 'FLOAT' || t.kind === 'DOUBLE' || t.kind === 'INT';
}

const encoder = new TextEncoder();

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Utf8 column built straight into one byte buffer with offsets. */
function buildUtf8(values: Values, n: number): A.Data {
  const offsets = new Int32Array(n + 1);
  let bytes = new Uint8Array(Math.max(64, n * 16));
  let pos = 0;
  let nulls = 0;
  let bitmap: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x === null || x === undefined) {
      nulls++;
      bitmap ??= new Uint8Array((n + 7) >> 3).fill(0xff);
      bitmap[i >> 3]! &= ~(1 << (i & 7));
    } else {
      const str = typeof x === 'string' ? x : String(x);
      const len = str.length;
      if (pos + len * 3 > bytes.length) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, pos + len * 3));
        grown.set(bytes.subarray(0, pos));
        bytes = grown;
      }
      // ASCII is copied code unit by code unit (short strings are most keys and labels); the
      // first other character hands the whole string to the encoder.
      let k = 0;
      while (k < len) {
        const c = str.charCodeAt(k);
        if (c > 0x7f) break;
        bytes[pos + k] = c;
        k++;
      }
      pos += k === len ? len : encoder.encodeInto(str, bytes.subarray(pos)).written;
    }
    offsets[i + 1] = pos;
  }
  return A.makeData({ type: new A.Utf8(), length: n, nullCount: nulls, nullBitmap: bitmap, valueOffsets: offsets, data: bytes.subarray(0, pos) } as never) as A.Data;
}

/** A Utf8 column of `n` strings without nulls: string i is bytes[offsets[i] .. offsets[i + 1]). */
export function utf8Data(offsets: Int32Array, bytes: Uint8Array, n: number): A.Data {
  return A.makeData({ type: new A.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: bytes } as never) as A.Data;
}

/** List<number> built from arrays of numbers; undefined when any row or element is null. */
function buildNumericList(element: DataType, values: Values, n: number): A.Data | undefined {
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i] as ArrayLike<unknown> | null | undefined;
    if (x === null || x === undefined) return undefined;
    total += x.length;
    offsets[i + 1] = total;
  }
  const Ctor = element.kind === 'FLOAT' ? Float32Array : element.kind === 'DOUBLE' ? Float64Array : Int32Array;
  const child = new Ctor(total);
  for (let i = 0; i < n; i++) {
    const x = values[i] as ArrayLike<unknown>;
    const at = offsets[i]!;
    // A typed array, or an array without holes, nulls or undefined, is copied natively.
    if (ArrayBuffer.isView(x) || (Array.isArray(x) && !x.includes(null) && !x.includes(undefined))) {
      child.set(x as unknown as ArrayLike<number>, at);
      continue;
    }
    for (let k = 0; k < x.length; k++) {
      const e = x[k];
      if (e === null || e === undefined) return undefined;
      child[at + k] = e as number;
    }
  }
  const childType = arrowType(element);
  const childData = A.makeData({ type: childType, length: total, nullCount: 0, data: child } as never) as A.Data;
  return A.makeData({ type: arrowType({ kind: 'ARRAY', element }), length: n, nullCount: 0, valueOffsets: offsets, child: childData } as never) as A.Data;
}

/**
 * A List<number> column of `n` rows of `width` elements each, over `values` (row-major, at least
 * `n * width` long, no nulls) without a copy when its element type is `element`'s.
 */
export function buildFixedWidthList(element: DataType, values: Float32Array | Float64Array | Int32Array, width: number, n: number): A.Data {
  const Ctor = element.kind === 'FLOAT' ? Float32Array : element.kind === 'DOUBLE' ? Float64Array : element.kind === 'INT' ? Int32Array : undefined;
  if (Ctor === undefined) {
    const rows = new Array<ArrayLike<number>>(n);
    for (let i = 0; i < n; i++) rows[i] = values.subarray(i * width, (i + 1) * width);
    return buildData({ kind: 'ARRAY', element }, rows, n);
  }
  const child = values instanceof Ctor ? values.subarray(0, n * width) : Ctor.from(values.subarray(0, n * width));
  const offsets = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) offsets[i] = i * width;
  const childData = A.makeData({ type: arrowType(element), length: n * width, nullCount: 0, data: child } as never) as A.Data;
  return A.makeData({ type: arrowType({ kind: 'ARRAY', element }), length: n, nullCount: 0, valueOffsets: offsets, child: childData } as never) as A.Data;
}

type NumCtor = Int32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;

function numeric(type: A.Int32 | A.TimeMillisecond | A.Float32 | A.Float64, Ctor: NumCtor, values: Values, n: number): A.Data {
  if (values instanceof Ctor && values.length === n) {
    return A.makeData({ type, length: n, nullCount: 0, data: values } as never) as A.Data;
  }
  const out = new Ctor(n);
  const { bitmap, nulls } = validity(values, n);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x !== null && x !== undefined) out[i] = x as number;
  }
  return A.makeData({ type, length: n, nullCount: nulls, nullBitmap: bitmap, data: out } as never) as A.Data;
}

function atScale(values: Values, n: number, scale: number): Values {
  const out: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    out[i] = x === null || x === undefined ? null : toScale(x as number, scale);
  }
  return out;
}

function validity(values: Values, n: number): { bitmap: Uint8Array | undefined; nulls: number } {
  if (ArrayBuffer.isView(values)) return { bitmap: undefined, nulls: 0 };
  let nulls = 0;
  for (let i = 0; i < n; i++) if (values[i] === null || values[i] === undefined) nulls++;
  if (nulls === 0) return { bitmap: undefined, nulls: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (values[i] !== null && values[i] !== undefined) bitmap[i >> 3]! |= 1 << (i & 7);
  return { bitmap, nulls };
}

/** Row-major numeric values of a column: row i is `values[i * width]` to `values[(i + 1) * width - 1]`. */
export interface FixedWidthValues {
  readonly values: Float32Array | Float64Array | Int32Array;
  readonly width: number;
}

/**
 * A view of the values of a numeric column (width 1) or a list column whose rows all hold the
 * same number of numeric elements, straight from its Arrow buffers (no copy, no per-row arrays).
 * Undefined when the column or an element has nulls, when list rows differ in length, or when
 * the values are not 32-bit ints or floats: callers then read the column row by row.
 */
export function fixedWidthValues(data: A.Data): FixedWidthValues | undefined {
  if (data.nullCount > 0) return undefined;
  const n = data.length;
  const plainNumbers = (x: unknown): x is Float32Array | Float64Array | Int32Array =>
    x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array;
  if (A.DataType.isFloat(data.type) || A.DataType.isInt(data.type)) {
    return plainNumbers(data.values) ? { values: data.values.subarray(0, n), width: 1 } : undefined;
  }
  const child = data.children[0];
  if (!child || child.nullCount > 0 || !plainNumbers(child.values)) return undefined;
  if (A.DataType.isFixedSizeList(data.type)) {
    const width = (data.type as A.FixedSizeList).listSize;
    return { values: child.values.subarray(0, n * width), width };
  }
  if (!A.DataType.isList(data.type)) return undefined;
  const offs = data.valueOffsets as Int32Array;
  const start = offs[0] ?? 0;
  const width = n === 0 ? 0 : offs[1]! - start;
  for (let i = 1; i < n; i++) if (offs[i + 1]! - offs[i]! !== width) return undefined;
  return { values: child.values.subarray(start, start + n * width), width };
}

/** A column of `length` rows all holding `value`; a string is encoded once and its bytes repeated. */
export function buildConstant(t: DataType, value: unknown, length: number): A.Data {
  if (t.kind !== 'STRING' || typeof value !== 'string') return buildData(t, new Array<unknown>(length).fill(value), length);
  const one = Buffer.from(value, 'utf8');
  const bytes = new Uint8Array(one.length * length);
  if (bytes.length > 0) bytes.set(one);
  // The bytes written so far are copied after themselves until the buffer is full.
  for (let filled = one.length; filled > 0 && filled < bytes.length; filled *= 2) bytes.copyWithin(filled, 0, Math.min(filled, bytes.length - filled));
  const offsets = new Int32Array(length + 1);
  for (let i = 1; i <= length; i++) offsets[i] = i * one.length;
  return A.makeData({ type: new A.Utf8(), length, nullCount: 0, valueOffsets: offsets, data: bytes } as never) as A.Data;
}

/** A RecordBatch from plain column values. */
export function makeBatch(fields: readonly Field[], columns: readonly Values[], length: number): A.RecordBatch {
  return batchOfData(fields, fields.map((f, i) => buildData(f.type, columns[i]!, length)), length);
}

/** A RecordBatch from Arrow columns that already exist (no copy); each holds `length` rows. */
export function batchOfData(fields: readonly Field[], children: readonly A.Data[], length: number): A.RecordBatch {
  const schema = arrowSchema(fields);
  const data = A.makeData({ type: new A.Struct(schema.fields), length, nullCount: 0, children } as never) as unknown as A.Data<A.Struct>;
  if (children.some((c) => c.length !== length)) return new A.RecordBatch(schema, data);
  // What Arrow's constructor makes of a schema and columns of equal length, without the copy of
  // the schema and the second struct it builds on the way (together dearer than a small batch).
  const batch = Object.create(A.RecordBatch.prototype) as A.RecordBatch & { _metadata: Map<string, string> };
  Object.assign(batch, { schema, data, _metadata: new Map<string, string>() });
  return batch;
}

/** The rows of column `i` of `batch` at `indexes`, copied at the buffer level where it can be. */
export function takeColumn(batch: A.RecordBatch, i: number, t: DataType, indexes: ArrayLike<number>, count: number): A.Data {
  const data = batch.data.children[i]!;
  if (data.nullCount === 0 && t.kind === 'STRING') {
    const offs = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const outOffs = new Int32Array(count + 1);
    let total = 0;
    for (let k = 0; k < count; k++) {
      const r = indexes[k]!;
      total += offs[r + 1]! - offs[r]!;
      outOffs[k + 1] = total;
    }
    const out = new Uint8Array(total);
    for (let k = 0; k < count; k++) {
      const r = indexes[k]!;
      out.set(bytes.subarray(offs[r]!, offs[r + 1]!), outOffs[k]!);
    }
    const built = A.makeData({ type: new A.Utf8(), length: count, nullCount: 0, valueOffsets: outOffs, data: out } as never) as A.Data;
    const hit = decoded.get(data);
    if (hit) decoded.set(built, gather(hit, indexes, count));
    return built;
  }
  return buildData(t, gather(readColumn(batch, i, t), indexes, count), count);
}
export function batchFromRows(fields: readonly Field[], rows: readonly Record<string, unknown>[]): A.RecordBatch {
  const cols = fields.map(() => new Array<unknown>(rows.length));
  rowReader(fields)(rows, cols);
  return makeBatch(fields, cols, rows.length);
}

type RowReader = (rows: readonly Record<string, unknown>[], cols: unknown[][]) => void;

const rowReaders = new WeakMap<readonly Field[], RowReader>();

/**
 * Copies the fields' values of each row into one array per field (undefined, or a property the
 * row does not have, as null). Made once per list of fields (callers pass the same list for every
 * batch), with each field's name written into the code: a load by a fixed name stays fast on rows
 * of one shape, where a load by a name held in a variable goes through a generic lookup for every
 * value.
 */
function rowReader(fields: readonly Field[]): RowReader {
  let reader = rowReaders.get(fields);
  if (!reader) {
    const loads = fields.map((f, c) => {
      const name = JSON.stringify(f.name);
      // A name such as 'constructor' would otherwise read what every object inherits.
      return f.name in Object.prototype ? `cols[${c}][i] = Object.hasOwn(r, ${name}) ? r[${name}] ?? null : null;` : `cols[${c}][i] = r[${name}] ?? null;`;
    }).join('\n');
    reader = new Function('rows', 'cols', `for (let i = 0; i < rows.length; i++) {\nconst r = rows[i];\n${loads}\n}`) as RowReader;
    rowReaders.set(fields, reader);
  }
  return reader;
}

/**
 * Row arrays (one array of values per row), for results and tests; with `indexes`, only the rows
 * at those positions, in that order.
 */
export function batchToRows(batch: A.RecordBatch, fields: readonly Field[], indexes?: ArrayLike<number>): unknown[][] {
  const cols = fields.map((f, i) => readColumn(batch, i, f.type));
  // Only these kinds can hold typed arrays that `plain` turns into arrays.
  const typed = fields.map((f) => f.type.kind === 'ARRAY' || f.type.kind === 'BYTES');
  const n = indexes ? indexes.length : batch.numRows;
  const width = cols.length;
  const rows = new Array<unknown[]>(n);
  for (let j = 0; j < n; j++) {
    const r = indexes ? indexes[j]! : j;
    const row = new Array<unknown>(width);
    for (let c = 0; c < width; c++) {
      const v = cols[c]![r];
      row[c] = typed[c] ? plain(v) : (v ?? null);
    }
    rows[j] = row;
  }
  return rows;
}

/** Typed arrays become plain arrays so results print and serialise as JSON. */
export function plain(x: unknown): unknown {
  if (x === undefined) return null;
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>);
  return x;
}

/**
 * One batch holding the rows of `batches` (all with the columns of `fields`), in order. Strings
 * and numbers without nulls are copied buffer to buffer; other columns are decoded and built
 * again. A single batch is returned as it is.
 */
export function concatBatches(fields: readonly Field[], batches: readonly A.RecordBatch[]): A.RecordBatch {
  if (batches.length === 1) return batches[0]!;
  let total = 0;
  for (const b of batches) total += b.numRows;
  return batchOfData(
    fields,
    fields.map((f, c) => concatColumn(f.type, batches.map((b) => b.data.children[c]!), total)),
    total,
  );
}

/** The values of an Arrow Data of a primitive type, `length` of them (no copy). */
function primitiveValues(d: A.Data): Int32Array | Float32Array | Float64Array | BigInt64Array | undefined {
  const v: unknown = d.values;
  const ok = v instanceof Int32Array || v instanceof Float32Array || v instanceof Float64Array || v instanceof BigInt64Array;
  const primitive = A.DataType.isInt(d.type) || A.DataType.isFloat(d.type) || A.DataType.isTimestamp(d.type);
  // One array element per value (the array type of the Arrow type), so `length` of them are the column.
  return ok && primitive && v.constructor === (d.type as A.DataType).ArrayType && v.length >= d.length ? v.subarray(0, d.length) : undefined;
}

function concatColumn(t: DataType, parts: readonly A.Data[], total: number): A.Data {
  const first = parts[0];
  if (first && parts.every((d) => d.nullCount === 0)) {
    if (t.kind === 'STRING') {
      const offsets = new Int32Array(total + 1);
      let bytes = 0;
      for (const d of parts) {
        const offs = d.valueOffsets as Int32Array;
        bytes += offs[d.length]! - offs[0]!;
      }
      const out = new Uint8Array(bytes);
      let row = 0;
      let pos = 0;
      for (const d of parts) {
        const offs = d.valueOffsets as Int32Array;
        const base = offs[0]!;
        out.set((d.values as Uint8Array).subarray(base, offs[d.length]!), pos);
        for (let i = 1; i <= d.length; i++) offsets[row + i] = pos + offs[i]! - base;
        pos += offs[d.length]! - base;
        row += d.length;
      }
      return utf8Data(offsets, out, total);
    }
    const values = parts.map(primitiveValues);
    const v0 = values[0];
    if (v0 && values.every((v, k) => v !== undefined && v.constructor === v0.constructor && A.util.compareTypes(parts[k]!.type, first.type))) {
      const out = new (v0.constructor as new (n: number) => typeof v0)(total);
      let at = 0;
      for (const v of values) {
        (out as { set(a: ArrayLike<unknown>, offset: number): void }).set(v!, at);
        at += v!.length;
      }
      return A.makeData({ type: first.type, length: total, nullCount: 0, data: out } as never) as A.Data;
    }
  }
  const all = new Array<unknown>(total);
  let at = 0;
  for (const d of parts) {
    const values = decoded.get(d) ?? decode(A.makeVector(d), t);
    for (let i = 0; i < d.length; i++) all[at++] = values[i];
  }
  return buildData(t, all, total);
}

/** The rows of `batch` at `indexes`, in that order. */
export function takeRows(batch: A.RecordBatch, fields: readonly Field[], indexes: ArrayLike<number>, count = indexes.length): A.RecordBatch {
  return batchOfData(fields, fields.map((f, c) => takeColumn(batch, c, f.type, indexes, count)), count);
}

export function gather(values: Values, indexes: ArrayLike<number>, count: number): Values {
  if (ArrayBuffer.isView(values)) {
    const Ctor = (values as unknown as { constructor: new (n: number) => { [i: number]: unknown } }).constructor;
    const out = new Ctor(count);
    for (let i = 0; i < count; i++) out[i] = values[indexes[i]!];
    return out as unknown as Values;
  }
  const out = new Array<unknown>(count);
  for (let i = 0; i < count; i++) out[i] = values[indexes[i]!];
  return out;
}

export function emptyBatch(fields: readonly Field[]): A.RecordBatch {
  return makeBatch(fields, fields.map(() => []), 0);
}
