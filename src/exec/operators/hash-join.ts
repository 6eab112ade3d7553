/**
 * Regular join of two inputs, kept whole: INNER, LEFT, RIGHT and FULL [OUTER], on equal keys
 * (none for a cross join) and a residual condition over the joined row.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import { keyOf } from '../../common/keys.js';
import { columnsOf, type BoundExpr } from '../../planner/bound-expr.js';
import type { HashJoinExec } from '../../planner/physical.js';
import type { StateValue } from '../../state/index.js';
import { emitRows } from '../changes.js';
import { plain, readColumn, type Values } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { RowKind, rowJson, rowText, type Message, type OperatorContext } from '../message.js';
import { StreamOperator } from '../operator-driver.js';

/** Pairs tried, and output rows emitted, at a time. */
const CHUNK = 8192;
/** Full slices of pairs between two yields to the event loop. */
const YIELD_SLICES = 8;

/** What a waiting message's place holds once it has gone in (see HashJoinOperator.process). */
const END: Message = { kind: 'end' };

/** A held row: its values and how many rows of the other side it joins with now. */
type Held = readonly [values: StateValue[], matches: number];

/**
 * One output row: left values (null: padded), right values (null: padded; a MARK join's mark
 * instead), taken back or not.
 */
type Out = readonly [unknown[] | null, unknown[] | boolean | null, boolean];

export type JoinType = HashJoinExec['joinType'];

export interface HashJoinSpec extends Pick<HashJoinExec, 'joinType' | 'leftKeys' | 'rightKeys' | 'fields'> {
  readonly left: readonly Field[];
  readonly right: readonly Field[];
  readonly residual?: BoundExpr | undefined;
  readonly udfs: UdfResolver;
}

interface Side {
  readonly fields: readonly Field[];
  readonly keys: readonly number[];
  /** Rows without a partner are kept, padded with NULLs (the outer side of an outer join). */
  readonly preserved: boolean;
  /** State table of the held rows by key: `{ r: Held[] }`. */
  readonly table: string;
  watermark: number;
}

/**
 * HashJoinExec (port 0 = left, port 1 = right).
 *
 * Invariants:
 * - The output, applied as a changelog, is at every moment the join of the rows each side holds
 *   (inserts added, retractions taken away), as a batch engine computes it: every pair whose keys
 *   are equal (a NULL key matches nothing) and whose residual is TRUE, and for a preserved side
 *   each of its rows with no such pair, once, padded with NULLs.
 * - A row is held under its key with the number of its current pairs. A pair is emitted (+I) when
 *   its later row arrives and taken back (-D) when either row is retracted. A preserved row's
 *   padded version is emitted while it has no pair: taken back (-D) before its first pair and
 *   emitted again after its last pair is taken back, so the change kinds are +I and -D only.
 * - A retraction (-U/-D) removes one held row with equal values; a retraction of a row the join
 *   does not hold goes to the dead-letter stream. A row whose residual fails to evaluate goes to
 *   the dead-letter stream and the pair counts as not matching (the same each time it is met).
 * - The rows live in state: a batch reads the lists of its keys of both sides in one batched
 *   read each, and puts the lists it changed; the state table holds them until the next
 *   checkpoint writes them. With no keys (a cross join) every row is held under one key.
 * - However many pairs a batch makes, it holds at most CHUNK of them (and of output rows, and a
 *   row's pairs in a dead letter) at a time: pairs are tried in slices and the output is emitted
 *   as it grows.
 * - A MARK join emits no pairs: each left row once, with whether it has a partner now; the mark
 *   changes as a -D of the row with the old mark and a +I with the new one.
 * - The output watermark is the lesser of the two inputs' (an output row carries time columns of
 *   both); it is forwarded only when it advances. `end` moves on once both inputs ended.
 * - Over inputs that end (`ctx.bounded`), the messages of a side whose rows are padded or marked
 *   (LEFT, FULL and MARK: the left; RIGHT: the right) wait until the other side has ended, as a
 *   batch engine builds one side before it probes with the other: each such row then meets every
 *   row it will ever pair with, and no padded row or mark is emitted to be taken back (a LEFT
 *   join under a subquery's join would otherwise take back and re-emit every row, and each
 *   retraction searches the rows held under its key).
 */
