/**
 * Window functions that the select list computes with (`v - LAG(v) OVER (...)`,
 * `SUM(v) / SUM(SUM(v)) OVER ()`), that ORDER BY names, that QUALIFY filters on, or under
 * SELECT DISTINCT: the query becomes a query over a subquery in which each window function is a
 * select item of its own, so that it runs in two stages (finished-subquery.ts) like any query
 * over such a subquery. SQL computes window functions after WHERE, GROUP BY and HAVING and before
 * DISTINCT, ORDER BY and LIMIT, which is where the stages meet:
 *
 *   SELECT k, v - LAG(v) OVER (ORDER BY ts) AS d FROM t QUALIFY d > 0 ORDER BY k
 *   = SELECT l0 AS k, l2 - l1 AS d FROM (SELECT k AS l0, LAG(v) OVER (ORDER BY ts) AS l1, v AS l2 FROM t) q
 *     WHERE l2 - l1 > 0 ORDER BY k
 *
 * The inner query keeps FROM, WHERE, GROUP BY and HAVING; its items are the outer query's inputs:
 * each select item without a window function whole, and of the others their window functions,
 * aggregates, columns and subqueries (the rest of such an expression is computed outside). Its
 * columns have names no SQL name can be, and `*` over it leaves them out (plan-from.ts).
 */
import { SluiceError } from '../common/errors.js';
import { isSubquery, normalizeName, type Expr, type FromItem, type Ident, type OrderItem, type SelectItem, type SelectQuery } from '../parser/ast.js';
import type { Span } from '../common/span.js';
import { isAggregateName } from './functions.js';
import { implicitName } from './item-names.js';

/** Start of the names of the inner query's columns; plan-from.ts hides such columns from `*`. */
export const LIFTED_PREFIX = '\u0000lift';

/**
 * `q` as a query over a subquery that computes its window functions, or undefined when it needs
 * no such rewrite. `inputHas` tells whether a name is a column of FROM: a name in QUALIFY is one
 * if it can be, else the alias of a select item (as DuckDB).
 */
export function liftWindows(q: SelectQuery, inputHas: (name: string) => boolean = () => true): SelectQuery | undefined {
  if (!q.from) return undefined;
  const items = q.items.flatMap((i) => (i.kind === 'ExprItem' ? [i.expr] : []));
  const windowed = [...items, ...q.orderBy.map((o) => o.expr)].some(hasWindow);
  if (q.qualify && !windowed && !hasWindow(q.qualify)) {
    throw new SluiceError('INVALID_ARGUMENT', 'QUALIFY filters on window functions, and this query has none', {
      span: q.qualify.span,
      hint: 'filter rows with WHERE and groups with HAVING; QUALIFY is for conditions such as ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) = 1',
    });
  }
  const nested = items.some((e) => hasWindow(e) && !isWindowCall(e)) || q.orderBy.some((o) => hasWindow(o.expr));
  if (!q.qualify && !nested && !(q.distinct && windowed)) return undefined;
  checkStars(q.items);

  const inner: SelectItem[] = [];
  const column = liftedColumns(LIFTED_PREFIX, inner);
  /** `e` over the inner query's columns: what needs the rows of FROM (or their groups) is computed inside. */
  const lift = (e: Expr): Expr => (isWindowCall(e) || isAggregateCall(e) || e.kind === 'ColumnRef' || isSubquery(e) ? column(e) : mapChildren(e, lift));

  const outerNames: string[] = [];
  const outerExprs = new Map<string, Expr>();
  const outerItems = q.items.map((item, k): SelectItem => {
    if (item.kind === 'Star') {
      inner.push(item);
      return { kind: 'Star', span: item.span };
    }
    const name = item.alias?.name ?? implicitName(item.expr) ?? `expr${k}`;
    outerNames.push(normalizeName(name));
    const expr = hasWindow(item.expr) && !isWindowCall(item.expr) ? lift(item.expr) : column(item.expr);
    if (item.alias && !outerExprs.has(normalizeName(name))) outerExprs.set(normalizeName(name), expr);
    return { kind: 'ExprItem', expr, alias: ident(name, item.alias?.span ?? item.span), span: item.span };
  });
  const orderBy = q.orderBy.map((o): OrderItem => (keepsOrder(o.expr, outerNames) ? o : { ...o, expr: lift(o.expr) }));
  const qualify = (e: Expr): Expr => {
    if (e.kind === 'ColumnRef' && e.qualifier === undefined && !inputHas(e.column.name)) return outerExprs.get(normalizeName(e.column.name)) ?? lift(e);
    return isWindowCall(e) || isAggregateCall(e) || e.kind === 'ColumnRef' || isSubquery(e) ? lift(e) : mapChildren(e, qualify);
  };
  const where = q.qualify ? qualify(q.qualify) : undefined;
  if (where) qualifyConditions.add(where);
  const sub: SelectQuery = { kind: 'Select', distinct: false, items: inner, from: q.from, ...(q.where ? { where: q.where } : {}), groupBy: q.groupBy, ...(q.having ? { having: q.having } : {}), orderBy: [], span: q.span };
  return {
    kind: 'Select',
    distinct: q.distinct,
    items: outerItems,
    from: { kind: 'Subquery', query: sub, span: q.from.span },
    ...(where ? { where } : {}),
    groupBy: [],
    orderBy,
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.offset !== undefined ? { offset: q.offset } : {}),
    span: q.span,
  };
}

