/**
 * A lambda's AST: `x -> x * v` with `x` a LambdaRef wherever its body names it unqualified, so
 * that no later pass takes the parameter for a column (`v` stays a column of the query). A
 * lambda inside the body has made its own parameters LambdaRefs already, so an inner parameter
 * that shadows an outer one keeps the inner meaning. Subqueries in the body are not entered.
 */
import type { CstNode } from 'chevrotain';
import { SluiceError } from '../common/errors.js';
import { normalizeName, type Expr, type LambdaExpr } from './ast.js';
import { type AstContext, node, nodes } from './cst-access.js';
import { toIdent } from './to-ast-names.js';

export function toLambda(n: CstNode, body: (n: CstNode) => Expr, cx: AstContext): LambdaExpr {
  const params = nodes(n, 'params').map((p) => toIdent(p, cx));
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(normalizeName(p.name))) throw new SluiceError('SYNTAX_ERROR', `the lambda names its parameter '${p.name}' twice`, { span: p.span, hint: 'give each parameter its own name' });
    seen.add(normalizeName(p.name));
  }
  return { kind: 'Lambda', params, body: withRefs(body(node(n, 'body')), seen), span: cx.src.nodeSpan(n) };
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
