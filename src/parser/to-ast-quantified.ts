/**
 * Quantified comparisons `x op ANY (SELECT c ...)` (SOME is ANY) and `x op ALL (SELECT c ...)`,
 * written out when the AST is built, with the SQL standard's three-valued answer. `= ANY` is
 * `IN` and `<> ALL` is `NOT IN`; the others compare x with an extreme of the subquery's values,
 * which three value subqueries give: n = COUNT(*), nn = COUNT(c) and m = MIN(c) or MAX(c):
 *
 *   x > ALL (q)   CASE WHEN n = 0 THEN TRUE WHEN x IS NULL THEN NULL
 *                      WHEN nn > 0 AND NOT (x > MAX(c)) THEN FALSE WHEN nn < n THEN NULL ELSE TRUE END
 *   x > ANY (q)   CASE WHEN n = 0 THEN FALSE WHEN x IS NULL THEN NULL
 *                      WHEN nn > 0 AND x > MIN(c) THEN TRUE WHEN nn < n THEN NULL ELSE FALSE END
 *
 * (`<` and `<=` take the other extreme; `= ALL` and `<> ANY` test MIN(c) and MAX(c) both.) So ANY
 * over no rows is FALSE, ALL over no rows TRUE, and NULL where only a NULL keeps it from being
 * decided. x stays outside the subqueries; a subquery that selects an expression without calls
 * from FROM ... WHERE (no GROUP BY, HAVING, ORDER BY, LIMIT) is aggregated in place, so it may be
 * correlated with the query around it, as any value subquery; any other is aggregated as a
 * query in FROM (`(SELECT MAX(c) FROM (q) r(c))`), and may not be.
 *
 * `x op ANY (list)` and `x op ALL (list)` (as DuckDB) compare x with the list's elements as with
 * a subquery's rows (a NULL list has none): the same CASE over the list's length, LIST_COUNT,
 * LIST_MIN and LIST_MAX, and LIST_CONTAINS for `= ANY` and `<> ALL`.
 *
 * Until a comparison takes it, `ANY (SELECT ...)` is a call of QUANTIFIED_ANY or QUANTIFIED_ALL
 * with the subquery (or the list) as its one argument; anywhere else the binder refuses it.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import type { BinaryOp, Expr, Ident, SelectQuery } from './ast.js';

export const QUANTIFIED_ANY = '\u0000any';
export const QUANTIFIED_ALL = '\u0000all';

const COMPARISONS: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['=', '<>', '<', '<=', '>', '>=']);

/** Whether `word` is ANY, SOME or ALL, the words of a quantified comparison. */
export function isQuantifier(word: Ident): boolean {
  return ['any', 'some', 'all'].includes(word.name.toLowerCase());
}

/**
 * `ANY (q)`, `SOME (q)` or `ALL (q)` until a comparison takes it; `operand` is a subquery, or a
 * list expression whose elements stand for the subquery's rows (as DuckDB reads `ANY (list)`,
 * `ANY (SELECT UNNEST(list))`).
 */
export function quantified(word: Ident, operand: SelectQuery | Expr, span: Span): Expr {
  const arg: Expr = operand.kind === 'Select' ? { kind: 'ScalarSubquery', query: operand, span: operand.span } : operand;
  if (!isQuantifier(word)) {
    throw new SluiceError('SYNTAX_ERROR', `a subquery is not an argument of ${word.name}`, { span: arg.span, hint: 'a subquery in an expression is written (SELECT ...), or after a comparison with ANY, SOME or ALL: x > ALL (SELECT ...)' });
  }
  const name = word.name.toLowerCase() === 'all' ? QUANTIFIED_ALL : QUANTIFIED_ANY;
  return { kind: 'Call', name: { name, span: word.span }, args: [arg], distinct: false, star: false, span };
}

/** The parts of `ANY|ALL (operand)`: a subquery (also written `ANY ((SELECT ...))`, as DuckDB takes it) or a list. */
function quantifiedParts(e: Expr): { all: boolean; query: SelectQuery } | { all: boolean; list: Expr } | undefined {
  if (e.kind !== 'Call' || (e.name.name !== QUANTIFIED_ANY && e.name.name !== QUANTIFIED_ALL)) return undefined;
  const all = e.name.name === QUANTIFIED_ALL;
  const arg = e.args[0]!;
  return arg.kind === 'ScalarSubquery' ? { all, query: arg.query } : { all, list: arg };
}

/** `fn` over the values x is compared with: `count` with star is the number of values, without it the number not NULL. */
type Summary = (fn: 'count' | 'min' | 'max', star: boolean) => Expr;

