/**
 * GROUP BY ROLLUP / CUBE / GROUPING SETS (parsed into SelectQuery.groupingSets): the UNION ALL of
 * the query grouped by each set, as SQL defines it. In the branch of a set, a grouping expression
 * the set leaves out is NULL wherever the select list and HAVING use it outside an aggregate
 * (`ANY_VALUE(CASE WHEN FALSE THEN e END)`: a NULL of e's type, which aggregates see nothing of),
 * and `GROUPING(e, ...)` is the constant whose bits say which of its arguments the set leaves out
 * (1), first argument highest. ORDER BY, LIMIT and OFFSET apply to the union; an ORDER BY
 * expression over aggregates or GROUPING(...), which the union's rows cannot compute, is computed
 * in each branch as a hidden column that the union is sorted by and then loses.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { normalizeName, type Expr, type Ident, type OrderItem, type SelectItem, type SelectQuery } from '../parser/ast.js';
import { implicitName } from './item-names.js';
import { mapChildren } from './window-lift.js';

/** GROUPING(...), and GROUPING_ID(...), DuckDB's other name for it. */
export const isGroupingName = (name: string): boolean => name === 'grouping' || name === 'grouping_id';

export function lowerGroupingSets(q: SelectQuery, isAggregate: (name: string) => boolean): SelectQuery {
  const sets = q.groupingSets!;
  const span = q.span;
  const all: Expr[] = [];
  for (const e of sets.flat()) if (!all.some((x) => same(x, e))) all.push(e);
  for (const item of q.items) {
    if (item.kind === 'Star') throw new SluiceError('UNSUPPORTED', 'SELECT * with ROLLUP, CUBE or GROUPING SETS is not supported', { span: item.span, hint: 'name the grouped columns and the aggregates' });
  }
  const isGrouped = (e: Expr): boolean => e.kind === 'Call' && !e.over && (isGroupingName(normalizeName(e.name.name)) || isAggregate(normalizeName(e.name.name)));
  const order = hiddenOrderKeys(q.orderBy, (e) => mentions(e, isGrouped), span);
  const branch = (set: readonly Expr[]): SelectQuery => {
    const left = all.filter((g) => !set.some((x) => same(x, g)));
    const replace = (e: Expr): Expr => {
      if (left.some((g) => same(g, e))) return nullOf(e);
      if (e.kind === 'Call' && !e.over) {
        const name = normalizeName(e.name.name);
        if (isGroupingName(name)) return groupingValue(e.args, set, e.span);
        if (isAggregate(name)) return e;
      }
      return mapChildren(e, replace);
    };
    const items = [...q.items, ...order.items].map((item, k): SelectItem => {
      if (item.kind !== 'ExprItem') return item;
      const expr = replace(item.expr);
      if (expr === item.expr || item.alias) return { ...item, expr };
      // The name the item has without a replacement (plan-select names an item so, else exprN).
      const name = implicitName(item.expr) ?? `expr${k}`;
      return { ...item, expr, alias: { name, span: item.span } };
    });
    const { groupingSets: _sets, orderBy: _o, limit: _l, offset: _f, ...rest } = q;
    return { ...rest, items, groupBy: [...set], ...(q.having ? { having: replace(q.having) } : {}), orderBy: [] };
  };
  return {
    kind: 'Select',
    distinct: false,
    items: [{ kind: 'Star', ...(order.names.length ? { exclude: order.names } : {}), span }],
    from: { kind: 'Union', inputs: sets.map(branch), span },
    groupBy: [],
    orderBy: order.orderBy,
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.offset !== undefined ? { offset: q.offset } : {}),
    span,
  };
}

/**
 * ORDER BY with each key that `perBranch` picks read from a hidden column instead: the items that
 * compute those columns (named so that no written name can clash) and their names.
 */
function hiddenOrderKeys(orderBy: readonly OrderItem[], perBranch: (e: Expr) => boolean, span: Span): { orderBy: OrderItem[]; items: SelectItem[]; names: Ident[] } {
  const items: SelectItem[] = [];
  const names: Ident[] = [];
  const keys = orderBy.map((o): OrderItem => {
    if (!perBranch(o.expr)) return o;
    const name: Ident = { name: `\u0000order${names.length}`, span: o.expr.span };
    items.push({ kind: 'ExprItem', expr: o.expr, alias: name, span });
    names.push(name);
    return { ...o, expr: { kind: 'ColumnRef', column: name, span: o.expr.span } };
  });
  return { orderBy: keys, items, names };
}

/** Whether `e` or an expression in it (outside subqueries) passes `test`. */
function mentions(e: Expr, test: (x: Expr) => boolean): boolean {
  let found = false;
  const visit = (x: Expr): Expr => {
    if (test(x)) found = true;
    else mapChildren(x, visit);
    return x;
  };
  visit(e);
  return found;
}

/** GROUPING(e, ...) in the branch of `set`: bit i (from the left) is 1 when the set leaves argument i out. */
function groupingValue(args: readonly Expr[], set: readonly Expr[], span: Span): Expr {
  let v = 0;
  for (const a of args) v = v * 2 + (set.some((x) => same(x, a)) ? 0 : 1);
  return { kind: 'Literal', literal: 'integer', value: v, span };
}

/** A NULL of `e`'s type that is valid in a grouped query whatever `e` reads. */
function nullOf(e: Expr): Expr {
  const span = e.span;
  const never: Expr = { kind: 'Case', whens: [{ when: { kind: 'Literal', literal: 'boolean', value: false, span }, then: e }], span };
  return { kind: 'Call', name: { name: 'ANY_VALUE', span }, args: [never], distinct: false, star: false, span };
}

/** Two expressions written alike (names compared as SQL compares them; spans aside). */
function same(a: Expr, b: Expr): boolean {
  return key(a) === key(b);
}

function key(e: Expr): string {
  return JSON.stringify(e, (k, v: unknown) => (k === 'span' ? undefined : k === 'name' && typeof v === 'string' ? normalizeName(v) : typeof v === 'bigint' ? `${v}n` : v));
}
