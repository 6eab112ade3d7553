/**
 * Windowed GROUP BY over TUMBLE or HOP windows: per-window, per-key accumulators; a window's
 * rows are emitted (append-only) once the watermark passes its end. SESSION windows have their
 * own operator (session-window-aggregate.ts).
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../../common/errors.js';
import type { StateRow, StateValue } from '../../state/index.js';
import { gather, plain } from '../columns.js';
import { keyOf } from '../../common/keys.js';
import { AggregateList, evaluateGroupKeys, usedColumns, type Accumulator } from './accumulators.js';
import { assignWindows, lateReason, nullTimeReason, timeColumn } from './event-time.js';
import { WindowAggregateBase, retracts, type ClosedWindow, type WindowAggregateSpec } from './window-aggregate-base.js';

interface Group {
  readonly values: unknown[];
  readonly accs: Accumulator[];
  /** Rows added minus rows retracted; a group at zero is not emitted. */
  count: number;
}

interface SavedGroup {
  readonly s: number;
  readonly k: string;
  readonly g: StateValue[];
  readonly a: StateValue[];
  readonly c?: number;
}

const WINDOWS = 'windows';
/** The starts of the open windows (`open` -> { s: number[] }): what open() reads instead of the windows. */
const STARTS = 'window-starts';

/** The state key of a group of a window: all groups of one window share the prefix `<start>\u0002`. */
function stateKey(start: number, key: string): string {
  return `${start}\u0002${key}`;
}

/**
 * WindowAggregateExec over TUMBLE or HOP.
 *
 * Invariants (beyond WindowAggregateBase's):
 * - A row counts once in every window that contains its event time (TUMBLE: epoch-aligned;
 *   HOP: windows of `size` starting at multiples of `slide`).
 * - State holds only windows whose end is after the watermark. Its keys start with the window
 *   start, so closing a window reads that window's groups alone (a prefix of the table), never
 *   the groups of the windows still open; the set of open window starts is kept beside them.
 * - The heap holds the open window starts and the groups touched since the last barrier
 *   (`working`); a batch reads the groups it needs and does not hold in one batched read.
 * - A row none of whose windows is still open, a row with a NULL event time, and a row whose
 *   expressions throw go to the dead-letter stream; nothing else is dropped.
 * - Over an updating input, a retraction (-U/-D) is taken back from the open windows of its
 *   event time (a window whose rows were all retracted emits nothing); a retraction of a row no
 *   open window holds goes to the dead-letter stream.
 */
export class WindowAggregateOperator extends WindowAggregateBase {
  /** Starts of the windows that hold groups and are not closed yet. */
  private starts = new Set<number>();
  private startsDirty = false;
  /** Groups touched since the last barrier, by state key (null: known not to exist). */
  private working = new Map<string, Group | null>();
  /** Changed groups since they were last staged into the state table. */
  private readonly dirty = new Set<string>();

  constructor(spec: WindowAggregateSpec) {
    super(spec);
    if (spec.window.fn === 'SESSION') throw new SluiceError('INTERNAL', 'SESSION windows are aggregated by SessionWindowAggregateOperator');
  }

  protected async restoreWindows(): Promise<void> {
    this.working = new Map();
    this.dirty.clear();
    const saved = await this.ctx.state.table(STARTS).get('open');
    if (Array.isArray(saved?.['s'])) {
      this.starts = new Set(saved['s'] as number[]);
      return;
    }
    // State written before the starts were kept: find them once.
    this.starts = new Set();
    for await (const [, row] of this.ctx.state.table(WINDOWS).scan()) this.starts.add((row as unknown as SavedGroup).s);
    this.startsDirty = this.starts.size > 0;
  }

  /** Reads the groups of `keys` that `working` does not hold into it, in one batched read. */
  private async load(keys: readonly string[]): Promise<void> {
    const missing = [...new Set(keys)].filter((k) => !this.working.has(k));
    if (missing.length === 0) return;
    const rows = await this.ctx.state.table(WINDOWS).getMany(missing);
    for (let i = 0; i < missing.length; i++) {
      const r = rows[i] as unknown as SavedGroup | undefined;
      this.working.set(missing[i]!, r ? { values: [...r.g], accs: this.aggs.restore(r.a), count: r.c ?? 1 } : null);
    }
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
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
    const groupKeys = new Array<string>(m);
    const stateKeys = new Array<string>(m);
    for (let j = 0; j < m; j++) {
      if (failed.has(rowIdx[j]!)) continue;
      for (let k = 0; k < parts.length; k++) parts[k] = keyVals[k]![j];
      groupKeys[j] = keyOf(parts);
      stateKeys[j] = stateKey(starts[j]!, groupKeys[j]!);
    }
    await this.load(stateKeys.filter((k) => k !== undefined));
    for (let j = 0; j < m; j++) {
      const i = rowIdx[j]!;
      if (failed.has(i)) continue;
      const sk = stateKeys[j]!;
      const g = this.working.get(sk) ?? undefined;
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
      else {
        for (let k = 0; k < parts.length; k++) parts[k] = plain(keyVals[k]![j]);
        this.working.set(sk, { values: [...parts], accs, count: 1 });
        if (!this.starts.has(starts[j]!)) {
          this.starts.add(starts[j]!);
          this.startsDirty = true;
        }
      }
      this.dirty.add(sk);
    }
  }

  protected async takeClosed(limit: number): Promise<ClosedWindow[]> {
    const size = this.window.sizeMs;
    const closing = [...this.starts].filter((s) => s + size <= limit).sort((a, b) => a - b);
    if (closing.length === 0) return [];
    // What changed since the last barrier goes to the table first, so a window reads whole.
    this.stageDirty();
    const table = this.ctx.state.table(WINDOWS);
    const closed: ClosedWindow[] = [];
    for (const start of closing) {
      const keys: string[] = [];
      for await (const [key, row] of table.scan(stateKey(start, ''))) {
        const r = row as unknown as SavedGroup;
        keys.push(key);
        if ((r.c ?? 1) > 0) closed.push({ start, end: start + size, row: [...r.g, ...AggregateList.results(this.aggs.restore(r.a))] });
      }
      for (const key of keys) {
        table.delete(key);
        this.working.delete(key);
      }
      this.starts.delete(start);
      this.startsDirty = true;
    }
    return closed;
  }

  /** Puts the groups changed since they were last staged into the state table. */
  private stageDirty(): void {
    const table = this.ctx.state.table(WINDOWS);
    for (const sk of this.dirty) {
      const g = this.working.get(sk);
      if (!g) continue;
      const sep = sk.indexOf('\u0002');
      table.put(sk, { s: Number(sk.slice(0, sep)), k: sk.slice(sep + 1), g: g.values as StateValue[], a: AggregateList.save(g.accs), c: g.count } satisfies StateRow);
    }
    this.dirty.clear();
  }

  protected flushWindows(): void {
    this.stageDirty();
    this.working.clear();
    if (this.startsDirty) this.ctx.state.table(STARTS).put('open', { s: [...this.starts] });
    this.startsDirty = false;
  }

  get openWindows(): number {
    return this.starts.size;
  }
}
