/**
 * Window functions (`fn(...) OVER (PARTITION BY ... ORDER BY ...)`) over a continuous query's
 * rows, kept current: a view or push query with ROW_NUMBER, RANK, LAG, running sums and the rest.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import { keyOf } from '../../common/keys.js';
import type { OverExec } from '../../planner/physical.js';
import type { WindowSpec } from '../../planner/window-spec.js';
import type { StateValue } from '../../state/index.js';
import { emitRows } from '../changes.js';
import { plain, readColumn } from '../columns.js';
import { RowKind, rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';
import { computeWindows } from '../window-functions.js';
import { deadlineCheck } from '../../common/deadline.js';
import { sameValues } from './hash-join.js';

export interface OverSpec {
  /** The input's fields: the windows' columns hold placeholders (NULL). */
  readonly input: readonly Field[];
  readonly windows: readonly WindowSpec[];
  readonly partitionBy: readonly number[];
  readonly fields: OverExec['fields'];
}

/** Output rows emitted at a time. */
const CHUNK = 8192;

/**
 * OverExec.
 *
 * Invariants:
 * - The output, applied as a changelog, is at every moment the input's live rows with each
 *   window's column filled in as a batch engine fills it over those rows (src/exec/window-functions.ts:
 *   DuckDB's semantics; rows equal on every ORDER BY key keep the order they came in).
 * - Rows live in state by partition (the input columns every window partitions by; none: one
 *   partition), as a list in arrival order. A batch reads the lists of the partitions it touches
 *   in one batched read, computes each partition's window values before and after its changes,
 *   and emits the difference: -D for each row whose values are gone, +I for each new one (a row
 *   whose values did not change is not emitted again).
 * - A retraction (-U/-D) removes the first held row with equal values; one the operator does not
 *   hold goes to the dead-letter stream.
 * - Work per batch grows with the size of the partitions it touches (each is computed whole).
 */
export class OverOperator extends StreamOperator {
  readonly name = 'OverExec';
  readonly fields: readonly Field[];
  private readonly input: readonly Field[];
  private readonly windows: readonly WindowSpec[];
  private readonly partitionBy: readonly number[];

  constructor(spec: OverSpec) {
    super(1);
    this.input = spec.input;
    this.fields = spec.fields;
    this.windows = spec.windows;
    this.partitionBy = spec.partitionBy;
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const n = batch.numRows;
    const cols = this.input.map((f, c) => readColumn(batch, c, f.type));
    const rows = new Map<string, { i: number; v: StateValue[]; retract: boolean }[]>();
    for (let i = 0; i < n; i++) {
      const key = keyOf(this.partitionBy.map((c) => cols[c]![i] ?? null));
      const kind = rowKinds?.[i];
      const change = { i, v: cols.map((col) => plain(col[i]) as StateValue), retract: kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE };
      const list = rows.get(key);
      if (list) list.push(change);
      else rows.set(key, [change]);
    }
    const keys = [...rows.keys()];
    const table = this.ctx.state.table('rows');
    const held = await table.getMany(keys);
    let out: [unknown[], boolean][] = [];
    for (let k = 0; k < keys.length; k++) {
      const before = (held[k]?.['r'] as StateValue[][] | undefined) ?? [];
      const after = [...before];
      for (const c of rows.get(keys[k]!)!) {
        if (!c.retract) {
          after.push(c.v);
          continue;
        }
        const at = after.findIndex((h) => sameValues(h, c.v));
        if (at < 0) this.ctx.deadLetter({ reason: 'retraction of a row the window function does not hold (never seen)', operator: this.name, row: rowText(batch, this.input, c.i) });
        else after.splice(at, 1);
      }
      if (after.length === 0) table.delete(keys[k]!);
      else table.put(keys[k]!, { r: after });
      for (const change of this.difference(before, after)) {
        out.push(change);
        if (out.length >= CHUNK) {
          await this.emit(out);
          out = [];
        }
      }
    }
    await this.emit(out);
  }

  /** The changes from a partition's output rows over `before` to those over `after`: -D first, then +I. */
  private difference(before: readonly StateValue[][], after: readonly StateValue[][]): [unknown[], boolean][] {
    const was = this.computed(before);
    const now = this.computed(after);
    const text = (r: readonly unknown[]) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    const left = new Map<string, unknown[][]>();
    for (const r of was) {
      const t = text(r);
      const same = left.get(t);
      if (same) same.push(r);
      else left.set(t, [r]);
    }
    const added: [unknown[], boolean][] = [];
    for (const r of now) {
      const same = left.get(text(r));
      if (same?.length) same.pop();
      else added.push([r, false]);
    }
    const removed: [unknown[], boolean][] = [];
    for (const same of left.values()) for (const r of same) removed.push([r, true]);
    return [...removed, ...added];
  }

  /** A partition's rows with the windows' values filled in (copies). */
  private computed(rows: readonly StateValue[][]): unknown[][] {
    const copies = rows.map((r) => [...r] as unknown[]);
    computeWindows(copies, this.windows, deadlineCheck(this.ctx.signal));
    return copies;
  }

  private emit(out: readonly [unknown[], boolean][]): Promise<void> {
    if (out.length === 0) return Promise.resolve();
    const columns = this.fields.map((_, c) => out.map(([r]) => r[c] ?? null));
    const kinds = out.some((o) => o[1]) ? Uint8Array.from(out, (o) => (o[1] ? RowKind.DELETE : RowKind.INSERT)) : undefined;
    return emitRows(this.ctx, this.name, 'row with its window values', this.fields, columns, out.length, kinds);
  }
}