export class HashJoinOperator extends StreamOperator {
  readonly name = 'HashJoinExec';
  readonly fields: readonly Field[];
  private readonly sides: readonly [Side, Side];
  private readonly residual: CompiledExpr | undefined;
  private readonly residualReads: ReadonlySet<number>;
  /** A pair's row (left ++ right), which the residual reads; the output of all but a MARK join. */
  private readonly pairFields: readonly Field[];
  /** A MARK join: each left row once, with whether it has a partner; no pairs. */
  private readonly mark: boolean;
  private outWatermark = -Infinity;
  /** Full slices of pairs tried (see YIELD_SLICES). */
  private slices = 0;
  /** The port whose messages wait for the other port's end over bounded inputs (see above), and them. */
  private readonly waitingPort: 0 | 1 | undefined;
  private waiting: Message[] | undefined;

  constructor(spec: HashJoinSpec) {
    super(2);
    this.fields = spec.fields;
    const t = spec.joinType;
    this.mark = t === 'MARK';
    this.pairFields = [...spec.left, ...spec.right];
    this.sides = [
      { fields: spec.left, keys: spec.leftKeys, preserved: t === 'LEFT' || t === 'FULL' || t === 'MARK', table: 'left', watermark: -Infinity },
      { fields: spec.right, keys: spec.rightKeys, preserved: t === 'RIGHT' || t === 'FULL', table: 'right', watermark: -Infinity },
    ];
    this.residual = spec.residual ? compileExpr(spec.residual, this.pairFields, spec.udfs) : undefined;
    this.residualReads = spec.residual ? columnsOf(spec.residual) : new Set();
    this.waitingPort = this.sides[0].preserved ? 0 : this.sides[1].preserved ? 1 : undefined;
  }

  override async open(ctx: OperatorContext): Promise<void> {
    await super.open(ctx);
    if (ctx.bounded && this.waitingPort !== undefined) this.waiting = [];
  }

  override async process(msg: Message, port = 0): Promise<void> {
    const waiting = this.waiting;
    if (!waiting) return super.process(msg, port);
    if (port === this.waitingPort) {
      waiting.push(msg);
      return;
    }
    await super.process(msg, port);
    if (msg.kind !== 'end') return;
    // The other side ended: the waiting side goes in, in order, each batch let go once joined.
    this.waiting = undefined;
    for (let i = 0; i < waiting.length; i++) {
      const m = waiting[i]!;
      waiting[i] = END;
      await super.process(m, this.waitingPort);
    }
  }

  protected override async onOpen(): Promise<void> {
    const meta = await this.ctx.state.table('meta').get('wm');
    if (!meta) return;
    this.sides[0].watermark = meta['l'] as number;
    this.sides[1].watermark = meta['r'] as number;
    this.outWatermark = meta['o'] as number;
  }

  protected override onBarrier(): void {
    this.ctx.state.table('meta').put('wm', { l: this.sides[0].watermark, r: this.sides[1].watermark, o: this.outWatermark });
  }

