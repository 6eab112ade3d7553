/** The keys of a join: equalities between a column of each side, in a condition's conjuncts. */
import { typeToString, type DataType } from '../common/types.js';
import type { BoundExpr } from './bound-expr.js';

/** `l = r` between a column of the left side (of `n` columns) and one of the right: their indexes, left first (the right one's in its side). */
export function crossColumns(c: BoundExpr, n: number): [number, number] | undefined {
  if (!(c.kind === 'Binary' && c.op === '=' && c.left.kind === 'Column' && c.right.kind === 'Column')) return undefined;
  const [a, b] = [c.left.index, c.right.index];
  if (a < n && b >= n) return [a, b - n];
  if (b < n && a >= n) return [b, a - n];
  return undefined;
}

/** Key values of these types are equal exactly when SQL `=` says so (numbers with numbers, else the same type). */
export function sameKeyKind(a: DataType, b: DataType): boolean {
  const numeric = (t: DataType) => t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'DOUBLE' || t.kind === 'FLOAT';
  return typeToString(a) === typeToString(b) || (numeric(a) && numeric(b));
}

/**
 * Splits conjuncts over a joined row (`n` left columns, then the right's) into key pairs, which
 * a hash join compares by value, and the rest, checked per pair.
 */
export function joinKeys(parts: readonly BoundExpr[], n: number): { leftKeys: number[]; rightKeys: number[]; rest: BoundExpr[] } {
  const leftKeys: number[] = [];
  const rightKeys: number[] = [];
  const rest: BoundExpr[] = [];
  for (const c of parts) {
    const cols = crossColumns(c, n);
    const [l, r] = c.kind === 'Binary' ? [c.left, c.right] : [c, c];
    if (cols && sameKeyKind(l.type, r.type)) {
      leftKeys.push(cols[0]);
      rightKeys.push(cols[1]);
    } else {
      rest.push(c);
    }
  }
  return { leftKeys, rightKeys, rest };
}
