import v8 from 'node:v8';
import { SluiceError } from '../common/errors.js';
import { ScratchViews } from './scratch-views.js';

/** A value that can be stored: what rows and operator state are made of. */
export type StateValue =
  | number
  | string
  | boolean
  | null
  | bigint
  | Buffer
  | readonly StateValue[]
  | { readonly [key: string]: StateValue | undefined };

/** A row-like record stored by state tables, KV tables and checkpoints. */
export type StateRow = { readonly [key: string]: StateValue | undefined };

/**
 * Value codec for rows and state.
 *
 * Invariants:
 * - `decodeValue(encodeValue(v))` deep-equals `v` for every `StateValue`; Buffers come back as
 *   Buffers, -0 as -0, a property holding undefined as such. The bytes are opaque and only
 *   meant for this codec.
 * - The first byte says the format. `BINARY` (0x01): the compact format below. 0xff: v8
 *   structured serialization (its header byte), what every value was stored as before, and
 *   still what a value holding anything else (a Date, a Map, a class instance...) is stored as,
 *   so data folders written by older versions open and read as before.
 *
 * Binary layout after the format byte: one tagged value. Tags: null, undefined, false, true;
 * int32 (4 bytes, little-endian); double (8 bytes, little-endian); string (varint byte length,
 * UTF-8); bigint (varint length, decimal digits); Buffer (varint length, bytes); array (varint
 * count, values); object (varint count, then per property its name as varint length + UTF-8 and
 * its value). Varints are unsigned LEB128.
 */
const BINARY = 0x01;
const V8_HEADER = 0xff;

const T_NULL = 0;
const T_UNDEFINED = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT32 = 4;
const T_DOUBLE = 5;
const T_STRING = 6;
const T_BIGINT = 7;
const T_BUFFER = 8;
const T_ARRAY = 9;
const T_OBJECT = 10;

/** Strings this short take at most 127 UTF-8 bytes (3 per UTF-16 unit), so their length is one varint byte. */
const SHORT_STRING = 42;

export function encodeValue(value: StateValue): Buffer {
  const w = writer.start(1);
  w.buf[w.pos++] = BINARY;
  if (!w.value(value, 0)) return v8.serialize(value);
  return w.take();
}

/**
 * `encodeValue` without the copy: a view of the encoder's scratch buffer, valid only until the
 * next encode. For bytes handed at once to something that copies them (a write batch).
 */
export function encodeValueView(value: StateValue): Buffer {
  const w = writer.start(1);
  w.buf[w.pos++] = BINARY;
  if (!w.value(value, 0)) return v8.serialize(value);
  return w.view();
}

/**
 * Encodes the record whose properties are `names` with `values` without building it: it
 * decodes as `encodeValue` of that record does. How a row given as column values is stored.
 */
export function encodeRecord(names: readonly string[], values: readonly unknown[]): Buffer {
  return writeRecord(names, values) ? writer.take() : encodeValue(recordOf(names, values));
}

/** `encodeRecord` as a view of the encoder's scratch buffer, valid only until the next encode (see encodeValueView). */
export function encodeRecordView(names: readonly string[], values: readonly unknown[]): Buffer {
  return writeRecord(names, values) ? writer.view() : encodeValueView(recordOf(names, values));
}

/** Writes the record into the scratch buffer; false when a value needs v8 serialization. */
function writeRecord(names: readonly string[], values: readonly unknown[]): boolean {
  const w = writer.start(7);
  w.buf[w.pos++] = BINARY;
  return w.record(names, values);
}

/**
 * Encodes records field by field, for a caller that holds a row's values in columns (Arrow
 * buffers) and would otherwise make a JS value per field only to encode it. The bytes are those
 * `encodeRecordView(names, values)` writes for the same values, and like them a view of the
 * encoder's scratch buffer, valid only until the next encode.
 *
 * Use: `start()`; then for each name in order `field(i)` and one value call (`null`, `number`,
 * `boolean`, `bigint`, `string`); then `view()`. No other encode may come in between.
 */
export class RecordBytes {
  private readonly names: readonly Buffer[];

  constructor(names: readonly string[]) {
    this.names = names.map((n) => Buffer.from(n, 'utf8'));
  }

  start(): void {
    const w = writer.start(7);
    w.buf[w.pos++] = BINARY;
    w.buf[w.pos++] = T_OBJECT;
    w.varint(this.names.length);
  }

