/**
 * Windowed GROUP BY over TUMBLE or HOP windows: per-window, per-key accumulators; a window's
 * rows are emitted (append-only) once the watermark passes its end. SESSION windows have their
 * own operator (session-window-aggregate.ts).
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../../common/errors.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import type { StateRow, StateValue } from '../../state/index.js';
import { gather, plain } from '../columns.js';
import { keyOf } from '../../common/keys.js';
import type { Accumulator } from './accumulators.js';
import { AggregateList, evaluateGroupKeys, usedColumns } from './aggregate-list.js';
import type { CompiledExpr } from '../compile-expr.js';
import { columnsOf } from '../../planner/bound-expr.js';
import { assignWindows, lateReason, nullTimeReason, timeColumn, windowColumns, type WindowAssignment } from './event-time.js';
import { WindowAggregateBase, retracts, type ClosedWindow, type WindowAggregateSpec } from './window-aggregate-base.js';

interface Group {
  readonly values: unknown[];
  readonly accs: Accumulator[];
  /** Rows added minus rows retracted; a group at zero is not emitted. */
  count: number;
  /** Its key in the `windows` state table, once asked for. */
  stateKey?: string;
}

/**
 * The groups of one window touched since the last barrier, by key within the window (see
 * WindowAggregateOperator.innerKey): null marks a group known not to exist.
 */
