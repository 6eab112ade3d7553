/**
 * Code generation for SQL's three-valued logic and comparisons: AND/OR, comparisons, IS [NOT]
 * DISTINCT FROM, IN, BETWEEN, LIKE, CASE, COALESCE, NULLIF. Used by compile-expr.ts.
 *
 * Invariants of the generated JavaScript:
 * - an operand is evaluated at most once, and only when the result still depends on it (CASE,
 *   COALESCE, NULLIF, AND, OR, IN and BETWEEN short-circuit), so `COALESCE(a, a / 0)` does not
 *   fail for a non-NULL `a`;
 * - chains (AND/OR over any number of terms, IN lists, CASE branches, COALESCE arguments) become
 *   one flat `||`/`&&` sequence, never nested conditionals, so their length does not add depth
 *   to the generated source (V8 parses flat chains without recursion).
 */
import type { DataType } from '../common/types.js';
import type { BoundExpr } from '../planner/bound-expr.js';
import { commonType } from '../planner/functions.js';
import { widenCode } from './integers.js';
import { compareStrings, compareValues } from './sql-values.js';
import { likeMatcher } from './like.js';

/** What the logic generators need from the expression compiler. */
export interface CodeGen {
  /** JS expression for a bound expression (its value or null). */
  expr(e: BoundExpr): string;
  /** A fresh temporary variable, unique within the compiled kernel. */
  temp(): string;
  /** A reference to a constant held outside the generated source. */
  konst(v: unknown): string;
  /** `code` (a value of type `from`, or null) in the representation of `to` (INT -> BIGINT is a bigint). */
  widenNullable(code: string, from: DataType, to: DataType): string;
}

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

type CompareClass = 'string' | 'float' | 'plain' | 'deep';

function compareClass(a: DataType, b: DataType): CompareClass {
  const kinds = [a.kind, b.kind];
  if (kinds.includes('STRING')) return 'string';
  if (kinds.includes('FLOAT') || kinds.includes('DOUBLE')) return 'float';
  if (kinds.every((k) => k === 'INT' || k === 'BIGINT' || k === 'TIMESTAMP' || k === 'DATE' || k === 'TIME' || k === 'INTERVAL' || k === 'BOOLEAN' || k === 'NULL')) return 'plain';
  return 'deep';
}

/**
 * JS for `a op b` where `a` and `b` are temporaries holding non-null values of types `ta`, `tb`.
 * Both are first widened to their common type (BIGINT with DOUBLE compares as DOUBLE, DuckDB).
 */
export function compareCode(op: CompareOp, ra: string, rb: string, ta: DataType, tb: DataType, g: CodeGen): string {
  const common = commonType(ta, tb) ?? ta;
  const a = widenCode(ra, ta, common);
  const b = widenCode(rb, tb, common);
  switch (compareClass(ta, tb)) {
    case 'plain':
      return `(${a} ${op === '=' ? '==' : op === '<>' ? '!=' : op} ${b})`;
    case 'string':
      if (op === '=') return `(${a} === ${b})`;
      if (op === '<>') return `(${a} !== ${b})`;
      return `(${g.konst(compareStrings)}(${a}, ${b}) ${op} 0)`;
    case 'float':
      return floatCompare(op, a, b);
    case 'deep':
      return `(${g.konst(compareValues)}(${a}, ${b}) ${op === '=' ? '===' : op === '<>' ? '!==' : op} 0)`;
  }
}

/** Float comparison where NaN = NaN and NaN sorts above every number (DuckDB). */
function floatCompare(op: CompareOp, a: string, b: string): string {
  switch (op) {
    case '=':
      return `(${a} == ${b} || (${a} !== ${a} && ${b} !== ${b}))`;
    case '<>':
      return `!(${a} == ${b} || (${a} !== ${a} && ${b} !== ${b}))`;
    case '<':
      return `(${a} < ${b} || (${b} !== ${b} && ${a} === ${a}))`;
    case '<=':
      return `(${a} <= ${b} || ${b} !== ${b})`;
    case '>':
      return `(${a} > ${b} || (${a} !== ${a} && ${b} === ${b}))`;
    case '>=':
      return `(${a} >= ${b} || ${a} !== ${a})`;
  }
}