  field(i: number): void {
    const name = this.names[i]!;
    writer.utf8(name, 0, name.length);
  }

  null(): void {
    writer.tag(T_NULL);
  }

  number(v: number): void {
    writer.number(v);
  }

  boolean(v: boolean): void {
    writer.tag(v ? T_TRUE : T_FALSE);
  }

  bigint(v: bigint): void {
    writer.tag(T_BIGINT);
    writer.ascii(v.toString());
  }

  /** A string given as its UTF-8 bytes[from, to). */
  string(bytes: Uint8Array, from: number, to: number): void {
    writer.tag(T_STRING);
    writer.utf8(bytes, from, to);
  }

  view(): Buffer {
    return writer.view();
  }
}

/**
 * Encodes a value piece by piece, for a caller that holds its parts in columns (typed arrays)
 * and would otherwise build the value only to encode it. The bytes are those `encodeValue`
 * writes for the value the calls describe.
 *
 * Use: `start()`; then the value depth first: `object(n)` followed by n pairs of `name` and a
 * value, `array(n)` followed by n values, `number`, `null`, or `any(v, depth)` for a value as
 * it is (false: it needs v8 serialization, so encode the whole value with `encodeValue`
 * instead); then `take()`. No other encode may come in between.
 */
export const valueBytes = {
  start(): void {
    const w = writer.start(16);
    w.buf[w.pos++] = BINARY;
  },
  object(n: number): void {
    writer.ensure(6);
    writer.buf[writer.pos++] = T_OBJECT;
    writer.varint(n);
  },
  array(n: number): void {
    writer.ensure(6);
    writer.buf[writer.pos++] = T_ARRAY;
    writer.varint(n);
  },
  /** A property name of an `object`. */
  name(s: string): void {
    writer.string(s);
  },
  number(v: number): void {
    writer.number(v);
  },
  null(): void {
    writer.tag(T_NULL);
  },
  /** `v` at nesting depth `depth` (the outermost value is at 0); false as above. */
  any(v: unknown, depth: number): boolean {
    return writer.value(v, depth);
  },
  /** A copy of the bytes written. */
  take(): Buffer {
    return writer.take();
  },
};

/**
 * Reads a value piece by piece, as `valueBytes` writes one: for a caller that knows the shape
 * it stored and wants the parts without making the value. Each read returns undefined (or
 * false) when the bytes hold something else there (or end), and then the caller decodes the
 * whole value with `decodeValue` instead. One reader, reset per value: reading is synchronous.
 */
export const valueReader = {
  buf: Buffer.alloc(0) as Buffer,
  pos: 0,
  /** Starts reading `bytes`; false when they are not in the compact format. */
  start(bytes: Buffer): boolean {
    this.buf = bytes;
    this.pos = 1;
    return bytes.length > 0 && bytes[0] === BINARY;
  },
  /** An object's property count. */
  object(): number | undefined {
    return this.buf[this.pos] === T_OBJECT ? this.count() : undefined;
  },
  /** An array's length. */
  array(): number | undefined {
    return this.buf[this.pos] === T_ARRAY ? this.count() : undefined;
  },
  /** Whether the next property name is `name` (a short ASCII name), reading it if so. */
  name(name: string): boolean {
    const buf = this.buf;
    const n = name.length;
    let p = this.pos;
    if (buf[p] !== n || p + 1 + n > buf.length) return false;
    p++;
    for (let i = 0; i < n; i++) if (buf[p + i] !== name.charCodeAt(i)) return false;
    this.pos = p + n;
    return true;
  },
  number(): number | undefined {
    const buf = this.buf;
    const p = this.pos;
    if (buf[p] === T_INT32 && p + 5 <= buf.length) {
      this.pos = p + 5;
      return buf.readInt32LE(p + 1);
    }
    if (buf[p] === T_DOUBLE && p + 9 <= buf.length) {
      this.pos = p + 9;
      return buf.readDoubleLE(p + 1);
    }
    return undefined;
  },
  /** A number, or null. */
  numberOrNull(): number | null | undefined {
    if (this.buf[this.pos] !== T_NULL) return this.number();
    this.pos++;
    return null;
  },
  /** Any value, decoded (undefined when the bytes are malformed there). */
  any(): unknown {
    try {
      const r = new Reader(this.buf);
      r.pos = this.pos;
      const v = r.value();
      this.pos = r.pos;
      return v;
    } catch {
      return undefined;
    }
  },
  /** Whether every byte was read. */
  done(): boolean {
    return this.pos === this.buf.length;
  },
  /** A tag byte, then a varint count (at most 2^28, as the format writes them). */
  count(): number | undefined {
    const buf = this.buf;
    let p = this.pos + 1;
    let n = 0;
    for (let shift = 0; shift <= 21; shift += 7) {
      if (p >= buf.length) return undefined;
      const b = buf[p++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        this.pos = p;
        return n;
      }
    }
    return undefined;
  },
};