  protected override onWatermark(time: number, port: number): number | undefined {
    const me = this.sides[port === 1 ? 1 : 0];
    if (time > me.watermark) me.watermark = time;
    const out = Math.min(this.sides[0].watermark, this.sides[1].watermark);
    if (out <= this.outWatermark) return undefined;
    this.outWatermark = out;
    return out;
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined, port: number): Promise<void> {
    const p = port === 1 ? 1 : 0;
    const me = this.sides[p];
    const other = this.sides[1 - p]!;
    const n = batch.numRows;
    const cols: Values[] = me.fields.map((f, c) => readColumn(batch, c, f.type));
    const rowKeys = new Array<string | undefined>(n);
    const parts = new Array<unknown>(me.keys.length);
    for (let i = 0; i < n; i++) {
      let nullKey = false;
      for (let k = 0; k < parts.length; k++) {
        const v = cols[me.keys[k]!]![i] ?? null;
        if (v === null) nullKey = true;
        parts[k] = v;
      }
      if (!nullKey) rowKeys[i] = keyOf(parts);
    }
    const keys = [...new Set(rowKeys.filter((k): k is string => k !== undefined))];
    const [mine, theirs] = await Promise.all([this.read(me, keys), this.read(other, keys)]);
    const changedMine = new Set<string>();
    const changedTheirs = new Set<string>();
    let out: Out[] = [];
    const padded = (side: 0 | 1, v: unknown[], back: boolean): Out => (side === 0 ? [v, null, back] : [null, v, back]);

    // Row by row, in order; a row's pairs with the other side's held rows of its key are tried
    // in slices of at most CHUNK, the residual evaluated over a whole slice of pairs at once
    // (several rows' when they have few), and the output goes out every CHUNK rows.
    let row: { i: number; key: string | undefined; v: StateValue[]; retract: boolean; own: Held | undefined; matched: number; skip: boolean } | undefined;
    const begin = (i: number) => {
      const kind = rowKinds?.[i];
      const retract = kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE;
      const key = rowKeys[i];
      const v = cols.map((col) => plain(col[i]) as StateValue);
      row = { i, key, v, retract, own: undefined, matched: 0, skip: false };
      if (!retract || key === undefined) return;
      const list = mine.get(key);
      const at = list ? list.findIndex(([hv]) => sameValues(hv, v)) : -1;
      if (at < 0) {
        this.reject(rowText(batch, me.fields, i), 'retraction of a row the join does not hold (never seen)');
        row.skip = true;
        return;
      }
      row.own = list![at];
      list!.splice(at, 1);
      changedMine.add(key);
    };
    const pairWith = (j: number) => {
      const r = row!;
      const partners = theirs.get(r.key!)!;
      const [ov, count] = partners[j]!;
      r.matched++;
      const pair: Out = p === 0 ? [r.v, ov, r.retract] : [ov, r.v, r.retract];
      if (this.mark) {
        // A left row's mark turns TRUE with its first partner and back with its last.
        if (p === 0) return;
        const next = count + (r.retract ? -1 : 1);
        partners[j] = [ov, next];
        changedTheirs.add(r.key!);
        if (!r.retract && count === 0) out.push([ov, false, true], [ov, true, false]);
        if (r.retract && next === 0) out.push([ov, true, true], [ov, false, false]);
        return;
      }
      if (!other.preserved) {
        out.push(pair);
        return;
      }
      // The other row's padded version goes before its first pair and comes back after its last.
      const next = count + (r.retract ? -1 : 1);
      partners[j] = [ov, next];
      changedTheirs.add(r.key!);
      if (!r.retract && count === 0) out.push(padded((1 - p) as 0 | 1, ov, true));
      out.push(pair);
      if (r.retract && next === 0) out.push(padded((1 - p) as 0 | 1, ov, false));
    };
    const finish = () => {
      const r = row!;
      if (r.skip) return;
      if (r.key === undefined) {
        // A NULL key matches nothing and is not held: only a preserved side shows the row.
        if (this.mark && p === 0) out.push([r.v, false, r.retract]);
        else if (me.preserved) out.push(padded(p, r.v, r.retract));
        return;
      }
      if (!r.retract) {
        let list = mine.get(r.key);
        if (!list) mine.set(r.key, (list = []));
        list.push([r.v, r.matched]);
        changedMine.add(r.key);
      }
      if (this.mark) {
        if (p === 0) out.push([r.v, r.retract ? r.own![1] > 0 : r.matched > 0, r.retract]);
      } else if (me.preserved && (r.retract ? r.own![1] === 0 : r.matched === 0)) out.push(padded(p, r.v, r.retract));
    };

    // Slices of pairs: [row, first partner, end partner]; a row without partners has an empty one.
    let slices: [number, number, number][] = [];
    let pairs = 0;
    const run = async () => {
      const kept = this.keep(slices, rowKeys, theirs, cols, p, me.fields.length);
      let k = 0;
      for (const [i, from, to] of slices) {
        if (from === 0) begin(i);
        const r = row!;
        for (let j = from; j < to; j++, k++) {
          if (r.skip || !kept[k]) continue;
          pairWith(j);
          if (out.length >= CHUNK) {
            await this.emit(out);
            out = [];
          }
        }
        if (to === (r.key === undefined ? 0 : (theirs.get(r.key)?.length ?? 0))) finish();
      }
      slices = [];
      pairs = 0;
    };
    for (let i = 0; i < n; i++) {
      const key = rowKeys[i];
      const m = key === undefined ? 0 : (theirs.get(key)?.length ?? 0);
      if (m === 0) slices.push([i, 0, 0]);
      for (let from = 0; from < m; from += CHUNK) {
        const to = Math.min(m, from + CHUNK);
        slices.push([i, from, to]);
        pairs += to - from;
        if (pairs >= CHUNK) {
          await run();
          // Let timers and sockets run between slices, so that a caller going away is heard; a
          // query stopped or cancelled stops pairing (nothing reads what it would emit).
          if (++this.slices % YIELD_SLICES === 0) await new Promise(setImmediate);
          if (this.ctx.signal.aborted) return;
        }
      }
    }
    await run();
    const mineTable = this.ctx.state.table(me.table);
    for (const key of changedMine) {
      const list = mine.get(key)!;
      if (list.length === 0) mineTable.delete(key);
      else mineTable.put(key, { r: list });
    }
    const theirTable = this.ctx.state.table(other.table);
    for (const key of changedTheirs) theirTable.put(key, { r: theirs.get(key)! });
    await this.emit(out);
  }