/** `l op r` with NULL in, NULL out. */
export function comparisonCode(op: CompareOp, l: BoundExpr, r: BoundExpr, g: CodeGen): string {
  const [a, b] = [g.temp(), g.temp()];
  return `((${a} = ${g.expr(l)}) === null || (${b} = ${g.expr(r)}) === null ? null : ${compareCode(op, a, b, l.type, r.type, g)})`;
}

/** `l IS [NOT] DISTINCT FROM r`: never NULL; two NULLs are not distinct. */
export function distinctCode(negated: boolean, l: BoundExpr, r: BoundExpr, g: CodeGen): string {
  const [a, b] = [g.temp(), g.temp()];
  const distinct = `((${a} = ${g.expr(l)}) === null | (${b} = ${g.expr(r)}) === null ? ${a} !== ${b} : !${compareCode('=', a, b, l.type, r.type, g)})`;
  return negated ? `!${distinct}` : distinct;
}

/** The terms of a chain of one operator, left to right (iterative: chains can be long). */
export function chainTerms(e: BoundExpr, op: 'AND' | 'OR'): BoundExpr[] {
  const out: BoundExpr[] = [];
  const stack: BoundExpr[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.kind === 'Binary' && x.op === op) stack.push(x.right, x.left);
    else out.push(x);
  }
  return out;
}

/**
 * AND/OR over all terms of the chain rooted at `e`: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE,
 * otherwise a NULL term makes the result NULL. Stops at the first deciding term.
 */
export function logicCode(op: 'AND' | 'OR', e: BoundExpr, g: CodeGen): string {
  const [s, t] = [g.temp(), g.temp()];
  const terms = chainTerms(e, op).map((x) =>
    op === 'AND'
      ? `((${t} = ${g.expr(x)}) === false ? false : (${t} === null && (${s} = null), true))`
      : `((${t} = ${g.expr(x)}) === true ? true : (${t} === null && (${s} = null), false))`,
  );
  return op === 'AND' ? `(${s} = true, (${terms.join(' && ')}) ? ${s} : false)` : `(${s} = false, (${terms.join(' || ')}) ? true : ${s})`;
}

const SET_KINDS = new Set<DataType['kind']>(['INT', 'FLOAT', 'DOUBLE', 'STRING', 'BOOLEAN']);

/**
 * `x [NOT] IN (list)`: TRUE when an item equals x; otherwise NULL when x or an item is NULL;
 * otherwise FALSE. NOT IN negates that (NULL stays NULL): `5 NOT IN (1, NULL)` is NULL.
 */
export function inCode(e: Extract<BoundExpr, { kind: 'In' }>, g: CodeGen): string {
  const a = g.temp();
  const [yes, no] = e.negated ? ['false', 'true'] : ['true', 'false'];
  const literals = e.list.every((x) => x.kind === 'Literal');
  if (literals && SET_KINDS.has(e.operand.type.kind) && e.list.every((x) => x.value === null || compareClass(x.type, e.operand.type) === compareClass(e.operand.type, e.operand.type))) {
    // The operand is not BIGINT here, so its values are numbers: a bigint literal compares as one.
    // An item that meets a FLOAT operand as a FLOAT (an exact number, see commonType) is that FLOAT.
    const float = (x: BoundExpr) => e.operand.type.kind === 'FLOAT' && commonType(e.operand.type, x.type)?.kind === 'FLOAT';
    const values = e.list.map((x) => {
      const v = (x as { value: unknown }).value;
      const n = typeof v === 'bigint' ? Number(v) : v;
      return float(x) && typeof n === 'number' ? Math.fround(n) : n;
    });
    const set = g.konst(new Set(values.filter((v) => v !== null)));
    const miss = values.includes(null) ? 'null' : no;
    // Set.has uses SameValueZero: NaN finds NaN and -0 finds 0, as SQL `=` does here.
    return `((${a} = ${g.expr(e.operand)}) === null ? null : ${set}.has(${a}) ? ${yes} : ${miss})`;
  }
  const [s, t] = [g.temp(), g.temp()];
  const terms = e.list.map((x) => `((${t} = ${g.expr(x)}) === null ? (${s} = null, false) : ${compareCode('=', a, t, e.operand.type, x.type, g)})`);
  return `((${a} = ${g.expr(e.operand)}) === null ? null : (${s} = false, (${terms.join(' || ')}) ? ${yes} : ${s} === null ? null : ${no}))`;
}

