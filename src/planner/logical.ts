/**
 * The logical plan: what a query computes, independent of how. A discriminated union of
 * readonly nodes; every node states its output `fields`.
 */
import type { ReferenceSource } from '../udf/drift.js';
import type { Field } from '../common/types.js';
import type { BoundExpr } from './bound-expr.js';
import type { AggregateFn } from './functions.js';
import type { WindowSpec as OverSpec } from './window-spec.js';
import { leaf, manyInputs, oneInput, planTree, twoInputs, type ChildrenTable } from './plan-tree.js';

/**
 * Present on a scan whose relation carries updates (a materialized view over an updating
 * query): rows arrive as +I/-U/+U/-D changes of the row identified by `key`, indexes into the
 * relation's schema. Absent: every row is an insert.
 */
export interface ScanChanges {
  readonly key: readonly number[];
}

export interface LogicalScan {
  readonly kind: 'LogicalScan';
  readonly relation: string;
  readonly relationKind: 'stream' | 'table' | 'view';
  /** Indexes into the relation's schema, in output order. */
  readonly columns: readonly number[];
  readonly fields: readonly Field[];
  /** Output index of the event-time column and the watermark delay, for streams that declare one. */
  readonly watermark?: { readonly column: number; readonly delayMs: number };
  readonly changes?: ScanChanges;
  /**
   * Constant rows (VALUES, or the one row of no columns of a SELECT without FROM): the scan
   * gives these, each value computed when it runs, instead of a relation's rows.
   */
  readonly constants?: readonly (readonly BoundExpr[])[];
}

export interface LogicalFilter {
  readonly kind: 'LogicalFilter';
  readonly input: LogicalPlan;
  readonly predicate: BoundExpr;
  readonly fields: readonly Field[];
}

export interface LogicalProject {
  readonly kind: 'LogicalProject';
  readonly input: LogicalPlan;
  readonly exprs: readonly BoundExpr[];
  readonly fields: readonly Field[];
  /**
   * Its pass-through columns carry no key (it restores a join's columns after key columns were
   * added): one nothing above reads is pruned like a computed one.
   */
  readonly keyless?: true;
}

/** Stream rows look up the latest row of `table` by its primary key; output = input ++ table columns. */
export interface LogicalLookupJoin {
  readonly kind: 'LogicalLookupJoin';
  readonly input: LogicalPlan;
  readonly table: string;
  readonly joinType: 'INNER' | 'LEFT';
  /** One expression over the input per primary-key column of the table. */
  readonly keys: readonly BoundExpr[];
  /** Indexes into the table's schema that the join outputs. */
  readonly tableColumns: readonly number[];
  readonly fields: readonly Field[];
}

/**
 * Stream-stream join: rows match when keys are equal and
 * left.time + lowerMs <= right.time <= left.time + upperMs. Output = left ++ right.
 */
export interface LogicalIntervalJoin {
  readonly kind: 'LogicalIntervalJoin';
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  readonly leftTime: number;
  readonly rightTime: number;
  readonly lowerMs: number;
  readonly upperMs: number;
  /** Conditions beyond the keys and time bounds, over the joined row. */
  readonly residual?: BoundExpr;
  readonly fields: readonly Field[];
}

/**
 * Regular join of two inputs, each kept whole: rows match when their keys are equal (no keys: a
 * cross join) and the residual holds; an outer join pads a preserved side's unmatched rows with
 * NULLs. Output = left ++ right.
 */
export interface LogicalHashJoin {
  readonly kind: 'LogicalHashJoin';
  /**
   * MARK (a semi join that keeps every left row): output = left ++ [BOOLEAN], whether the row has
   * a partner (EXISTS with conditions beyond key equalities).
   */
  readonly joinType: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'MARK';
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  /** Conditions beyond the keys, over the joined row. */
  readonly residual?: BoundExpr;
  readonly fields: readonly Field[];
}

/**
 * Window functions (`fn(...) OVER (...)`) over a continuous query's rows: each output row is an
 * input row with the windows' columns (placeholders in the input) filled in, kept current as rows
 * come and go. `partitionBy`: the input columns every window partitions by (the operator's state
 * key; none: one partition).
 */
export interface LogicalOver {
  readonly kind: 'LogicalOver';
  readonly input: LogicalPlan;
  readonly windows: readonly OverSpec[];
  readonly partitionBy: readonly number[];
  readonly fields: readonly Field[];
}

/** UNNEST in the select list: a row per element of the arrays (side by side), after the input's columns. */
export interface LogicalUnnest {
  readonly kind: 'LogicalUnnest';
  readonly input: LogicalPlan;
  readonly arrays: readonly BoundExpr[];
  readonly fields: readonly Field[];
}

