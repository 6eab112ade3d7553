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
 * (newest first, `lastOf` the head), so holding a row makes no heap object of its own beyond its
 * key, and the long-lived data is mostly the batches' buffers. Values are read from the batch
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
  /** The newest row of each key held. */
  private lastOf = new Map<HeldKey, number>();
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
    this.prev[id] = this.lastOf.get(key) ?? -1;
    this.live[id] = 1;
    this.keys.push(key);
    this.lastOf.set(key, id);
    this.size++;
    return id;
  }

  /** Whether the key may have live rows (false: it has none). */
  has(key: HeldKey): boolean {
    return this.lastOf.has(key);
  }

  /**
   * The live rows of `key`, oldest first. The list is reused by the next call: read it before
   * calling again. Empty when the key has none.
   */
  rows(key: HeldKey): readonly number[] {
    const out = this.scratch;
    out.length = 0;
    for (let id = this.lastOf.get(key) ?? -1; id >= 0; id = this.prev[id]!) if (this.live[id] === 1) out.push(id);
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
    this.lastOf.clear();
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
    this.lastOf = new Map();
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
