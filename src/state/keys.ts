import { SluiceError } from '../common/errors.js';

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
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(encodePart(part));
  return Buffer.concat(chunks);
}

function encodePart(part: KeyPart): Buffer {
  if (typeof part === 'number') {
    if (Number.isNaN(part)) throw new SluiceError('STATE_ERROR', 'cannot encode NaN in a state key');
    const b = Buffer.alloc(9);
    b[0] = TAG_NUMBER;
    // -0 and 0 must encode alike so that equal numbers give equal keys.
    b.writeDoubleBE(part === 0 ? 0 : part, 1);
    if ((b.readUInt8(1) & 0x80) !== 0) {
      for (let i = 1; i < 9; i++) b.writeUInt8(~b.readUInt8(i) & 0xff, i);
    } else {
      b.writeUInt8(b.readUInt8(1) | 0x80, 1);
    }
    return b;
  }
  if (typeof part === 'bigint') {
    if (part < INT64_MIN || part > INT64_MAX) {
      throw new SluiceError('STATE_ERROR', `bigint key part ${part} does not fit in 64 bits`);
    }
    const b = Buffer.alloc(9);
    b[0] = TAG_BIGINT;
    b.writeBigInt64BE(part, 1);
    b.writeUInt8(b.readUInt8(1) ^ 0x80, 1);
    return b;
  }
  return Buffer.concat([Buffer.of(TAG_STRING), escapeString(part), Buffer.of(0)]);
}

function escapeString(s: string): Buffer {
  const raw = Buffer.from(s, 'utf8');
  if (!raw.includes(0)) return raw;
  const out: number[] = [];
  for (const byte of raw) {
    out.push(byte);
    if (byte === 0) out.push(END);
  }
  return Buffer.from(out);
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
