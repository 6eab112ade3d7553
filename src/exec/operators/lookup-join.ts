/**
 * Stream-table lookup join: each stream row looks up the latest row of a TABLE by primary key,
 * at the time the row is processed. The keys of a batch are read together (one batched read of
 * the keys the state cache does not hold). INNER drops rows with no match; LEFT fills NULLs.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import { dropRows, keepRows } from '../changes.js';
import { batchOfData, buildDataChecked, takeColumn } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { keyOf, keyOfValue } from '../../common/keys.js';
import { rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';

/** Read access to a table's current rows (values in table schema order). */
export interface TableLookup {
  /** The rows of `keys` (undefined where absent), in order: one batched read per batch of rows. */
  getMany(keys: readonly string[]): Promise<(readonly unknown[] | undefined)[]>;
}

export interface LookupJoinSpec {
  readonly input: readonly Field[];
  /** Input fields ++ the table's fields taken (`tableColumns`). */
  readonly fields: readonly Field[];
  /** One expression over the input per table key column, in key order. */
  readonly keys: readonly BoundExpr[];
  /** The table's columns appended to each row, by position in the table's schema. */
  readonly tableColumns: readonly number[];
  readonly joinType: 'INNER' | 'LEFT';
  readonly table: TableLookup;
  readonly udfs: UdfResolver;
}

/**
 * StreamLookupJoinExec. Invariants: output = input columns ++ the table's columns, one row per
 * input row that matches (INNER) or every input row (LEFT, NULLs when nothing matches), in input
 * order with its change kind; a -U/+U pair of which one half finds no match (INNER) becomes -D or
 * +I (see keepRows). A row whose key expression throws, or whose table values a column cannot
 * hold, goes to the dead-letter stream. Watermarks and barriers pass unchanged.
 */
export class StreamLookupJoinOperator extends StreamOperator {
  readonly name = 'StreamLookupJoinExec';
  readonly fields: readonly Field[];
  private readonly input: readonly Field[];
  private readonly keys: CompiledExpr[];
  private readonly tableColumns: readonly number[];
  private readonly joinType: 'INNER' | 'LEFT';
  private readonly table: TableLookup;

  constructor(spec: LookupJoinSpec) {
    super();
    ({ input: this.input, fields: this.fields, tableColumns: this.tableColumns, joinType: this.joinType, table: this.table } = spec);
    this.keys = spec.keys.map((k) => compileExpr(k, spec.input, spec.udfs));
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const n = batch.numRows;
    const keyVals = this.keys.map((k) => k.evaluate(batch));
    const failed = new Set<number>();
    for (const kv of keyVals) {
      for (const e of kv.errors) {
        if (failed.has(e.row)) continue;
        failed.add(e.row);
        this.ctx.deadLetter({ reason: `join key: ${e.message}`, operator: this.name, row: rowText(batch, this.input, e.row) });
      }
    }
    // Each row's index into `distinct` (-1: no key), so a key repeated in the batch is looked up once.
    const slots = new Int32Array(n).fill(-1);
    const distinct: string[] = [];
    // Keyed by the key, or for a single key of a primitive type by the value itself, so that its key is made once per distinct value.
    const slotOf = new Map<unknown, number>();
    const single = keyVals.length === 1 ? keyVals[0]!.values : undefined;
    const parts = new Array<unknown>(this.keys.length);
    for (let i = 0; i < n; i++) {
      if (failed.size > 0 && failed.has(i)) continue;
      let id: unknown;
      if (single) {
        const v = single[i];
        if (v === null || v === undefined) continue;
        id = typeof v === 'object' ? keyOfValue(v) : v;
      } else {
        let isNull = false;
        for (let k = 0; k < keyVals.length; k++) {
          const v = keyVals[k]!.values[i];
          if (v === null || v === undefined) isNull = true;
          parts[k] = v;
        }
        if (isNull) continue;
        id = keyOf(parts);
      }
      let slot = slotOf.get(id);
      if (slot === undefined) {
        slot = distinct.length;
        slotOf.set(id, slot);
        distinct.push(single && typeof single[i] !== 'object' ? keyOfValue(id) : (id as string));
      }
      slots[i] = slot;
    }
    const found = distinct.length ? await this.table.getMany(distinct) : [];
    const matchOf = (i: number): readonly unknown[] | undefined => (slots[i]! < 0 ? undefined : found[slots[i]!]);
    const kept = keepRows(n, rowKinds, (i) => !(failed.size > 0 && failed.has(i)) && (this.joinType === 'LEFT' || matchOf(i) !== undefined));
    const m = kept.count;
    if (m === 0) return;
    const idx = kept.indexes.subarray(0, m);
    const left = kept.all ? batch.data.children : this.input.map((f, c) => takeColumn(batch, c, f.type, idx, m));
    const n0 = this.input.length;
    const bad = new Map<number, string>();
    const right = this.tableColumns.map((tc, j) => {
      const f = this.fields[n0 + j]!;
      const built = buildDataChecked(f.type, Array.from(idx, (i) => matchOf(i)?.[tc] ?? null), m);
      for (const [row, reason] of built.bad) if (!bad.has(row)) bad.set(row, `table ${f.name}: ${reason}`);
      return built.data;
    });
    let out = batchOfData(this.fields, [...left, ...right], m);
    let kinds = kept.rowKinds;
    if (bad.size) {
      for (const [row, reason] of bad) this.ctx.deadLetter({ reason: `lookup join: ${reason}`, operator: this.name, row: rowText(batch, this.input, idx[row]!) });
      ({ batch: out, rowKinds: kinds } = dropRows(out, this.fields, kinds, bad));
      if (out.numRows === 0) return;
    }
    await this.ctx.emit({ kind: 'data', batch: out, ...(kinds ? { rowKinds: kinds } : {}) });
  }

}
