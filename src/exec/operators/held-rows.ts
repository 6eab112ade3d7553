/**
 * The rows one input of a join added since its last barrier, held in the Arrow batches they
 * arrived in rather than as one object per row.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { StateValue } from '../../state/index.js';
import { plain, readColumn, takeRows, type Values } from '../columns.js';

/** A row's join key as held: any value Map tells apart by SameValueZero (see IntervalJoinOperator). */
export type HeldKey = number | string;

const INITIAL_ROWS = 1024;
/** Dropped rows are cut out once there are this many and they outnumber the live ones. */
const COMPACT_AFTER = 4096;

/**
 * Rows by key, columnar: each row is an id (dense, in arrival order) with its batch, its row in
 * that batch, its time and its key in typed arrays; a key's rows form one chain through the ids
 * (newest first, its head in `numberHeads` or `textHeads`), so holding a row makes no heap
 * object of its own beyond a text key, and the long-lived data is mostly the batches' buffers. Values are read from the batch
 * only when a pair or a barrier needs them.
 *
 * Invariants:
 * - `rows(key)` gives the live rows of a key in arrival order; a dropped row is skipped by every
 *   read and leaves the arrays at the next `compact` that finds most rows dropped.
 * - After a `compact` a batch is held only if some of its rows are live (one mostly dropped is
 *   cut to its live rows), so memory follows the live rows, not every row ever added.
 */
export class HeldRows {
  private batches: RecordBatch[] = [];
  /** Per batch: the first id of its rows (its ids are contiguous), the least time among its live rows (a bound), its live rows. */
  private firstIds: number[] = [];
  private leastTimes: number[] = [];
  private liveCounts: number[] = [];
  /** Decoded columns of each batch, filled as values are read. */
  private decoded: (Values | undefined)[][] = [];
  private batchOf = new Int32Array(INITIAL_ROWS);
  private rowOf = new Int32Array(INITIAL_ROWS);
  private times = new Float64Array(INITIAL_ROWS);
  /** The previous row of the same key; -1: none. */
  private prev = new Int32Array(INITIAL_ROWS);
  private live = new Uint8Array(INITIAL_ROWS);
  private keys: HeldKey[] = [];
  /** The newest row of each key held: number keys, text keys. */
  private readonly numberHeads = new NumberHeads();
  private readonly textHeads = new Map<string, number>();
  private size = 0;
  private dropped = 0;
  /** A reusable list for `rows`. */
  private readonly scratch: number[] = [];

  constructor(private readonly fields: readonly Field[]) {}

  /** Holds row `row` of `batch` (time `time`, key `key`); returns its id. */
  add(batch: RecordBatch, row: number, time: number, key: HeldKey): number {
    const id = this.size;
    if (id === this.times.length) this.grow();
    let b = this.batches.length - 1;
    if (this.batches[b] !== batch) {
      b = this.batches.push(batch) - 1;
      this.decoded.push([]);
      this.firstIds.push(id);
      this.leastTimes.push(time);
      this.liveCounts.push(0);
    }
    if (time < this.leastTimes[b]!) this.leastTimes[b] = time;
    this.liveCounts[b]!++;
    this.batchOf[id] = b;
    this.rowOf[id] = row;
    this.times[id] = time;
    if (typeof key === 'number') this.prev[id] = this.numberHeads.swap(key, id);
    else {
      this.prev[id] = this.textHeads.get(key) ?? -1;
      this.textHeads.set(key, id);
    }
    this.live[id] = 1;
    this.keys.push(key);
    this.size++;
    return id;
  }

  /** Whether the key may have live rows (false: it has none). */
  has(key: HeldKey): boolean {
    return this.head(key) >= 0;
  }

