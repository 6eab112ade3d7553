/**
 * The end of a query whose result is one set of rows (a pull query, a bounded push query with
 * ORDER BY or window functions): its changes folded into rows, window functions filled in,
 * sorted by ORDER BY, cut by OFFSET and LIMIT, and stripped of the hidden columns only ORDER BY
 * and the windows read.
 */
import { SluiceError } from '../common/errors.js';
import type { Field } from '../common/types.js';
import { RowKind } from '../exec/message.js';
import type { OrderKey } from '../planner/order-by.js';
import { limitError } from '../planner/limits.js';
import type { QueryPlan } from '../planner/plan-query.js';
import { compareRows, computeWindows } from '../exec/window-functions.js';

/**
 * The rows of a finished result, in the order and number the query asks for, without hidden
 * columns; `check` is called as window functions are computed (see common/deadline.ts).
 */
export function finishRows(q: Pick<QueryPlan, 'orderBy' | 'offset' | 'limit' | 'hiddenColumns' | 'windows'>, rows: unknown[][], check?: () => void): unknown[][] {
  if (q.windows) computeWindows(rows, q.windows, check);
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

/**
 * The rows a changelog leaves: +I/+U add a row, -U/-D take away one equal row.
 *
 * Rows are indexed by their text only from the first -U/-D on (an insert-only answer, most pull
 * queries, costs an array push a row). With `top` (a query with LIMIT whose changes are all
 * inserts, see foldedRowsFor), only the rows that can still be in the answer are kept: past
 * twice `top.rows`, the held rows are sorted and cut to `top.rows`, so an ORDER BY ... LIMIT over
 * a relation of any size holds a few times LIMIT rows; without ORDER BY, the first `top.rows`.
 */
export class FoldedRows {
  private held: (unknown[] | undefined)[] = [];
  /** Indexes into `held` of the rows still there, by the row's text (from the first retraction on). */
  private at: Map<string, number[]> | undefined;
  private live = 0;

  /**
   * @param maxRows most rows held at once (PlanLimits.maxResultRows): one more is LIMIT_EXCEEDED.
   * @param top keep only the first `rows` rows in `orderBy` order (stable: of rows that tie, the earliest).
   */
  constructor(
    private readonly maxRows = Number.POSITIVE_INFINITY,
    private readonly top?: { readonly orderBy: readonly OrderKey[]; readonly rows: number },
  ) {}

  /**
   * Whether no further row can change the answer: a `top` without ORDER BY (LIMIT alone, any
   * rows will do) that holds its rows. The caller may stop reading.
   */
  get full(): boolean {
    return this.top !== undefined && this.top.orderBy.length === 0 && this.held.length >= this.top.rows;
  }

  apply(kind: number, row: unknown[]): void {
    if (kind === RowKind.INSERT || kind === RowKind.UPDATE_AFTER) {
      if (this.full) return;
      if (this.top && this.held.length >= Math.max(2 * this.top.rows, TOP_MIN_HELD)) this.cut(this.top.orderBy, this.top.rows);
      // With `top`, the answer is the first `top.rows` of what is held.
      if (++this.live > this.maxRows && (!this.top || this.top.rows > this.maxRows)) {
        throw limitError('maxResultRows', `the answer holds more than ${this.maxRows.toLocaleString('en-US')} rows, which is more than an answer built in memory may hold`, undefined, 'narrow it with WHERE or aggregate it; a view or a sink takes any number of rows');
      }
      if (this.at) {
        const text = rowText(row);
        const list = this.at.get(text) ?? [];
        list.push(this.held.length);
        this.at.set(text, list);
      }
      this.held.push(row);
      return;
    }
    if (this.top) throw new SluiceError('INTERNAL', 'a change taken back in an answer kept as its first rows only (the query was planned as insert-only)');
    const at = (this.at ??= this.index());
    const i = at.get(rowText(row))?.pop();
    if (i === undefined) return;
    this.held[i] = undefined;
    this.live--;
    // Rows taken back leave holes; once they are most of what is held, close them.
    if (this.held.length > COMPACT_MIN_HELD && this.live < this.held.length / 2) {
      this.held = this.rows();
      this.at = this.index();
    }
  }

  rows(): unknown[][] {
    return this.held.filter((r): r is unknown[] => r !== undefined);
  }

  private index(): Map<string, number[]> {
    const at = new Map<string, number[]>();
    this.held.forEach((r, i) => {
      if (r === undefined) return;
      const text = rowText(r);
      const list = at.get(text);
      if (list) list.push(i);
      else at.set(text, [i]);
    });
    return at;
  }

  /** Keeps the first `rows` held rows in `orderBy` order (only while nothing was retracted). */
  private cut(orderBy: readonly OrderKey[], rows: number): void {
    const held = this.rows();
    sortRows(held, orderBy);
    if (held.length > rows) held.length = rows;
    this.held = held;
    this.live = held.length;
  }
}

/** Fewest rows held, taken back ones included, before FoldedRows closes the holes. */
const COMPACT_MIN_HELD = 4096;
/** Fewest rows a top-N answer holds before it is cut (see FoldedRows). */
const TOP_MIN_HELD = 1024;

function rowText(row: unknown[]): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/**
 * The FoldedRows for the answer of `q`: with LIMIT, no window functions and only inserts (not an
 * updating query), it keeps only the rows that can be among the first OFFSET + LIMIT: in
 * ORDER BY order, or without ORDER BY the first that come (and then it is `full` once it has
 * them).
 */
export function foldedRowsFor(q: Pick<QueryPlan, 'orderBy' | 'offset' | 'limit' | 'windows' | 'updating'>, maxRows: number): FoldedRows {
  if (q.limit === undefined || q.windows || q.updating) return new FoldedRows(maxRows);
  return new FoldedRows(maxRows, { orderBy: q.orderBy ?? [], rows: (q.offset ?? 0) + q.limit });
}

/** Sorts in SQL value order (strings by code point, NaN above numbers), NULLs last either way. */
function sortRows(rows: unknown[][], keys: readonly OrderKey[]): void {
  rows.sort((a, b) => compareRows(a, b, keys));
}
