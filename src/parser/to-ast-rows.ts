/**
 * Row values `(a, b, ...)`, compared as DuckDB compares them (as values of a STRUCT: a NULL item
 * equals NULL and orders after every other value, so a comparison is TRUE or FALSE), written out
 * as expressions over their items when the AST is built:
 *
 *   (a, b) = (x, y)          a IS NOT DISTINCT FROM x AND b IS NOT DISTINCT FROM y
 *   (a, b) <> (x, y)         a IS DISTINCT FROM x OR b IS DISTINCT FROM y
 *   (a, b) < (x, y)          a < x OR (a = x AND b < y), each with NULL last (and <=, >, >=)
 *   (a, b) IN ((1, 2), ...)  (a, b) = (1, 2) OR ...
 *   (a, b) IN (SELECT x, y ...)   CASE WHEN EXISTS (... WHERE r.c0 = a AND r.c1 = b) THEN TRUE
 *                                 WHEN (a IS NULL OR b IS NULL) AND EXISTS (...) THEN NULL
 *                                 WHEN EXISTS (... WHERE r.c0 IS NULL OR r.c1 IS NULL) THEN NULL
 *                                 ELSE FALSE END, over (SELECT x, y ...) AS r(c0, c1)
 *
 * With a subquery DuckDB answers as its mark join does: TRUE for a row whose items all equal,
 * else NULL when the operand has a NULL item (and the subquery any row) or any row of the
 * subquery has one, else FALSE. NOT IN is NOT of that. (The SQL standard would answer FALSE for
 * `(1, 2) IN (SELECT 3, NULL)`; DuckDB answers NULL, and is followed here.)
 *
 * A row value anywhere else is an error at planning (ROW_CALL is no function).
 */
import type { Span } from '../common/span.js';
import type { BinaryOp, CallExpr, Expr, Ident, SelectQuery } from './ast.js';
import { SluiceError } from '../common/errors.js';

/** The name a row value `(a, b)` has in the AST until a comparison or IN takes it apart. */
export const ROW_CALL = '\u0000row';

/** The items of a row value, or undefined for any other expression. */
export function rowItems(e: Expr): readonly Expr[] | undefined {
  return e.kind === 'Call' && e.name.name === ROW_CALL ? e.args : undefined;
}

/** `(a, b, ...)` as an expression (see ROW_CALL). */
export function rowValue(items: readonly Expr[], span: Span): CallExpr {
  return { kind: 'Call', name: { name: ROW_CALL, span }, args: items, distinct: false, star: false, span };
}

const COMPARISONS = new Set<string>(['=', '<>', '<', '<=', '>', '>=']);

/** `left op right` when either side is a row value; undefined otherwise. */
export function rowComparison(op: BinaryOp, left: Expr, right: Expr, span: Span): Expr | undefined {
  const l = rowItems(left);
  const r = rowItems(right);
  if (!l && !r) return undefined;
  if (!l || !r || !COMPARISONS.has(op)) {
    throw new SluiceError('TYPE_MISMATCH', 'a row value (a, b, ...) is compared only with another row value, by = <> < <= > >=', { span, hint: 'compare each item: a = x AND b = y' });
  }
  if (l.length !== r.length) throw new SluiceError('TYPE_MISMATCH', `row values of ${l.length} and ${r.length} items cannot be compared`, { span, hint: 'give both sides the same number of items' });
  const bin = (o: BinaryOp, a: Expr, b: Expr): Expr => ({ kind: 'Binary', op: o, left: a, right: b, span });
  const all = (o: 'AND' | 'OR', xs: readonly Expr[]): Expr => xs.reduce((acc, x) => bin(o, acc, x));
  const same = (a: Expr, b: Expr) => bin('IS NOT DISTINCT FROM', a, b);
  if (op === '=') return all('AND', l.map((a, i) => same(a, r[i]!)));
  if (op === '<>') return all('OR', l.map((a, i) => bin('IS DISTINCT FROM', a, r[i]!)));
  // a before b with NULL after every value: COALESCE(a < b, b IS NULL AND a IS NOT NULL).
  const before = (a: Expr, b: Expr): Expr => {
    const isNull = (x: Expr, negated: boolean): Expr => ({ kind: 'IsNull', operand: x, negated, span });
    return { kind: 'Call', name: { name: 'coalesce', span }, args: [bin('<', a, b), bin('AND', isNull(b, false), isNull(a, true))], distinct: false, star: false, span };
  };
  // Lexicographic: the first unequal item decides; ties go to the last item's test.
  const [x, y] = op === '<' || op === '<=' ? [l, r] : [r, l];
  const last = x.length - 1;
  let out = op === '<' || op === '>' ? before(x[last]!, y[last]!) : bin('OR', before(x[last]!, y[last]!), same(x[last]!, y[last]!));
  for (let i = last - 1; i >= 0; i--) out = bin('OR', before(x[i]!, y[i]!), bin('AND', same(x[i]!, y[i]!), out));
  return out;
}

