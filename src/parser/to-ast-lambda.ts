/**
 * A lambda's AST: `x -> x * v` with `x` a LambdaRef wherever its body names it unqualified, so
 * that no later pass takes the parameter for a column (`v` stays a column of the query). A
 * lambda inside the body has made its own parameters LambdaRefs already, so an inner parameter
 * that shadows an outer one keeps the inner meaning. Subqueries in the body are not entered.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { normalizeName, type Expr, type Ident, type LambdaExpr } from './ast.js';
import { rowItems } from './to-ast-rows.js';

/**
 * `params -> body`, read as an operator of the lowest binding: `x -> ...` or `(a, b) -> ...`
 * (a row value of names) before the arrow. Anything else there is a syntax error saying so.
 */
export function lambdaOf(paramsExpr: Expr, body: Expr, span: Span): LambdaExpr {
  const items = rowItems(paramsExpr) ?? [paramsExpr];
  const params = items.map((p): Ident => {
    if (p.kind !== 'ColumnRef' || p.qualifier) {
      throw new SluiceError('SYNTAX_ERROR', 'a lambda names its parameters before the arrow: x -> ... or (acc, x) -> ...', { span: p.span, hint: 'e.g. LIST_TRANSFORM(l, x -> x * 2)' });
    }
    return p.column;
  });
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(normalizeName(p.name))) throw new SluiceError('SYNTAX_ERROR', `the lambda names its parameter '${p.name}' twice`, { span: p.span, hint: 'give each parameter its own name' });
    seen.add(normalizeName(p.name));
  }
  return { kind: 'Lambda', params, body: withRefs(body, seen), span };
}

function withRefs<T>(x: T, params: ReadonlySet<string>): T {
  if (Array.isArray(x)) return x.map((v) => withRefs(v, params)) as T;
  if (typeof x !== 'object' || x === null) return x;
  const e = x as unknown as Expr;
  if (e.kind === 'ColumnRef' && !e.qualifier && params.has(normalizeName(e.column.name))) return { kind: 'LambdaRef', name: normalizeName(e.column.name), span: e.span } as T;
  if (e.kind === 'InSubquery') return { ...e, operand: withRefs(e.operand, params) } as T;
  if (e.kind === 'Exists' || e.kind === 'ScalarSubquery') return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[k] = k === 'span' ? v : withRefs(v, params);
  return out as T;
}
