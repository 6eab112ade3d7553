/**
 * Binds DuckDB's list functions of a lambda: LIST_TRANSFORM (APPLY, LIST_APPLY, ARRAY_TRANSFORM,
 * ARRAY_APPLY), LIST_FILTER (FILTER, ARRAY_FILTER) and LIST_REDUCE (REDUCE, ARRAY_REDUCE). The
 * parameters are the element and, optionally, its 1-based index (REDUCE: the accumulator first);
 * the body reads them and the row's columns, and may call any built-in function, not an
 * aggregate, a subquery or a user function (those run once per batch, not per element).
 */
import { SluiceError } from '../common/errors.js';
import { T, arrayOf, typeToString, type DataType } from '../common/types.js';
import { normalizeName, type CallExpr, type Expr, type LambdaRefExpr } from '../parser/ast.js';
import type { BindHooks } from './bind-expr.js';
import { visit, type BoundExpr } from './bound-expr.js';
import { commonType } from './functions.js';

/** The parameters in scope: name -> the variable and its type. */
export type LambdaScope = ReadonlyMap<string, { readonly id: string; readonly type: DataType }>;

const FUNCTIONS: Readonly<Record<string, 'transform' | 'filter' | 'reduce'>> = {
  list_transform: 'transform', array_transform: 'transform', list_apply: 'transform', array_apply: 'transform', apply: 'transform',
  list_filter: 'filter', array_filter: 'filter', filter: 'filter',
  list_reduce: 'reduce', array_reduce: 'reduce', reduce: 'reduce',
};

type BindIn = (e: Expr, hooks: BindHooks) => BoundExpr;

/** The call bound, or undefined when it is not a list function of a lambda. */
export function bindListLambda(e: CallExpr, hooks: BindHooks, bindIn: BindIn): BoundExpr | undefined {
  const fn = FUNCTIONS[normalizeName(e.name.name)];
  if (!fn) return undefined;
  const name = e.name.name.toUpperCase();
  const lambda = e.args[1];
  const arity = fn === 'reduce' ? '(list, (acc, x) -> ... [, initial])' : '(list, x -> ...)';
  if ((e.args.length !== 2 && !(fn === 'reduce' && e.args.length === 3)) || lambda?.kind !== 'Lambda') {
    throw new SluiceError('INVALID_ARGUMENT', `${name} takes ${arity}`, { span: e.span, hint: fn === 'reduce' ? 'e.g. LIST_REDUCE(l, (acc, x) -> acc + x)' : `e.g. ${name}(l, x -> x * 2)` });
  }
  const list = bindIn(e.args[0]!, hooks);
  if (list.type.kind !== 'ARRAY' && list.type.kind !== 'NULL') throw new SluiceError('TYPE_MISMATCH', `${name} takes a list first, not ${typeToString(list.type)}`, { span: e.args[0]!.span, hint: 'e.g. a list column, [1, 2, 3] or STRING_SPLIT(s, \',\')' });
  const element = list.type.kind === 'ARRAY' ? list.type.element : T.NULL;
  const initial = e.args[2] ? bindIn(e.args[2], hooks) : undefined;
  const acc = initial ? (commonType(initial.type, element) ?? initial.type) : element;
  const paramTypes = fn === 'reduce' ? [acc, element, T.INT] : [element, T.INT];
  const min = fn === 'reduce' ? 2 : 1;
  if (lambda.params.length < min || lambda.params.length > paramTypes.length) {
    throw new SluiceError('INVALID_ARGUMENT', `the lambda of ${name} takes ${fn === 'reduce' ? '(acc, x) or (acc, x, index)' : 'x or (x, index)'}, not ${lambda.params.length} parameter${lambda.params.length === 1 ? '' : 's'}`, { span: lambda.span });
  }
  const depth = (hooks.lambdas?.size ?? 0) + 1;
  const params = lambda.params.map((p, k) => ({ id: `L${depth}_${k}`, name: p.name, type: paramTypes[k]! }));
  const lambdas = new Map(hooks.lambdas);
  for (const p of params) lambdas.set(normalizeName(p.name), { id: p.id, type: p.type });
  const body = bindIn(lambda.body, { lambdas, clause: 'a lambda' });
  visit(body, (x) => {
    if (x.kind === 'Udf') throw new SluiceError('UNSUPPORTED', `a user function (${x.name}) is not supported in a lambda`, { span: x.span ?? lambda.span, hint: 'call it on the list outside the lambda, or write the body with built-in functions' });
  });
  const span = e.span;
  const vars = params.map(({ id, name: n }) => ({ id, name: n }));
  if (fn === 'transform') return { kind: 'ListLambda', fn, list, params: vars, body, type: arrayOf(body.type.kind === 'NULL' ? T.INT : body.type), span };
  if (fn === 'filter') {
    if (body.type.kind !== 'BOOLEAN' && body.type.kind !== 'NULL') throw new SluiceError('TYPE_MISMATCH', `the lambda of ${name} must be a condition (BOOLEAN), not ${typeToString(body.type)}`, { span: lambda.body.span });
    return { kind: 'ListLambda', fn, list, params: vars, body, type: list.type.kind === 'NULL' ? arrayOf(T.INT) : list.type, span };
  }
  // REDUCE: each step's value as the accumulator's type, as DuckDB (1 + 2 * 1.5 over INTs is 4).
  const stepped: BoundExpr = typeToString(body.type) === typeToString(acc) || body.type.kind === 'NULL' ? body : { kind: 'Cast', operand: body, type: acc, span: lambda.body.span };
  return { kind: 'ListLambda', fn, list, params: vars, body: stepped, ...(initial ? { initial: typeToString(initial.type) === typeToString(acc) ? initial : { kind: 'Cast', operand: initial, type: acc, span: initial.span } } : {}), type: acc, span };
}

/** A parameter where the body names it. */
export function lambdaVar(e: LambdaRefExpr, lambdas: LambdaScope | undefined): BoundExpr {
  const v = lambdas?.get(e.name);
  if (!v) throw new SluiceError('INVALID_ARGUMENT', `'${e.name}' is a lambda's parameter outside its lambda`, { span: e.span });
  return { kind: 'LambdaVar', id: v.id, name: e.name, type: v.type, span: e.span };
}