/** `row [NOT] IN (row, ...)`: an OR of equalities; undefined when the operand is no row value. */
export function rowInList(operand: Expr, list: readonly Expr[], negated: boolean, span: Span): Expr | undefined {
  if (!rowItems(operand)) return undefined;
  const tests = list.map((item) => rowComparison('=', operand, item.kind === 'Call' && rowItems(item) ? item : rowValue([item], item.span), span)!);
  const any = tests.reduce((acc, x): Expr => ({ kind: 'Binary', op: 'OR', left: acc, right: x, span }));
  return negated ? { kind: 'Unary', op: 'NOT', operand: any, span } : any;
}

/**
 * `row [NOT] IN (SELECT ...)` (see the head of this file); undefined when the operand is no row
 * value.
 */
export function rowInSubquery(operand: Expr, query: SelectQuery, negated: boolean, span: Span): Expr | undefined {
  const items = rowItems(operand);
  if (!items) return undefined;
  const alias: Ident = { name: '\u0000rowin', span };
  const names = items.map((_, i): Ident => ({ name: `\u0000c${i}`, span }));
  const bin = (op: BinaryOp, left: Expr, right: Expr): Expr => ({ kind: 'Binary', op, left, right, span });
  const isNull = (e: Expr): Expr => ({ kind: 'IsNull', operand: e, negated: false, span });
  const column = (i: number): Expr => ({ kind: 'ColumnRef', qualifier: alias, column: names[i]!, span });
  const exists = (where: Expr | undefined): Expr => {
    const one: Expr = { kind: 'Literal', literal: 'integer', value: 1, span };
    const q: SelectQuery = { kind: 'Select', distinct: false, items: [{ kind: 'ExprItem', expr: one, span }], from: { kind: 'Subquery', query, alias, columns: names, span }, ...(where ? { where } : {}), groupBy: [], orderBy: [], span };
    return { kind: 'Exists', query: q, span };
  };
  const all = (op: 'AND' | 'OR', tests: readonly Expr[]): Expr => tests.reduce((acc, x) => bin(op, acc, x));
  const literal = (value: boolean | null): Expr => ({ kind: 'Literal', literal: value === null ? 'null' : 'boolean', value, span });
  const equal = exists(all('AND', items.map((a, i) => bin('=', column(i), a))));
  const nullOperand = bin('AND', all('OR', items.map(isNull)), exists(undefined));
  const nullRow = exists(all('OR', items.map((_, i) => isNull(column(i)))));
  const found: Expr = { kind: 'Case', whens: [{ when: equal, then: literal(true) }, { when: nullOperand, then: literal(null) }, { when: nullRow, then: literal(null) }], else: literal(false), span };
  return negated ? { kind: 'Unary', op: 'NOT', operand: found, span } : found;
}