/** `x [NOT] BETWEEN lo AND hi` as `x >= lo AND x <= hi` (three-valued), negated for NOT. */
export function betweenCode(e: Extract<BoundExpr, { kind: 'Between' }>, g: CodeGen): string {
  const [x, lo, hi, l, u] = [g.temp(), g.temp(), g.temp(), g.temp(), g.temp()];
  const [yes, no] = e.negated ? ['false', 'true'] : ['true', 'false'];
  const lower = `((${lo} = ${g.expr(e.low)}) === null ? null : ${compareCode('>=', x, lo, e.operand.type, e.low.type, g)})`;
  const upper = `((${hi} = ${g.expr(e.high)}) === null ? null : ${compareCode('<=', x, hi, e.operand.type, e.high.type, g)})`;
  return `((${x} = ${g.expr(e.operand)}) === null ? null : (${l} = ${lower}) === false || (${u} = ${upper}) === false ? ${no} : ${l} === null || ${u} === null ? null : ${yes})`;
}

/** `s [NOT] LIKE|ILIKE p [ESCAPE c]`; NULL when any of them is NULL. */
export function likeCode(e: Extract<BoundExpr, { kind: 'Like' }>, g: CodeGen): string {
  const not = e.negated ? '!' : '';
  const constant = (x: BoundExpr | undefined): x is Extract<BoundExpr, { kind: 'Literal' }> => x === undefined || (x.kind === 'Literal' && typeof x.value === 'string');
  const s = g.temp();
  const subject = `(${s} = ${g.expr(e.operand)}) === null`;
  if (constant(e.pattern) && constant(e.escape)) {
    const re = g.konst(likeMatcher(e.pattern.value as string, e.escape?.value as string | undefined, e.caseInsensitive));
    return `(${subject} ? null : ${not}${re}.test(${s}))`;
  }
  const [p, c] = [g.temp(), g.temp()];
  const escape = e.escape ? `(${c} = ${g.expr(e.escape)}) === null` : `(${c} = undefined, false)`;
  return `(${subject} || (${p} = ${g.expr(e.pattern)}) === null || ${escape} ? null : ${not}${g.konst(likeMatcher)}(${p}, ${c}, ${e.caseInsensitive}).test(${s}))`;
}

/**
 * CASE: the first WHEN that is TRUE (searched) or equal to the operand (simple; a NULL operand
 * matches nothing) gives the result; no match gives ELSE or NULL. Only the chosen branch runs.
 */
export function caseCode(e: Extract<BoundExpr, { kind: 'Case' }>, g: CodeGen): string {
  const r = g.temp();
  const o = e.operand ? g.temp() : undefined;
  const w = g.temp();
  const branch = (x: BoundExpr): string => g.widenNullable(g.expr(x), x.type, e.type);
  const terms = e.whens.map(({ when, then }) => {
    const cond = e.operand && o
      ? `(${o} !== null && (${w} = ${g.expr(when)}) !== null && ${compareCode('=', o, w, e.operand.type, when.type, g)})`
      : `(${g.expr(when)}) === true`;
    return `(${cond} && ((${r} = ${branch(then)}), true))`;
  });
  terms.push(`((${r} = ${e.else ? branch(e.else) : 'null'}), true)`);
  return `(${e.operand && o ? `(${o} = ${g.expr(e.operand)}), ` : ''}(${terms.join(' || ')}), ${r})`;
}

/** COALESCE: the first non-NULL argument (in the result type), evaluating no argument after it. */
export function coalesceCode(args: readonly BoundExpr[], type: DataType, g: CodeGen): string {
  const t = g.temp();
  return `(${args.map((a) => `(${t} = ${g.widenNullable(g.expr(a), a.type, type)}) !== null`).join(' || ')}, ${t})`;
}

/** NULLIF(a, b): NULL when a = b, else a. */
export function nullifCode(a: BoundExpr, b: BoundExpr, g: CodeGen): string {
  const [x, y] = [g.temp(), g.temp()];
  return `((${x} = ${g.expr(a)}) === null ? null : (${y} = ${g.expr(b)}) === null ? ${x} : ${compareCode('=', x, y, a.type, b.type, g)} ? null : ${x})`;
}
