/**
 * Subqueries nested in a subquery that read the columns of the query around both
 * (`SELECT (SELECT SUM(b.v) FROM r b WHERE b.k IN (SELECT c.k FROM t c WHERE c.w = q.w)) FROM q`).
 * The subquery in the middle is computed per distinct value of those columns, as DuckDB's
 * delimiter join does (joined-subqueries.ts `delimited`): the values (`SELECT DISTINCT q.w FROM
 * <the query's FROM>`) are joined into its FROM, and the nested subqueries read them there: they
 * are the middle one's columns now, so each subquery is correlated one level only.
 *
 * Only qualified names are recognized (`q.w`, not `w`), and only in subqueries inside the middle
 * one's expressions (not in its FROM): anything else keeps failing to resolve, as before.
 */
import { normalizeName, type ColumnRefExpr, type Expr, type FromItem, type SelectQuery } from '../parser/ast.js';
import type { Scope } from './bind-expr.js';
import { mapChildren } from './window-lift.js';

/** The query's columns that subqueries nested in a subquery read (see nestedOuterRefs). */
export interface NestedRefs {
  /** The names, one per column, as first written. */
  readonly refs: readonly ColumnRefExpr[];
  /** The relation names defined anywhere inside the subquery (not the query's). */
  readonly local: ReadonlySet<string>;
}

/**
 * The columns of `outer` (the query's scope) that subqueries nested in the expressions of the
 * subquery `q` read, by qualified names that nothing inside `q` defines.
 */
export function nestedOuterRefs(q: SelectQuery, outer: Scope): NestedRefs {
  const local = new Set<string>();
  collectAliases(q, local);
  const found = new Map<string, ColumnRefExpr>();
  const look = (e: Expr, nested: boolean): void => {
    if (e.kind === 'ColumnRef' && nested && e.qualifier && !local.has(normalizeName(e.qualifier.name)) && resolves(outer, e)) {
      found.set(refKey(e), e);
      return;
    }
    if (e.kind === 'ScalarSubquery' || e.kind === 'Exists' || e.kind === 'InSubquery') {
      if (e.kind === 'InSubquery') look(e.operand, nested);
      forQuery(e.query, (x) => look(x, true));
      return;
    }
    mapChildren(e, (x) => {
      look(x, nested);
      return x;
    });
  };
  forOwnExprs(q, (e) => look(e, false));
  return { refs: [...found.values()], local };
}

/**
 * `e` with every name of `nested.refs` (qualified by a relation not defined inside the subquery)
 * replaced by `replacement` of it, inside nested subqueries too.
 */
export function replaceNestedRefs(e: Expr, nested: NestedRefs, replacement: (ref: ColumnRefExpr) => Expr | undefined): Expr {
  const rewrite = (x: Expr): Expr => {
    if (x.kind === 'ColumnRef' && x.qualifier && !nested.local.has(normalizeName(x.qualifier.name))) return replacement(x) ?? x;
    if (x.kind === 'ScalarSubquery' || x.kind === 'Exists' || x.kind === 'InSubquery') {
      const query = mapQueryExprs(x.query, rewrite);
      return x.kind === 'InSubquery' ? { ...x, operand: rewrite(x.operand), query } : { ...x, query };
    }
    return mapChildren(x, rewrite);
  };
  return rewrite(e);
}

/** The key of a name of a column: its qualifier and name. */
export function refKey(e: ColumnRefExpr): string {
  return `${e.qualifier ? normalizeName(e.qualifier.name) : ''}.${normalizeName(e.column.name)}`;
}

/** Whether `ref` names a column of `scope`. */
export function resolves(scope: Scope, ref: ColumnRefExpr): boolean {
  const name = normalizeName(ref.column.name);
  const q = ref.qualifier ? normalizeName(ref.qualifier.name) : undefined;
  return scope.columns.some((c) => normalizeName(c.name) === name && (q === undefined || (c.qualifier !== undefined && normalizeName(c.qualifier) === q)));
}

/** The names relations have anywhere in `q` (its FROM and every nested query's). */
export function collectAliases(q: SelectQuery, into: Set<string>): void {
  const from = (item: FromItem): void => {
    switch (item.kind) {
      case 'TableRef':
        into.add(normalizeName((item.alias ?? item.name).name));
        break;
      case 'Join':
        from(item.left);
        from(item.right);
        break;
      case 'Subquery':
        if (item.alias) into.add(normalizeName(item.alias.name));
        collectAliases(item.query, into);
        break;
      case 'Union':
        for (const i of item.inputs) collectAliases(i, into);
        break;
      case 'Window':
        into.add(normalizeName((item.alias ?? (item.input.kind === 'TableRef' ? item.input.name : item.input.alias) ?? { name: '' }).name));
        from(item.input);
        break;
      case 'Values':
        if (item.alias) into.add(normalizeName(item.alias.name));
        break;
    }
  };
  if (q.from) from(q.from);
  const look = (e: Expr): Expr => {
    if (e.kind === 'ScalarSubquery' || e.kind === 'Exists' || e.kind === 'InSubquery') collectAliases(e.query, into);
    return mapChildren(e, look);
  };
  forOwnExprs(q, look);
}

