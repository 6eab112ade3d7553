import { SluiceError } from '../common/errors.js';
import type { StateRow } from './codec.js';
import { compareKeys } from './sorted-keys.js';
import type { StateTable } from './state-table.js';

/** Hex digits of an encoded time: a fixed width, so that the key after it needs no separator. */
const TIME_WIDTH = 16;
const EMPTY: StateRow = {};

type Entry = [time: number, key: string];

/**
 * A time-ordered index of state keys: one entry per (time, key). Entries added since the last
 * `stage` are held here, in memory, ordered by time as they come (adds in time order are
 * appends); `stage` writes them into the index's state table under keys that sort by time, so
 * the entries due by a watermark are one range scan of that table plus a prefix of the ones
 * held here, never a scan of the state they point to.
 *
 * Invariants:
 * - `due(limit)` yields every entry added and not deleted whose time is before `limit` (at or
 *   before with `inclusive`), ascending by time (then by key), once each, and nothing else; it
 *   reads only that range of the table, and O(log n + k) of the entries held here.
 * - The owner calls `stage` before each checkpoint's state is flushed (on every barrier): only
 *   then are the entries added since in the table, and so in the checkpoint with the state they
 *   index. An index that is never staged (a push query's) never writes its table.
 * - No entry of the table is older than `floor`: a `take` that ran to its end deleted
 *   everything due by its limit, so the next read of the table starts there instead of at the
 *   tombstones of what was taken (on disk and among the table's unflushed entries).
 * - Adding an entry twice keeps one; deleting an absent entry does nothing.
 */
export class TimeIndex {
  /** Entries held here: `[head, ordered)` ascending by (time, key), `[ordered, length)` as added since. */
  private times: number[] = [];
  /** Keys of the entries held here; undefined where deleted. */
  private keys: (string | undefined)[] = [];
  private head = 0;
  private ordered = 0;
  private floor = -Infinity;
  /** The least time added since the latest `take` began. */
  private leastAdded = Infinity;

  constructor(private readonly table: StateTable<StateRow>) {}

  add(time: number, key: string): void {
    if (Number.isNaN(time)) throw new SluiceError('STATE_ERROR', 'cannot index state by a NaN time');
    // -0 and 0 are one time.
    const t = time === 0 ? 0 : time;
    if (t < this.floor) this.floor = t;
    if (t < this.leastAdded) this.leastAdded = t;
    const n = this.times.length;
    if (this.ordered === n && (n === this.head || compareEntries(this.times[n - 1]!, this.keys[n - 1] ?? '', t, key) <= 0)) this.ordered++;
    this.times.push(t);
    this.keys.push(key);
  }

  delete(time: number, key: string): void {
    const t = time === 0 ? 0 : time;
    this.order();
    for (let i = this.lowerBound(t); i < this.ordered && this.times[i] === t; i++) if (this.keys[i] === key) this.keys[i] = undefined;
    this.table.delete(indexKey(t, key));
  }

  /** `[time, key]` of the entries due by `limit` (see the invariants). */
  async *due(limit: number, inclusive = false): AsyncGenerator<Entry> {
    for await (const [e] of this.merged(this.held(limit, inclusive), limit, inclusive)) yield e;
  }

  /**
   * Entries of `due(limit, inclusive)` in chunks of at most `size`, for bounded batched reads;
   * each chunk's entries are deleted when the caller asks for the next one (or for the end).
   */
  async *take(limit: number, inclusive: boolean, size: number): AsyncGenerator<Entry[]> {
    this.leastAdded = Infinity;
    const held = this.held(limit, inclusive);
    // The held entries leave now; a take left part-way gives back those it did not delete.
    this.head = this.dueEnd(limit, inclusive);
    this.compact();
    let chunk: Entry[] = [];
    let fromTable: string[] = [];
    let deleted = 0;
    let heldUsed = 0;
    const done = (): void => {
      for (const k of fromTable) this.table.delete(k);
      deleted = heldUsed;
      chunk = [];
      fromTable = [];
    };
    try {
      for await (const [e, tableKey, used] of this.merged(held, limit, inclusive, false)) {
        chunk.push(e);
        if (tableKey !== undefined) fromTable.push(tableKey);
        heldUsed = used;
        if (chunk.length < size) continue;
        yield chunk;
        done();
      }
      // Past the table's last due entry the rest are held ones: whole chunks of them at once.
      while (heldUsed < held.length) {
        const end = Math.min(held.length, heldUsed + size - chunk.length);
        for (let i = heldUsed; i < end; i++) chunk.push(held[i]!);
        heldUsed = end;
        if (chunk.length < size) break;
        yield chunk;
        done();
      }
      if (chunk.length > 0) {
        yield chunk;
        done();
      }
      this.floor = Math.max(this.floor, Math.min(limit, this.leastAdded));
    } finally {
      for (let i = deleted; i < held.length; i++) this.add(held[i]![0], held[i]![1]);
    }
  }