  /**
   * The live rows of `key`, oldest first. The list is reused by the next call: read it before
   * calling again. Empty when the key has none.
   */
  rows(key: HeldKey): readonly number[] {
    const out = this.scratch;
    out.length = 0;
    for (let id = this.head(key); id >= 0; id = this.prev[id]!) if (this.live[id] === 1) out.push(id);
    return out.reverse();
  }

  time(id: number): number {
    return this.times[id]!;
  }

  /** The values of row `id`, as state holds them. */
  values(id: number): StateValue[] {
    const b = this.batchOf[id]!;
    const batch = this.batches[b]!;
    const cols = this.decoded[b]!;
    const row = this.rowOf[id]!;
    const out = new Array<StateValue>(this.fields.length);
    for (let c = 0; c < out.length; c++) {
      const col = (cols[c] ??= readColumn(batch, c, this.fields[c]!.type));
      out[c] = plain(col[row]) as StateValue;
    }
    return out;
  }

  /** Drops a live row (taken back, or retired by a watermark). */
  drop(id: number): void {
    if (this.live[id] !== 1) return;
    this.live[id] = 0;
    this.liveCounts[this.batchOf[id]!]!--;
    this.dropped++;
  }

  /**
   * Drops the live rows whose time is before `bound`; returns how many. Reads only the batches
   * that may hold one (their least time is before `bound` and they have live rows).
   */
  dropBefore(bound: number): number {
    let n = 0;
    for (let b = 0; b < this.batches.length; b++) {
      if (this.liveCounts[b] === 0 || this.leastTimes[b]! >= bound) continue;
      const end = b + 1 < this.batches.length ? this.firstIds[b + 1]! : this.size;
      let least = Infinity;
      let gone = 0;
      for (let id = this.firstIds[b]!; id < end; id++) {
        if (this.live[id] !== 1) continue;
        const t = this.times[id]!;
        if (t < bound) {
          this.live[id] = 0;
          gone++;
        } else if (t < least) least = t;
      }
      this.liveCounts[b] = this.liveCounts[b]! - gone;
      this.leastTimes[b] = least;
      n += gone;
    }
    this.dropped += n;
    return n;
  }

  /** Calls `f` with the time and key of each live row, in arrival order. */
  forEachLive(f: (time: number, key: HeldKey) => void): void {
    for (let id = 0; id < this.size; id++) if (this.live[id] === 1) f(this.times[id]!, this.keys[id]!);
  }

  /** Lets go of every row. */
  clear(): void {
    this.batches = [];
    this.firstIds = [];
    this.leastTimes = [];
    this.liveCounts = [];
    this.decoded = [];
    this.keys = [];
    this.numberHeads.clear();
    this.textHeads.clear();
    this.size = 0;
    this.dropped = 0;
    if (this.times.length > INITIAL_ROWS) this.resize(INITIAL_ROWS);
  }

  /** Cuts the dropped rows out once they are many and most of the rows (see the invariants). */
  compact(): void {
    if (this.dropped < COMPACT_AFTER || this.dropped * 2 < this.size) return;
    const { batches, batchOf, rowOf, times, live, keys, size } = this;
    const liveRows = size - this.dropped;
    /** Per old batch: its live rows, and the batch they are in now. */
    const kept: number[][] = batches.map(() => []);
    for (let id = 0; id < size; id++) if (live[id] === 1) kept[batchOf[id]!]!.push(rowOf[id]!);
    const moved: (RecordBatch | undefined)[] = batches.map((batch, b) => {
      const rows = kept[b]!;
      if (rows.length === 0) return undefined;
      return rows.length * 2 >= batch.numRows ? batch : takeRows(batch, this.fields, rows);
    });
    /** Per old batch: the position of each live row in its new batch. */
    const position = kept.map((rows, b) => (moved[b] === batches[b] ? undefined : new Map(rows.map((r, j) => [r, j]))));
    this.batches = [];
    this.firstIds = [];
    this.leastTimes = [];
    this.liveCounts = [];
    this.decoded = [];
    this.keys = [];
    this.numberHeads.clear(liveRows);
    this.textHeads.clear();
    this.size = 0;
    this.dropped = 0;
    this.resize(Math.max(INITIAL_ROWS, liveRows));
    for (let id = 0; id < size; id++) {
      if (live[id] !== 1) continue;
      const b = batchOf[id]!;
      const row = position[b]?.get(rowOf[id]!) ?? rowOf[id]!;
      this.add(moved[b]!, row, times[id]!, keys[id]!);
    }
  }

