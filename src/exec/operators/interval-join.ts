/**
 * Stream-stream interval join: a left and a right row match when their keys are equal and
 * left.time + lowerMs <= right.time <= left.time + upperMs (and the residual holds).
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import type { IntervalJoinExec } from '../../planner/physical.js';
import type { StateRow, StateValue } from '../../state/index.js';
import { emitRows } from '../changes.js';
import { plain, readColumn } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { keyOf, keyOfValue } from '../../common/keys.js';
import { TimeHeap } from '../time-heap.js';
import { RowKind, rowJson, rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';
import { lateReason, nullTimeReason } from './event-time.js';

interface Buffered {
  readonly t: number;
  readonly v: unknown[];
}

/** A joined pair: left values, right values, and whether it is taken back (an input retraction). */
type Pair = readonly [unknown[], unknown[], boolean];

interface Side {
  readonly fields: readonly Field[];
  readonly keys: readonly number[];
  readonly time: number;
  readonly table: string;
  rows: Map<string, Buffered[]>;
  /** The key of every buffered row by its time (and of rows since taken back, which find nothing). */
  expiry: TimeHeap<string>;
  readonly dirty: Set<string>;
  watermark: number;
}

export interface IntervalJoinSpec extends Pick<IntervalJoinExec, 'leftKeys' | 'rightKeys' | 'leftTime' | 'rightTime' | 'lowerMs' | 'upperMs' | 'fields'> {
  readonly left: readonly Field[];
  readonly right: readonly Field[];
  /** A condition over the joined row (`fields`) beyond the keys and the time bounds. */
  readonly residual?: BoundExpr | undefined;
  readonly udfs: UdfResolver;
}

/**
 * IntervalJoinExec (port 0 = left, port 1 = right).
 *
 * Invariants:
 * - Every matching pair is emitted exactly once, when the later of its two rows arrives; the
 *   output row is left ++ right.
 * - A buffered row is dropped once no future row of the other side can match it: a left row
 *   when left.time + upper < right watermark, a right row when right.time - lower < left
 *   watermark. A row behind its own side's watermark (its partners may be gone) or with a NULL
 *   time goes to the dead-letter stream; a row with a NULL key matches nothing (SQL equality).
 * - Over an updating input, a retraction (-U/-D) removes the equal buffered row of its side and
 *   takes back every pair that row formed with the other side's buffered rows, as -D rows (and
 *   the pairs of an added row are +I), so the output is a valid changelog; a retraction of a row
 *   the join does not hold (never seen, or already retired) goes to the dead-letter stream.
 * - The output watermark never passes a time a future output row can still carry in either
 *   time column: min(left wm + min(0, lower), right wm - max(0, upper)), which is the min of
 *   both input watermarks when lower = upper = 0. It is forwarded only when it advances.
 * - A barrier moves on once it arrived from both ports, after the buffers and watermarks
 *   changed since the last barrier are written to state. `end` is forwarded once, after it
 *   arrived from both ports (each input's windows upstream flush on their own `end` first).
 */
export class IntervalJoinOperator extends StreamOperator {
  readonly name = 'IntervalJoinExec';
  readonly fields: readonly Field[];
  private readonly sides: readonly [Side, Side];
  private readonly residual: CompiledExpr | undefined;
  private readonly lowerMs: number;
  private readonly upperMs: number;
  private outWatermark = -Infinity;

  constructor(spec: IntervalJoinSpec) {
    super(2);
    this.fields = spec.fields;
    const side = (fields: readonly Field[], keys: readonly number[], time: number, table: string): Side => ({ fields, keys, time, table, rows: new Map(), expiry: new TimeHeap(), dirty: new Set(), watermark: -Infinity });
    this.sides = [side(spec.left, spec.leftKeys, spec.leftTime, 'left'), side(spec.right, spec.rightKeys, spec.rightTime, 'right')];
    this.lowerMs = spec.lowerMs;
    this.upperMs = spec.upperMs;
    this.residual = spec.residual ? compileExpr(spec.residual, spec.fields, spec.udfs) : undefined;
  }

  protected override async onOpen(): Promise<void> {
    for (const s of this.sides) {
      s.rows = new Map();
      s.expiry = new TimeHeap();
      for await (const [key, row] of this.ctx.state.table(s.table).scan()) {
        const list = (row['r'] as [number, StateValue[]][]).map(([t, v]) => ({ t, v: [...v] }));
        s.rows.set(key, list);
        for (const b of list) s.expiry.push(b.t, key);
      }
    }
    const meta = await this.ctx.state.table('meta').get('wm');
    if (meta) {
      this.sides[0].watermark = meta['l'] as number;
      this.sides[1].watermark = meta['r'] as number;
      this.outWatermark = meta['o'] as number;
    }
  }

  protected override onBarrier(): void {
    this.flush();
  }

