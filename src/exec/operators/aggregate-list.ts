/**
 * The aggregate calls of one GROUP BY or window, compiled against their input: their arguments
 * evaluated over a batch's columns and one accumulator per call driven for a group
 * (accumulators.ts holds the accumulators themselves).
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import type { AggregateCall } from '../../planner/logical.js';
import type { StateValue } from '../../state/index.js';
import { readColumn, type Values } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import type { Accumulator } from './accumulator.js';
import { accumulatorFactory, type AccumulatorFactory, type Count, type CountStar, type Extreme, type Sum } from './accumulators.js';

/** What every GROUP BY operator is built from (see GroupAggregateSpec, LocalAggregateSpec). */
export interface AggregateSpec {
  readonly input: readonly Field[];
  readonly groupBy: readonly BoundExpr[];
  readonly aggregates: readonly AggregateCall[];
  readonly fields: readonly Field[];
  /** Whether the input may carry retractions (else MIN/MAX keep only the current extreme). */
  readonly retractable: boolean;
  readonly udfs: UdfResolver;
}

/** Arguments of one batch: per call, per argument, the values of every row. */
export type ArgValues = readonly (readonly (readonly unknown[])[])[];

/**
 * The aggregate calls of one GROUP BY, compiled: evaluates their arguments over a batch's
 * columns and drives one accumulator per call for a group.
 */
export class AggregateList {
  private readonly factories: AccumulatorFactory[];
  private readonly args: CompiledExpr[][];
  /** Per call, how `add` drives its accumulator (see Drive). */
  private readonly drives: Drive[];

  constructor(calls: readonly AggregateCall[], input: readonly Field[], udfs: UdfResolver, retractable: boolean) {
    this.factories = calls.map((c) => accumulatorFactory(c, retractable));
    // PSI's model and feature were resolved at plan time: it adds the value and the version.
    this.args = calls.map((c) => (c.fn === 'psi' ? [c.args[0]!, ...c.args.slice(3)] : c.args).map((a) => compileExpr(a, input, udfs)));
    this.drives = calls.map((c) => driveOf(c, retractable));
  }

  /** Evaluates every argument; rows that threw are reported in `errors` (row -> reason). */
  evaluate(cols: readonly (Values | undefined)[], n: number, errors: Map<number, string>): ArgValues {
    return this.args.map((args, k) =>
      args.map((x) => {
        const r = x.evaluateColumns(cols, n);
        for (const e of r.errors) if (!errors.has(e.row)) errors.set(e.row, `aggregate ${this.factories[k]!.fn.toUpperCase()}(${x.text}): ${e.message}`);
        return r.values;
      }),
    );
  }

  create(): Accumulator[] {
    return this.factories.map((f) => f.create());
  }

  restore(saved: readonly StateValue[]): Accumulator[] {
    return this.factories.map((f, k) => f.restore(saved[k] ?? null));
  }

  /** Adds one row to `accs`; on an error the accumulators already updated are rolled back. */
  add(accs: readonly Accumulator[], args: ArgValues, row: number, sign: 1 | -1): string | undefined {
    for (let k = 0; k < accs.length; k++) {
      const a = args[k]!;
      const acc = accs[k]!;
      let err: string | undefined;
      // Each kind on its own call site, so that one site sees one class, and a number read from
      // a typed column reaches the accumulator unboxed.
      switch (this.drives[k]) {
        case Drive.CountStar:
          (acc as CountStar).n += sign;
          continue;
        case Drive.Count: {
          const v = a[0]![row];
          if (v !== null && v !== undefined) (acc as Count).n += sign;
          continue;
        }
        case Drive.Sum: {
          const v = a[0]![row];
          err = typeof v === 'number' ? (acc as Sum).addNumber(v, sign) : (acc as Sum).add(v, null, sign);
          break;
        }
        case Drive.Extreme: {
          const v = a[0]![row];
          err = typeof v === 'number' ? (acc as Extreme).addNumber(v, sign) : (acc as Extreme).add(v, null, sign);
          break;
        }
        default:
          err = acc.add(a[0]?.[row] ?? null, a[1]?.[row] ?? null, sign);
      }
      if (err !== undefined) {
        for (let j = 0; j < k; j++) accs[j]!.add(args[j]![0]?.[row] ?? null, args[j]![1]?.[row] ?? null, sign === 1 ? -1 : 1);
        return err;
      }
    }
    return undefined;
  }

  /** Folds `others` into `accs`, all or nothing: the error of the first that cannot, and then nothing changes. */
  static merge(accs: readonly Accumulator[], others: readonly Accumulator[]): string | undefined {
    for (let k = 0; k < accs.length; k++) {
      const err = accs[k]!.mergeError?.(others[k]!);
      if (err !== undefined) return err;
    }
    accs.forEach((acc, k) => acc.merge(others[k]!));
    return undefined;
  }

  static results(accs: readonly Accumulator[]): unknown[] {
    return accs.map((a) => a.result());
  }

  static save(accs: readonly Accumulator[]): StateValue[] {
    return accs.map((a) => a.save());
  }
}

/** How AggregateList.add drives the accumulator of a call: a kind of its own, or through Accumulator.add. */
const Drive = { Generic: 0, CountStar: 1, Count: 2, Sum: 3, Extreme: 4 } as const;
type Drive = (typeof Drive)[keyof typeof Drive];

function driveOf(call: AggregateCall, retractable: boolean): Drive {
  switch (call.fn) {
    case 'count':
      return call.args.length === 0 ? Drive.CountStar : Drive.Count;
    case 'sum':
    case 'avg':
      return call.args.length === 1 ? Drive.Sum : Drive.Generic;
    case 'min':
    case 'max':
      return retractable || call.args.length !== 1 ? Drive.Generic : Drive.Extreme;
    default:
      return Drive.Generic;
  }
}

/** Decoded columns of `batch` at the indexes in `used` (others left undefined). */
export function usedColumns(batch: RecordBatch, fields: readonly Field[], used: Iterable<number>): (Values | undefined)[] {
  const cols: (Values | undefined)[] = [];
  for (const i of used) if (i < fields.length) cols[i] = readColumn(batch, i, fields[i]!.type);
  return cols;
}

/**
 * Group-key values per key expression. A row whose key throws is recorded in `errors` (first
 * error per row wins) and its key value is null.
 */
export function evaluateGroupKeys(keys: readonly CompiledExpr[], cols: readonly (Values | undefined)[], n: number, errors: Map<number, string>): unknown[][] {
  return keys.map((k) => {
    const r = k.evaluateColumns(cols, n);
    for (const e of r.errors) if (!errors.has(e.row)) errors.set(e.row, `GROUP BY ${k.text}: ${e.message}`);
    return r.values;
  });
}
