/**
 * Conditions on the query's columns written inside a derived table of a subquery
 * (`SELECT d.dept, (SELECT SUM(x) FROM (SELECT sal AS x FROM emp e WHERE e.dept = d.dept) t) FROM dept d`)
 * or in the ON of an inner join in its FROM.
 * A derived table is planned on its own, where the query's columns do not exist; the condition
 * moves up into the subquery's WHERE instead, reading the derived table's columns it needs as
 * extra columns of it (`SELECT sal AS x, e.dept AS __outer_1 FROM emp e`, then
 * `WHERE t.__outer_1 = d.dept`), and the subquery is then correlated as any other.
 *
 * An inner join's ON condition on the query's columns moves to the WHERE as it is. The rows are
 * the same: a filter commutes with the projection above it, and with a GROUP BY
 * when it reads only the grouping keys. A derived table that computes over all its rows (an
 * aggregate without GROUP BY, DISTINCT, LIMIT, window functions) is left as written: the
 * condition changes what it computes, not only which of its rows pass. So are derived tables on
 * the side of an outer join that gets NULLs, whose rows a WHERE would remove.
 *
 * Only qualified names are recognized as the query's columns (`d.dept`), as in
 * nested-correlation.ts.
 */
import { normalizeName, type ColumnRefExpr, type Expr, type FromItem, type SelectItem, type SelectQuery, type SubqueryRef } from '../parser/ast.js';
import { andAst, anyPart, astConjuncts, hasSubquery } from './ast-conjuncts.js';
import type { Scope } from './bind-expr.js';
import { collectAliases, refKey, resolves } from './nested-correlation.js';
import { hasWindow, isAggregateCall, mapChildren } from './window-lift.js';

/** `q` (a subquery of the query whose columns `outer` names) with such conditions moved up. */
export function liftDerivedCorrelation(q: SelectQuery, outer: Scope): SelectQuery {
  if (!q.from) return q;
  const local = new Set<string>();
  collectAliases(q, local);
  const isOuter = (e: ColumnRefExpr): boolean => e.qualifier !== undefined && !local.has(normalizeName(e.qualifier.name)) && resolves(outer, e);
  const lifted: Expr[] = [];
  const hidden = new Map<string, string[]>();
  let counter = 0;
  const visit = (item: FromItem, filtered: boolean): FromItem => {
    if (item.kind === 'Join') {
      const inner = item.joinType === 'INNER' || item.joinType === 'CROSS';
      const joined = { ...item, left: visit(item.left, filtered && (inner || item.joinType === 'LEFT')), right: visit(item.right, filtered && (inner || item.joinType === 'RIGHT')) };
      if (!filtered || item.joinType !== 'INNER' || !item.on || item.asof) return joined;
      // An inner join's condition on the query's columns filters the joined rows as a WHERE does.
      const moving = astConjuncts(item.on).filter((c) => !hasSubquery(c) && readsOuter(c, isOuter));
      if (!moving.length) return joined;
      lifted.push(...moving);
      const on = andAst(astConjuncts(item.on).filter((c) => !moving.includes(c))) ?? { kind: 'Literal', literal: 'boolean', value: true, span: item.on.span };
      return { ...joined, on };
    }
    if (item.kind !== 'Subquery' || item.lateral || item.view || !item.alias) return item;
    const query = liftDerivedCorrelation(item.query, outer);
    if (!filtered || !query.where || !liftable(query)) return query === item.query ? item : { ...item, query };
    const alias = item.alias;
    const moving: Expr[] = [];
    const staying: Expr[] = [];
    for (const c of astConjuncts(query.where)) (!hasSubquery(c) && readsOuter(c, isOuter) ? moving : staying).push(c);
    if (!moving.length) return query === item.query ? item : { ...item, query };
    // The derived table's own columns the moved conditions read, each exposed once.
    const exposed = new Map<string, { ref: ColumnRefExpr; name: string }>();
    const expose = (e: Expr): Expr => {
      if (e.kind === 'ColumnRef' && !isOuter(e)) {
        let x = exposed.get(refKey(e));
        if (!x) exposed.set(refKey(e), (x = { ref: e, name: `__outer_${++counter}` }));
        return { kind: 'ColumnRef', qualifier: alias, column: { name: x.name, span: e.span }, span: e.span };
      }
      return mapChildren(e, expose);
    };
    const moved = moving.map(expose);
    const refs = [...exposed.values()];
    // Under GROUP BY, each column read must be a grouping key, or be made one: a column that an
    // equality with the query's columns pins to one value splits no group.
    const pinned = new Set(moving.flatMap((c) => pinnedColumn(c, isOuter)));
    const grouping = query.groupBy.length > 0;
    const keys = grouping ? refs.filter((r) => !query.groupBy.some((g) => sameColumn(g, r.ref))) : [];
    if (keys.some((r) => !pinned.has(refKey(r.ref)))) return query === item.query ? item : { ...item, query };
    lifted.push(...moved);
    hidden.set(normalizeName(alias.name), refs.map((r) => r.name));
    const items: SelectItem[] = [...query.items, ...refs.map((r): SelectItem => ({ kind: 'ExprItem', expr: r.ref, alias: { name: r.name, span: r.ref.span }, span: r.ref.span }))];
    const { where: _dropped, ...rest } = query;
    const where = andAst(staying);
    const liftedQuery: SelectQuery = { ...rest, items, groupBy: [...query.groupBy, ...keys.map((r) => r.ref)], ...(where ? { where } : {}) };
    return { ...item, query: liftedQuery } satisfies SubqueryRef;
  };
  const from = visit(q.from, true);
  if (!lifted.length) return from === q.from ? q : { ...q, from };
  // A * of the subquery shows the derived tables' columns as written, not the exposed ones.
  const allHidden = [...hidden.values()].flat();
  const items = q.items.map((i): SelectItem => {
    if (i.kind !== 'Star' || i.path) return i;
    const names = i.qualifier ? (hidden.get(normalizeName(i.qualifier.name)) ?? []) : allHidden;
    return names.length ? { ...i, exclude: [...(i.exclude ?? []), ...names.map((name) => ({ name, span: i.span }))] } : i;
  });
  const where = andAst([...(q.where ? [q.where] : []), ...lifted]);
  return { ...q, items, from, ...(where ? { where } : {}) };
}