/** The WHEREs that lifting made of QUALIFYs, so that an error about one names QUALIFY. */
const qualifyConditions = new WeakSet<Expr>();

/** Whether `where` is the condition of a QUALIFY that lifting made a WHERE. */
export function isQualifyCondition(where: Expr): boolean {
  return qualifyConditions.has(where);
}

/**
 * Whether a name may be a column of `from`, from the relations `find` knows: a name it cannot
 * rule out (an unknown relation, a subquery's unnamed item) may be one.
 */
export function inputColumns(from: FromItem | undefined, find: (relation: string) => { readonly schema: readonly { readonly name: string }[] } | undefined): (name: string) => boolean {
  const names = from ? columnNames(from, find) : new Set<string>();
  return (name) => names === undefined || names.has(normalizeName(name));
}

function columnNames(from: FromItem, find: Parameters<typeof inputColumns>[1]): Set<string> | undefined {
  const union = (...sets: (Set<string> | undefined)[]) => (sets.some((x) => x === undefined) ? undefined : new Set(sets.flatMap((x) => [...x!])));
  switch (from.kind) {
    case 'TableRef': {
      const def = find(from.name.name);
      return def ? new Set(def.schema.map((f) => normalizeName(f.name))) : undefined;
    }
    case 'Join':
      return union(columnNames(from.left, find), columnNames(from.right, find));
    case 'Window':
      return union(columnNames(from.input, find), new Set(['window_start', 'window_end', 'window_time']));
    case 'Subquery':
      return from.columns ? undefined : queryNames(from.query, find);
    case 'Values':
      return from.columns ? undefined : new Set(from.rows[0]!.map((_, i) => `col${i}`));
    case 'Union':
      return from.inputs[0] ? queryNames(from.inputs[0], find) : undefined;
  }
}

function queryNames(q: SelectQuery, find: Parameters<typeof inputColumns>[1]): Set<string> | undefined {
  const sets = q.items.map((i) => {
    if (i.kind === 'Star') return q.from ? columnNames(q.from, find) : new Set<string>();
    const name = i.alias?.name ?? implicitName(i.expr);
    return name === undefined ? undefined : new Set([normalizeName(name)]);
  });
  return sets.some((x) => x === undefined) ? undefined : new Set(sets.flatMap((x) => [...x!]));
}

/**
 * A function that makes an expression a select item of an inner query (`items`, named `prefix`
 * and its place) and gives the outer query's reference to it; the same expression object is
 * lifted once.
 */
