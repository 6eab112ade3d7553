/** The AND-parts of a written condition, and back; whether a written expression holds a subquery, or any part that meets a test. */
import { isSubquery, type Expr } from '../parser/ast.js';
import { mapChildren } from './window-lift.js';

/** Whether `e` holds a subquery (outside those subqueries: a subquery is found, not entered). */
export function hasSubquery(e: Expr): boolean {
  return anyPart(e, isSubquery);
}

/** Whether `e` or a part of it meets `test` (subqueries' own expressions are not entered). */
export function anyPart(e: Expr, test: (x: Expr) => boolean): boolean {
  if (test(e)) return true;
  let found = false;
  mapChildren(e, (c) => {
    found ||= anyPart(c, test);
    return c;
  });
  return found;
}

/** `a AND (b AND c)` as `[a, b, c]`; any other expression as itself alone. */
export function astConjuncts(e: Expr): Expr[] {
  return e.kind === 'Binary' && e.op === 'AND' ? [...astConjuncts(e.left), ...astConjuncts(e.right)] : [e];
}

/** The parts joined by AND, left to right; undefined for none. */
export function andAst(parts: readonly Expr[]): Expr | undefined {
  return parts.reduce<Expr | undefined>((a, b) => (a ? { kind: 'Binary', op: 'AND', left: a, right: b, span: a.span } : b), undefined);
}