interface OpenWindow {
  readonly groups: Map<unknown, Group | null>;
  /** Keys of the groups changed since they were last staged into the state table (of a fresh window: all). */
  readonly dirty: Set<unknown>;
  /**
   * Created since the last barrier: every group of the window is in `groups`, and nothing of it
   * is in the state table.
   */
  fresh: boolean;
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

/** Most window slots one batch's starts may span for them to be looked up by slot (see batchWindows). */
const MAX_SLOTS = 64;

const SAFE = 2n ** 53n;

/**
 * A column of group values as Map keys: BIGINTs within ±2^53 become numbers (exact, and cheaper
 * to hash than bigints), read from a BigInt64Array's 32-bit halves so that no bigint is made.
 * The same value becomes the same key whichever way its column was decoded.
 */
function mapKeys(col: readonly unknown[]): readonly unknown[] {
  if (col instanceof BigInt64Array) {
    // Little-endian halves: low word unsigned, high word signed.
    const words = new Int32Array(col.buffer, col.byteOffset, col.length * 2);
    const out = new Array<unknown>(col.length);
    for (let j = 0; j < col.length; j++) {
      const hi = words[2 * j + 1]!;
      out[j] = hi >= -0x200000 && hi < 0x200000 ? hi * 0x100000000 + (words[2 * j]! >>> 0) : col[j];
    }
    return out;
  }
  if (ArrayBuffer.isView(col)) return col;
  return col.map((v) => (typeof v === 'bigint' && v >= -SAFE && v < SAFE ? Number(v) : v));
}

/** Key types whose values are their own keys in a Map (SameValueZero, as keyOf: 0 = -0, NaN = NaN). */
const PRIMITIVE_KEYS: ReadonlySet<string> = new Set(['INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'STRING', 'BOOLEAN', 'TIMESTAMP', 'DATE', 'TIME', 'INTERVAL']);

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
  /** Windows touched since the last barrier, by start. */
  private windows = new Map<number, OpenWindow>();
  /**
   * The group expressions other than window_start and window_end (constant within a window):
   * a group's key within its window is their one value where there is one of a primitive
   * type, else keyOf of their values ('' where there is none).
   */
  private readonly inner: number[];
  private readonly innerKeys: CompiledExpr[];
  private readonly innerIsValue: boolean;
  /** Group positions of window_start and of window_end. */
  private readonly startAt: number[];
  private readonly endAt: number[];
  /**
   * No inner group expression and no aggregate argument reads window_start or window_end: they
   * are evaluated once per input row, however many windows the row falls in.
   */
  private readonly perRow: boolean;

  constructor(spec: WindowAggregateSpec) {
    super(spec);
    if (spec.window.fn === 'SESSION') throw new SluiceError('INTERNAL', 'SESSION windows are aggregated by SessionWindowAggregateOperator');
    const n = spec.input.length;
    const isWindowColumn = (g: BoundExpr) => g.kind === 'Column' && (g.index === n || g.index === n + 1);
    this.inner = spec.groupBy.flatMap((g, k) => (isWindowColumn(g) ? [] : [k]));
    this.innerKeys = this.inner.map((k) => this.keys[k]!);
    this.innerIsValue = this.inner.length === 1 && PRIMITIVE_KEYS.has(spec.groupBy[this.inner[0]!]!.type.kind);
    this.startAt = spec.groupBy.flatMap((g, k) => (g.kind === 'Column' && g.index === n ? [k] : []));
    this.endAt = spec.groupBy.flatMap((g, k) => (g.kind === 'Column' && g.index === n + 1 ? [k] : []));
    const read = new Set<number>();
    for (const k of this.inner) columnsOf(spec.groupBy[k]!, read);
    for (const a of spec.aggregates) for (const x of a.args) columnsOf(x, read);
    this.perRow = !read.has(n) && !read.has(n + 1);
  }

  protected async restoreWindows(): Promise<void> {
    this.windows = new Map();
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

  /** The window of `start` as touched since the last barrier (created, fresh, if it holds no groups yet). */
  private windowOf(start: number): OpenWindow {
    let w = this.windows.get(start);
    if (!w) {
      w = { groups: new Map(), dirty: new Set(), fresh: !this.starts.has(start) };
      this.windows.set(start, w);
    }
    return w;
  }

  /**
   * The windows of one batch's assignment starts, and those starts (each once). When the starts
   * are few slots apart (a batch covers a short stretch of event time) a window is found by its
   * slot in an array rather than in the map of windows.
   */
  private batchWindows(starts: ArrayLike<number>): { readonly starts: readonly number[]; get(start: number): OpenWindow } {
    const step = this.window.fn === 'HOP' ? this.window.slideMs : this.window.sizeMs;
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < starts.length; j++) {
      const s = starts[j]!;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const slots = (hi - lo) / step + 1;
    if (!Number.isInteger(slots) || slots > MAX_SLOTS) return { starts: [...new Set(Array.from(starts))], get: (s) => this.windowOf(s) };
    const windows = new Array<OpenWindow | undefined>(slots);
    return { starts: Array.from({ length: slots }, (_, k) => lo + k * step), get: (s) => (windows[(s - lo) / step] ??= this.windowOf(s)) };
  }

  /** The key within its window of the row at `e` (see `inner`); `values`: the one inner column as mapKeys made it. */
  private innerKey(innerVals: readonly (readonly unknown[])[], values: readonly unknown[] | undefined, e: number, parts: unknown[]): unknown {
    if (values) return values[e] ?? null;
    for (let k = 0; k < parts.length; k++) parts[k] = innerVals[k]![e];
    return keyOf(parts);
  }

  /** The group values of the row at `e` in the window of `start`. */
  private groupValues(innerVals: readonly (readonly unknown[])[], e: number, start: number): unknown[] {
    const out = new Array<unknown>(this.keys.length);
    for (let k = 0; k < this.inner.length; k++) out[this.inner[k]!] = plain(innerVals[k]![e]);
    for (const p of this.startAt) out[p] = start;
    for (const p of this.endAt) out[p] = start + this.window.sizeMs;
    return out;
  }

  /**
   * Reads the groups that assignments need from windows open before the last barrier, where
   * the window does not hold them yet, in one batched read. `e(j)` is where assignment j reads
   * the keys.
   */
  private async load(a: WindowAssignment, e: (j: number) => number, failed: ReadonlySet<number>, innerVals: readonly (readonly unknown[])[], innerValues: readonly unknown[] | undefined): Promise<void> {
    const missing = new Map<string, [OpenWindow, unknown]>();
    const parts = new Array<unknown>(this.inner.length);
    for (let j = 0; j < a.rowIdx.length; j++) {
      if (failed.has(a.rowIdx[j]!)) continue;
      const s = a.starts[j]!;
      const w = this.windowOf(s);
      if (w.fresh) continue;
      const ik = this.innerKey(innerVals, innerValues, e(j), parts);
      if (!w.groups.has(ik)) missing.set(stateKey(s, keyOf(this.groupValues(innerVals, e(j), s))), [w, ik]);
    }
    if (missing.size === 0) return;
    const keys = [...missing.keys()];
    const saved = await this.ctx.state.table(WINDOWS).getMany(keys);
    for (let i = 0; i < keys.length; i++) {
      const r = saved[i] as unknown as SavedGroup | undefined;
      const [w, ik] = missing.get(keys[i]!)!;
      w.groups.set(ik, r ? { values: [...r.g], accs: this.aggs.restore(r.a), count: r.c ?? 1, stateKey: keys[i]! } : null);
    }
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const n = batch.numRows;
    const { timeColumn: tc, sizeMs } = this.window;
    const times = timeColumn(batch, this.input, tc);
    const a = assignWindows(this.window, times, n, {
      onNullTime: (i) => this.reject(batch, i, nullTimeReason(this.input[tc]!)),
      watermark: this.watermark,
      onAllClosed: (i, t) => this.reject(batch, i, lateReason(t, this.watermark)),
    });
    const { rowIdx, starts } = a;
    const m = rowIdx.length;
    if (m === 0) return;
    const cols = usedColumns(batch, this.input, this.used);
    // Where assignment j reads the keys and arguments: its row, or (when they read the window
    // columns) its own position among the assignments.
    const perRow = this.perRow;
    if (!perRow) {
      if (!a.identity) for (const c of this.used) cols[c] = gather(cols[c]!, rowIdx, m);
      [cols[this.input.length], cols[this.input.length + 1]] = windowColumns(starts, sizeMs);
    }
    const e = perRow ? (j: number) => rowIdx[j]! : (j: number) => j;
    const errors = new Map<number, string>();
    const innerVals = evaluateGroupKeys(this.innerKeys, cols, perRow ? n : m, errors);
    const args = this.aggs.evaluate(cols, perRow ? n : m, errors);
    const failed = new Set<number>();
    for (const [at, reason] of errors) {
      const i = perRow ? at : rowIdx[at]!;
      if (!failed.has(i)) this.reject(batch, i, reason);
      failed.add(i);
    }
    const innerValues = this.innerIsValue ? mapKeys(innerVals[0]!) : undefined;
    const windowAt = this.batchWindows(starts);
    if (windowAt.starts.some((s) => !(this.windows.get(s)?.fresh ?? !this.starts.has(s)))) await this.load(a, e, failed, innerVals, innerValues);
    const parts = new Array<unknown>(this.inner.length);
    let w: OpenWindow | undefined;
    let wStart = NaN;
    let lastAt = -1;
    let ik: unknown;
    for (let j = 0; j < m; j++) {
      const i = rowIdx[j]!;
      if (failed.size > 0 && failed.has(i)) continue;
      const s = starts[j]!;
      if (s !== wStart) {
        w = windowAt.get(s);
        wStart = s;
      }
      const win = w!;
      const at = perRow ? i : j;
      if (at !== lastAt) {
        ik = this.innerKey(innerVals, innerValues, at, parts);
        lastAt = at;
      }
      const g = win.groups.get(ik) ?? undefined;
      const sign = retracts(rowKinds, i) ? -1 : 1;
      if (sign < 0 && (!g || g.count <= 0)) {
        failed.add(i);
        this.reject(batch, i, 'retraction of a row that no open window holds');
        continue;
      }
      const accs = g ? g.accs : this.aggs.create();
      const err = this.aggs.add(accs, args, at, sign);
      if (err !== undefined) {
        failed.add(i);
        this.reject(batch, i, err);
        continue;
      }
      if (g) g.count += sign;
      else {
        win.groups.set(ik, { values: this.groupValues(innerVals, at, s), accs, count: 1 });
        if (!this.starts.has(s)) {
          this.starts.add(s);
          this.startsDirty = true;
        }
      }
      if (!win.fresh) win.dirty.add(ik);
    }
  }

  protected async takeClosed(limit: number): Promise<ClosedWindow[]> {
    const size = this.window.sizeMs;
    const closing = [...this.starts].filter((s) => s + size <= limit).sort((a, b) => a - b);
    if (closing.length === 0) return [];
    const table = this.ctx.state.table(WINDOWS);
    const closed: ClosedWindow[] = [];
    for (const start of closing) {
      const w = this.windows.get(start);
      this.windows.delete(start);
      this.starts.delete(start);
      this.startsDirty = true;
      if (w?.fresh) {
        // Whole in memory, and never staged: nothing to read or delete.
        for (const g of w.groups.values()) if (g && g.count > 0) closed.push({ start, end: start + size, row: this.outputRow(g.values, g.accs) });
        continue;
      }
      // What changed since the last barrier goes to the table first, so the window reads whole.
      if (w) this.stage(start, w);
      const keys: string[] = [];
      for await (const [key, row] of table.scan(stateKey(start, ''))) {
        const r = row as unknown as SavedGroup;
        keys.push(key);
        if ((r.c ?? 1) > 0) closed.push({ start, end: start + size, row: this.outputRow(r.g, this.aggs.restore(r.a)) });
      }
      for (const key of keys) table.delete(key);
    }
    return closed;
  }

  /** Puts the groups of window `start` changed since they were last staged into the state table. */
  private stage(start: number, w: OpenWindow): void {
    const table = this.ctx.state.table(WINDOWS);
    for (const ik of w.fresh ? w.groups.keys() : w.dirty) {
      const g = w.groups.get(ik);
      if (!g) continue;
      const k = keyOf(g.values);
      g.stateKey ??= stateKey(start, k);
      table.put(g.stateKey, { s: start, k, g: g.values as StateValue[], a: AggregateList.save(g.accs), c: g.count } satisfies StateRow);
    }
    w.dirty.clear();
    w.fresh = false;
  }

  protected flushWindows(): void {
    for (const [start, w] of this.windows) this.stage(start, w);
    this.windows.clear();
    if (this.startsDirty) this.ctx.state.table(STARTS).put('open', { s: [...this.starts] });
    this.startsDirty = false;
  }

  get openWindows(): number {
    return this.starts.size;
  }
}