export type WindowFn = 'TUMBLE' | 'HOP' | 'SESSION';

/** Window table function: adds window_start and window_end (HOP repeats a row per window). */
export interface LogicalWindow {
  readonly kind: 'LogicalWindow';
  readonly input: LogicalPlan;
  readonly fn: WindowFn;
  readonly timeColumn: number;
  readonly sizeMs: number;
  readonly slideMs: number;
  readonly gapMs: number;
  readonly fields: readonly Field[];
}

/**
 * How an ordered aggregate sorts by its key: one direction, or with several ORDER BY items
 * (`keys`, in order) a STRUCT key whose fields are the items' values, each its own direction.
 */
export interface AggregateOrder {
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  readonly keys?: readonly { readonly desc: boolean; readonly nullsFirst: boolean }[];
}

export interface AggregateCall {
  readonly fn: AggregateFn;
  readonly args: readonly BoundExpr[];
  readonly name: string;
  /** PSI: the reference distribution it compares with, fixed when the query is planned (or the one being collected for the version serving then). */
  readonly reference?: ReferenceSource;
  /** STRING_AGG(s, sep ORDER BY key): its second argument is the key, sorted this way. */
  readonly order?: AggregateOrder;
  /** STRING_AGG(DISTINCT ...), ARRAY_AGG(DISTINCT ...): each value once (where it first comes, or by the order). */
  readonly distinct?: true;
}

/**
 * GROUP BY. Output = group columns ++ aggregate columns. Over a window (groups include
 * window_start) the result is append-only and emitted when the watermark passes window_end;
 * otherwise the result is an updating table.
 */
export interface LogicalAggregate {
  readonly kind: 'LogicalAggregate';
  readonly input: LogicalPlan;
  readonly groupBy: readonly BoundExpr[];
  readonly aggregates: readonly AggregateCall[];
  readonly fields: readonly Field[];
}

/**
 * Input columns the predict operator reads besides its arguments: the prediction log's id, the
 * event time, and the key a canary routes by. Indexes into the input's fields.
 */
export interface PredictRowInfo {
  readonly id?: number;
  readonly eventTime?: number;
  readonly key?: number;
}

/**
 * Scores each row with a model; output = the input columns in `keep` ++ the model output (scalar
 * or STRUCT) ++ version ++ role. `keep` lists every input column until pruning drops unread ones.
 */
export interface LogicalPredict {
  readonly kind: 'LogicalPredict';
  readonly input: LogicalPlan;
  readonly keep: readonly number[];
  readonly model: string;
  /** A version the query names (`predict('fraud@2', ...)`); undefined: the serving version and its candidate. */
  readonly version?: number;
  readonly rowInfo: PredictRowInfo;
  readonly args: readonly BoundExpr[];
  readonly width: number;
  readonly outputs: readonly Field[];
  readonly fields: readonly Field[];
}

/**
 * UNION ALL: the rows and changes of every input, which have the same column types (the planner
 * casts where they differ); output fields are named as the first input's.
 */
export interface LogicalUnion {
  readonly kind: 'LogicalUnion';
  readonly inputs: readonly LogicalPlan[];
  readonly fields: readonly Field[];
}

export type LogicalPlan =
  | LogicalUnion
  | LogicalScan
  | LogicalFilter
  | LogicalProject
  | LogicalLookupJoin
  | LogicalIntervalJoin
  | LogicalHashJoin
  | LogicalUnnest
  | LogicalOver
  | LogicalWindow
  | LogicalAggregate
  | LogicalPredict;

export type LogicalKind = LogicalPlan['kind'];

/** One entry per node kind: a new kind without one fails to compile. */
const LOGICAL_CHILDREN: ChildrenTable<LogicalPlan> = {
  LogicalScan: leaf(),
  LogicalFilter: oneInput(),
  LogicalProject: oneInput(),
  LogicalLookupJoin: oneInput(),
  LogicalIntervalJoin: twoInputs(),
  LogicalHashJoin: twoInputs(),
  LogicalUnnest: oneInput(),
  LogicalOver: oneInput(),
  LogicalWindow: oneInput(),
  LogicalAggregate: oneInput(),
  LogicalPredict: oneInput(),
  LogicalUnion: manyInputs(),
};

const tree = planTree(LOGICAL_CHILDREN);
/** The inputs of a node, left to right. */
export const logicalChildren = tree.children;
/** A node with its inputs replaced (same count and order as logicalChildren). */
export const withLogicalChildren = tree.withChildren;
/** A node rebuilt with `f` applied to each of its inputs. */
export const mapLogicalChildren = tree.mapChildren;
