/**
 * `x COLLATE name`, as DuckDB has it: how strings compare and sort, not what they are. A
 * collation is one or more of `nocase` (case does not count), `noaccent` (accents do not count),
 * `nfc` (Unicode normalisation form C) and `binary` (`c`, `posix`: code points, the default),
 * joined by dots (`nocase.noaccent`). Where strings compare (`=`, `<`, IN, BETWEEN, ...) or an
 * ORDER BY sorts, both sides are compared by their collation key (`LOWER`, `STRIP_ACCENTS`,
 * `NFC_NORMALIZE` of the value); elsewhere the value is the string itself.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { T, typeToString } from '../common/types.js';
import { COLLATE_CALL, type Expr, type SelectQuery } from '../parser/ast.js';
import type { BoundExpr } from './bound-expr.js';

/** Each collation's key function, in the order they apply to a value. */
const KEY_FUNCTIONS: Readonly<Record<string, string | undefined>> = { nfc: 'nfc_normalize', noaccent: 'strip_accents', nocase: 'lower', binary: undefined, c: undefined, posix: undefined };
const ORDER = ['nfc', 'noaccent', 'nocase'];

export interface Collated {
  readonly operand: Expr;
  /** The key functions to apply, innermost first. */
  readonly keys: readonly string[];
}

/** The collation of `e` when it is `x COLLATE name` (checked), else undefined. */
export function collated(e: Expr): Collated | undefined {
  if (e.kind !== 'Call' || e.name.name !== COLLATE_CALL || e.args.length !== 2) return undefined;
  const nameArg = e.args[1]!;
  if (nameArg.kind !== 'Literal' || typeof nameArg.value !== 'string') return undefined;
  const parts = nameArg.value.toLowerCase().split('.');
  for (const p of parts) {
    if (!Object.hasOwn(KEY_FUNCTIONS, p)) {
      throw new SluiceError('INVALID_ARGUMENT', `unknown collation '${p}'`, {
        span: nameArg.span,
        hint: 'the collations are nocase, noaccent, nfc and binary (also c, posix), alone or joined by dots: COLLATE nocase, COLLATE "nocase.noaccent"',
      });
    }
  }
  const keys = ORDER.filter((p) => parts.includes(p)).map((p) => KEY_FUNCTIONS[p]!);
  return { operand: e.args[0]!, keys };
}

/** Whether `e` is a `COLLATE` call (valid or not). */
export function isCollateCall(e: Expr): boolean {
  return e.kind === 'Call' && e.name.name === COLLATE_CALL;
}

/**
 * Expressions that compare with one another (the sides of a comparison, an IN list, BETWEEN's
 * bounds), bound by `bind`: when one of them has a collation, each is bound without its own and
 * compared by the first one's key; undefined when none has one.
 */
export function bindCompared(exprs: readonly Expr[], bind: (e: Expr) => BoundExpr): BoundExpr[] | undefined {
  let keys: readonly string[] | undefined;
  for (const e of exprs) {
    const c = collated(e);
    if (c) {
      keys ??= c.keys;
    }
  }
  if (!keys) return undefined;
  return exprs.map((e) => collationKey(bind(collated(e)?.operand ?? e), keys));
}

/** `x` as its collation key: each key function applied to the string; a NULL stays NULL. */
export function collationKey(x: BoundExpr, keys: readonly string[]): BoundExpr {
  if (x.type.kind !== 'STRING' && x.type.kind !== 'NULL') {
    throw new SluiceError('TYPE_MISMATCH', `COLLATE applies to strings, not ${typeToString(x.type)}`, { span: x.span, hint: 'CAST the value to STRING first, or leave out COLLATE' });
  }
  let key = x;
  for (const fn of keys) key = { kind: 'Call', fn, args: [key], type: T.STRING, ...(x.span ? { span: x.span } : {}) };
  return key;
}

/**
 * Expressions that compare with one another, as expressions of their keys (each one's key
 * functions around it, without its own COLLATE) where one of them has a collation; undefined
 * where none has (for a call bound as written, such as GLOB's).
 */
export function keyedExprs(exprs: readonly Expr[]): Expr[] | undefined {
  const keys = exprs.map((e) => collated(e)?.keys).find((k) => k !== undefined);
  if (!keys) return undefined;
  return exprs.map((e) => {
    let key = collated(e)?.operand ?? e;
    for (const fn of keys) key = { kind: 'Call', name: { name: fn, span: e.span }, args: [key], distinct: false, star: false, span: e.span };
    return key;
  });
}

/**
 * An ORDER BY expression with a collation, as the expression that sorts the same way (its key
 * functions around the operand), for the planner to sort by; others as they are.
 */
export function orderByKey(e: Expr): Expr {
  const c = collated(e);
  if (!c) return e;
  let key = c.operand;
  for (const fn of c.keys) key = { kind: 'Call', name: { name: fn, span: e.span }, args: [key], distinct: false, star: false, span: e.span };
  return key;
}

/** Refuses a collation where values are grouped or told apart (GROUP BY, DISTINCT). */
export function refuseCollation(clause: string, span: Span): never {
  throw new SluiceError('UNSUPPORTED', `COLLATE is not supported in ${clause}`, {
    span,
    hint: 'COLLATE applies where strings compare or sort; to group strings without regard to case or accents, group by LOWER(x) or STRIP_ACCENTS(x)',
  });
}

/**
 * MIN(x COLLATE c) and MAX(x COLLATE c) over the query's select list, HAVING, QUALIFY and ORDER
 * BY, as the x whose key is least or greatest: ARG_MIN(x, key) and ARG_MAX(x, key), as DuckDB
 * compares collated strings (MIN('a', 'B') COLLATE nocase is 'a'). `mapChildren` maps an
 * expression's direct sub-expressions.
 */
export function collatedMinMax(q: SelectQuery, mapChildren: (e: Expr, f: (x: Expr) => Expr) => Expr): SelectQuery {
  let found = false;
  const rewrite = (e: Expr): Expr => {
    const fn = e.kind === 'Call' ? e.name.name.toLowerCase() : '';
    if (e.kind === 'Call' && (fn === 'min' || fn === 'max') && e.args.length === 1 && isCollateCall(e.args[0]!)) {
      found = true;
      const c = collated(e.args[0]!)!;
      return { ...e, distinct: false, name: { ...e.name, name: fn === 'min' ? 'arg_min' : 'arg_max' }, args: [c.operand, orderByKey(e.args[0]!)] };
    }
    return mapChildren(e, rewrite);
  };
  const items = q.items.map((i) => (i.kind === 'ExprItem' ? { ...i, expr: rewrite(i.expr) } : i));
  const having = q.having && rewrite(q.having);
  const qualify = q.qualify && rewrite(q.qualify);
  const orderBy = q.orderBy.map((o) => ({ ...o, expr: rewrite(o.expr) }));
  if (!found) return q;
  return { ...q, items, ...(having ? { having } : {}), ...(qualify ? { qualify } : {}), orderBy };
}
