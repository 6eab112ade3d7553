/**
 * A window function of a finished result (`fn(...) OVER (PARTITION BY ... ORDER BY ...)` in the
 * select list of a pull query or a bounded push query), as the planner hands it to the engine
 * (src/exec/window-functions.ts computes it): every index is an output column of the query.
 */
import type { DataType } from '../common/types.js';
import type { AggregateCall } from './logical.js';
import type { OrderKey } from './order-by.js';

export type WindowFn =
  | 'row_number' | 'rank' | 'dense_rank' | 'percent_rank' | 'cume_dist' | 'ntile'
  | 'lag' | 'lead' | 'first_value' | 'last_value' | 'nth_value'
  | 'count' | 'sum' | 'avg' | 'min' | 'max'
  /** Any other aggregate over the frame (STRING_AGG, LIST, STDDEV, MEDIAN, ARG_MAX, ...): see `aggregate`. */
  | 'aggregate';

/**
 * The rows around the current one that a window aggregates (COUNT, SUM, AVG, MIN, MAX,
 * FIRST_VALUE, LAST_VALUE, NTH_VALUE; the others ignore it). Bounds are signed offsets from the
 * current row (negative: PRECEDING; 0: CURRENT ROW), -Infinity for UNBOUNDED PRECEDING and
 * Infinity for UNBOUNDED FOLLOWING, counted in rows, in ORDER BY key values (RANGE: its one key;
 * 0 is the current row's peers) or in peer groups (GROUPS).
 */
export interface FrameSpec {
  readonly unit: 'rows' | 'range' | 'groups';
  readonly start: number;
  readonly end: number;
  /** Rows left out of each frame: the current row, its peer group, or its peers but itself. */
  readonly exclude?: 'current row' | 'group' | 'ties';
}

export interface WindowSpec {
  readonly fn: WindowFn;
  /** The column the value goes into (the planner leaves a NULL there). */
  readonly output: number;
  /** Its type (the column's own type is NULL until the value is filled in). */
  readonly type: DataType;
  /** Columns of the arguments (none for COUNT(*) and the ranking functions). */
  readonly args: readonly number[];
  /** LAG/LEAD's offset, NTILE's bucket count, NTH_VALUE's n: constants. */
  readonly offset?: number;
  /** LAG/LEAD's default: a constant. */
  readonly fallback?: unknown;
  /** The aggregate of fn 'aggregate': its arguments are the columns of `args`, or constants. */
  readonly aggregate?: AggregateCall;
  /** IGNORE NULLS: FIRST_VALUE, LAST_VALUE, NTH_VALUE, LAG and LEAD pass NULL values over. */
  readonly ignoreNulls?: true;
  /** COUNT, SUM, AVG (DISTINCT x): each value of the frame counted once. */
  readonly distinct?: true;
  readonly partitionBy: readonly number[];
  readonly orderBy: readonly OrderKey[];
  readonly frame: FrameSpec;
}