function recordOf(names: readonly string[], values: readonly unknown[]): StateRow {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
  return row as StateRow;
}

export function decodeValue<V = StateValue>(bytes: Buffer): V {
  return decoding(() => {
    if (bytes[0] === BINARY) {
      const r = new Reader(bytes);
      return r.whole(r.value()) as V;
    }
    if (bytes[0] !== V8_HEADER) throw new Error(bytes.length === 0 ? 'no bytes' : `unknown format byte 0x${bytes[0]!.toString(16)}`);
    return v8.deserialize(bytes) as V;
  });
}

/**
 * As `decodeValue`, for a stored row of which a reader needs some properties: of an object in
 * the binary format, only the properties named in `wanted` are decoded; the others are skipped
 * over by their lengths (a string column a query does not read costs no string). Any other value
 * is decoded whole.
 */
export function decodeFields<V = StateValue>(bytes: Buffer, wanted: ReadonlySet<string>): V {
  if (bytes[0] !== BINARY || bytes[1] !== T_OBJECT) return decodeValue<V>(bytes);
  return decoding(() => {
    const r = new Reader(bytes);
    return r.whole(r.fields(wanted)) as V;
  });
}

/** What `decode` gives, its failure a STATE_ERROR. */
function decoding<V>(decode: () => V): V {
  try {
    return decode();
  } catch (err) {
    throw new SluiceError('STATE_ERROR', `cannot decode stored value: ${String(err)}`, { cause: err });
  }
}

const INITIAL_SCRATCH = 64 * 1024;
/** Values up to this many bytes are copied out of the scratch buffer byte by byte (Buffer.copy costs more for them). */
const SMALL_COPY = 128;

/** A scratch buffer grown past this by one large value is not kept for the next one. */
const MAX_KEPT_SCRATCH = 4 * 1024 * 1024;
/** Nesting deeper than this is left to v8 serialization (which reports cycles as errors). */
const MAX_DEPTH = 64;

/** Writes values into one reused scratch buffer (encoding is synchronous, so one is enough). */
class Writer {
  buf: Buffer = Buffer.allocUnsafe(INITIAL_SCRATCH);
  pos = 0;
  private readonly views = new ScratchViews(this.buf);

  /** Starts a new encoding with room for `n` bytes (dropping a scratch buffer grown too large). */
  start(n: number): this {
    if (this.buf.length > MAX_KEPT_SCRATCH) this.replace(Buffer.allocUnsafe(INITIAL_SCRATCH));
    this.pos = 0;
    this.ensure(n);
    return this;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.replace(next);
  }

  /** A copy of what was written. */
  take(): Buffer {
    const n = this.pos;
    const out = Buffer.allocUnsafe(n);
    const buf = this.buf;
    if (n <= SMALL_COPY) for (let i = 0; i < n; i++) out[i] = buf[i]!;
    else buf.copy(out, 0, 0, n);
    return out;
  }

  /** What was written, as a view of the scratch buffer (overwritten by the next encoding). */
  view(): Buffer {
    return this.views.of(this.pos);
  }

  private replace(buf: Buffer): void {
    this.buf = buf;
    this.views.reset(buf);
  }

  /** Writes the record of `names` and `values` as `object` writes one; false as `value` says. */
  record(names: readonly string[], values: readonly unknown[]): boolean {
    this.ensure(6);
    this.buf[this.pos++] = T_OBJECT;
    this.varint(names.length);
    for (let i = 0; i < names.length; i++) {
      this.string(names[i]!);
      if (!this.value(values[i], 1)) return false;
    }
    return true;
  }

