/**
 * Aggregates that depend on the order of their rows, over a subquery that orders them:
 * `SELECT STRING_AGG(name, ',') FROM (SELECT name FROM t ORDER BY id) q`. SQL leaves the order
 * of a subquery's rows open, but DuckDB and PostgreSQL keep it for such aggregates, and this is
 * how users write an ordered list. So STRING_AGG, ARRAY_AGG (LIST), FIRST and LAST without an
 * ORDER BY of their own take the subquery's: `STRING_AGG(name, ',' ORDER BY <id>)`, the keys
 * read from the subquery as columns of its own (added to its select list under names no SQL
 * name can be, unless a key is one of its columns already).
 */
import { normalizeName, type CallExpr, type ColumnRefExpr, type Expr, type OrderItem, type SelectItem, type SelectQuery } from '../parser/ast.js';
import { implicitName } from './item-names.js';
import { mapChildren } from './window-lift.js';

/** The aggregates whose result depends on the order of their rows (AGGREGATE_ALIASES' names too). */
const ORDER_SENSITIVE: ReadonlySet<string> = new Set(['string_agg', 'group_concat', 'listagg', 'array_agg', 'list', 'first', 'last']);

const PREFIX = '\u0000order';

/** `q` with the subquery's ORDER BY given to its order-sensitive aggregates (see above), or `q`. */
export function orderAggregatesByInput(q: SelectQuery): SelectQuery {
  const from = q.from;
  if (from?.kind !== 'Subquery' || from.lateral || from.view || from.columns) return q;
  const sub = from.query;
  if (!sub.orderBy.length || sub.limit !== undefined || sub.offset !== undefined || sub.distinct || sub.distinctOn || sub.recursive || q.items.some((i) => i.kind === 'Star')) return q;
  let calls = 0;
  const count = (e: Expr): Expr => {
    if (isUnordered(e)) calls++;
    return mapChildren(e, count);
  };
  for (const e of exprsOf(q)) count(e);
  if (calls === 0) return q;
  // Each key as a column of the subquery: one it selects already, or one added for it.
  const items: SelectItem[] = [...sub.items];
  const keys: OrderItem[] = [];
  for (const o of sub.orderBy) {
    const name = selectedName(o.expr, sub);
    if (name === undefined && o.expr.kind === 'Literal') return q;
    const column = name ?? `${PREFIX}${keys.length}`;
    if (name === undefined) items.push({ kind: 'ExprItem', expr: o.expr, alias: { name: column, span: o.expr.span }, span: o.expr.span });
    const ref: ColumnRefExpr = { kind: 'ColumnRef', ...(from.alias ? { qualifier: from.alias } : {}), column: { name: column, span: o.expr.span }, span: o.expr.span };
    keys.push({ ...o, expr: ref });
  }
  const order = (e: Expr): Expr => {
    const x = mapChildren(e, order);
    return isUnordered(x) ? { ...(x as CallExpr), orderBy: keys } : x;
  };
  return {
    ...q,
    items: q.items.map((i) => (i.kind === 'ExprItem' ? { ...i, expr: order(i.expr) } : i)),
    ...(q.having ? { having: order(q.having) } : {}),
    ...(q.qualify ? { qualify: order(q.qualify) } : {}),
    orderBy: q.orderBy.map((o) => ({ ...o, expr: order(o.expr) })),
    from: { ...from, query: { ...sub, items } },
  };
}

/** An order-sensitive aggregate call without an ORDER BY of its own, not over a window. */
function isUnordered(e: Expr): boolean {
  return e.kind === 'Call' && !e.over && !e.orderBy?.length && ORDER_SENSITIVE.has(normalizeName(e.name.name));
}

function exprsOf(q: SelectQuery): Expr[] {
  return [...q.items.flatMap((i) => (i.kind === 'ExprItem' ? [i.expr] : [])), ...(q.having ? [q.having] : []), ...(q.qualify ? [q.qualify] : []), ...q.orderBy.map((o) => o.expr)];
}

/**
 * The name under which `sub` outputs the ORDER BY key `e` when it selects it: a select item's
 * alias or position (ORDER BY 2), or a column it selects by name.
 */
function selectedName(e: Expr, sub: SelectQuery): string | undefined {
  const named = sub.items.map((i, k) => (i.kind === 'ExprItem' ? (i.alias?.name ?? implicitName(i.expr) ?? `expr${k}`) : undefined));
  if (e.kind === 'Literal' && e.literal === 'integer') return named[Number(e.value) - 1];
  if (e.kind !== 'ColumnRef' || e.qualifier) return undefined;
  const want = normalizeName(e.column.name);
  return named.find((n) => n !== undefined && normalizeName(n) === want);
}
