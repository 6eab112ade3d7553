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
 * Until a comparison takes it, `ANY (SELECT ...)` is a call of QUANTIFIED_ANY or QUANTIFIED_ALL
 * with the subquery as its one argument; anywhere else the binder refuses it.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import type { BinaryOp, Expr, Ident, SelectQuery } from './ast.js';

export const QUANTIFIED_ANY = '\u0000any';
export const QUANTIFIED_ALL = '\u0000all';

const COMPARISONS: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['=', '<>', '<', '<=', '>', '>=']);

/** `ANY (q)`, `SOME (q)` or `ALL (q)` until a comparison takes it. */
export function quantified(word: Ident, query: SelectQuery, span: Span): Expr {
  const w = word.name.toLowerCase();
  if (w !== 'any' && w !== 'some' && w !== 'all') {
    throw new SluiceError('SYNTAX_ERROR', `a subquery is not an argument of ${word.name}`, { span: query.span, hint: 'a subquery in an expression is written (SELECT ...), or after a comparison with ANY, SOME or ALL: x > ALL (SELECT ...)' });
  }
  const name = w === 'all' ? QUANTIFIED_ALL : QUANTIFIED_ANY;
  return { kind: 'Call', name: { name, span: word.span }, args: [{ kind: 'ScalarSubquery', query, span: query.span }], distinct: false, star: false, span };
}

function quantifiedParts(e: Expr): { all: boolean; query: SelectQuery } | undefined {
  if (e.kind !== 'Call' || (e.name.name !== QUANTIFIED_ANY && e.name.name !== QUANTIFIED_ALL)) return undefined;
  const arg = e.args[0]!;
  return arg.kind === 'ScalarSubquery' ? { all: e.name.name === QUANTIFIED_ALL, query: arg.query } : undefined;
}

/** `x op ANY|ALL (q)` written out (see the head of this file); undefined when `right` is no quantified subquery. */
export function quantifiedComparison(op: BinaryOp, x: Expr, right: Expr, span: Span): Expr | undefined {
  const q = quantifiedParts(right);
  if (!q) return undefined;
  const word = q.all ? 'ALL' : 'ANY';
  if (!COMPARISONS.has(op)) {
    throw new SluiceError('SYNTAX_ERROR', `${word} (SELECT ...) must follow a comparison, not '${op}'`, { span, hint: 'e.g. x > ALL (SELECT ...) or x = ANY (SELECT ...)' });
  }
  const items = q.query.items;
  if (items.length > 1) {
    throw new SluiceError('INVALID_ARGUMENT', `the subquery of ${word} must select one column, not ${items.length}`, { span: q.query.span, hint: 'select the one value each row is compared with' });
  }
  if (op === '=' && !q.all) return { kind: 'InSubquery', operand: x, query: q.query, negated: false, span };
  if (op === '<>' && q.all) return { kind: 'InSubquery', operand: x, query: q.query, negated: true, span };

  const bin = (o: BinaryOp, left: Expr, r: Expr): Expr => ({ kind: 'Binary', op: o, left, right: r, span });
  const int = (value: number): Expr => ({ kind: 'Literal', literal: 'integer', value, span });
  const literal = (value: boolean | null): Expr => ({ kind: 'Literal', literal: value === null ? 'null' : 'boolean', value, span });
  const aggregate = aggregateOf(q.query, span);
  const n = aggregate('count', true);
  const nn = aggregate('count', false);
  // The extreme that decides: x > ALL needs x above the largest, x > ANY above the smallest.
  const upward = op === '>' || op === '>=';
  const decided = (extreme: 'min' | 'max'): Expr => bin(op, x, aggregate(extreme, false));
  // The comparison with some value fails (ALL) or holds (ANY), where nn > 0.
  const decides =
    op === '=' || op === '<>'
      ? // = ALL fails, and <> ANY holds, where some value differs from x: the smallest or the largest.
        bin('OR', bin('<>', x, aggregate('min', false)), bin('<>', x, aggregate('max', false)))
      : q.all
        ? { kind: 'Unary' as const, op: 'NOT' as const, operand: decided(upward ? 'max' : 'min'), span }
        : decided(upward ? 'min' : 'max');
  return {
    kind: 'Case',
    whens: [
      { when: bin('=', n, int(0)), then: literal(q.all) },
      { when: { kind: 'IsNull', operand: x, negated: false, span }, then: literal(null) },
      { when: bin('AND', bin('>', nn, int(0)), decides), then: literal(!q.all) },
      { when: bin('<', nn, n), then: literal(null) },
    ],
    else: literal(q.all),
    span,
  };
}

/**
 * `(SELECT fn(c) FROM ...)` over the subquery's rows (COUNT(*) when `star`): in place where the
 * subquery is a plain SELECT of an expression without calls (so that its WHERE may refer to the
 * query around it), else over the subquery as a query in FROM.
 */
function aggregateOf(q: SelectQuery, span: Span): (fn: 'count' | 'min' | 'max', star: boolean) => Expr {
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