  /** Writes `v`; false when it holds something this format does not cover. */
  value(v: unknown, depth: number): boolean {
    switch (typeof v) {
      case 'number':
        this.number(v);
        return true;
      case 'string':
        this.ensure(1);
        this.buf[this.pos++] = T_STRING;
        this.string(v);
        return true;
      case 'boolean':
        this.ensure(1);
        this.buf[this.pos++] = v ? T_TRUE : T_FALSE;
        return true;
      case 'undefined':
        this.ensure(1);
        this.buf[this.pos++] = T_UNDEFINED;
        return true;
      case 'bigint':
        this.ensure(1);
        this.buf[this.pos++] = T_BIGINT;
        this.string(v.toString());
        return true;
      case 'object':
        return this.object(v, depth);
      default:
        return false;
    }
  }

  private object(v: object | null, depth: number): boolean {
    if (v === null) {
      this.ensure(1);
      this.buf[this.pos++] = T_NULL;
      return true;
    }
    if (depth >= MAX_DEPTH) return false;
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) return false;
      this.ensure(6);
      this.buf[this.pos++] = T_ARRAY;
      this.varint(v.length);
      for (let i = 0; i < v.length; i++) if (!this.value(v[i], depth + 1)) return false;
      return true;
    }
    if (Buffer.isBuffer(v)) {
      this.ensure(6 + v.length);
      this.buf[this.pos++] = T_BUFFER;
      this.varint(v.length);
      v.copy(this.buf, this.pos);
      this.pos += v.length;
      return true;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    // for-in lists the own properties as Object.keys does (the prototype has no enumerable
    // ones) without making the array; the count is written after them, in the byte kept for it.
    const start = this.pos;
    this.ensure(2);
    this.buf[this.pos++] = T_OBJECT;
    const countAt = this.pos++;
    let n = 0;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      this.string(k);
      if (!this.value((v as Record<string, unknown>)[k], depth + 1)) return false;
      n++;
    }
    if (n < 0x80) {
      this.buf[countAt] = n;
      return true;
    }
    this.pos = start;
    return this.manyProperties(v, depth);
  }

  /** An object of 128 or more properties, whose count takes more than one varint byte. */
  private manyProperties(v: object, depth: number): boolean {
    const keys = Object.keys(v);
    this.ensure(6);
    this.buf[this.pos++] = T_OBJECT;
    this.varint(keys.length);
    for (const k of keys) {
      this.string(k);
      if (!this.value((v as Record<string, unknown>)[k], depth + 1)) return false;
    }
    return true;
  }

  /** Varint byte length, then the UTF-8 bytes. */
  string(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING) {
      this.ensure(1 + 3 * n);
      const buf = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      const bytes = i === n ? n : buf.write(s, start);
      buf[this.pos] = bytes;
      this.pos = start + bytes;
      return;
    }
    const bytes = Buffer.byteLength(s);
    this.ensure(5 + bytes);
    this.varint(bytes);
    this.pos += this.buf.write(s, this.pos);
  }

  /** A number: int32 where it is one (not -0), else a double. */
  number(v: number): void {
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      this.ensure(5);
      this.buf[this.pos] = T_INT32;
      this.buf.writeInt32LE(v, this.pos + 1);
      this.pos += 5;
    } else {
      this.ensure(9);
      this.buf[this.pos] = T_DOUBLE;
      this.buf.writeDoubleLE(v, this.pos + 1);
      this.pos += 9;
    }
  }

  /** One tag byte (null, undefined, false, true). */
  tag(t: number): void {
    this.ensure(1);
    this.buf[this.pos++] = t;
  }

  /** Varint byte length, then bytes[from, to) (UTF-8): as `string` writes a string of those bytes. */
  utf8(bytes: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.ensure(5 + n);
    this.varint(n);
    const buf = this.buf;
    let p = this.pos;
    // Byte by byte: short strings cost less so than through a subarray and set.
    if (n <= SMALL_COPY) for (let i = from; i < to; i++) buf[p++] = bytes[i]!;
    else {
      buf.set(bytes.subarray(from, to), p);
      p += n;
    }
    this.pos = p;
  }

  /** Varint length, then the characters of `s`, all ASCII (as `string` writes them). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(5 + n);
    this.varint(n);
    for (let i = 0; i < n; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  /** Needs 5 bytes of room (every length here is below 2^32). */
  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }
}

const writer = new Writer();


/** Object keys of at most this many bytes are looked up in NAMES. */
const MAX_NAME_BYTES = 32;
const NAME_SLOTS = 256;
/** Recently decoded object keys by a hash of their bytes (one per slot, the latest). */
const NAMES = { bytes: new Array<Uint8Array | undefined>(NAME_SLOTS), text: new Array<string | undefined>(NAME_SLOTS) };