/** Whether a filter of the derived table `q`'s rows may move above it (see the module comment). */
function liftable(q: SelectQuery): boolean {
  if (q.distinct || q.distinctOn || q.groupingSets || q.qualify || q.recursive || q.limit !== undefined || q.offset !== undefined) return false;
  const own = [...q.items.flatMap((i) => (i.kind === 'ExprItem' ? [i.expr] : [])), ...(q.having ? [q.having] : [])];
  if (own.some(hasWindow)) return false;
  // Aggregates over all its rows: one row whatever passes, which a filter above cannot give.
  return q.groupBy.length > 0 || (!q.having && !own.some(holdsAggregate));
}

/** The column of the derived table that `c` (`column = <the query's columns>`) pins to one value. */
function pinnedColumn(c: Expr, isOuter: (e: ColumnRefExpr) => boolean): string[] {
  if (c.kind !== 'Binary' || c.op !== '=') return [];
  const pins = (col: Expr, other: Expr): boolean => col.kind === 'ColumnRef' && !isOuter(col) && readsOuter(other, isOuter) && !readsInner(other, isOuter);
  if (pins(c.left, c.right)) return [refKey(c.left as ColumnRefExpr)];
  if (pins(c.right, c.left)) return [refKey(c.right as ColumnRefExpr)];
  return [];
}

/** Whether the grouping key `g` names the column `ref` (a name left unqualified on either side matches). */
function sameColumn(g: Expr, ref: ColumnRefExpr): boolean {
  if (g.kind !== 'ColumnRef' || normalizeName(g.column.name) !== normalizeName(ref.column.name)) return false;
  return !g.qualifier || !ref.qualifier || normalizeName(g.qualifier.name) === normalizeName(ref.qualifier.name);
}

function readsInner(e: Expr, isOuter: (e: ColumnRefExpr) => boolean): boolean {
  return anyPart(e, (x) => x.kind === 'ColumnRef' && !isOuter(x));
}

function holdsAggregate(e: Expr): boolean {
  return anyPart(e, isAggregateCall);
}

function readsOuter(e: Expr, isOuter: (e: ColumnRefExpr) => boolean): boolean {
  return anyPart(e, (x) => x.kind === 'ColumnRef' && isOuter(x));
}
