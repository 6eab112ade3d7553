/**
 * What windowed GROUP BY over TUMBLE/HOP (window-aggregate.ts) and over SESSION windows
 * (session-window-aggregate.ts) share: group and argument expressions over the input ++
 * [window_start, window_end], the watermark and its state, and the emission of closed windows.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import { columnsOf, type BoundExpr } from '../../planner/bound-expr.js';
import type { AggregateCall } from '../../planner/logical.js';
import type { WindowSpec } from '../../planner/physical.js';
import { emitRows } from '../changes.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { RowKind, rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';
import type { Accumulator } from './accumulators.js';
import { AggregateList } from './aggregate-list.js';

export interface WindowAggregateSpec {
  readonly input: readonly Field[];
  readonly window: WindowSpec;
  /** Over input ++ [window_start, window_end]; window_start/window_end are plain column references. */
  readonly groupBy: readonly BoundExpr[];
  readonly aggregates: readonly AggregateCall[];
  readonly fields: readonly Field[];
  readonly udfs: UdfResolver;
  /** Whether the input may carry retractions (else MIN/MAX keep only the current extreme). Default false. */
  readonly retractable?: boolean;
}

/** A window's output row, ready to emit. */
export interface ClosedWindow {
  readonly start: number;
  readonly end: number;
  readonly row: unknown[];
}

const META = 'meta';

/**
 * Invariants shared by both window operators:
 * - A watermark that does not advance is held back; one that does first emits every window
 *   with end <= watermark (ordered by end, then start) and drops it, then moves on. `end`
 *   emits every window.
 * - On a barrier the watermark and the windows changed since the last barrier are written to
 *   state before the barrier moves on; open() restores them.
 */
export abstract class WindowAggregateBase extends StreamOperator {
  readonly name = 'WindowAggregateExec';
  readonly fields: readonly Field[];
  protected readonly input: readonly Field[];
  protected readonly window: WindowSpec;
  protected readonly keys: CompiledExpr[];
  protected readonly aggs: AggregateList;
  /** Input columns the expressions read (the window columns excluded). */
  protected readonly used: number[];
  protected watermark = -Infinity;
  private metaDirty = false;

  constructor(spec: WindowAggregateSpec) {
    super();
    ({ input: this.input, window: this.window, fields: this.fields } = spec);
    const n = spec.input.length;
    const virtual: Field[] = [...spec.input, { name: 'window_start', type: { kind: 'TIMESTAMP', precision: 3 }, nullable: false }, { name: 'window_end', type: { kind: 'TIMESTAMP', precision: 3 }, nullable: false }];
    this.keys = spec.groupBy.map((g) => compileExpr(g, virtual, spec.udfs));
    this.aggs = new AggregateList(spec.aggregates, virtual, spec.udfs, spec.retractable ?? false);
    const used = new Set<number>();
    for (const g of spec.groupBy) columnsOf(g, used);
    for (const a of spec.aggregates) for (const x of a.args) columnsOf(x, used);
    this.used = [...used].filter((i) => i < n).sort((a, b) => a - b);
  }

  protected override async onOpen(): Promise<void> {
    const meta = await this.ctx.state.table(META).get('wm');
    this.watermark = typeof meta?.['wm'] === 'number' ? meta['wm'] : -Infinity;
    await this.restoreWindows();
  }

  protected override async onWatermark(time: number): Promise<number | undefined> {
    if (time <= this.watermark) return undefined;
    this.watermark = time;
    this.metaDirty = true;
    await this.emitClosed(time);
    return time;
  }

  protected override onBarrier(): void {
    if (this.metaDirty) this.ctx.state.table(META).put('wm', { wm: this.watermark });
    this.metaDirty = false;
    this.flushWindows();
  }

  protected override onEnd(): Promise<void> {
    return this.emitClosed(Infinity);
  }

  /** Reads the open windows back from state (the watermark is restored already). */
  protected abstract restoreWindows(): Promise<void>;

  /** Writes the windows changed since the last barrier to state. */
  protected abstract flushWindows(): void;

  /** Removes every window whose end is <= `limit` and returns its output rows. */
  protected abstract takeClosed(limit: number): ClosedWindow[] | Promise<ClosedWindow[]>;

  /** Windows (or sessions) held in memory. */
  abstract get openWindows(): number;

  private async emitClosed(limit: number): Promise<void> {
    const closed = await this.takeClosed(limit);
    if (closed.length === 0) return;
    const before = (a: ClosedWindow, b: ClosedWindow) => a.end - b.end || a.start - b.start;
    if (!closed.every((w, r) => r === 0 || before(closed[r - 1]!, w) <= 0)) closed.sort(before);
    const cols = this.fields.map(() => new Array<unknown>(closed.length));
    for (let r = 0; r < closed.length; r++) {
      const row = closed[r]!.row;
      for (let c = 0; c < cols.length; c++) cols[c]![r] = row[c] ?? null;
    }
    await emitRows(this.ctx, this.name, 'window result', this.fields, cols, closed.length);
  }

  /** The output row of a group: its group values, then its aggregates' results. */
  protected outputRow(values: readonly unknown[], accs: readonly Accumulator[]): unknown[] {
    const row = new Array<unknown>(values.length + accs.length);
    for (let k = 0; k < values.length; k++) row[k] = values[k];
    for (let k = 0; k < accs.length; k++) row[values.length + k] = accs[k]!.result();
    return row;
  }

  protected reject(batch: RecordBatch, row: number, reason: string): void {
    this.ctx.deadLetter({ reason, operator: this.name, row: rowText(batch, this.input, row) });
  }
}

/** Whether row `i` takes a row back (-U or -D). */
export function retracts(rowKinds: Uint8Array | undefined, i: number): boolean {
  const k = rowKinds?.[i];
  return k === RowKind.UPDATE_BEFORE || k === RowKind.DELETE;
}