/**
 * Whether `q`, anywhere inside it, reads a column qualified by one of `names` (normalized) that
 * nothing inside it defines: a subquery in FROM that reads the relations before it.
 */
export function readsRelations(q: SelectQuery, names: ReadonlySet<string>): boolean {
  const local = new Set<string>();
  collectAliases(q, local);
  let found = false;
  const look = (e: Expr): Expr => {
    if (found) return e;
    if (e.kind === 'ColumnRef' && e.qualifier && names.has(normalizeName(e.qualifier.name)) && !local.has(normalizeName(e.qualifier.name))) found = true;
    else if (e.kind === 'ScalarSubquery' || e.kind === 'Exists' || e.kind === 'InSubquery') {
      if (e.kind === 'InSubquery') look(e.operand);
      forQuery(e.query, look);
    } else mapChildren(e, look);
    return e;
  };
  forQuery(q, look);
  return found;
}

/** The names the relations of `item` are read by (aliases, or table names), normalized. */
export function relationNames(item: FromItem, into = new Set<string>()): Set<string> {
  switch (item.kind) {
    case 'TableRef':
      into.add(normalizeName((item.alias ?? item.name).name));
      break;
    case 'Join':
      relationNames(item.left, into);
      relationNames(item.right, into);
      break;
    case 'Window':
      into.add(normalizeName((item.alias ?? (item.input.kind === 'TableRef' ? item.input.name : item.input.alias) ?? { name: '' }).name));
      break;
    case 'Subquery':
    case 'Values':
      if (item.alias) into.add(normalizeName(item.alias.name));
      break;
    case 'Union':
      break;
  }
  return into;
}

/** Calls `f` on each expression of `q` itself (not of its FROM's subqueries). */
function forOwnExprs(q: SelectQuery, f: (e: Expr) => unknown): void {
  for (const i of q.items) if (i.kind === 'ExprItem') f(i.expr);
  for (const e of [q.where, q.having, q.qualify, ...q.groupBy, ...q.orderBy.map((o) => o.expr)]) if (e) f(e);
}

/** Calls `f` on each expression of `q`, its FROM's (join conditions, subqueries) included. */
function forQuery(q: SelectQuery, f: (e: Expr) => unknown): void {
  forOwnExprs(q, f);
  const from = (item: FromItem): void => {
    if (item.kind === 'Join') {
      from(item.left);
      from(item.right);
      if (item.on) f(item.on);
    } else if (item.kind === 'Subquery') forQuery(item.query, f);
    else if (item.kind === 'Union') for (const i of item.inputs) forQuery(i, f);
  };
  if (q.from) from(q.from);
}

/** `q` with `f` applied to each of its own expressions. */
function mapOwnExprs(q: SelectQuery, f: (e: Expr) => Expr): SelectQuery {
  return {
    ...q,
    items: q.items.map((i) => (i.kind === 'ExprItem' ? { ...i, expr: f(i.expr) } : i)),
    ...(q.where ? { where: f(q.where) } : {}),
    ...(q.having ? { having: f(q.having) } : {}),
    ...(q.qualify ? { qualify: f(q.qualify) } : {}),
    groupBy: q.groupBy.map(f),
    orderBy: q.orderBy.map((o) => ({ ...o, expr: f(o.expr) })),
  };
}

/** `q` with `f` applied to each of its expressions, its FROM's included. */
function mapQueryExprs(q: SelectQuery, f: (e: Expr) => Expr): SelectQuery {
  const from = (item: FromItem): FromItem => {
    switch (item.kind) {
      case 'Join':
        return { ...item, left: from(item.left), right: from(item.right), ...(item.on ? { on: f(item.on) } : {}) };
      case 'Subquery':
        return { ...item, query: mapQueryExprs(item.query, f) };
      case 'Union':
        return { ...item, inputs: item.inputs.map((i) => mapQueryExprs(i, f)) };
      default:
        return item;
    }
  };
  const own = mapOwnExprs(q, f);
  return q.from ? { ...own, from: from(q.from) } : own;
}
