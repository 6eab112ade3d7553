/**
 * The partial phase of a two-phase GROUP BY (LocalAggregateExec): per input batch, the rows of
 * each (group, salt) are folded into one partial accumulator state, so the final phase merges a
 * handful of partials per hot key instead of every row.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import { columnsOf } from '../../planner/bound-expr.js';
import { SKEW_SALTS } from '../../planner/physical.js';
import { emitRows } from '../changes.js';
import { plain } from '../columns.js';
import { compileExpr, type CompiledExpr } from '../compile-expr.js';
import { keyOf } from '../../common/keys.js';
import { RowKind, rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';
import type { Accumulator } from './accumulators.js';
import { AggregateList, evaluateGroupKeys, usedColumns, type AggregateSpec } from './aggregate-list.js';
import { encodeState } from './partial-state.js';

interface Partial {
  readonly values: unknown[];
  readonly salt: number;
  count: number;
  readonly accs: Accumulator[];
}

/** `fields`: the group columns, `__salt`, `__count`, then one encoded state per aggregate. */
export interface LocalAggregateSpec extends AggregateSpec {
  /** A hinted salt: rows of every key spread over this many partials (1: none). */
  readonly salt: number;
  /** Share of a batch's rows above which one key counts as skewed and is spread. */
  readonly skewThreshold: number;
}

/**
 * LocalAggregateExec.
 *
 * Invariants:
 * - Holds no state between batches: each data batch yields at most one batch of partial rows
 *   (all INSERT), one per (group, salt) seen in it, in order of first appearance; barriers,
 *   watermarks and the end pass through unchanged and in order.
 * - Merging every partial of a key in the final phase gives the same accumulators as adding the
 *   key's rows one by one (counts and states are signed: retractions subtract).
 * - Rows whose group or argument expressions throw, or that an accumulator refuses, go to the
 *   dead-letter stream and are in no partial.
 */
export class LocalAggregateOperator extends StreamOperator {
  readonly name = 'LocalAggregateExec';
  readonly fields: readonly Field[];
  private readonly input: readonly Field[];
  private readonly salt: number;
  private readonly skewThreshold: number;
  private readonly keys: CompiledExpr[];
  private readonly aggs: AggregateList;
  private readonly used: number[];

  constructor(spec: LocalAggregateSpec) {
    super();
    ({ input: this.input, fields: this.fields, salt: this.salt, skewThreshold: this.skewThreshold } = spec);
    this.keys = spec.groupBy.map((g) => compileExpr(g, spec.input, spec.udfs));
    this.aggs = new AggregateList(spec.aggregates, spec.input, spec.udfs, spec.retractable);
    const used = new Set<number>();
    for (const g of spec.groupBy) columnsOf(g, used);
    for (const a of spec.aggregates) for (const x of a.args) columnsOf(x, used);
    this.used = [...used].sort((a, b) => a - b);
  }

  protected onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const n = batch.numRows;
    const cols = usedColumns(batch, this.input, this.used);
    const errors = new Map<number, string>();
    const keyVals = evaluateGroupKeys(this.keys, cols, n, errors);
    const args = this.aggs.evaluate(cols, n, errors);
    const rowKeys = new Array<string>(n);
    const perKey = new Map<string, number>();
    const parts = new Array<unknown>(this.keys.length);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < parts.length; k++) parts[k] = keyVals[k]![i];
      const key = keyOf(parts);
      rowKeys[i] = key;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
    }
    const limit = this.skewThreshold * n;
    const seen = new Map<string, number>();
    const partials = new Map<string, Partial>();
    for (let i = 0; i < n; i++) {
      const err = errors.get(i);
      if (err !== undefined) {
        this.reject(batch, i, err);
        continue;
      }
      const key = rowKeys[i]!;
      const salt = this.saltOf(key, i, perKey.get(key)! > limit, seen);
      const pk = salt === 0 ? key : `${key}\u0000${salt}`;
      let p = partials.get(pk);
      if (!p) {
        p = { values: keyVals.map((v) => plain(v[i])), salt, count: 0, accs: this.aggs.create() };
        partials.set(pk, p);
      }
      const kind = rowKinds ? rowKinds[i] : RowKind.INSERT;
      const sign = kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE ? -1 : 1;
      const failed = this.aggs.add(p.accs, args, i, sign);
      if (failed !== undefined) {
        this.reject(batch, i, failed);
        continue;
      }
      p.count += sign;
    }
    if (partials.size === 0) return Promise.resolve();
    const rows = [...partials.values()];
    const g = this.keys.length;
    const columns = this.fields.map((_, c) => {
      if (c < g) return rows.map((r) => r.values[c] ?? null);
      if (c === g) return Int32Array.from(rows, (r) => r.salt);
      if (c === g + 1) return Int32Array.from(rows, (r) => r.count);
      return rows.map((r) => encodeState(r.accs[c - g - 2]!.save()));
    });
    return emitRows(this.ctx, this.name, 'partial aggregate', this.fields, columns, rows.length);
  }

  /** The salt of row `i` of `key`: row index modulo the hinted salt, or a spread of a skewed key. */
  private saltOf(key: string, i: number, skewed: boolean, seen: Map<string, number>): number {
    if (this.salt > 1) return i % this.salt;
    if (!skewed) return 0;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    return k % SKEW_SALTS;
  }

  private reject(batch: RecordBatch, row: number, reason: string): void {
    this.ctx.deadLetter({ reason, operator: this.name, row: rowText(batch, this.input, row) });
  }
}
