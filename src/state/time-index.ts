import { SluiceError } from '../common/errors.js';
import type { StateRow } from './codec.js';
import type { StateTable } from './state-table.js';

/** Hex digits of an encoded time: a fixed width, so that the key after it needs no separator. */
const TIME_WIDTH = 16;
const SIGN = 1n << 63n;
const ALL_BITS = (1n << 64n) - 1n;
const EMPTY: StateRow = {};

/**
 * A time-ordered index of state keys in a state table of its own: one entry per (time, key),
 * stored under a key that sorts by time, so the entries due by a watermark are one range scan
 * from the start of the table, never a scan of the state they point to.
 *
 * Invariants:
 * - `due(limit)` yields every entry added and not deleted whose time is before `limit` (at or
 *   before with `inclusive`), ascending by time (then by key), and nothing else; it reads only
 *   that range of the table.
 * - Adding an entry twice keeps one; deleting an absent entry does nothing.
 * - Changes are staged like any state table's: dirty until the table is flushed into the
 *   checkpoint's write batch, so the index commits atomically with the state it indexes.
 */
export class TimeIndex {
  constructor(private readonly table: StateTable<StateRow>) {}

  add(time: number, key: string): void {
    this.table.put(indexKey(time, key), EMPTY);
  }

  delete(time: number, key: string): void {
    this.table.delete(indexKey(time, key));
  }

  /** `[time, key]` of the entries due by `limit` (see the invariants). */
  async *due(limit: number, inclusive = false): AsyncGenerator<[number, string]> {
    const bits = timeBits(limit) + (inclusive ? 1n : 0n);
    const range = bits > ALL_BITS ? {} : { lt: bits.toString(16).padStart(TIME_WIDTH, '0') };
    for await (const [k] of this.table.range(range)) yield [bitsTime(BigInt(`0x${k.slice(0, TIME_WIDTH)}`)), k.slice(TIME_WIDTH)];
  }

  /** Entries of `due(limit, inclusive)` in chunks of at most `size`, for bounded batched reads. */
  async *dueChunks(limit: number, inclusive: boolean, size: number): AsyncGenerator<[number, string][]> {
    let chunk: [number, string][] = [];
    for await (const e of this.due(limit, inclusive)) {
      chunk.push(e);
      if (chunk.length < size) continue;
      yield chunk;
      chunk = [];
    }
    if (chunk.length > 0) yield chunk;
  }
}

function indexKey(time: number, key: string): string {
  return `${timeBits(time).toString(16).padStart(TIME_WIDTH, '0')}${key}`;
}

/** The IEEE-754 bits of `time` mapped to an unsigned 64-bit integer that orders as the numbers do. */
function timeBits(time: number): bigint {
  if (Number.isNaN(time)) throw new SluiceError('STATE_ERROR', 'cannot index state by a NaN time');
  const buf = Buffer.alloc(8);
  // -0 and 0 are one time.
  buf.writeDoubleBE(time === 0 ? 0 : time);
  const raw = buf.readBigUInt64BE();
  return (raw & SIGN) !== 0n ? ~raw & ALL_BITS : raw | SIGN;
}

function bitsTime(bits: bigint): number {
  const raw = (bits & SIGN) !== 0n ? bits ^ SIGN : ~bits & ALL_BITS;
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64BE(raw);
  return buf.readDoubleBE();
}
