/**
 * Windowed GROUP BY over TUMBLE, HOP or SESSION windows: per-window, per-key accumulators; a
 * window's rows are emitted (append-only) once the watermark passes its end.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import { columnsOf, type BoundExpr } from '../../planner/bound-expr.js';
import type { AggregateCall } from '../../planner/logical.js';
import type { WindowSpec } from '../../planner/physical.js';
import type { StateRow, StateValue } from '../../state/index.js';
import { emitRows } from '../changes.js';
import { gather, plain } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { keyOf } from '../keys.js';
import { RowKind, type Message, type Operator, type OperatorContext } from '../message.js';
import { AggregateList, evaluateGroupKeys, usedColumns, type Accumulator } from './accumulators.js';
import { assignWindows, lateReason, nullTimeReason, rowText, timeColumn } from './event-time.js';

interface Group {
  readonly values: unknown[];
  readonly accs: Accumulator[];
  /** Rows added minus rows retracted; a group at zero is not emitted. */
  count: number;
}

/** A TUMBLE/HOP window: [start, start + size). */
interface FixedWindow {
  readonly start: number;
  readonly groups: Map<string, Group>;
}

/** A session of one key: [start, last + gap). */
interface Session {
  start: number;
  last: number;
  readonly accs: Accumulator[];
}

interface SessionKey {
  /** Group values (the window columns are filled in at emission). */
  readonly values: unknown[];
  /** Disjoint sessions, ascending by start. */
  sessions: Session[];
}

interface Closed {
  readonly start: number;
  readonly end: number;
  readonly row: unknown[];
}

const WINDOWS = 'windows';
const SESSIONS = 'sessions';
const META = 'meta';

/**
 * WindowAggregateExec.
 *
 * Invariants:
 * - Group and argument expressions read the input ++ [window_start, window_end]; a row counts
 *   once in every window that contains its event time (TUMBLE: epoch-aligned; HOP: windows of
 *   `size` starting at multiples of `slide`; SESSION: per key of the non-window group columns,
 *   sessions [first, last + gap) merge when a row falls inside another's span).
 * - State holds only windows whose end is after the watermark: on a watermark every window
 *   with end <= watermark is emitted (ordered by end, then start) and dropped, then the
 *   watermark moves on. On `end` all windows are emitted.
 * - A row none of whose windows is still open (SESSION: behind the watermark and in no open
 *   session), a row with a NULL event time, and a row whose expressions throw go to the
 *   dead-letter stream; nothing else is dropped.
 * - Over an updating input, a retraction (-U/-D) is taken back from the open TUMBLE/HOP windows
 *   of its event time (a window whose rows were all retracted emits nothing); a retraction of a
 *   row no open window holds, and any retraction into SESSION windows (taking a row out may
 *   split a session), goes to the dead-letter stream.
 * - On a barrier the changed windows and the watermark are written to state before the
 *   barrier moves on; open() restores them.
 */
export class WindowAggregateOperator implements Operator {
  readonly name = 'WindowAggregateExec';
  private ctx!: OperatorContext;
  private readonly keys: CompiledExpr[];
  private readonly aggs: AggregateList;
  private readonly used: number[];
  /** Group positions holding window_start / window_end (SESSION fills them at emission). */
  private readonly startAt: number[] = [];
  private readonly endAt: number[] = [];
  private readonly sessionKeyAt: number[] = [];
  private watermark = -Infinity;
  private windows = new Map<number, FixedWindow>();
  private sessions = new Map<string, SessionKey>();
  private readonly dirty = new Map<string, readonly [number, string]>();
  private metaDirty = false;

  constructor(
    private readonly input: readonly Field[],
    private readonly window: WindowSpec,
    groupBy: readonly BoundExpr[],
    aggregates: readonly AggregateCall[],
    readonly fields: readonly Field[],
    udfs: UdfResolver,
    /** Whether the input may carry retractions (else MIN/MAX keep only the current extreme). */
    retractable = false,
  ) {
    const n = input.length;
    const virtual: Field[] = [...input, { name: 'window_start', type: { kind: 'TIMESTAMP', precision: 3 }, nullable: false }, { name: 'window_end', type: { kind: 'TIMESTAMP', precision: 3 }, nullable: false }];
    this.keys = groupBy.map((g) => compileExpr(g, virtual, udfs));
    this.aggs = new AggregateList(aggregates, virtual, udfs, retractable);
    const used = new Set<number>();
    groupBy.forEach((g, i) => {
      columnsOf(g, used);
      if (g.kind === 'Column' && g.index === n) this.startAt.push(i);
      else if (g.kind === 'Column' && g.index === n + 1) this.endAt.push(i);
      else this.sessionKeyAt.push(i);
    });
    for (const a of aggregates) for (const x of a.args) columnsOf(x, used);
    this.used = [...used].filter((i) => i < n).sort((a, b) => a - b);
  }

