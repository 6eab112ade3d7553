/**
 * Quantified comparisons `x op ANY (SELECT c ...)` (SOME is ANY) and `x op ALL (SELECT c ...)`,
 * written out when the AST is built, with the SQL standard's three-valued answer:
 *
 *   x = ANY (q)     x IN (q)
 *   x <> ALL (q)    x NOT IN (q)
 *   x op ANY (q)    CASE WHEN EXISTS (SELECT 1 FROM q r(c) WHERE x op r.c) THEN TRUE
 *                        WHEN EXISTS (SELECT 1 FROM q r(c) WHERE x IS NULL OR r.c IS NULL) THEN NULL
 *                        ELSE FALSE END
 *   x op ALL (q)    CASE WHEN EXISTS (... WHERE NOT (x op r.c)) THEN FALSE
 *                        WHEN EXISTS (... WHERE x IS NULL OR r.c IS NULL) THEN NULL
 *                        ELSE TRUE END
 *
 * So ANY over no rows is FALSE and ALL over no rows is TRUE. The subquery is read as a query in
 * FROM, so it may not be correlated with the query around it. Until a comparison takes it,
 * `ANY (SELECT ...)` is a call of QUANTIFIED_ANY or QUANTIFIED_ALL with the subquery as its one
 * argument; anywhere else the binder refuses it.
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
  if (!COMPARISONS.has(op)) {
    throw new SluiceError('SYNTAX_ERROR', `${q.all ? 'ALL' : 'ANY'} (SELECT ...) must follow a comparison, not '${op}'`, { span, hint: 'e.g. x > ALL (SELECT ...) or x = ANY (SELECT ...)' });
  }
  const items = q.query.items;
  if (items.length > 1) {
    throw new SluiceError('INVALID_ARGUMENT', `the subquery of ${q.all ? 'ALL' : 'ANY'} must select one column, not ${items.length}`, { span: q.query.span, hint: 'select the one value each row is compared with' });
  }
  if (op === '=' && !q.all) return { kind: 'InSubquery', operand: x, query: q.query, negated: false, span };
  if (op === '<>' && q.all) return { kind: 'InSubquery', operand: x, query: q.query, negated: true, span };
  const alias: Ident = { name: '\u0000quantified', span };
  const columnName: Ident = { name: '\u0000c0', span };
  const c: Expr = { kind: 'ColumnRef', qualifier: alias, column: columnName, span };
  const bin = (o: BinaryOp, left: Expr, r: Expr): Expr => ({ kind: 'Binary', op: o, left, right: r, span });
  const isNull = (e: Expr): Expr => ({ kind: 'IsNull', operand: e, negated: false, span });
  const exists = (where: Expr): Expr => {
    const one: Expr = { kind: 'Literal', literal: 'integer', value: 1, span };
    const sub: SelectQuery = { kind: 'Select', distinct: false, items: [{ kind: 'ExprItem', expr: one, span }], from: { kind: 'Subquery', query: q.query, alias, columns: [columnName], span }, where, groupBy: [], orderBy: [], span };
    return { kind: 'Exists', query: sub, span };
  };
  const literal = (value: boolean | null): Expr => ({ kind: 'Literal', literal: value === null ? 'null' : 'boolean', value, span });
  const compared = bin(op, x, c);
  const decides = exists(q.all ? { kind: 'Unary', op: 'NOT', operand: compared, span } : compared);
  const unknown = exists(bin('OR', isNull(x), isNull(c)));
  return { kind: 'Case', whens: [{ when: decides, then: literal(!q.all) }, { when: unknown, then: literal(null) }], else: literal(q.all), span };
}

