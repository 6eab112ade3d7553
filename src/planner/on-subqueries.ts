/**
 * Subqueries in the ON of inner joins. An inner join keeps the pairs its ON is TRUE for, which a
 * WHERE over the joined rows keeps too, so `FROM a JOIN b ON a.k = b.k AND a.x IN (SELECT ...)`
 * is `FROM a JOIN b ON a.k = b.k WHERE a.x IN (SELECT ...)`, as DuckDB and PostgreSQL answer it;
 * the WHERE plans the subquery (joined-subqueries.ts). Only joins reached from the query's FROM
 * through inner and cross joins move their conditions: under an outer join's side an ON decides
 * which rows are padded with NULLs, which a WHERE cannot, and such a subquery stays refused.
 */
import type { Expr, FromItem, SelectQuery } from '../parser/ast.js';
import { andAst, astConjuncts, hasSubquery } from './ast-conjuncts.js';

/** `q` with the conditions of its inner joins' ON that hold a subquery moved to its WHERE. */
export function liftOnSubqueries(q: SelectQuery): SelectQuery {
  if (!q.from) return q;
  const moved: Expr[] = [];
  const from = lift(q.from, moved);
  if (!moved.length) return q;
  return { ...q, from, where: andAst(q.where ? [q.where, ...moved] : moved)! };
}

function lift(item: FromItem, moved: Expr[]): FromItem {
  if (item.kind !== 'Join' || (item.joinType !== 'INNER' && item.joinType !== 'CROSS') || item.asof) return item;
  const left = lift(item.left, moved);
  const right = lift(item.right, moved);
  if (!item.on) return left === item.left && right === item.right ? item : { ...item, left, right };
  const [withSubquery, rest] = partition(astConjuncts(item.on), hasSubquery);
  if (!withSubquery.length) return left === item.left && right === item.right ? item : { ...item, left, right };
  moved.push(...withSubquery);
  const on = andAst(rest) ?? { kind: 'Literal', literal: 'boolean', value: true, span: item.on.span };
  return { ...item, left, right, on };
}

function partition<T>(xs: readonly T[], test: (x: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const x of xs) (test(x) ? yes : no).push(x);
  return [yes, no];
}
