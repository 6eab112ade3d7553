import { SluiceError } from '../common/errors.js';
import { ScratchViews } from './scratch-views.js';

/** One element of a key tuple. */
export type KeyPart = string | number | bigint;

/**
 * Order-preserving tuple encoding.
 *
 * Invariants:
 * - `compare(encodeKey(a), encodeKey(b))` (bytewise) orders tuples element by element; within an
 *   element, numbers order numerically, bigints numerically, strings by Unicode code point; parts
 *   of different types order number < bigint < string.
 * - `encodeKey(p)` is a byte prefix of `encodeKey([...p, ...more])`, so a tuple prefix selects a
 *   contiguous key range (see `prefixRange`).
 * - No encoded part ever starts with 0xff, and no string content byte is 0xff, so appending 0xff
 *   to a prefix gives an exclusive upper bound for everything under it.
 *
 * Layout: numbers are tag 0x10 + 8 bytes of IEEE-754 big-endian with the sign bit flipped
 * (negatives fully inverted); bigints are tag 0x11 + signed 64-bit big-endian with the sign bit
 * flipped; strings are tag 0x20 + UTF-8 with 0x00 escaped as 0x00 0xff, terminated by 0x00.
 */
const TAG_NUMBER = 0x10;
const TAG_BIGINT = 0x11;
const TAG_STRING = 0x20;
const END = 0xff;
const ZERO = Buffer.of(0);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function encodeKey(parts: readonly KeyPart[]): Buffer {
  if (parts.length === 1) return encodePart(parts[0]!);
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(encodePart(part));
  return Buffer.concat(chunks);
}

/**
 * `encodeKey([...parts, s])` where `prefix` is `encodeKey(parts)`: one allocation, for the keys
 * of a table whose prefix is encoded once.
 */
export function encodeStringKey(prefix: Buffer, s: string): Buffer {
  return asciiStringKey(prefix, s, Buffer.allocUnsafe(prefix.length + s.length + 2)) ?? Buffer.concat([prefix, encodePart(s)]);
}

/**
 * `encodeStringKey` without the allocation where it can: a view of a scratch buffer, valid only
 * until the next call. For keys handed at once to something that copies them (a write batch).
 */
export function encodeStringKeyView(prefix: Buffer, s: string): Buffer {
  const size = prefix.length + s.length + 2;
  if (size > keyScratch.length) return encodeStringKey(prefix, s);
  return asciiStringKey(prefix, s, keyScratch) === undefined ? Buffer.concat([prefix, encodePart(s)]) : keyViews.of(size);
}

const keyScratch = Buffer.allocUnsafe(1024);
const keyViews = new ScratchViews(keyScratch);

/**
 * `encodeStringKeyView(prefix, s)` for the string s whose UTF-8 bytes are bytes[from, to), where
 * they are ASCII from 0x03 on (most keys; the characters below are those a key text escapes, see
 * common/keys.ts), without making s; undefined for other bytes.
 */
export function encodeAsciiKeyView(prefix: Buffer, bytes: Uint8Array, from: number, to: number): Buffer | undefined {
  const p = prefix.length;
  const n = to - from;
  const size = p + n + 2;
  if (n > SHORT_KEY || size > keyScratch.length) return undefined;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c < 0x03 || c >= 0x80) return undefined;
  }
  const b = keyScratch;
  for (let i = 0; i < p; i++) b[i] = prefix[i]!;
  b[p] = TAG_STRING;
  for (let i = 0; i < n; i++) b[p + 1 + i] = bytes[from + i]!;
  b[p + 1 + n] = 0;
  return keyViews.of(size);
}

/** Writes the key of an ASCII string without NUL (most keys) byte for byte into `b`; undefined for other strings. */
function asciiStringKey(prefix: Buffer, s: string, b: Buffer): Buffer | undefined {
  const p = prefix.length;
  const n = s.length;
  if (n > SHORT_KEY) return undefined;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c >= 0x80) return undefined;
  }
  // Byte by byte: Buffer.copy costs more than the few bytes of a prefix.
  for (let i = 0; i < p; i++) b[i] = prefix[i]!;
  b[p] = TAG_STRING;
  for (let i = 0; i < n; i++) b[p + 1 + i] = s.charCodeAt(i);
  b[p + 1 + n] = 0;
  return b;
}

/** Strings up to this long are checked and copied by `encodeStringKey` character by character. */
const SHORT_KEY = 256;