  private get session(): boolean {
    return this.window.fn === 'SESSION';
  }

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
    this.windows = new Map();
    this.sessions = new Map();
    const meta = await ctx.state.table(META).get('wm');
    this.watermark = typeof meta?.['wm'] === 'number' ? meta['wm'] : -Infinity;
    if (this.session) {
      for await (const [key, row] of ctx.state.table(SESSIONS).scan()) {
        const r = row as { g: StateValue[]; s: [number, number, StateValue[]][] };
        this.sessions.set(key, { values: [...r.g], sessions: r.s.map(([start, last, a]) => ({ start, last, accs: this.aggs.restore(a) })) });
      }
      return;
    }
    for await (const [, row] of ctx.state.table(WINDOWS).scan()) {
      const r = row as { s: number; k: string; g: StateValue[]; a: StateValue[]; c?: number };
      this.fixed(r.s).groups.set(r.k, { values: [...r.g], accs: this.aggs.restore(r.a), count: r.c ?? 1 });
    }
  }

  async process(msg: Message, _port = 0): Promise<void> {
    switch (msg.kind) {
      case 'data':
        if (msg.batch.numRows === 0) return;
        return this.session ? this.onSessionData(msg.batch, msg.rowKinds) : this.onFixedData(msg.batch, msg.rowKinds);
      case 'watermark':
        if (msg.time <= this.watermark) return;
        this.watermark = msg.time;
        this.metaDirty = true;
        await this.emitClosed(msg.time);
        return this.ctx.emit(msg);
      case 'barrier':
        this.flush();
        return this.ctx.emit(msg);
      case 'end':
        await this.emitClosed(Infinity);
        return this.ctx.emit(msg);
    }
  }

  private fixed(start: number): FixedWindow {
    let w = this.windows.get(start);
    if (!w) {
      w = { start, groups: new Map() };
      this.windows.set(start, w);
    }
    return w;
  }

  private onFixedData(batch: RecordBatch, rowKinds: Uint8Array | undefined): void {
    const n = batch.numRows;
    const { timeColumn: tc, sizeMs } = this.window;
    const times = timeColumn(batch, this.input, tc);
    const { rowIdx, starts, identity } = assignWindows(this.window, times, n, {
      onNullTime: (i) => this.reject(batch, i, nullTimeReason(this.input[tc]!)),
      isOpen: (s) => s + sizeMs > this.watermark,
      onAllClosed: (i, t) => this.reject(batch, i, lateReason(t, this.watermark)),
    });
    const m = rowIdx.length;
    if (m === 0) return;
    const cols = usedColumns(batch, this.input, this.used);
    if (!identity) for (const c of this.used) cols[c] = gather(cols[c]!, rowIdx, m);
    cols[this.input.length] = Float64Array.from(starts);
    cols[this.input.length + 1] = Float64Array.from(starts, (s) => s + sizeMs);
    const errors = new Map<number, string>();
    const keyVals = evaluateGroupKeys(this.keys, cols, m, errors);
    const args = this.aggs.evaluate(cols, m, errors);
    const failed = new Set<number>();
    for (const [j, reason] of errors) {
      const i = rowIdx[j]!;
      if (!failed.has(i)) this.reject(batch, i, reason);
      failed.add(i);
    }
    const parts = new Array<unknown>(this.keys.length);
    for (let j = 0; j < m; j++) {
      const i = rowIdx[j]!;
      if (failed.has(i)) continue;
      for (let k = 0; k < parts.length; k++) parts[k] = keyVals[k]![j];
      const key = keyOf(parts);
      const w = this.fixed(starts[j]!);
      const g = w.groups.get(key);
      const sign = retracts(rowKinds, i) ? -1 : 1;
      if (sign < 0 && (!g || g.count <= 0)) {
        failed.add(i);
        this.reject(batch, i, 'retraction of a row that no open window holds');
        continue;
      }
      const accs = g ? g.accs : this.aggs.create();
      const err = this.aggs.add(accs, args, j, sign);
      if (err !== undefined) {
        failed.add(i);
        this.reject(batch, i, err);
        continue;
      }
      if (g) g.count += sign;
      else w.groups.set(key, { values: parts.map(plain), accs, count: 1 });
      this.dirty.set(`${w.start}\u0002${key}`, [w.start, key]);
    }
  }

  private onSessionData(batch: RecordBatch, rowKinds: Uint8Array | undefined): void {
    const n = batch.numRows;
    const { timeColumn: tc, gapMs } = this.window;
    const times = timeColumn(batch, this.input, tc);
    const cols = usedColumns(batch, this.input, this.used);
    cols[this.input.length] = times;
    cols[this.input.length + 1] = Array.from(times as ArrayLike<number | null>, (t) => (t === null ? null : t + gapMs));
    const errors = new Map<number, string>();
    const keyVals = evaluateGroupKeys(this.keys, cols, n, errors);
    const args = this.aggs.evaluate(cols, n, errors);
    for (let i = 0; i < n; i++) {
      const t = times[i];
      if (typeof t !== 'number') {
        this.reject(batch, i, nullTimeReason(this.input[tc]!));
        continue;
      }
      const reason = errors.get(i) ?? (retracts(rowKinds, i) ? 'SESSION windows cannot take back a row of an updating input' : undefined);
      if (reason !== undefined) {
        this.reject(batch, i, reason);
        continue;
      }
      const values = keyVals.map((k) => plain(k[i]));
      const key = keyOf(this.sessionKeyAt.map((k) => values[k]));
      const sk = this.sessions.get(key);
      const overlapping = sk ? sk.sessions.filter((s) => t < s.last + gapMs && s.start < t + gapMs) : [];
      if (t < this.watermark && overlapping.length === 0) {
        this.reject(batch, i, lateReason(t, this.watermark));
        continue;
      }
      const merged: Session = { start: t, last: t, accs: this.aggs.create() };
      const err = this.aggs.add(merged.accs, args, i, 1);
      if (err !== undefined) {
        this.reject(batch, i, err);
        continue;
      }
      let failed: string | undefined;
      for (const s of overlapping) {
        merged.start = Math.min(merged.start, s.start);
        merged.last = Math.max(merged.last, s.last);
        failed ??= AggregateList.merge(merged.accs, s.accs);
      }
      if (failed !== undefined) {
        this.reject(batch, i, failed);
        continue;
      }
      const rest = sk ? sk.sessions.filter((s) => !overlapping.includes(s)) : [];
      rest.push(merged);
      rest.sort((a, b) => a.start - b.start);
      if (sk) sk.sessions = rest;
      else this.sessions.set(key, { values, sessions: rest });
      this.dirty.set(key, [0, key]);
    }
  }

  /** Emits and drops every window whose end is <= `limit`. */
  private async emitClosed(limit: number): Promise<void> {
    const closed: Closed[] = [];
    if (this.session) {
      const gap = this.window.gapMs;
      for (const [key, sk] of this.sessions) {
        const keep: Session[] = [];
        for (const s of sk.sessions) {
          if (s.last + gap > limit) {
            keep.push(s);
            continue;
          }
          const row = [...sk.values, ...AggregateList.results(s.accs)];
          for (const p of this.startAt) row[p] = s.start;
          for (const p of this.endAt) row[p] = s.last + gap;
          closed.push({ start: s.start, end: s.last + gap, row });
        }
        if (keep.length === sk.sessions.length) continue;
        sk.sessions = keep;
        if (keep.length === 0) this.sessions.delete(key);
        this.dirty.set(key, [0, key]);
      }
    } else {
      const size = this.window.sizeMs;
      for (const [start, w] of this.windows) {
        if (start + size > limit) continue;
        for (const [key, g] of w.groups) {
          if (g.count > 0) closed.push({ start, end: start + size, row: [...g.values, ...AggregateList.results(g.accs)] });
          this.dirty.set(`${start}\u0002${key}`, [start, key]);
        }
        this.windows.delete(start);
      }
    }
    if (closed.length === 0) return;
    closed.sort((a, b) => a.end - b.end || a.start - b.start);
    await emitRows(this.ctx, this.name, 'window result', this.fields, this.fields.map((_, c) => closed.map((r) => r.row[c] ?? null)), closed.length);
  }

  private reject(batch: RecordBatch, row: number, reason: string): void {
    this.ctx.deadLetter({ reason, operator: this.name, row: rowText(batch, this.input, row) });
  }

  private flush(): void {
    if (this.metaDirty) this.ctx.state.table(META).put('wm', { wm: this.watermark });
    this.metaDirty = false;
    const table = this.ctx.state.table(this.session ? SESSIONS : WINDOWS);
    for (const [stateKey, [start, key]] of this.dirty) {
      if (this.session) {
        const sk = this.sessions.get(key);
        if (!sk) table.delete(stateKey);
        else table.put(stateKey, { g: sk.values as StateValue[], s: sk.sessions.map((s) => [s.start, s.last, AggregateList.save(s.accs)]) } satisfies StateRow);
        continue;
      }
      const g = this.windows.get(start)?.groups.get(key);
      if (!g) table.delete(stateKey);
      else table.put(stateKey, { s: start, k: key, g: g.values as StateValue[], a: AggregateList.save(g.accs), c: g.count } satisfies StateRow);
    }
    this.dirty.clear();
  }

  /** Windows (or sessions) held in memory. */
  get openWindows(): number {
    if (!this.session) return this.windows.size;
    let n = 0;
    for (const sk of this.sessions.values()) n += sk.sessions.length;
    return n;
  }

  async close(): Promise<void> {}
}

/** Whether row `i` takes a row back (-U or -D). */
function retracts(rowKinds: Uint8Array | undefined, i: number): boolean {
  const k = rowKinds?.[i];
  return k === RowKind.UPDATE_BEFORE || k === RowKind.DELETE;
}
