/** UNNEST in the select list: a row per element of an array, the row's other columns repeated. */
import type { RecordBatch } from 'apache-arrow';
import type { DataType, Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import { batchOfData, buildDataChecked, takeColumn } from '../columns.js';
import { compileExpr, type CompiledExpr, type RowError, type UdfResolver } from '../compile-expr.js';
import { StatelessOperator } from './stateless.js';

export interface UnnestSpec {
  readonly input: readonly Field[];
  /** The arrays unnested, over the input row. */
  readonly arrays: readonly BoundExpr[];
  /** The input's fields, then one element field per array. */
  readonly fields: readonly Field[];
  readonly udfs: UdfResolver;
}

/**
 * UnnestExec. Invariants: an input row gives as many rows as its longest array has elements (as
 * DuckDB: several arrays go side by side, the shorter ones padded with NULL; a NULL or empty
 * array gives none when every array is), each with the input row's values and change kind, in
 * element order; a row whose array expression throws goes to the dead-letter stream.
 */
export class UnnestExecOperator extends StatelessOperator {
  readonly name = 'UnnestExec';
  private readonly arrays: CompiledExpr[];
  private readonly elementTypes: DataType[];

  constructor(spec: UnnestSpec) {
    super(spec.input, spec.fields);
    this.arrays = spec.arrays.map((e) => compileExpr(e, spec.input, spec.udfs));
    this.elementTypes = spec.fields.slice(spec.input.length).map((f) => f.type);
  }

  protected apply(batch: RecordBatch, rowKinds?: Uint8Array) {
    const n = batch.numRows;
    const failed = new Set<number>();
    const lists = this.arrays.map((x) => {
      const { values, errors } = x.evaluate(batch);
      this.reject(
        batch,
        errors.filter((e: RowError) => !failed.has(e.row)),
        `UNNEST(${x.text})`,
      );
      for (const e of errors) failed.add(e.row);
      return values;
    });
    const rows: number[] = [];
    const elements: unknown[][] = this.arrays.map(() => []);
    for (let r = 0; r < n; r++) {
      if (failed.has(r)) continue;
      let length = 0;
      for (const l of lists) length = Math.max(length, lengthOf(l[r]));
      for (let j = 0; j < length; j++) {
        rows.push(r);
        lists.forEach((l, a) => elements[a]!.push(elementOf(l[r], j)));
      }
    }
    const count = rows.length;
    if (count === 0) return undefined;
    // The elements are of their array's element type: every one fits its column.
    const children = [...this.input.map((f, c) => takeColumn(batch, c, f.type, rows, count)), ...elements.map((values, a) => buildDataChecked(this.elementTypes[a]!, values, count).data)];
    const out = batchOfData(this.fields, children, count);
    const kinds = rowKinds ? Uint8Array.from(rows, (r) => rowKinds[r]!) : undefined;
    return kinds ? { batch: out, rowKinds: kinds } : { batch: out };
  }
}

function lengthOf(v: unknown): number {
  return v === null || v === undefined ? 0 : ((v as ArrayLike<unknown>).length ?? 0);
}

function elementOf(v: unknown, j: number): unknown {
  if (v === null || v === undefined) return null;
  const list = v as ArrayLike<unknown>;
  return j < list.length ? (list[j] ?? null) : null;
}
