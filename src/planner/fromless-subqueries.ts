/**
 * Subqueries without FROM, written as the expressions they are. A SELECT without FROM has one
 * row (none where its WHERE is not TRUE), so over it, as in DuckDB and PostgreSQL:
 *
 * - `(SELECT e WHERE c)` is `CASE WHEN c THEN e END` (`e` alone without WHERE);
 * - `EXISTS (SELECT ... WHERE c)` is `CASE WHEN c THEN TRUE ELSE FALSE END` (TRUE without WHERE);
 * - `x IN (SELECT e WHERE c)` is `CASE WHEN c THEN x = e ELSE FALSE END`, NOT IN its negation.
 *
 * Such a subquery may read the columns of the query around it (`SELECT (SELECT 42 + t.x) FROM t`),
 * which a subquery planned as a relation could not: it has no rows of its own to join them to.
 * LIMIT 0 or an OFFSET leaves no row. A subquery with aggregates, window functions, GROUP BY,
 * HAVING or QUALIFY keeps its own plan; one that unnests is planned over a subquery in FROM.
 */
import type { CaseExpr, Expr, SelectQuery } from '../parser/ast.js';
import { normalizeName } from '../parser/ast.js';
import { SluiceError } from '../common/errors.js';
import { isAggregateName } from './functions.js';
import { mapChildren } from './window-lift.js';

/** `q` with the subqueries without FROM in its expressions (and in their subqueries) written as expressions. */
export function inlineFromlessSubqueries(q: SelectQuery): SelectQuery {
  if (!mentionsSubquery(q)) return q;
  const items = q.items.map((i) => (i.kind === 'ExprItem' ? { ...i, expr: inline(i.expr) } : i));
  return {
    ...q,
    items,
    ...(q.where ? { where: inline(q.where) } : {}),
    groupBy: q.groupBy.map(inline),
    ...(q.groupingSets ? { groupingSets: q.groupingSets.map((s) => s.map(inline)) } : {}),
    ...(q.having ? { having: inline(q.having) } : {}),
    ...(q.qualify ? { qualify: inline(q.qualify) } : {}),
    orderBy: q.orderBy.map((o) => ({ ...o, expr: inline(o.expr) })),
  };
}

function inline(e: Expr): Expr {
  const x = mapChildren(e, inline);
  if (x.kind !== 'ScalarSubquery' && x.kind !== 'Exists' && x.kind !== 'InSubquery') return x;
  const query = unnestInFrom(inlineFromlessSubqueries(x.query));
  const one = oneRow(query);
  if (!one) return query === x.query ? x : { ...x, query };
  const span = x.span;
  const when = (cond: Expr, then: Expr, otherwise?: Expr): CaseExpr => ({ kind: 'Case', whens: [{ when: cond, then }], ...(otherwise ? { else: otherwise } : {}), span });
  const bool = (value: boolean): Expr => ({ kind: 'Literal', literal: 'boolean', value, span });
  switch (x.kind) {
    case 'Exists':
      if (one.empty) return bool(false);
      return one.where ? when(one.where, bool(true), bool(false)) : bool(true);
    case 'ScalarSubquery': {
      const value = one.value;
      if (!value) return x;
      if (one.empty) return when(bool(false), value);
      return one.where ? when(one.where, value) : value;
    }
    case 'InSubquery': {
      const value = one.value;
      if (!value) return x;
      const equal: Expr = { kind: 'Binary', op: '=', left: x.operand, right: value, span };
      const found = one.empty ? bool(false) : one.where ? when(one.where, equal, bool(false)) : equal;
      return x.negated ? { kind: 'Unary', op: 'NOT', operand: found, span } : found;
    }
  }
}

/**
 * A subquery without FROM that unnests in its select list (`x IN (SELECT UNNEST(list))`) as the
 * same select list over a subquery in FROM that unnests: `SELECT u FROM (SELECT UNNEST(list) AS u)`,
 * its WHERE outside (it is tested before the rows are made, so either side gives the same rows).
 */