export function liftedColumns(prefix: string, items: SelectItem[]): (e: Expr) => Expr {
  const lifted = new Map<Expr, string>();
  return (e) => {
    let name = lifted.get(e);
    if (name === undefined) {
      name = `${prefix}${items.length}`;
      lifted.set(e, name);
      items.push({ kind: 'ExprItem', expr: e, alias: ident(name, e.span), span: e.span });
    }
    return { kind: 'ColumnRef', column: ident(name, e.span), span: e.span };
  };
}

function ident(name: string, span: Span): Ident {
  return { name, span };
}

function isWindowCall(e: Expr): boolean {
  return e.kind === 'Call' && e.over !== undefined;
}

export function isAggregateCall(e: Expr): boolean {
  return e.kind === 'Call' && e.over === undefined && isAggregateName(normalizeName(e.name.name));
}

/** Whether `e` holds a window function outside any subquery. */
export function hasWindow(e: Expr): boolean {
  if (isWindowCall(e)) return true;
  if (isSubquery(e)) return false;
  let found = false;
  mapChildren(e, (c) => {
    found ||= hasWindow(c);
    return c;
  });
  return found;
}

/** An ORDER BY item the outer query reads as it is: a position, or the name of an output column. */
export function keepsOrder(e: Expr, outputs: readonly string[]): boolean {
  if (e.kind === 'Literal' && typeof e.value === 'number') return true;
  // ORDER BY ALL reads the outer query's columns as it would have read the query's.
  return e.kind === 'ColumnRef' && e.qualifier === undefined && (outputs.includes(normalizeName(e.column.name)) || normalizeName(e.column.name) === 'all');
}

/**
 * Stars come out of the inner query in its column order, where the outer query's one `*` shows
 * them: together, so two with other items between them would swap columns.
 */
function checkStars(items: readonly SelectItem[]): void {
  const stars = items.map((i, k) => (i.kind === 'Star' ? k : -1)).filter((k) => k >= 0);
  if (stars.length > 1 && stars[stars.length - 1]! - stars[0]! !== stars.length - 1) {
    throw new SluiceError('UNSUPPORTED', 'several * with other select items between them, in a query that computes with window functions', {
      span: items[stars[1]!]!.span,
      hint: 'put the * items next to each other, or name the columns',
    });
  }
}

/** `e` with each direct sub-expression replaced by `f` of it (subqueries' own expressions untouched). */
export function mapChildren(e: Expr, f: (x: Expr) => Expr): Expr {
  switch (e.kind) {
    case 'Binary':
      return { ...e, left: f(e.left), right: f(e.right) };
    case 'Unary':
    case 'IsNull':
    case 'Cast':
    case 'FieldAccess':
      return { ...e, operand: f(e.operand) };
    case 'In':
      return { ...e, operand: f(e.operand), list: e.list.map(f) };
    case 'InSubquery':
      return { ...e, operand: f(e.operand) };
    case 'Between':
      return { ...e, operand: f(e.operand), low: f(e.low), high: f(e.high) };
    case 'Like':
      return { ...e, operand: f(e.operand), pattern: f(e.pattern), ...(e.escape ? { escape: f(e.escape) } : {}) };
    case 'Case':
      return {
        ...e,
        ...(e.operand ? { operand: f(e.operand) } : {}),
        whens: e.whens.map((w) => ({ when: f(w.when), then: f(w.then) })),
        ...(e.else ? { else: f(e.else) } : {}),
      };
    case 'Call':
      return { ...e, args: e.args.map(f), ...(e.filter ? { filter: f(e.filter) } : {}) };
    case 'Index':
      return { ...e, operand: f(e.operand), index: f(e.index) };
    case 'Array':
      return { ...e, elements: e.elements.map(f) };
    case 'Lambda':
      return { ...e, body: f(e.body) };
    default:
      return e;
  }
}