  /** Writes the entries held here into the table (they are then flushed with it) and forgets them. */
  stage(): void {
    for (const [t, k] of this.held(Infinity, true)) this.table.put(indexKey(t, k), EMPTY);
    this.times = [];
    this.keys = [];
    this.head = 0;
    this.ordered = 0;
  }

  /** The entries held here that are due by `limit`, ascending, each once. */
  private held(limit: number, inclusive: boolean): Entry[] {
    this.order();
    const end = this.dueEnd(limit, inclusive);
    const out: Entry[] = [];
    for (let i = this.head; i < end; i++) {
      const k = this.keys[i];
      if (k === undefined) continue;
      const last = out[out.length - 1];
      if (last === undefined || last[0] !== this.times[i] || last[1] !== k) out.push([this.times[i]!, k]);
    }
    return out;
  }

  /** The end of the ordered entries due by `limit` (call `order` first). */
  private dueEnd(limit: number, inclusive: boolean): number {
    let end = this.lowerBound(limit);
    if (inclusive) while (end < this.ordered && this.times[end] === limit) end++;
    return end;
  }

  /**
   * The due entries of the table merged with `held` (ascending, each once): each entry once,
   * with its table key where the table holds it, and how many of `held` were used up to it.
   * Without `tail`, it stops after the table's last due entry, leaving the held ones after it.
   */
  private async *merged(held: readonly Entry[], limit: number, inclusive: boolean, tail = true): AsyncGenerator<[Entry, string | undefined, number]> {
    const lt = timeKey(limit, inclusive);
    const range = { ...(this.floor > -Infinity ? { gte: timeHex(this.floor) } : {}), ...(lt === undefined ? {} : { lt }) };
    let i = 0;
    for await (const [tableKey] of this.table.range(range)) {
      const e: Entry = [keyTime(tableKey), tableKey.slice(TIME_WIDTH)];
      for (; i < held.length; i++) {
        const h = held[i]!;
        const cmp = compareEntries(h[0], h[1], e[0], e[1]);
        if (cmp > 0) break;
        if (cmp === 0) {
          i++;
          break;
        }
        yield [h, undefined, i + 1];
      }
      yield [e, tableKey, i];
    }
    if (tail) for (; i < held.length; i++) yield [held[i]!, undefined, i + 1];
  }

  /** Sorts the entries added out of order into the ordered ones. */
  private order(): void {
    const n = this.times.length;
    if (this.ordered === n) return;
    const added: number[] = [];
    for (let i = this.ordered; i < n; i++) added.push(i);
    added.sort((a, b) => compareEntries(this.times[a]!, this.keys[a] ?? '', this.times[b]!, this.keys[b] ?? ''));
    const from = this.ordered > this.head ? this.lowerBound(this.times[added[0]!]!) : this.head;
    const times: number[] = [];
    const keys: (string | undefined)[] = [];
    let a = from;
    for (const b of added) {
      while (a < this.ordered && compareEntries(this.times[a]!, this.keys[a] ?? '', this.times[b]!, this.keys[b] ?? '') <= 0) {
        times.push(this.times[a]!);
        keys.push(this.keys[a++]);
      }
      times.push(this.times[b]!);
      keys.push(this.keys[b]);
    }
    for (; a < this.ordered; a++) {
      times.push(this.times[a]!);
      keys.push(this.keys[a]);
    }
    for (let j = 0; j < times.length; j++) {
      this.times[from + j] = times[j]!;
      this.keys[from + j] = keys[j];
    }
    this.ordered = n;
  }

  /** The first ordered position whose time is at or after `time`. */
  private lowerBound(time: number): number {
    let lo = this.head;
    let hi = this.ordered;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops the taken entries once they are most of the arrays. */
  private compact(): void {
    if (this.head < 1024 || this.head * 2 < this.times.length) return;
    this.times.splice(0, this.head);
    this.keys.splice(0, this.head);
    this.ordered -= this.head;
    this.head = 0;
  }
}

function compareEntries(t1: number, k1: string, t2: number, k2: string): number {
  return t1 < t2 ? -1 : t1 > t2 ? 1 : compareKeys(k1, k2);
}

const view = new DataView(new ArrayBuffer(8));

/** The 16 hex digits of `time`'s IEEE-754 bits mapped to an unsigned 64-bit integer that orders as the numbers do. */
function timeHex(time: number): string {
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