function unnestInFrom(q: SelectQuery): SelectQuery {
  if (q.from || q.recursive || q.groupBy.length || q.groupingSets || q.having || q.qualify || q.distinctOn) return q;
  if (!q.items.some((i) => i.kind === 'ExprItem' && callsUnnest(i.expr))) return q;
  const outerColumn = q.items.map((i) => (i.kind === 'ExprItem' ? firstColumn(i.expr) : undefined)).find((c) => c !== undefined);
  if (outerColumn) {
    throw new SluiceError('UNSUPPORTED', "UNNEST in a subquery without FROM reads the query's columns", {
      span: outerColumn.span,
      hint: 'unnest in FROM beside the table instead: SELECT t.a, u.x FROM t, UNNEST(t.list) AS u(x), and filter or aggregate there',
    });
  }
  const span = q.span;
  const name = (n: number) => ({ name: `\u0000u${n}`, span });
  const items = q.items.map((i, n) => (i.kind === 'ExprItem' ? { ...i, alias: name(n) } : i));
  const inner: SelectQuery = { kind: 'Select', distinct: false, items, groupBy: [], orderBy: [], span };
  const alias = { name: '\u0000unnest', span };
  const outer = q.items.map((i, n) => {
    if (i.kind !== 'ExprItem') return i;
    const named = i.alias ?? (i.expr.kind === 'Call' ? { name: normalizeName(i.expr.name.name), span } : undefined);
    return { kind: 'ExprItem' as const, expr: { kind: 'ColumnRef' as const, qualifier: alias, column: name(n), span: i.span }, ...(named ? { alias: named } : {}), span: i.span };
  });
  return { ...q, items: outer, from: { kind: 'Subquery', query: inner, alias,  span } };
}

/**
 * What a subquery without FROM gives, when it is one that can be written as an expression: its
 * one selected expression (none with several), its WHERE, and whether LIMIT or OFFSET leave no row.
 */
function oneRow(q: SelectQuery): { readonly value: Expr | undefined; readonly where: Expr | undefined; readonly empty: boolean } | undefined {
  if (q.from || q.recursive || q.groupBy.length || q.groupingSets || q.having || q.qualify || q.distinctOn) return undefined;
  const exprs = q.items.map((i) => (i.kind === 'ExprItem' ? i.expr : undefined));
  if (exprs.some((e) => e === undefined)) return undefined;
  for (const e of [...exprs, q.where]) if (e && computesOverRows(e)) return undefined;
  const item = exprs.length === 1 ? exprs[0] : undefined;
  return { value: item, where: q.where, empty: q.limit === 0 || (q.offset ?? 0) > 0 };
}

/** Whether `e` calls an aggregate or a window function. */
function computesOverRows(e: Expr): boolean {
  let found = false;
  const look = (x: Expr): Expr => {
    if (x.kind === 'Call' && (x.over || isAggregateName(normalizeName(x.name.name)))) found = true;
    return found ? x : mapChildren(x, look);
  };
  look(e);
  return found;
}

/** Whether `e` calls UNNEST (outside its subqueries). */
function callsUnnest(e: Expr): boolean {
  let found = false;
  const look = (x: Expr): Expr => {
    if (x.kind === 'Call' && !x.over && normalizeName(x.name.name) === 'unnest') found = true;
    return found || x.kind === 'ScalarSubquery' || x.kind === 'Exists' || x.kind === 'InSubquery' ? x : mapChildren(x, look);
  };
  look(e);
  return found;
}

/** The first column `e` names (outside lambdas and subqueries). */
function firstColumn(e: Expr): Expr | undefined {
  let found: Expr | undefined;
  const look = (x: Expr): Expr => {
    if (x.kind === 'ColumnRef') found ??= x;
    return found || x.kind === 'Lambda' || x.kind === 'ScalarSubquery' || x.kind === 'Exists' || x.kind === 'InSubquery' ? x : mapChildren(x, look);
  };
  look(e);
  return found;
}

/** Whether any expression of `q` may hold a subquery (a cheap test before rewriting). */
function mentionsSubquery(q: SelectQuery): boolean {
  let found = false;
  const look = (x: Expr): Expr => {
    if (x.kind === 'ScalarSubquery' || x.kind === 'Exists' || x.kind === 'InSubquery') found = true;
    return found ? x : mapChildren(x, look);
  };
  for (const i of q.items) if (i.kind === 'ExprItem') look(i.expr);
  for (const e of [q.where, q.having, q.qualify, ...q.groupBy, ...(q.groupingSets ?? []).flat(), ...q.orderBy.map((o) => o.expr)]) if (e && !found) look(e);
  return found;
}
