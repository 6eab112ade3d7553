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
import { isSubquery, normalizeName, type Expr, type Ident, type OrderItem, type SelectItem, type SelectQuery } from '../parser/ast.js';
import { implicitName } from './item-names.js';
import { hasSubquery } from './ast-conjuncts.js';
import { isAggregateCall, keepsOrder, liftedColumns, mapChildren } from './window-lift.js';

const PREFIX = '\u0000having';

/** `q` with its HAVING as the WHERE of a query over its groups, or undefined when HAVING has no subquery. */
export function liftHavingSubqueries(q: SelectQuery): SelectQuery | undefined {
  if (!q.having || !q.from || !hasSubquery(q.having) || q.items.some((i) => i.kind === 'Star')) return undefined;
  const inner: SelectItem[] = [];
  const column = liftedColumns(PREFIX, inner);
  /** `e` over the inner query's columns: aggregates and columns are computed inside, subqueries outside. */
  const lift = (e: Expr): Expr => (isSubquery(e) ? mapChildren(e, lift) : isAggregateCall(e) || e.kind === 'ColumnRef' ? column(e) : mapChildren(e, lift));
  // The select items GROUP BY names (GROUP BY 1, GROUP BY g for `i % 2 AS g`): grouped, whole.
  const grouped = new Set<number>();
  for (const g of q.groupBy) {
    if (g.kind === 'Literal' && g.literal === 'integer') grouped.add(Number(g.value) - 1);
    else if (g.kind === 'ColumnRef' && !g.qualifier) {
      const k = q.items.findIndex((i) => i.kind === 'ExprItem' && i.alias && normalizeName(i.alias.name) === normalizeName(g.column.name));
      if (k >= 0) grouped.add(k);
    }
  }
  const names: string[] = [];
  const items = q.items.map((item, k): SelectItem => {
    if (item.kind !== 'ExprItem') return item;
    const name = item.alias?.name ?? implicitName(item.expr) ?? `expr${k}`;
    names.push(normalizeName(name));
    // A select item with a subquery of its own, or one GROUP BY names, is computed inside, whole.
    const expr = hasSubquery(item.expr) || (grouped.has(k) && !hasAggregate(item.expr)) ? column(item.expr) : lift(item.expr);
    return { kind: 'ExprItem', expr, alias: ident(name, item.alias?.span ?? item.span), span: item.span };
  });
  const where = lift(q.having);
  const orderBy = q.orderBy.map((o): OrderItem => (keepsOrder(o.expr, names) ? o : { ...o, expr: lift(o.expr) }));
  // GROUP BY 2 is the second select item's expression: the inner query's items are others.
  const groupBy = q.groupBy.map((g) => {
    const item = g.kind === 'Literal' && g.literal === 'integer' ? q.items[Number(g.value) - 1] : undefined;
    return item?.kind === 'ExprItem' ? item.expr : g;
  });
  // Grouped columns under their own names, for subqueries correlated by them; a name of a
  // select item (GROUP BY g for `i % 2 AS g`) under that name, as its expression, so that
  // GROUP BY finds it there as it would have in the query.
  const seen = new Set<string>();
  for (const g of groupBy) {
    if (g.kind !== 'ColumnRef' || seen.has(normalizeName(g.column.name))) continue;
    seen.add(normalizeName(g.column.name));
    const named = g.qualifier ? undefined : q.items.find((i) => i.kind === 'ExprItem' && i.alias && normalizeName(i.alias.name) === normalizeName(g.column.name));
    const expr = named?.kind === 'ExprItem' && !hasSubquery(named.expr) && !hasAggregate(named.expr) ? named.expr : g;
    inner.push({ kind: 'ExprItem', expr, alias: ident(g.column.name, g.span), span: g.span });
    // `i AS g`: the column under its own name too, for a subquery correlated by it.
    if (expr !== g && expr.kind === 'ColumnRef' && !seen.has(normalizeName(expr.column.name))) {
      seen.add(normalizeName(expr.column.name));
      inner.push({ kind: 'ExprItem', expr, alias: ident(expr.column.name, expr.span), span: expr.span });
    }
  }
  const alias = q.from.kind === 'TableRef' ? (q.from.alias ?? q.from.name) : q.from.kind === 'Subquery' || q.from.kind === 'Values' || q.from.kind === 'Window' ? q.from.alias : undefined;
  const sub: SelectQuery = { kind: 'Select', distinct: false, items: inner, from: q.from, ...(q.where ? { where: q.where } : {}), groupBy, ...(q.groupingSets ? { groupingSets: q.groupingSets } : {}), orderBy: [], span: q.span };
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

/** Whether `e` calls an aggregate (outside subqueries). */
function hasAggregate(e: Expr): boolean {
  let found = false;
  const look = (x: Expr): Expr => {
    if (isAggregateCall(x)) found = true;
    return found || isSubquery(x) ? x : mapChildren(x, look);
  };
  look(e);
  return found;
}

function ident(name: string, span: Ident['span']): Ident {
  return { name, span };
}
