/**
 * HAVING with a subquery (`SELECT k, SUM(v) AS s FROM t GROUP BY k HAVING SUM(v) > (SELECT
 * AVG(v) FROM t)`): the query becomes a query over the grouped rows, whose WHERE is the HAVING,
 * so that the subquery is planned where subqueries are (a WHERE over rows):
 *
 *   SELECT l0 AS k, l1 AS s FROM (SELECT k AS l0, SUM(v) AS l1, k FROM t GROUP BY k) t WHERE l1 > (SELECT AVG(v) FROM t)
 *
 * The inner query keeps FROM, WHERE and GROUP BY; its items are the select items, the aggregates
 * and columns HAVING reads outside its subqueries (lifted under names no SQL name can be, as
 * window-lift.ts does), and each grouped column under its own name. It takes the name of the one
 * relation the query reads, so a subquery correlated by a grouped column (`WHERE x.k = t.k`)
 * finds it. ORDER BY, LIMIT and DISTINCT move to the outer query.
 */
import { normalizeName, type Expr, type Ident, type OrderItem, type SelectItem, type SelectQuery } from '../parser/ast.js';
import { implicitName } from './item-names.js';
import { hasSubquery, isSubquery } from './subqueries.js';
import { isAggregateCall, keepsOrder, liftedColumns, mapChildren } from './window-lift.js';

const PREFIX = '\u0000having';

/** `q` with its HAVING as the WHERE of a query over its groups, or undefined when HAVING has no subquery. */
export function liftHavingSubqueries(q: SelectQuery): SelectQuery | undefined {
  if (!q.having || !q.from || !hasSubquery(q.having) || q.items.some((i) => i.kind === 'Star')) return undefined;
  const inner: SelectItem[] = [];
  const column = liftedColumns(PREFIX, inner);
  /** `e` over the inner query's columns: aggregates and columns are computed inside, subqueries outside. */
  const lift = (e: Expr): Expr => (isSubquery(e) ? mapChildren(e, lift) : isAggregateCall(e) || e.kind === 'ColumnRef' ? column(e) : mapChildren(e, lift));
  const names: string[] = [];
  const items = q.items.map((item, k): SelectItem => {
    if (item.kind !== 'ExprItem') return item;
    const name = item.alias?.name ?? implicitName(item.expr) ?? `expr${k}`;
    names.push(normalizeName(name));
    // A select item with a subquery of its own is computed inside, whole.
    const expr = hasSubquery(item.expr) ? column(item.expr) : lift(item.expr);
    return { kind: 'ExprItem', expr, alias: ident(name, item.alias?.span ?? item.span), span: item.span };
  });
  const where = lift(q.having);
  const orderBy = q.orderBy.map((o): OrderItem => (keepsOrder(o.expr, names) ? o : { ...o, expr: lift(o.expr) }));
  // Grouped columns under their own names, for subqueries correlated by them.
  const seen = new Set<string>();
  for (const g of q.groupBy) {
    if (g.kind !== 'ColumnRef' || seen.has(normalizeName(g.column.name))) continue;
    seen.add(normalizeName(g.column.name));
    inner.push({ kind: 'ExprItem', expr: g, alias: ident(g.column.name, g.span), span: g.span });
  }
  const alias = q.from.kind === 'TableRef' ? (q.from.alias ?? q.from.name) : q.from.kind === 'Subquery' || q.from.kind === 'Values' || q.from.kind === 'Window' ? q.from.alias : undefined;
  const sub: SelectQuery = { kind: 'Select', distinct: false, items: inner, from: q.from, ...(q.where ? { where: q.where } : {}), groupBy: q.groupBy, ...(q.groupingSets ? { groupingSets: q.groupingSets } : {}), orderBy: [], span: q.span };
  return {
    kind: 'Select',
    distinct: q.distinct,
    items,
    from: { kind: 'Subquery', query: sub, ...(alias ? { alias } : {}), span: q.from.span },
    where,
    groupBy: [],
    ...(q.qualify ? { qualify: q.qualify } : {}),
    orderBy,
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.offset !== undefined ? { offset: q.offset } : {}),
    span: q.span,
  };
}

function ident(name: string, span: Ident['span']): Ident {
  return { name, span };
}
