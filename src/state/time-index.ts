import { SluiceError } from '../common/errors.js';
import type { StateRow } from './codec.js';
import type { StateTable } from './state-table.js';

/** Hex digits of an encoded time: a fixed width, so that the key after it needs no separator. */
const TIME_WIDTH = 16;
const EMPTY: StateRow = {};

/**
 * A time-ordered index of state keys in a state table of its own: one entry per (time, key),
 * stored under a key that sorts by time, so the entries due by a watermark are one range scan
 * of the table, never a scan of the state they point to.
 *
 * Invariants:
 * - `due(limit)` yields every entry added and not deleted whose time is before `limit` (at or
 *   before with `inclusive`), ascending by time (then by key), and nothing else; it reads only
 *   that range of the table.
 * - No entry added and not deleted is older than `floor`: a `take` that ran to its end deleted
 *   everything due by its limit, so the next read starts there instead of at the tombstones of
 *   what was taken (on disk and among the table's unflushed entries).
 * - Adding an entry twice keeps one; deleting an absent entry does nothing.
 * - Changes are staged like any state table's: dirty until the table is flushed into the
 *   checkpoint's write batch, so the index commits atomically with the state it indexes.
 */
export class TimeIndex {
  private floor = -Infinity;
  /** The least time added since the latest `take` began. */
  private leastAdded = Infinity;

  constructor(private readonly table: StateTable<StateRow>) {}

  add(time: number, key: string): void {
    const k = indexKey(time, key);
    if (time < this.floor) this.floor = time;
    if (time < this.leastAdded) this.leastAdded = time;
    this.table.put(k, EMPTY);
  }

  delete(time: number, key: string): void {
    this.table.delete(indexKey(time, key));
  }

  /** `[time, key]` of the entries due by `limit` (see the invariants). */
  async *due(limit: number, inclusive = false): AsyncGenerator<[number, string]> {
    const lt = timeKey(limit, inclusive);
    const range = { ...(this.floor > -Infinity ? { gte: timeKey(this.floor, false) } : {}), ...(lt === undefined ? {} : { lt }) };
    for await (const [k] of this.table.range(range)) yield [keyTime(k), k.slice(TIME_WIDTH)];
  }

  /**
   * Entries of `due(limit, inclusive)` in chunks of at most `size`, for bounded batched reads;
   * each chunk's entries are deleted when the caller asks for the next one (or for the end).
   */
  async *take(limit: number, inclusive: boolean, size: number): AsyncGenerator<[number, string][]> {
    this.leastAdded = Infinity;
    let chunk: [number, string][] = [];
    const taken = (): void => {
      for (const [t, k] of chunk) this.delete(t, k);
      chunk = [];
    };
    for await (const e of this.due(limit, inclusive)) {
      chunk.push(e);
      if (chunk.length < size) continue;
      yield chunk;
      taken();
    }
    if (chunk.length > 0) {
      yield chunk;
      taken();
    }
    this.floor = Math.max(this.floor, Math.min(limit, this.leastAdded));
  }
}

const view = new DataView(new ArrayBuffer(8));

/** The 16 hex digits of `time`'s IEEE-754 bits mapped to an unsigned 64-bit integer that orders as the numbers do. */
function timeHex(time: number): string {
  if (Number.isNaN(time)) throw new SluiceError('STATE_ERROR', 'cannot index state by a NaN time');
  // -0 and 0 are one time.
  view.setFloat64(0, time === 0 ? 0 : time);
  let hi = view.getUint32(0);
  let lo = view.getUint32(4);
  if (hi >= 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else hi = (hi | 0x80000000) >>> 0;
  return hex8(hi) + hex8(lo);
}

function hex8(x: number): string {
  return x.toString(16).padStart(8, '0');
}

function indexKey(time: number, key: string): string {
  return timeHex(time) + key;
}

/** The first index key after every entry before `time` (at or before, with `inclusive`); undefined: no bound. */
function timeKey(time: number, inclusive: boolean): string | undefined {
  const hex = timeHex(time);
  if (!inclusive) return hex;
  // The next 64-bit value: every key of `time` sorts before it.
  let hi = parseInt(hex.slice(0, 8), 16);
  let lo = parseInt(hex.slice(8), 16) + 1;
  if (lo > 0xffffffff) {
    lo = 0;
    hi++;
  }
  return hi > 0xffffffff ? undefined : hex8(hi) + hex8(lo);
}

function keyTime(k: string): number {
  let hi = parseInt(k.slice(0, 8), 16);
  let lo = parseInt(k.slice(8, TIME_WIDTH), 16);
  if (hi >= 0x80000000) hi = (hi & 0x7fffffff) >>> 0;
  else {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  }
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return view.getFloat64(0);
}
