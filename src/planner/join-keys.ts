/** The keys of a join: equalities between a column of each side, in a condition's conjuncts. */
import { T, typeToString, type DataType, type Field } from '../common/types.js';
import { commonType } from './functions.js';
import { andAll, columnsOf, remapColumns, type BoundExpr } from './bound-expr.js';
import type { LogicalHashJoin, LogicalPlan } from './logical.js';

/** `l = r` between a column of the left side (of `n` columns) and one of the right: their indexes, left first (the right one's in its side). */
export function crossColumns(c: BoundExpr, n: number): [number, number] | undefined {
  if (!(c.kind === 'Binary' && c.op === '=' && c.left.kind === 'Column' && c.right.kind === 'Column')) return undefined;
  const [a, b] = [c.left.index, c.right.index];
  if (a < n && b >= n) return [a, b - n];
  if (b < n && a >= n) return [b, a - n];
  return undefined;
}

/**
 * Key values of these types are equal exactly when SQL `=` says so (numbers with numbers, else
 * the same type), but for a FLOAT with an exact number (see floatMeetsExact).
 */
export function sameKeyKind(a: DataType, b: DataType): boolean {
  const numeric = (t: DataType) => t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'DOUBLE' || t.kind === 'FLOAT';
  return typeToString(a) === typeToString(b) || (numeric(a) && numeric(b) && !floatMeetsExact(a, b));
}

/**
 * Whether one of `a`, `b` is a FLOAT and the other an integer or a DECIMAL: `=` compares them as
 * FLOATs (the exact side rounded to the nearest FLOAT first, as DuckDB casts it), so as keys the
 * exact side must be cast to FLOAT (see floatKey) for equal values to meet.
 */
export function floatMeetsExact(a: DataType, b: DataType): boolean {
  return (a.kind === 'FLOAT') !== (b.kind === 'FLOAT') && commonType(a, b)?.kind === 'FLOAT';
}

/** `e` as a key that meets a key of type `other`: cast to FLOAT where the two meet as FLOATs (floatMeetsExact). */
export function floatKey(e: BoundExpr, other: DataType): BoundExpr {
  return e.type.kind !== 'FLOAT' && floatMeetsExact(e.type, other) ? { kind: 'Cast', operand: e, type: T.FLOAT } : e;
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

/**
 * A hash join of `left` and `right` on the conjuncts `parts` (over left ++ right): column
 * equalities are its keys as they are; an equality of an expression over the left with one over
 * the right (`a.id = b.id + 1`) becomes a key too, computed into a column appended to each side
 * (then dropped again by a projection over the join, so its output is `fields`), so that pairs
 * are found by key rather than tried one by one; the rest is tested per pair.
 */
export function hashJoinOn(joinType: LogicalHashJoin['joinType'], left: LogicalPlan, right: LogicalPlan, parts: readonly BoundExpr[], fields: readonly Field[]): LogicalPlan {
  const n = left.fields.length;
  const m = right.fields.length;
  const keys = joinKeys(parts, n);
  const lExprs: BoundExpr[] = [];
  const rExprs: BoundExpr[] = [];
  const rest: BoundExpr[] = [];
  for (const c of keys.rest) {
    const sides = c.kind === 'Binary' && c.op === '=' ? ([c.left, c.right] as const) : undefined;
    const at = (e: BoundExpr) => [...columnsOf(e)];
    const onlyLeft = (e: BoundExpr) => at(e).length > 0 && at(e).every((i) => i < n);
    const onlyRight = (e: BoundExpr) => at(e).length > 0 && at(e).every((i) => i >= n);
    const keyed = sides && (sameKeyKind(sides[0].type, sides[1].type) || floatMeetsExact(sides[0].type, sides[1].type));
    if (sides && keyed && ((onlyLeft(sides[0]) && onlyRight(sides[1])) || (onlyRight(sides[0]) && onlyLeft(sides[1])))) {
      const [l, r] = onlyLeft(sides[0]) ? sides : [sides[1], sides[0]];
      lExprs.push(floatKey(l, r.type));
      rExprs.push(remapColumns(floatKey(r, l.type), (i) => i - n));
    } else {
      rest.push(c);
    }
  }
  if (lExprs.length === 0) {
    const residual = andAll(keys.rest);
    return { kind: 'LogicalHashJoin', joinType, left, right, leftKeys: keys.leftKeys, rightKeys: keys.rightKeys, ...(residual ? { residual } : {}), fields };
  }
  const extend = (plan: LogicalPlan, exprs: readonly BoundExpr[]): LogicalPlan => {
    const own = plan.fields.map((f, i): BoundExpr => ({ kind: 'Column', index: i, name: f.name, type: f.type }));
    const added = exprs.map((e, i): Field => ({ name: `\u0000key${i}`, type: e.type, nullable: true }));
    return { kind: 'LogicalProject', input: plan, exprs: [...own, ...exprs], fields: [...plan.fields, ...added], keyless: true };
  };
  const k = lExprs.length;
  const l2 = extend(left, lExprs);
  const r2 = extend(right, rExprs);
  // Over the pair (left, its keys, right, its keys): the right's columns move by the left's keys.
  const shift = (e: BoundExpr) => remapColumns(e, (i) => (i < n ? i : i + k));
  const residual = andAll(rest.map(shift));
  const mark = joinType === 'MARK';
  const joinFields: Field[] = mark ? [...l2.fields, fields[n]!] : [...l2.fields.map((f, i) => (i < n ? fields[i]! : f)), ...r2.fields.map((f, i) => (i < m ? fields[n + i]! : { ...f, nullable: true }))];
  const joined: LogicalPlan = {
    kind: 'LogicalHashJoin',
    joinType,
    left: l2,
    right: r2,
    leftKeys: [...keys.leftKeys, ...lExprs.map((_, i) => n + i)],
    rightKeys: [...keys.rightKeys, ...rExprs.map((_, i) => m + i)],
    ...(residual ? { residual } : {}),
    fields: joinFields,
  };
  const kept = mark ? [...Array.from({ length: n }, (_, i) => i), n + k] : [...Array.from({ length: n }, (_, i) => i), ...Array.from({ length: m }, (_, i) => n + k + i)];
  return { kind: 'LogicalProject', input: joined, exprs: kept.map((i, j): BoundExpr => ({ kind: 'Column', index: i, name: fields[j]!.name, type: fields[j]!.type })), fields, keyless: true };
}
