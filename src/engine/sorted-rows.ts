/**
 * The end of a query whose result is one set of rows (a pull query, a bounded push query with
 * ORDER BY or window functions): its changes folded into rows, window functions filled in,
 * sorted by ORDER BY, cut by OFFSET and LIMIT, and stripped of the hidden columns only ORDER BY
 * and the windows read.
 */
import type { Field } from '../common/types.js';
import { RowKind } from '../exec/message.js';
import type { OrderKey } from '../planner/order-by.js';
import { limitError } from '../planner/limits.js';
import type { QueryPlan } from '../planner/plan-query.js';
import { compareRows, computeWindows } from '../exec/window-functions.js';

/** The rows of a finished result, in the order and number the query asks for, without hidden columns. */
export function finishRows(q: Pick<QueryPlan, 'orderBy' | 'offset' | 'limit' | 'hiddenColumns' | 'windows'>, rows: unknown[][]): unknown[][] {
  if (q.windows) computeWindows(rows, q.windows);
  if (q.orderBy?.length) sortRows(rows, q.orderBy);
  const from = q.offset ?? 0;
  const cut = q.limit !== undefined || from > 0 ? rows.slice(from, q.limit !== undefined ? from + q.limit : undefined) : rows;
  const hidden = q.hiddenColumns ?? 0;
  return hidden > 0 ? cut.map((r) => r.slice(0, r.length - hidden)) : cut;
}

/** The output columns a client sees: all but the hidden ORDER BY columns at the end. */
export function visibleFields(q: Pick<QueryPlan, 'fields' | 'hiddenColumns' | 'windows'>): readonly Field[] {
  const hidden = q.hiddenColumns ?? 0;
  const fields = hidden > 0 ? q.fields.slice(0, q.fields.length - hidden) : q.fields;
  // A window's column holds NULL until it is filled in: it shows the window's type.
  if (!q.windows) return fields;
  const types = new Map(q.windows.map((w) => [w.output, w.type]));
  return fields.map((f, i) => (types.has(i) ? { ...f, type: types.get(i)!, nullable: true } : f));
}

/** The rows a changelog leaves: +I/+U add a row, -U/-D take away one equal row. */
export class FoldedRows {
  private readonly held: (unknown[] | undefined)[] = [];
  /** Indexes into `held` of the rows still there, by the row's text. */
  private readonly at = new Map<string, number[]>();
  private live = 0;

  /** @param maxRows most rows held at once (PlanLimits.maxResultRows): one more is LIMIT_EXCEEDED. */
  constructor(private readonly maxRows = Number.POSITIVE_INFINITY) {}

  apply(kind: number, row: unknown[]): void {
    const text = JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    if (kind === RowKind.INSERT || kind === RowKind.UPDATE_AFTER) {
      if (++this.live > this.maxRows) {
        throw limitError('maxResultRows', `the answer holds more than ${this.maxRows.toLocaleString('en-US')} rows, which is more than an answer built in memory may hold`, undefined, 'narrow it with WHERE or aggregate it; a view or a sink takes any number of rows');
      }
      const list = this.at.get(text) ?? [];
      list.push(this.held.length);
      this.at.set(text, list);
      this.held.push(row);
      return;
    }
    const i = this.at.get(text)?.pop();
    if (i === undefined) return;
    this.held[i] = undefined;
    this.live--;
  }

  rows(): unknown[][] {
    return this.held.filter((r): r is unknown[] => r !== undefined);
  }
}

/** Sorts in SQL value order (strings by code point, NaN above numbers), NULLs last either way. */
function sortRows(rows: unknown[][], keys: readonly OrderKey[]): void {
  rows.sort((a, b) => compareRows(a, b, keys));
}
