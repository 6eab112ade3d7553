/**
 * `ARRAY(SELECT e FROM ... [ORDER BY ...])` (as DuckDB and PostgreSQL): the list of the subquery's
 * one column, in its order, and an empty list (not NULL) when it has no rows. Written out when the
 * AST is built as a value subquery that collects the column with LIST:
 *
 *   COALESCE((SELECT LIST(e ORDER BY ...) FROM ... WHERE ...), [])
 *
 * (LIST over no rows is NULL.) A plain SELECT of one expression without aggregates from FROM ...
 * WHERE is collected in place, so that it may be correlated with the query around it, as any
 * value subquery; any other (GROUP BY, DISTINCT, LIMIT, UNION, ...) is collected as a query in
 * FROM, each ORDER BY key that is not its column as a hidden column of it, and may not be.
 * LIST orders by one key, so the subquery's ORDER BY may have one.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
// Which calls aggregate decides whether LIST can take the selected expression in place.
import { isAggregateName } from '../common/aggregate-names.js';
import { normalizeName, type Expr, type Ident, type OrderItem, type SelectQuery } from './ast.js';

export function arrayOfQuery(q: SelectQuery, span: Span): Expr {
  if (q.items.length !== 1) {
    throw new SluiceError('INVALID_ARGUMENT', `the subquery of ARRAY must select one column, not ${q.items.length}`, { span: q.span, hint: 'select the one value each element of the list is' });
  }
  const collected = inPlace(q) ? collectInPlace(q, span) : collectOver(q, span);
  const empty: Expr = { kind: 'Array', elements: [], span };
  return { kind: 'Call', name: { name: 'coalesce', span }, args: [{ kind: 'ScalarSubquery', query: collected, span }, empty], distinct: false, star: false, span };
}

/** A SELECT of one expression without aggregates or window functions, from FROM ... WHERE only. */
function inPlace(q: SelectQuery): boolean {
  const item = q.items[0]!;
  const plain = !q.distinct && !q.groupBy.length && !q.groupingSets && !q.having && !q.qualify && q.limit === undefined && q.offset === undefined && !q.recursive && q.from?.kind !== 'Union';
  return plain && item.kind === 'ExprItem' && !callsAggregate(item.expr);
}

/** `SELECT LIST(e ORDER BY ...) FROM ... WHERE ...`: the subquery's own FROM and WHERE. */
function collectInPlace(q: SelectQuery, span: Span): SelectQuery {
  const item = q.items[0]!;
  if (item.kind !== 'ExprItem') throw new SluiceError('INTERNAL', 'ARRAY(SELECT ...): a star item collected in place');
  const orderBy = q.orderBy.map((o) => (isTheColumn(o.expr, item.alias) ? { ...o, expr: item.expr } : o));
  return { ...q, items: [{ kind: 'ExprItem', expr: list(item.expr, orderBy, span), span }], orderBy: [] };
}

/**
 * `SELECT LIST(c ORDER BY ...) FROM (q') t(c, k1, ...)`: q' is the subquery with a hidden column
 * for each ORDER BY key that is not its column, which it still orders and limits by.
 */
function collectOver(q: SelectQuery, span: Span): SelectQuery {
  const item = q.items[0]!;
  const alias = item.kind === 'ExprItem' ? item.alias : undefined;
  const name = (k: number): Ident => ({ name: `\u0000c${k}`, span });
  const column = (k: number): Expr => ({ kind: 'ColumnRef', column: name(k), span });
  const hidden: Expr[] = [];
  const orderBy = q.orderBy.map((o): OrderItem => {
    // A star item is a set operation's or VALUES' one column: its ORDER BY can name nothing else.
    if (item.kind === 'Star' || isTheColumn(o.expr, alias)) return { ...o, expr: column(0) };
    hidden.push(o.expr);
    return { ...o, expr: column(hidden.length) };
  });
  const inner: SelectQuery = { ...q, items: [item, ...hidden.map((expr) => ({ kind: 'ExprItem' as const, expr, span }))] };
  const columns = [name(0), ...hidden.map((_, k) => name(k + 1))];
  return {
    kind: 'Select',
    distinct: false,
    items: [{ kind: 'ExprItem', expr: list(column(0), orderBy, span), span }],
    from: { kind: 'Subquery', query: inner, alias: { name: '\u0000array', span }, columns, span },
    groupBy: [],
    orderBy: [],
    span,
  };
}

function list(value: Expr, orderBy: readonly OrderItem[], span: Span): Expr {
  return { kind: 'Call', name: { name: 'list', span }, args: [value], distinct: false, star: false, ...(orderBy.length ? { orderBy } : {}), span };
}

/** Whether an ORDER BY key names the subquery's one column: by position (1) or by its alias. */
function isTheColumn(e: Expr, alias: Ident | undefined): boolean {
  if (e.kind === 'Literal' && e.literal === 'integer') {
    if (Number(e.value) !== 1) throw new SluiceError('INVALID_ARGUMENT', `ORDER BY position ${e.value} is not in the one column of ARRAY(SELECT ...)`, { span: e.span, hint: 'order by 1, or by an expression' });
    return true;
  }
  return e.kind === 'ColumnRef' && !e.qualifier && alias !== undefined && normalizeName(e.column.name) === normalizeName(alias.name);
}

/** Whether `x` calls an aggregate or window function outside the subqueries in it. */
function callsAggregate(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as { kind?: unknown; over?: unknown; name?: Ident };
  if (e.kind === 'Call' && (e.over !== undefined || isAggregateName(normalizeName(e.name!.name)))) return true;
  return Object.entries(x).some(([k, v]) => k !== 'query' && callsAggregate(v));
}
