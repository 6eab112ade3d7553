/**
 * ORDER BY, LIMIT and OFFSET inside a subquery. A subquery is a set of rows, so ORDER BY alone
 * says nothing and is dropped; with LIMIT or OFFSET it says which rows: those numbered
 * `offset + 1` to `offset + limit` in that order, which is how this plans them:
 * `QUALIFY ROW_NUMBER() OVER (ORDER BY <keys>) BETWEEN offset + 1 AND offset + limit`. Over
 * streams that is a top-N that stays current as rows come (a window operator); of tied rows
 * any may be kept, as in DuckDB.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { normalizeName, type Expr, type Ident, type OrderItem, type SelectQuery } from '../parser/ast.js';
import { implicitName } from './item-names.js';

/** `q` without ORDER BY, LIMIT and OFFSET, keeping the rows they would keep. */
export function limitedAsQualify(q: SelectQuery, partitionBy: readonly Expr[] = []): SelectQuery {
  const { orderBy, limit, offset } = q;
  const bare: SelectQuery = { ...q, orderBy: [] };
  delete (bare as { limit?: number }).limit;
  delete (bare as { offset?: number }).offset;
  if (limit === undefined && offset === undefined) return bare;
  const span = q.span;
  // DISTINCT, DISTINCT ON and QUALIFY come before LIMIT: number the rows they leave, over the query as a subquery.
  if (q.distinct || q.distinctOn || q.qualify) {
    const alias: Ident = { name: '\u0000limited', span };
    const keys = orderBy.map((o) => ({ ...o, expr: outputRef(q, o.expr, alias) }));
    const outer: SelectQuery = { kind: 'Select', distinct: false, items: [{ kind: 'Star', span }], from: { kind: 'Subquery', query: bare, alias, span }, groupBy: [], orderBy: [], span };
    return { ...outer, qualify: numbered(partitionBy, keys, limit, offset ?? 0, span) };
  }
  const keys = orderBy.map((o) => ({ ...o, expr: itemExpr(q, o.expr) }));
  return { ...bare, qualify: numbered(partitionBy, keys, limit, offset ?? 0, span) };
}

/** `ROW_NUMBER() OVER ([PARTITION BY ...] ORDER BY keys)` from `offset + 1` to `offset + limit`. */
function numbered(partitionBy: readonly Expr[], keys: readonly OrderItem[], limit: number | undefined, offset: number, span: Span): Expr {
  const rowNumber: Expr = { kind: 'Call', name: { name: 'ROW_NUMBER', span }, args: [], distinct: false, star: false, over: { partitionBy, orderBy: keys, span }, span };
  const int = (value: number): Expr => ({ kind: 'Literal', literal: 'integer', value, span });
  const from: Expr = { kind: 'Binary', op: '>', left: rowNumber, right: int(offset), span };
  if (limit === undefined) return from;
  return { kind: 'Binary', op: 'AND', left: from, right: { kind: 'Binary', op: '<=', left: rowNumber, right: int(offset + limit), span }, span };
}

/** An ORDER BY key as an expression of the query's rows: a position or an item's alias is that item's expression. */
function itemExpr(q: SelectQuery, e: Expr): Expr {
  const item = positional(q, e) ?? aliased(q, e);
  if (item === undefined) return e;
  if (item.kind !== 'ExprItem') throw refused(e.span, 'it names a * item by position');
  return item.expr;
}

/** An ORDER BY key as a column of the query's result (named `alias`): a position, an alias or a selected column. */
function outputRef(q: SelectQuery, e: Expr, alias: Ident): Expr {
  const item = positional(q, e) ?? aliased(q, e);
  const name = item?.kind === 'ExprItem' ? (item.alias?.name ?? implicitName(item.expr)) : e.kind === 'ColumnRef' ? e.column.name : undefined;
  if (name === undefined) throw refused(e.span, 'after DISTINCT or QUALIFY, a key is a column the subquery selects, by name or position');
  return { kind: 'ColumnRef', qualifier: alias, column: { name, span: e.span }, span: e.span };
}

function positional(q: SelectQuery, e: Expr): SelectQuery['items'][number] | undefined {
  if (e.kind !== 'Literal' || e.literal !== 'integer') return undefined;
  const k = Number(e.value);
  const item = q.items[k - 1];
  if (!item) throw refused(e.span, `position ${k} is not an item of the subquery's SELECT (it has ${q.items.length})`);
  return item;
}

function aliased(q: SelectQuery, e: Expr): SelectQuery['items'][number] | undefined {
  if (e.kind !== 'ColumnRef' || e.qualifier) return undefined;
  const n = normalizeName(e.column.name);
  return q.items.find((i) => i.kind === 'ExprItem' && i.alias !== undefined && normalizeName(i.alias.name) === n);
}

function refused(span: Span, why: string): SluiceError {
  return new SluiceError('UNSUPPORTED', `this ORDER BY key of a subquery with LIMIT is not supported: ${why}`, { span, hint: 'order by an expression of the subquery\'s columns, or by an item\'s alias' });
}