  /** The newest row of `key`; -1: none. */
  private head(key: HeldKey): number {
    return typeof key === 'number' ? this.numberHeads.get(key) : (this.textHeads.get(key) ?? -1);
  }

  /** Rows held, live and dropped. */
  get length(): number {
    return this.size;
  }

  private grow(): void {
    this.resize(this.times.length * 2);
  }

  /** New arrays of `capacity` rows holding the first `size` rows of the old ones. */
  private resize(capacity: number): void {
    const copy = <T extends Int32Array | Float64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, Math.min(this.size, capacity)));
      return next;
    };
    this.batchOf = copy(this.batchOf, (n) => new Int32Array(n));
    this.rowOf = copy(this.rowOf, (n) => new Int32Array(n));
    this.times = copy(this.times, (n) => new Float64Array(n));
    this.prev = copy(this.prev, (n) => new Int32Array(n));
    this.live = copy(this.live, (n) => new Uint8Array(n));
  }
}

const MIN_SLOTS = 1024;

/**
 * Row ids by number key: open addressing with linear probing over typed arrays, so that a
 * key's entry is no heap object and holding many keys adds nothing for the collector to trace.
 * At most half the slots are used.
 */
class NumberHeads {
  private keys = new Float64Array(MIN_SLOTS);
  /** The id of each slot's key; -1: the slot is free. */
  private ids = new Int32Array(MIN_SLOTS).fill(-1);
  private count = 0;
  /** 32 less log2 of the slots: a hash's top bits pick the slot. */
  private shift = 32 - Math.log2(MIN_SLOTS);

  /** The id of `key`; -1: none. */
  get(key: number): number {
    return this.ids[this.slot(key)]!;
  }

  /** Sets the id of `key`; returns its previous one (-1: none). */
  swap(key: number, id: number): number {
    let at = this.slot(key);
    const old = this.ids[at]!;
    if (old < 0) {
      if ((this.count + 1) * 2 > this.ids.length) {
        this.rehash(this.ids.length * 2);
        at = this.slot(key);
      }
      this.keys[at] = key;
      this.count++;
    }
    this.ids[at] = id;
    return old;
  }

  /** Forgets every key, with room for `expected` keys before the table grows. */
  clear(expected = 0): void {
    let slots = MIN_SLOTS;
    while (slots < expected * 2) slots *= 2;
    if (this.count === 0 && slots === this.ids.length) return;
    this.keys = new Float64Array(slots);
    this.ids = new Int32Array(slots).fill(-1);
    this.count = 0;
    this.shift = 32 - Math.log2(slots);
  }

  /** The slot holding `key`, or the free slot where it would go. */
  private slot(key: number): number {
    const mask = this.ids.length - 1;
    // Safe integers: the low 32 bits mixed with the rest.
    let at = Math.imul((key | 0) ^ ((key / 4294967296) | 0), 0x9e3779b1) >>> this.shift;
    while (this.ids[at]! >= 0 && this.keys[at] !== key) at = (at + 1) & mask;
    return at;
  }

  private rehash(slots: number): void {
    const { keys, ids } = this;
    this.keys = new Float64Array(slots);
    this.ids = new Int32Array(slots).fill(-1);
    this.shift = 32 - Math.log2(slots);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i]! < 0) continue;
      const at = this.slot(keys[i]!);
      this.keys[at] = keys[i]!;
      this.ids[at] = ids[i]!;
    }
  }
}
