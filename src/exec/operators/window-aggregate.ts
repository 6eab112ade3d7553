/**
 * Windowed GROUP BY over TUMBLE or HOP windows: per-window, per-key accumulators; a window's
 * rows are emitted (append-only) once the watermark passes its end. SESSION windows have their
 * own operator (session-window-aggregate.ts).
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../../common/errors.js';
import type { StateRow, StateValue } from '../../state/index.js';
import { gather, plain } from '../columns.js';
import { keyOf } from '../keys.js';
import { AggregateList, evaluateGroupKeys, usedColumns, type Accumulator } from './accumulators.js';
import { assignWindows, lateReason, nullTimeReason, timeColumn } from './event-time.js';
import { WindowAggregateBase, retracts, type ClosedWindow, type WindowAggregateSpec } from './window-aggregate-base.js';

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

const WINDOWS = 'windows';

/**
 * WindowAggregateExec over TUMBLE or HOP.
 *
 * Invariants (beyond WindowAggregateBase's):
 * - A row counts once in every window that contains its event time (TUMBLE: epoch-aligned;
 *   HOP: windows of `size` starting at multiples of `slide`).
 * - State holds only windows whose end is after the watermark.
 * - A row none of whose windows is still open, a row with a NULL event time, and a row whose
 *   expressions throw go to the dead-letter stream; nothing else is dropped.
 * - Over an updating input, a retraction (-U/-D) is taken back from the open windows of its
 *   event time (a window whose rows were all retracted emits nothing); a retraction of a row no
 *   open window holds goes to the dead-letter stream.
 */
export class WindowAggregateOperator extends WindowAggregateBase {
  private windows = new Map<number, FixedWindow>();
  /** Changed (window, group) pairs since the last barrier, by state key. */
  private readonly dirty = new Map<string, readonly [number, string]>();

  constructor(spec: WindowAggregateSpec) {
    super(spec);
    if (spec.window.fn === 'SESSION') throw new SluiceError('INTERNAL', 'SESSION windows are aggregated by SessionWindowAggregateOperator');
  }

  protected async restoreWindows(): Promise<void> {
    this.windows = new Map();
    for await (const [, row] of this.ctx.state.table(WINDOWS).scan()) {
      const r = row as { s: number; k: string; g: StateValue[]; a: StateValue[]; c?: number };
      this.fixed(r.s).groups.set(r.k, { values: [...r.g], accs: this.aggs.restore(r.a), count: r.c ?? 1 });
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

  protected onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): void {
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

  protected takeClosed(limit: number): ClosedWindow[] {
    const closed: ClosedWindow[] = [];
    const size = this.window.sizeMs;
    for (const [start, w] of this.windows) {
      if (start + size > limit) continue;
      for (const [key, g] of w.groups) {
        if (g.count > 0) closed.push({ start, end: start + size, row: [...g.values, ...AggregateList.results(g.accs)] });
        this.dirty.set(`${start}\u0002${key}`, [start, key]);
      }
      this.windows.delete(start);
    }
    return closed;
  }

  protected flushWindows(): void {
    const table = this.ctx.state.table(WINDOWS);
    for (const [stateKey, [start, key]] of this.dirty) {
      const g = this.windows.get(start)?.groups.get(key);
      if (!g) table.delete(stateKey);
      else table.put(stateKey, { s: start, k: key, g: g.values as StateValue[], a: AggregateList.save(g.accs), c: g.count } satisfies StateRow);
    }
    this.dirty.clear();
  }

  get openWindows(): number {
    return this.windows.size;
  }
}