  protected onData(batch: RecordBatch, rowKinds: Uint8Array | undefined, port: number): Promise<void> {
    const p = port === 1 ? 1 : 0;
    const me = this.sides[p];
    const other = this.sides[1 - p]!;
    const n = batch.numRows;
    const cols = me.fields.map((f, c) => readColumn(batch, c, f.type));
    const times = cols[me.time]!;
    const parts = new Array<unknown>(me.keys.length);
    const pairs: Pair[] = [];
    for (let i = 0; i < n; i++) {
      const t = times[i];
      const kind = rowKinds?.[i];
      const retract = kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE;
      if (typeof t !== 'number') {
        this.reject(rowText(batch, me.fields, i), nullTimeReason(me.fields[me.time]!));
        continue;
      }
      // A retraction behind the watermark may still find its row buffered; only additions are late.
      if (!retract && t < me.watermark) {
        this.reject(rowText(batch, me.fields, i), lateReason(t, me.watermark));
        continue;
      }
      let nullKey = false;
      for (let k = 0; k < parts.length; k++) {
        const v = cols[me.keys[k]!]![i] ?? null;
        if (v === null) nullKey = true;
        parts[k] = v;
      }
      if (nullKey) continue;
      const key = parts.length === 1 ? keyOfValue(parts[0]) : keyOf(parts);
      const values = cols.map((c) => plain(c[i]));
      const list = me.rows.get(key);
      if (retract) {
        const at = list ? list.findIndex((b) => b.t === t && sameValues(b.v, values)) : -1;
        if (at < 0) {
          this.reject(rowText(batch, me.fields, i), 'retraction of a row the join does not hold (never seen, or already retired by the watermark)');
          continue;
        }
        list!.splice(at, 1);
        if (list!.length === 0) me.rows.delete(key);
      }
      for (const o of other.rows.get(key) ?? []) {
        const [tl, tr] = p === 0 ? [t, o.t] : [o.t, t];
        if (tl + this.lowerMs <= tr && tr <= tl + this.upperMs) pairs.push(p === 0 ? [values, o.v, retract] : [o.v, values, retract]);
      }
      if (!retract) {
        if (list) list.push({ t, v: values });
        else me.rows.set(key, [{ t, v: values }]);
        me.expiry.push(t, key);
      }
      me.dirty.add(key);
    }
    return this.emitPairs(pairs);
  }

  private emitPairs(pairs: readonly Pair[]): Promise<void> {
    if (pairs.length === 0) return Promise.resolve();
    const width = this.sides[0].fields.length;
    let cols: unknown[][] = this.fields.map((_, c) => pairs.map(([l, r]) => (c < width ? l[c] : r[c - width]) ?? null));
    let kinds = pairs.some((x) => x[2]) ? pairs.map((x) => (x[2] ? RowKind.DELETE : RowKind.INSERT)) : undefined;
    let m = pairs.length;
    if (this.residual) {
      const { values, errors } = this.residual.evaluateColumns(cols, m);
      for (const e of errors) this.reject(rowJson(this.fields, cols.map((c) => c[e.row])), `join condition ${this.residual.text}: ${e.message}`);
      const keep: number[] = [];
      for (let j = 0; j < m; j++) if (values[j] === true) keep.push(j);
      if (keep.length < m) {
        cols = cols.map((c) => keep.map((j) => c[j]));
        kinds = kinds && keep.map((j) => kinds![j]!);
        m = keep.length;
      }
      if (m === 0) return Promise.resolve();
    }
    return emitRows(this.ctx, this.name, 'joined row', this.fields, cols, m, kinds && Uint8Array.from(kinds));
  }

  /** Retires the rows the watermark makes unmatchable; forwards the output watermark when it advances. */
  protected override onWatermark(time: number, port: number): number | undefined {
    const p = port === 1 ? 1 : 0;
    const me = this.sides[p];
    if (time <= me.watermark) return undefined;
    me.watermark = time;
    // A left watermark retires right rows and vice versa.
    const other = this.sides[1 - p]!;
    const expired = p === 0 ? (t: number) => t - this.lowerMs < time : (t: number) => t + this.upperMs < time;
    // Expiry is monotone in time: the keys of the expired rows are those of the heap's expired entries.
    const keys = new Set<string>();
    while (expired(other.expiry.minTime)) keys.add(other.expiry.pop()!);
    for (const key of keys) {
      const list = other.rows.get(key);
      if (!list) continue;
      const keep = list.filter((r) => !expired(r.t));
      if (keep.length === list.length) continue;
      if (keep.length === 0) other.rows.delete(key);
      else other.rows.set(key, keep);
      other.dirty.add(key);
    }
    const out = Math.min(this.sides[0].watermark + Math.min(0, this.lowerMs), this.sides[1].watermark - Math.max(0, this.upperMs));
    if (out <= this.outWatermark) return undefined;
    this.outWatermark = out;
    return out;
  }

  private reject(row: string, reason: string): void {
    this.ctx.deadLetter({ reason, operator: this.name, row });
  }

  private flush(): void {
    for (const s of this.sides) {
      const table = this.ctx.state.table(s.table);
      for (const key of s.dirty) {
        const list = s.rows.get(key);
        if (!list) table.delete(key);
        else table.put(key, { r: list.map((b) => [b.t, b.v as StateValue[]]) } satisfies StateRow);
      }
      s.dirty.clear();
    }
    this.ctx.state.table('meta').put('wm', { l: this.sides[0].watermark, r: this.sides[1].watermark, o: this.outWatermark });
  }

  /** Rows buffered on each side. */
  get buffered(): [number, number] {
    const count = (s: Side) => [...s.rows.values()].reduce((a, l) => a + l.length, 0);
    return [count(this.sides[0]), count(this.sides[1])];
  }
}

/** Whether two buffered rows hold the same values (nested values compared as JSON, BIGINTs as digits). */
function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  const text = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return a.every((x, i) => Object.is(x, b[i]) || (typeof x === 'object' && x !== null && text(x) === text(b[i])) || (typeof x === 'bigint' && x === b[i]));
}