function encodePart(part: KeyPart): Buffer {
  if (typeof part === 'number') {
    if (Number.isNaN(part)) throw new SluiceError('STATE_ERROR', 'cannot encode NaN in a state key');
    const b = Buffer.allocUnsafe(9);
    b[0] = TAG_NUMBER;
    // -0 and 0 must encode alike so that equal numbers give equal keys.
    b.writeDoubleBE(part === 0 ? 0 : part, 1);
    if ((b[1]! & 0x80) !== 0) {
      for (let i = 1; i < 9; i++) b[i] = ~b[i]! & 0xff;
    } else {
      b[1] = b[1]! | 0x80;
    }
    return b;
  }
  if (typeof part === 'bigint') {
    if (part < INT64_MIN || part > INT64_MAX) {
      throw new SluiceError('STATE_ERROR', `bigint key part ${part} does not fit in 64 bits`);
    }
    const b = Buffer.allocUnsafe(9);
    b[0] = TAG_BIGINT;
    b.writeBigInt64BE(part, 1);
    b[1] = b[1]! ^ 0x80;
    return b;
  }
  const raw = Buffer.from(part, 'utf8');
  const zeros = countZeros(raw);
  const b = Buffer.allocUnsafe(raw.length + zeros + 2);
  b[0] = TAG_STRING;
  if (zeros === 0) raw.copy(b, 1);
  else escapeInto(raw, b, 1);
  b[b.length - 1] = 0;
  return b;
}

function countZeros(raw: Buffer): number {
  let zeros = 0;
  for (let i = raw.indexOf(0); i >= 0; i = raw.indexOf(0, i + 1)) zeros++;
  return zeros;
}

/** Copies `raw` into `out` at `at` with every 0x00 written as 0x00 0xff. */
function escapeInto(raw: Buffer, out: Buffer, at: number): void {
  let j = at;
  for (const byte of raw) {
    out[j++] = byte;
    if (byte === 0) out[j++] = END;
  }
}

function escapeString(s: string): Buffer {
  const raw = Buffer.from(s, 'utf8');
  const zeros = countZeros(raw);
  if (zeros === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + zeros);
  escapeInto(raw, out, 0);
  return out;
}

/** Inverse of `encodeKey`. Throws STATE_ERROR on bytes that are not a valid encoding. */
export function decodeKey(buf: Buffer): KeyPart[] {
  const parts: KeyPart[] = [];
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i];
    if (tag === TAG_NUMBER || tag === TAG_BIGINT) {
      if (i + 9 > buf.length) throw badKey(buf);
      const b = Buffer.from(buf.subarray(i + 1, i + 9));
      if (tag === TAG_NUMBER) {
        if ((b.readUInt8(0) & 0x80) !== 0) b.writeUInt8(b.readUInt8(0) & 0x7f, 0);
        else for (let j = 0; j < 8; j++) b.writeUInt8(~b.readUInt8(j) & 0xff, j);
        parts.push(b.readDoubleBE(0));
      } else {
        b.writeUInt8(b.readUInt8(0) ^ 0x80, 0);
        parts.push(b.readBigInt64BE(0));
      }
      i += 9;
    } else if (tag === TAG_STRING) {
      const pieces: Buffer[] = [];
      let j = i + 1;
      for (;;) {
        const zero = buf.indexOf(0, j);
        if (zero < 0) throw badKey(buf);
        pieces.push(buf.subarray(j, zero));
        if (buf[zero + 1] === END) {
          pieces.push(ZERO);
          j = zero + 2;
          continue;
        }
        j = zero + 1;
        break;
      }
      parts.push(pieces.length === 1 && pieces[0] ? pieces[0].toString('utf8') : Buffer.concat(pieces).toString('utf8'));
      i = j;
    } else {
      throw badKey(buf);
    }
  }
  return parts;
}

function badKey(buf: Buffer): SluiceError {
  return new SluiceError('STATE_ERROR', `malformed state key ${buf.toString('hex')}`);
}

/** A key range, as taken by `Store.iterate`. */
export interface KeyRange {
  readonly gte?: Buffer;
  readonly gt?: Buffer;
  readonly lt?: Buffer;
  readonly lte?: Buffer;
}

/** The range of every key whose tuple starts with `parts` (including the tuple itself). */
export function prefixRange(parts: readonly KeyPart[]): { gte: Buffer; lt: Buffer } {
  const p = encodeKey(parts);
  return { gte: p, lt: Buffer.concat([p, Buffer.of(END)]) };
}

/**
 * The range of every key `[...parts, s, ...]` where the string `s` starts with `strPrefix`.
 * With an empty `strPrefix` this is every key whose next part is a string.
 */
export function stringPrefixRange(parts: readonly KeyPart[], strPrefix: string): { gte: Buffer; lt: Buffer } {
  const p = Buffer.concat([encodeKey(parts), Buffer.of(TAG_STRING), escapeString(strPrefix)]);
  return { gte: p, lt: Buffer.concat([p, Buffer.of(END)]) };
}