/** `x op ANY|ALL (q)` written out (see the head of this file); undefined when `right` is no quantified subquery or list. */
export function quantifiedComparison(op: BinaryOp, x: Expr, right: Expr, span: Span): Expr | undefined {
  const q = quantifiedParts(right);
  if (!q) return undefined;
  const word = q.all ? 'ALL' : 'ANY';
  if (!COMPARISONS.has(op)) {
    const what = 'list' in q ? `${word} (list)` : `${word} (SELECT ...)`;
    throw new SluiceError('SYNTAX_ERROR', `${what} must follow a comparison, not '${op}'`, { span, hint: 'e.g. x > ALL (SELECT ...) or x = ANY (SELECT ...)' });
  }
  // = ANY holds, and <> ALL fails, where some value equals x.
  const equality = (op === '=' && !q.all) || (op === '<>' && q.all);
  if ('list' in q) {
    const summary = listSummary(q.list, span);
    const decides = equality ? call('list_contains', [q.list, x], span) : extremeTest(op, q.all, x, summary, span);
    return threeValued(q.all, x, summary, decides, span);
  }
  const items = q.query.items;
  if (items.length > 1) {
    throw new SluiceError('INVALID_ARGUMENT', `the subquery of ${word} must select one column, not ${items.length}`, { span: q.query.span, hint: 'select the one value each row is compared with' });
  }
  if (equality) return { kind: 'InSubquery', operand: x, query: q.query, negated: q.all, span };
  const summary = aggregateOf(q.query, span);
  return threeValued(q.all, x, summary, extremeTest(op, q.all, x, summary, span), span);
}

/**
 * The answer where the values are known to decide it or not: ALL over no values is TRUE and ANY
 * FALSE; NULL where x is NULL, or where only NULL values keep it from being decided. `decides`
 * says that the comparison with some value fails (ALL) or holds (ANY), where there are values.
 */
function threeValued(all: boolean, x: Expr, summary: Summary, decides: Expr, span: Span): Expr {
  const bin = (o: BinaryOp, left: Expr, r: Expr): Expr => ({ kind: 'Binary', op: o, left, right: r, span });
  const int = (value: number): Expr => ({ kind: 'Literal', literal: 'integer', value, span });
  const literal = (value: boolean | null): Expr => ({ kind: 'Literal', literal: value === null ? 'null' : 'boolean', value, span });
  const n = summary('count', true);
  const nn = summary('count', false);
  return {
    kind: 'Case',
    whens: [
      { when: bin('=', n, int(0)), then: literal(all) },
      { when: { kind: 'IsNull', operand: x, negated: false, span }, then: literal(null) },
      { when: bin('AND', bin('>', nn, int(0)), decides), then: literal(!all) },
      { when: bin('<', nn, n), then: literal(null) },
    ],
    else: literal(all),
    span,
  };
}

/** Whether the comparison with some value fails (ALL) or holds (ANY), by the extreme that decides it. */
function extremeTest(op: BinaryOp, all: boolean, x: Expr, summary: Summary, span: Span): Expr {
  const bin = (o: BinaryOp, left: Expr, r: Expr): Expr => ({ kind: 'Binary', op: o, left, right: r, span });
  // = ALL fails, and <> ANY holds, where some value differs from x: the smallest or the largest.
  if (op === '=' || op === '<>') return bin('OR', bin('<>', x, summary('min', false)), bin('<>', x, summary('max', false)));
  // x > ALL needs x above the largest, x > ANY above the smallest.
  const upward = op === '>' || op === '>=';
  const decided = (extreme: 'min' | 'max'): Expr => bin(op, x, summary(extreme, false));
  return all ? { kind: 'Unary', op: 'NOT', operand: decided(upward ? 'max' : 'min'), span } : decided(upward ? 'min' : 'max');
}

/** The summary of a list's elements; a NULL list has none (as DuckDB unnests it). */
function listSummary(list: Expr, span: Span): Summary {
  const zero: Expr = { kind: 'Literal', literal: 'integer', value: 0, span };
  return (fn, star) => {
    if (fn === 'count') return star ? call('coalesce', [call('array_length', [list], span), zero], span) : call('list_count', [list], span);
    return call(fn === 'min' ? 'list_min' : 'list_max', [list], span);
  };
}

function call(name: string, args: readonly Expr[], span: Span): Expr {
  return { kind: 'Call', name: { name, span }, args, distinct: false, star: false, span };
}

/**
 * `(SELECT fn(c) FROM ...)` over the subquery's rows (COUNT(*) when `star`): in place where the
 * subquery is a plain SELECT of an expression without calls (so that its WHERE may refer to the
 * query around it), else over the subquery as a query in FROM.
 */
function aggregateOf(q: SelectQuery, span: Span): Summary {
  const item = q.items[0];
  const plain = q.kind === 'Select' && q.from && item?.kind === 'ExprItem' && !hasCall(item.expr) && !q.groupBy.length && !q.groupingSets && !q.having && !q.qualify && !q.orderBy.length && q.limit === undefined && q.offset === undefined;
  const alias: Ident = { name: '\u0000quantified', span };
  const column: Ident = { name: '\u0000c0', span };
  const value: Expr = plain && item?.kind === 'ExprItem' ? item.expr : { kind: 'ColumnRef', qualifier: alias, column, span };
  return (fn, star) => {
    const call: Expr = { kind: 'Call', name: { name: fn, span }, args: star ? [] : [value], distinct: false, star, span };
    const over: SelectQuery = plain
      ? { ...q, distinct: false, items: [{ kind: 'ExprItem', expr: call, span }] }
      : { kind: 'Select', distinct: false, items: [{ kind: 'ExprItem', expr: call, span }], from: { kind: 'Subquery', query: q, alias, columns: [column], span }, groupBy: [], orderBy: [], span };
    return { kind: 'ScalarSubquery', query: over, span };
  };
}

function hasCall(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  if ((x as { kind?: unknown }).kind === 'Call') return true;
  return Object.values(x).some(hasCall);
}
