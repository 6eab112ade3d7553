/**
 * Stream-stream interval join: a left and a right row match when their keys are equal and
 * left.time + lowerMs <= right.time <= left.time + upperMs (and the residual holds).
 */
import type { RecordBatch } from 'apache-arrow';
import type { DataType, Field } from '../../common/types.js';
import { columnsOf, type BoundExpr } from '../../planner/bound-expr.js';
import type { IntervalJoinExec } from '../../planner/physical.js';
import { TimeIndex, type StateRow, type StateValue } from '../../state/index.js';
import { emitRows } from '../changes.js';
import { plain, readColumn, type Values } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { keyOf, keyOfValue } from '../../common/keys.js';
import { RowKind, rowJson, rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';
import { lateReason, nullTimeReason } from './event-time.js';
import { HeldRows, type HeldKey } from './held-rows.js';
import { sameValues } from './hash-join.js';

/** A buffered row as state holds it: its time and values. */
type Buffered = readonly [t: number, v: StateValue[]];

/** A joined pair: left values, right values, and whether it is taken back (an input retraction). */
type Pair = readonly [unknown[], unknown[], boolean];

interface Side {
  readonly fields: readonly Field[];
  readonly keys: readonly number[];
  readonly time: number;
  /** State table of the buffered rows by key (`{ r: Buffered[] }`); its time index is `<table>-time`. */
  readonly table: string;
  watermark: number;
  /** Rows buffered. */
  count: number;
  /**
   * The lists read from the table of the keys retracted or retired since the last barrier, by
   * key (an empty list: the key has none left): this operator's own copies, staged into the
   * table at the next barrier.
   */
  readonly working: Map<string, Buffered[]>;
  /** The rows added since the last barrier, in their batches: a key's rows are its list (from `working` or the table) followed by these. */
  readonly held: HeldRows;
  /** The time index of the buffered rows, made on first use. */
  index?: TimeIndex;
}

const META = 'meta';
/** Keys expired by a watermark are read and rewritten this many at a time. */
const EXPIRY_CHUNK = 1024;

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
 * - The heap holds the rows added since the last barrier in the batches they came in (`held`,
 *   no object per row) and the lists read from state of the keys retracted or retired since
 *   (`working`); the rest live in state alone. A batch reads the other side's lists of its keys
 *   in one batched read (none before anything was staged or restored, or while the other side
 *   holds no rows); a barrier appends the held rows to their keys' lists (reading the lists
 *   it lacks in one batched read), stages the lists into the tables and drops both. open()
 *   reads the watermarks and row counts only. Every staged row's (time, key) has an entry in
 *   its side's time index, so the staged rows a watermark retires are found there and the held
 *   ones by their batches' least times, never by a scan of the buffers.
 * - A barrier moves on once it arrived from both ports, after the buffers and watermarks
 *   changed since the last barrier are staged into state. `end` is forwarded once, after it
 *   arrived from both ports (each input's windows upstream flush on their own `end` first).
 */
export class IntervalJoinOperator extends StreamOperator {
  readonly name = 'IntervalJoinExec';
  readonly fields: readonly Field[];
  private readonly sides: readonly [Side, Side];
  private readonly residual: CompiledExpr | undefined;
  /** The output columns the residual reads. */
  private readonly residualReads: ReadonlySet<number>;
  private readonly lowerMs: number;
  private readonly upperMs: number;
  private outWatermark = -Infinity;
  /**
   * Both sides join on one numeric column: a row whose key is a safe integer is held under the
   * number (hashed far cheaper than its text), any other under its state key.
   */
  private readonly numericKey: boolean;
  /** Whether the side tables may hold rows (restored at open, or staged at a barrier); until then `working` holds them all. */
  private tablesHoldRows = false;

  constructor(spec: IntervalJoinSpec) {
    super(2);
    this.fields = spec.fields;
    const side = (fields: readonly Field[], keys: readonly number[], time: number, table: string): Side => ({ fields, keys, time, table, watermark: -Infinity, count: 0, working: new Map(), held: new HeldRows(fields) });
    this.sides = [side(spec.left, spec.leftKeys, spec.leftTime, 'left'), side(spec.right, spec.rightKeys, spec.rightTime, 'right')];
    this.numericKey = spec.leftKeys.length === 1 && isNumeric(spec.left[spec.leftKeys[0]!]!.type) && isNumeric(spec.right[spec.rightKeys[0]!]!.type);
    this.lowerMs = spec.lowerMs;
    this.upperMs = spec.upperMs;
    this.residual = spec.residual ? compileExpr(spec.residual, spec.fields, spec.udfs) : undefined;
    this.residualReads = spec.residual ? columnsOf(spec.residual) : new Set();
  }

  /** Reads the watermarks and row counts; the buffered rows stay on disk until a key is touched. */
  protected override async onOpen(): Promise<void> {
    const meta = await this.ctx.state.table(META).get('wm');
    if (!meta) return;
    this.tablesHoldRows = true;
    this.sides[0].watermark = meta['l'] as number;
    this.sides[1].watermark = meta['r'] as number;
    this.outWatermark = meta['o'] as number;
    if (typeof meta['nl'] === 'number' && typeof meta['nr'] === 'number') {
      this.sides[0].count = meta['nl'];
      this.sides[1].count = meta['nr'];
    } else {
      await this.indexOldState();
    }
  }

  /**
   * State written before the time index existed holds rows but neither their index entries nor
   * the counts: both are built once, from one scan, and committed with the next barrier.
   */
  private async indexOldState(): Promise<void> {
    for (const s of this.sides) {
      const index = this.index(s);
      for await (const [key, row] of this.ctx.state.table(s.table).scan()) {
        const rows = row['r'] as Buffered[];
        for (const [t] of rows) index.add(t, key);
        s.count += rows.length;
      }
    }
  }

  protected override async onBarrier(): Promise<void> {
    for (const s of this.sides) {
      await this.stageHeld(s);
      const table = this.ctx.state.table(s.table);
      for (const [key, list] of s.working) {
        if (list.length === 0) table.delete(key);
        else table.put(key, { r: list } satisfies StateRow);
      }
      s.working.clear();
      s.index?.stage();
    }
    this.tablesHoldRows = true;
    this.ctx.state.table(META).put('wm', { l: this.sides[0].watermark, r: this.sides[1].watermark, o: this.outWatermark, nl: this.sides[0].count, nr: this.sides[1].count });
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined, port: number): Promise<void> {
    const p = port === 1 ? 1 : 0;
    const me = this.sides[p];
    const other = this.sides[1 - p]!;
    const n = batch.numRows;
    const times = readColumn(batch, me.time, me.fields[me.time]!.type);
    const keyCols = me.keys.map((c) => readColumn(batch, c, me.fields[c]!.type));
    const parts = new Array<unknown>(keyCols.length);
    const rowKeys = new Array<HeldKey | undefined>(n);
    for (let i = 0; i < n; i++) {
      if (typeof times[i] !== 'number') continue;
      if (this.numericKey) {
        const v = keyCols[0]![i] ?? null;
        if (v !== null) rowKeys[i] = numericHeldKey(v);
        continue;
      }
      let nullKey = false;
      for (let k = 0; k < parts.length; k++) {
        const v = keyCols[k]![i] ?? null;
        if (v === null) nullKey = true;
        parts[k] = v;
      }
      if (!nullKey) rowKeys[i] = keyOf(parts);
    }
    const retracts = rowKinds !== undefined && rowKinds.some((k) => k === RowKind.UPDATE_BEFORE || k === RowKind.DELETE);
    const read = new Map<string, readonly Buffered[]>();
    if (this.tablesHoldRows && (retracts || other.count > 0)) {
      const keys = rowKeys.flatMap((k) => (k === undefined ? [] : [stateKey(k)]));
      // Additions go to the held rows; only a retraction changes the lists in the table.
      await Promise.all([retracts ? this.load(me, keys) : undefined, other.count > 0 ? this.load(other, keys, read) : undefined]);
    }
    const lists = other.working.size > 0 || read.size > 0;
    const pairs: Pair[] = [];
    /** The values of this batch's rows, read once a row needs them (a pair or a retraction). */
    let cols: Values[] | undefined;
    const valuesOf = (i: number): StateValue[] => {
      cols ??= me.fields.map((f, c) => readColumn(batch, c, f.type));
      return cols.map((col) => plain(col[i]) as StateValue);
    };
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
      const heldKey = rowKeys[i];
      if (heldKey === undefined) continue;
      const key = lists || retract ? stateKey(heldKey) : '';
      let values: StateValue[] | undefined;
      if (retract) {
        values = valuesOf(i);
        if (!this.takeBack(me, key, heldKey, t, values)) {
          this.reject(rowText(batch, me.fields, i), 'retraction of a row the join does not hold (never seen, or already retired by the watermark)');
          continue;
        }
      }
      const theirs = lists ? (other.working.get(key) ?? read.get(key)) : undefined;
      if (theirs !== undefined) {
        for (const [ot, ov] of theirs) {
          if (this.matches(p, t, ot)) {
            values ??= valuesOf(i);
            pairs.push(p === 0 ? [values, ov, retract] : [ov, values, retract]);
          }
        }
      }
      if (other.held.has(heldKey)) {
        for (const id of other.held.rows(heldKey)) {
          if (this.matches(p, t, other.held.time(id))) {
            values ??= valuesOf(i);
            const ov = other.held.values(id);
            pairs.push(p === 0 ? [values, ov, retract] : [ov, values, retract]);
          }
        }
      }
      if (!retract) {
        me.held.add(batch, i, t, heldKey);
        me.count++;
      }
    }
    return this.emitPairs(pairs);
  }

  /** Whether a row of side `p` at time `t` and one of the other side at `ot` are within the bounds. */
  private matches(p: 0 | 1, t: number, ot: number): boolean {
    const tl = p === 0 ? t : ot;
    const tr = p === 0 ? ot : t;
    return tl + this.lowerMs <= tr && tr <= tl + this.upperMs;
  }

  /**
   * Removes the first buffered row of `key` at `t` with `values` from side `s` (its list, then
   * its held rows, each oldest first), and a list row's index entry when no other row of the
   * list has that time; false when it holds none.
   */
  private takeBack(s: Side, key: string, heldKey: HeldKey, t: number, values: readonly StateValue[]): boolean {
    const list = s.working.get(key);
    const at = list === undefined ? -1 : list.findIndex(([bt, bv]) => bt === t && sameValues(bv, values));
    if (list !== undefined && at >= 0) {
      list.splice(at, 1);
      if (!list.some(([bt]) => bt === t)) this.index(s).delete(t, key);
    } else {
      const id = s.held.rows(heldKey).find((h) => s.held.time(h) === t && sameValues(s.held.values(h), values));
      if (id === undefined) return false;
      s.held.drop(id);
    }
    s.count--;
    return true;
  }

  /**
   * Appends the live held rows of side `s` to their keys' lists in `working` (reading the lists
   * of the keys it has none of from the table, in one batched read) and lets the batches go.
   */
  private async stageHeld(s: Side): Promise<void> {
    const held = s.held;
    if (held.length === 0) return;
    const index = this.index(s);
    const keys = new Map<string, HeldKey>();
    held.forEachLive((t, heldKey) => {
      const key = stateKey(heldKey);
      index.add(t, key);
      keys.set(key, heldKey);
    });
    await this.load(s, [...keys.keys()]);
    for (const [key, heldKey] of keys) {
      const rows = held.rows(heldKey);
      let list = s.working.get(key);
      if (list === undefined) s.working.set(key, (list = []));
      for (const id of rows) list.push([held.time(id), held.values(id)]);
    }
    held.clear();
  }

  /**
   * Reads the row lists of the `keys` side `s` holds no working list for from its table, in one
   * batched read (none while the tables hold no rows): into `read` as they are, or without it
   * into `s.working` as copies (the table's values are shared), for the caller to change.
   */
  private async load(s: Side, keys: readonly string[], read?: Map<string, readonly Buffered[]>): Promise<void> {
    if (!this.tablesHoldRows) return;
    const missing = [...new Set(keys.filter((k) => !s.working.has(k)))];
    if (missing.length === 0) return;
    const rows = await this.ctx.state.table(s.table).getMany(missing);
    missing.forEach((key, m) => {
      const list = rows[m]?.['r'] as Buffered[] | undefined;
      if (list === undefined) return;
      if (read) read.set(key, list);
      else s.working.set(key, [...list]);
    });
  }

  private index(s: Side): TimeIndex {
    return (s.index ??= new TimeIndex(this.ctx.state.table(`${s.table}-time`)));
  }

  /** Emits the pairs the residual keeps; it is evaluated over the columns it reads before the others are built. */
  private emitPairs(all: readonly Pair[]): Promise<void> {
    const width = this.sides[0].fields.length;
    const column = (pairs: readonly Pair[], c: number) => pairs.map(([l, r]) => (c < width ? l[c] : r[c - width]) ?? null);
    let pairs = all;
    if (this.residual && pairs.length > 0) {
      const read = this.residualReads;
      const { values, errors } = this.residual.evaluateColumns(this.fields.map((_, c) => (read.has(c) ? column(pairs, c) : undefined)), pairs.length);
      for (const e of errors) this.reject(rowJson(this.fields, [...pairs[e.row]![0], ...pairs[e.row]![1]]), `join condition ${this.residual.text}: ${e.message}`);
      pairs = pairs.filter((_, j) => values[j] === true);
    }
    if (pairs.length === 0) return Promise.resolve();
    const kinds = pairs.some((x) => x[2]) ? Uint8Array.from(pairs, (x) => (x[2] ? RowKind.DELETE : RowKind.INSERT)) : undefined;
    return emitRows(this.ctx, this.name, 'joined row', this.fields, this.fields.map((_, c) => column(pairs, c)), pairs.length, kinds);
  }

  /**
   * Retires the rows the watermark makes unmatchable, found through the other side's time
   * index (never a scan of the rows); forwards the output watermark when it advances.
   */
  protected override async onWatermark(time: number, port: number): Promise<number | undefined> {
    const p = port === 1 ? 1 : 0;
    const me = this.sides[p];
    if (time <= me.watermark) return undefined;
    me.watermark = time;
    // A left watermark retires right rows (t - lower < wm) and vice versa (t + upper < wm).
    await this.retire(this.sides[1 - p]!, p === 0 ? time + this.lowerMs : time - this.upperMs);
    const out = Math.min(this.sides[0].watermark + Math.min(0, this.lowerMs), this.sides[1].watermark - Math.max(0, this.upperMs));
    if (out <= this.outWatermark) return undefined;
    this.outWatermark = out;
    return out;
  }

  /**
   * Drops the rows of side `s` whose time is before `bound`: the held ones by their batches'
   * times, the others found through the time index, with their index entries.
   */
  private async retire(s: Side, bound: number): Promise<void> {
    s.count -= s.held.dropBefore(bound);
    s.held.compact();
    for await (const chunk of this.index(s).take(bound, false, EXPIRY_CHUNK)) {
      await this.load(s, chunk.map(([, k]) => k));
      for (const [, key] of chunk) {
        const list = s.working.get(key);
        if (list === undefined || list.length === 0) continue;
        let kept = 0;
        for (const row of list) if (row[0] >= bound) list[kept++] = row;
        s.count -= list.length - kept;
        list.length = kept;
        // A key the table cannot hold needs no tombstone.
        if (kept === 0 && !this.tablesHoldRows) s.working.delete(key);
      }
    }
  }

  private reject(row: string, reason: string): void {
    this.ctx.deadLetter({ reason, operator: this.name, row });
  }

  /** Rows buffered on each side. */
  get buffered(): [number, number] {
    return [this.sides[0].count, this.sides[1].count];
  }
}

function isNumeric(t: DataType): boolean {
  return t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'FLOAT' || t.kind === 'DOUBLE' || t.kind === 'TIMESTAMP' || t.kind === 'DATE';
}

/**
 * The held key of one numeric key value: the number where it is a safe integer (a BIGINT too),
 * else its state key. Equal values give equal keys whatever their column's type, as their state
 * keys are equal.
 */
function numericHeldKey(v: unknown): HeldKey {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : keyOfValue(v);
}

/** The state key of a held key: a number's is its text (keyOf writes numbers and BIGINTs so). */
function stateKey(k: HeldKey): string {
  return typeof k === 'number' ? String(k) : k;
}
