/**
 * A query over a subquery whose select list has window functions, such as the first rows per
 * group: `SELECT * FROM (SELECT ..., ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) AS rn
 * FROM t) q WHERE rn <= 3`. The windows need the subquery's final rows, so the query runs in two
 * stages: the subquery as a finished query of its own (a pull query, or a bounded push query),
 * then the outer query as a pull query over those rows, read as a table of this module's name.
 */
import type { Field } from '../common/types.js';
import type { SelectQuery } from '../parser/ast.js';
import type { Catalog, TableDef } from './catalog.js';
import { inputColumns, liftWindows } from './window-lift.js';

/** The name the outer stage reads the subquery's rows by; no SQL name can be it. */
const FINISHED = '\u0000finished';

export interface FinishedSubquery {
  /** The subquery, run first as a query of its own. */
  readonly inner: SelectQuery;
  /** The outer query, reading the subquery's rows from the table `FINISHED` (under the subquery's alias). */
  readonly outer: SelectQuery;
}

/**
 * The two stages of `q`, or undefined when its FROM is not a subquery with window functions, nor
 * made one because it computes with window functions, filters them with QUALIFY or has DISTINCT
 * with them (window-lift.ts).
 */
export function finishedSubquery(query: SelectQuery, catalog: Catalog): FinishedSubquery | undefined {
  const q = liftWindows(query, inputColumns(query.from, (name) => catalog.findRelation(name))) ?? query;
  const from = q.from;
  if (from?.kind !== 'Subquery') return undefined;
  const inner = from.query;
  if (!inner.items.some((i) => i.kind === 'ExprItem' && i.expr.kind === 'Call' && i.expr.over !== undefined)) return undefined;
  return {
    inner,
    outer: { ...q, from: { kind: 'TableRef', name: { name: FINISHED, span: from.span }, ...(from.alias ? { alias: from.alias } : {}), span: from.span } },
  };
}

/** `catalog` with the subquery's rows (of `fields`) as a table the outer stage reads. */
export function withFinishedRows(catalog: Catalog, fields: readonly Field[]): Catalog {
  const scratch = catalog.clone();
  const def: TableDef = { kind: 'table', name: FINISHED, schema: fields, primaryKey: [], options: {}, sql: '' };
  scratch.addRelation(def);
  return scratch;
}