class Reader {
  pos = 1;

  constructor(private readonly buf: Buffer) {}

  value(): unknown {
    const buf = this.buf;
    const tag = this.byte();
    switch (tag) {
      case T_NULL:
        return null;
      case T_UNDEFINED:
        return undefined;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT32: {
        this.need(4);
        const v = buf.readInt32LE(this.pos);
        this.pos += 4;
        return v;
      }
      case T_DOUBLE: {
        this.need(8);
        const v = buf.readDoubleLE(this.pos);
        this.pos += 8;
        return v;
      }
      case T_STRING:
        return this.string();
      case T_BIGINT:
        return BigInt(this.string());
      case T_BUFFER: {
        const n = this.varint();
        this.need(n);
        const v = Buffer.from(buf.subarray(this.pos, this.pos + n));
        this.pos += n;
        return v;
      }
      case T_ARRAY: {
        const n = this.varint();
        this.need(n);
        const v = new Array<unknown>(n);
        for (let i = 0; i < n; i++) v[i] = this.value();
        return v;
      }
      case T_OBJECT: {
        const n = this.varint();
        this.need(n);
        const v: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = this.name();
          const x = this.value();
          if (k === '__proto__') Object.defineProperty(v, k, { value: x, enumerable: true, writable: true, configurable: true });
          else v[k] = x;
        }
        return v;
      }
      default:
        throw new Error(`unknown value tag ${tag} at byte ${this.pos - 1}`);
    }
  }

  /** `v`, once every byte has been read. */
  whole(v: unknown): unknown {
    if (this.pos !== this.buf.length) throw new Error(`${this.buf.length - this.pos} trailing byte(s)`);
    return v;
  }

  /** An object's properties named in `wanted` (its tag not yet read); the others skipped. */
  fields(wanted: ReadonlySet<string>): Record<string, unknown> {
    this.byte();
    const n = this.varint();
    this.need(n);
    const v: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.name();
      if (!wanted.has(k)) {
        this.skip();
        continue;
      }
      const x = this.value();
      if (k === '__proto__') Object.defineProperty(v, k, { value: x, enumerable: true, writable: true, configurable: true });
      else v[k] = x;
    }
    return v;
  }

  /** Moves past one value without making it. */
  private skip(): void {
    const tag = this.byte();
    switch (tag) {
      case T_NULL:
      case T_UNDEFINED:
      case T_FALSE:
      case T_TRUE:
        return;
      case T_INT32:
        return this.advance(4);
      case T_DOUBLE:
        return this.advance(8);
      case T_STRING:
      case T_BIGINT:
      case T_BUFFER:
        return this.advance(this.varint());
      case T_ARRAY: {
        const n = this.varint();
        this.need(n);
        for (let i = 0; i < n; i++) this.skip();
        return;
      }
      case T_OBJECT: {
        const n = this.varint();
        this.need(n);
        for (let i = 0; i < n; i++) {
          this.advance(this.varint());
          this.skip();
        }
        return;
      }
      default:
        throw new Error(`unknown value tag ${tag} at byte ${this.pos - 1}`);
    }
  }

  private advance(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private string(): string {
    const n = this.varint();
    this.need(n);
    return this.text(n);
  }

  /** The `n` bytes from `pos` on as a string. */
  private text(n: number): string {
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /**
   * An object's key: `string`, but a short key seen before (rows of one table repeat theirs) is
   * the string made for it then, found by its bytes in NAMES, with no new string.
   */
  private name(): string {
    const n = this.varint();
    this.need(n);
    if (n > MAX_NAME_BYTES) return this.text(n);
    const buf = this.buf;
    const at = this.pos;
    let h = n;
    for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + buf[at + i]!) | 0;
    const slot = (h ^ (h >>> 8)) & (NAME_SLOTS - 1);
    const known = NAMES.bytes[slot];
    this.pos += n;
    if (known !== undefined && known.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (known[i] !== buf[at + i]) {
          same = false;
          break;
        }
      }
      if (same) return NAMES.text[slot]!;
    }
    const s = buf.toString('utf8', at, at + n);
    NAMES.bytes[slot] = Uint8Array.prototype.slice.call(buf, at, at + n);
    NAMES.text[slot] = s;
    return s;
  }

  private byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  private varint(): number {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      if (shift >= 28) throw new Error(`bad length at byte ${this.pos}`);
    }
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`value ends early at byte ${this.buf.length}`);
  }
}
