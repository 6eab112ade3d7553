/**
 * A lambda's AST: `x -> x * v` with `x` a LambdaRef wherever its body names it unqualified, so
 * that no later pass takes the parameter for a column (`v` stays a column of the query). A
 * lambda inside the body has made its own parameters LambdaRefs already, so an inner parameter
 * that shadows an outer one keeps the inner meaning. Subqueries in the body are not entered.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { normalizeName, type CallExpr, type ColumnRefExpr, type Expr, type LambdaExpr } from './ast.js';
import { rowItems } from './to-ast-rows.js';

/**
 * `params -> body`, read as an operator of the lowest binding: `x -> ...` or `(a, b) -> ...`
 * (a row value of names) before the arrow. With anything else before it, the arrow is DuckDB's
 * JSON one: `t.payload -> '$.a'` is JSON_EXTRACT(t.payload, '$.a'); `payload -> '$.a'` is a
 * lambda to the parser, and the binder reads it as that call where no lambda can stand.
 */
export function lambdaOf(paramsExpr: Expr, body: Expr, span: Span): LambdaExpr | CallExpr {
  const items = rowItems(paramsExpr) ?? [paramsExpr];
  if (items.some((p) => p.kind !== 'ColumnRef' || p.qualifier)) {
    return { kind: 'Call', name: { name: 'json_extract', span }, args: [paramsExpr, body], distinct: false, star: false, span };
  }
  const params = items.map((p) => (p as ColumnRefExpr).column);
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
