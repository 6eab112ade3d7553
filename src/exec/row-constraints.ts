/**
 * A relation's CHECK constraints and DEFAULTs applied to rows that come from outside (Kafka
 * records, rows posted over HTTP): see planner/constraints.ts.
 */
import type { RecordBatch } from 'apache-arrow';
import type { RowConstraints } from '../planner/constraints.js';
import { compileExpr, constantValue, type CompiledExpr } from './compile-expr.js';

/** The checks of a relation, compiled once, and its DEFAULT values, computed once. */
export class RowChecker {
  /**
   * The DEFAULT value of each column of the relation's schema (undefined where none), for a
   * record that leaves the column out; undefined when no column has one.
   */
  readonly defaults: readonly unknown[] | undefined;
  private readonly checks: readonly { readonly expr: CompiledExpr; readonly label: string }[];

  constructor(readonly spec: RowConstraints) {
    this.checks = spec.checks.map((c) => ({ expr: compileExpr(c.cond, spec.schema), label: c.label }));
    if (spec.defaults.some((d) => d !== undefined)) {
      this.defaults = spec.defaults.map((d) => {
        if (d === undefined) return undefined;
        const { value, error } = constantValue(d);
        // CREATE computed each DEFAULT once already (a value that does not convert is its error).
        return error !== undefined ? null : value;
      });
    } else this.defaults = undefined;
  }

  /**
   * Why each row of `batch` (of the relation's whole schema) that breaks a check does (its
   * condition is FALSE, or cannot be computed), by row index; NULL passes, as in SQL. Empty
   * when every row passes.
   */
  violations(batch: RecordBatch): Map<number, string> {
    const out = new Map<number, string>();
    if (batch.numRows === 0) return out;
    for (const { expr, label } of this.checks) {
      const { values, errors } = expr.evaluate(batch);
      for (const e of errors) if (!out.has(e.row)) out.set(e.row, `${label} of ${this.spec.relation} cannot be computed for the row: ${e.message}`);
      for (let i = 0; i < values.length; i++) if (values[i] === false && !out.has(i)) out.set(i, `the row breaks ${label} of ${this.spec.relation}`);
    }
    return out;
  }
}