  /** The held lists of `keys` on side `s`, in one batched read; copies, for the caller to change. */
  private async read(s: Side, keys: readonly string[]): Promise<Map<string, Held[]>> {
    const lists = new Map<string, Held[]>();
    if (keys.length === 0) return lists;
    const rows = await this.ctx.state.table(s.table).getMany(keys);
    keys.forEach((key, i) => {
      const list = rows[i]?.['r'] as Held[] | undefined;
      if (list) lists.set(key, [...list]);
    });
    return lists;
  }

  /**
   * Which pairs of the slices (in order) the residual keeps: all without one. A pair it fails on
   * is a dead letter and not kept. It is evaluated over the columns it reads, built for the slices'
   * pairs only.
   */
  private keep(slices: readonly [number, number, number][], rowKeys: readonly (string | undefined)[], theirs: ReadonlyMap<string, Held[]>, cols: readonly Values[], p: 0 | 1, width: number): boolean[] {
    let count = 0;
    for (const [, from, to] of slices) count += to - from;
    if (!this.residual) return new Array<boolean>(count).fill(true);
    if (count === 0) return [];
    const leftWidth = this.sides[0].fields.length;
    const columns = this.pairFields.map((_, c) => {
      if (!this.residualReads.has(c)) return undefined;
      const mineSide = (c < leftWidth) === (p === 0);
      const at = c < leftWidth ? c : c - leftWidth;
      const values = new Array<unknown>(count);
      let k = 0;
      for (const [i, from, to] of slices) {
        const partners = rowKeys[i] === undefined ? undefined : theirs.get(rowKeys[i]!);
        for (let j = from; j < to; j++) values[k++] = (mineSide ? plain(cols[at]![i]) : partners![j]![0][at]) ?? null;
      }
      return values;
    });
    const { values, errors } = this.residual.evaluateColumns(columns, count);
    const failed = new Set<number>();
    for (const e of errors) {
      failed.add(e.row);
      this.reject(rowJson(this.pairFields, this.pairAt(slices, e.row, rowKeys, theirs, cols, p, width)), `join condition ${this.residual.text}: ${e.message}`);
    }
    return Array.from({ length: count }, (_, k) => !failed.has(k) && values[k] === true);
  }

  /** The joined row of the `k`th pair of the slices (for a dead letter). */
  private pairAt(slices: readonly [number, number, number][], k: number, rowKeys: readonly (string | undefined)[], theirs: ReadonlyMap<string, Held[]>, cols: readonly Values[], p: 0 | 1, width: number): unknown[] {
    for (const [i, from, to] of slices) {
      if (k >= to - from) {
        k -= to - from;
        continue;
      }
      const mine = Array.from({ length: width }, (_, c) => plain(cols[c]![i]));
      const ov = theirs.get(rowKeys[i]!)![from + k]![0];
      return p === 0 ? [...mine, ...ov] : [...ov, ...mine];
    }
    return [];
  }

  private emit(out: readonly Out[]): Promise<void> {
    if (out.length === 0) return Promise.resolve();
    const width = this.sides[0].fields.length;
    const columns = this.fields.map((_, c) => out.map(([l, r]) => (c < width ? (l ? l[c] : null) : typeof r === 'boolean' ? r : r ? r[c - width] : null) ?? null));
    const kinds = out.some((o) => o[2]) ? Uint8Array.from(out, (o) => (o[2] ? RowKind.DELETE : RowKind.INSERT)) : undefined;
    return emitRows(this.ctx, this.name, 'joined row', this.fields, columns, out.length, kinds);
  }

  private reject(row: string, reason: string): void {
    this.ctx.deadLetter({ reason, operator: this.name, row });
  }
}

/** Whether two held rows hold the same values (nested values compared as JSON, BIGINTs as digits). */
export function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  const text = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return a.every((x, i) => Object.is(x, b[i]) || (typeof x === 'object' && x !== null && text(x) === text(b[i])) || (typeof x === 'bigint' && x === b[i]));
}
