/**
 * Bound expressions: names resolved to input column indexes, every node typed. This is what the
 * executor compiles. Plain data; no AST nodes inside, only spans for errors.
 */
import type { Span } from '../common/span.js';
import { typeToString, type DataType } from '../common/types.js';
import type { BinaryOp } from '../parser/ast.js';

export type BoundExpr =
  | { readonly kind: 'Column'; readonly index: number; readonly name: string; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Literal'; readonly value: unknown; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Binary'; readonly op: BinaryOp; readonly left: BoundExpr; readonly right: BoundExpr; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Unary'; readonly op: '-' | 'NOT'; readonly operand: BoundExpr; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'IsNull'; readonly operand: BoundExpr; readonly negated: boolean; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'In'; readonly operand: BoundExpr; readonly list: readonly BoundExpr[]; readonly negated: boolean; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Between'; readonly operand: BoundExpr; readonly low: BoundExpr; readonly high: BoundExpr; readonly negated: boolean; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Like'; readonly operand: BoundExpr; readonly pattern: BoundExpr; readonly escape?: BoundExpr; readonly caseInsensitive: boolean; readonly negated: boolean; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Case'; readonly operand?: BoundExpr; readonly whens: readonly { readonly when: BoundExpr; readonly then: BoundExpr }[]; readonly else?: BoundExpr; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Cast'; readonly operand: BoundExpr; readonly type: DataType; readonly try?: boolean; readonly span?: Span }
  | { readonly kind: 'Call'; readonly fn: string; readonly args: readonly BoundExpr[]; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Udf'; readonly name: string; readonly args: readonly BoundExpr[]; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'FieldAccess'; readonly operand: BoundExpr; readonly field: string; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Index'; readonly operand: BoundExpr; readonly index: BoundExpr; readonly type: DataType; readonly span?: Span }
  | { readonly kind: 'Array'; readonly elements: readonly BoundExpr[]; readonly type: DataType; readonly span?: Span }
  | ListLambda
  | { readonly kind: 'LambdaVar'; readonly id: string; readonly name: string; readonly type: DataType; readonly span?: Span };

/**
 * LIST_TRANSFORM(list, x -> body), LIST_FILTER(list, x -> cond), LIST_REDUCE(list, (acc, x) ->
 * body [, initial]): `body` reads the parameters as LambdaVars (an optional last one is the
 * element's 1-based index) and the row's columns as any expression does.
 */
export interface ListLambda {
  readonly kind: 'ListLambda';
  readonly fn: 'transform' | 'filter' | 'reduce';
  readonly list: BoundExpr;
  readonly params: readonly { readonly id: string; readonly name: string }[];
  readonly body: BoundExpr;
  readonly initial?: BoundExpr;
  readonly type: DataType;
  readonly span?: Span;
}

/** Column indexes an expression reads. */
export function columnsOf(e: BoundExpr, out: Set<number> = new Set()): Set<number> {
  visit(e, (x) => {
    if (x.kind === 'Column') out.add(x.index);
  });
  return out;
}

/** Calls `f` on every node, parents first. */
export function visit(e: BoundExpr, f: (e: BoundExpr) => void): void {
  f(e);
  for (const c of children(e)) visit(c, f);
}

export function children(e: BoundExpr): BoundExpr[] {
  switch (e.kind) {
    case 'Column':
    case 'Literal':
    case 'LambdaVar':
      return [];
    case 'ListLambda':
      return [e.list, e.body, ...(e.initial ? [e.initial] : [])];
    case 'Binary':
      return [e.left, e.right];
    case 'Unary':
    case 'IsNull':
    case 'Cast':
    case 'FieldAccess':
      return [e.operand];
    case 'In':
      return [e.operand, ...e.list];
    case 'Between':
      return [e.operand, e.low, e.high];
    case 'Like':
      return [e.operand, e.pattern, ...(e.escape ? [e.escape] : [])];
    case 'Case':
      return [...(e.operand ? [e.operand] : []), ...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else ? [e.else] : [])];
    case 'Call':
    case 'Udf':
      return [...e.args];
    case 'Index':
      return [e.operand, e.index];
    case 'Array':
      return [...e.elements];
  }
}

/** Rewrites column indexes through `map` (old index -> new index). */
export function remapColumns(e: BoundExpr, map: (index: number) => number): BoundExpr {
  return rebuild(e, (x) => (x.kind === 'Column' ? { ...x, index: map(x.index) } : x));
}

/** Bottom-up rebuild: children first, then `f` on the node with its new children. */
export function rebuild(e: BoundExpr, f: (e: BoundExpr) => BoundExpr): BoundExpr {
  return f(mapChildren(e, (c) => rebuild(c, f)));
}

/** The node with `f` applied to each direct child. */
export function mapChildren(e: BoundExpr, r: (e: BoundExpr) => BoundExpr): BoundExpr {
  switch (e.kind) {
    case 'Column':
    case 'Literal':
    case 'LambdaVar':
      return e;
    case 'ListLambda':
      return { ...e, list: r(e.list), body: r(e.body), ...(e.initial ? { initial: r(e.initial) } : {}) };
    case 'Binary':
      return { ...e, left: r(e.left), right: r(e.right) };
    case 'Unary':
    case 'IsNull':
    case 'Cast':
    case 'FieldAccess':
      return { ...e, operand: r(e.operand) } as BoundExpr;
    case 'In':
      return { ...e, operand: r(e.operand), list: e.list.map(r) };
    case 'Between':
      return { ...e, operand: r(e.operand), low: r(e.low), high: r(e.high) };
    case 'Like':
      return { ...e, operand: r(e.operand), pattern: r(e.pattern), ...(e.escape ? { escape: r(e.escape) } : {}) };
    case 'Case':
      return {
        ...e,
        ...(e.operand ? { operand: r(e.operand) } : {}),
        whens: e.whens.map((w) => ({ when: r(w.when), then: r(w.then) })),
        ...(e.else ? { else: r(e.else) } : {}),
      };
    case 'Call':
    case 'Udf':
      return { ...e, args: e.args.map(r) } as BoundExpr;
    case 'Index':
      return { ...e, operand: r(e.operand), index: r(e.index) };
    case 'Array':
      return { ...e, elements: e.elements.map(r) };
  }
}

/** A structural key for comparing expressions (ignores spans and names of columns). */
export function exprKey(e: BoundExpr): string {
  const bare = rebuild(e, (x) => (x.kind === 'Column' ? { kind: 'Column', index: x.index, name: '', type: x.type } : x));
  return JSON.stringify(bare, (k, v: unknown) => (k === 'span' ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}

/** Splits a predicate into its AND-ed conjuncts. */
export function conjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'Binary' && e.op === 'AND' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/**
 * The conjuncts of `e` with what every branch of an OR shares taken out of it:
 * `(a AND b) OR (a AND c)` is `a` and `b OR c` (AND distributes over OR in SQL's three-valued
 * logic too), so that `a`, a join's equality, can key the join or go below it.
 */
export function factoredConjuncts(e: BoundExpr): BoundExpr[] {
  return conjuncts(e).flatMap((c) => {
    const branches = disjuncts(c);
    if (branches.length < 2) return [c];
    const parts = branches.map(conjuncts);
    const keys = parts.map((ps) => new Set(ps.map(exprKey)));
    const common = parts[0]!.filter((x, i) => parts[0]!.findIndex((y) => exprKey(y) === exprKey(x)) === i && keys.every((k) => k.has(exprKey(x))));
    if (common.length === 0) return [c];
    const shared = new Set(common.map(exprKey));
    const rests = parts.map((ps) => ps.filter((x) => !shared.has(exprKey(x))));
    // A branch that is all shared parts is true once they hold: so is the OR.
    if (rests.some((r) => r.length === 0)) return common;
    const or = rests.map((r) => andAll(r)!).reduce((l, r): BoundExpr => ({ kind: 'Binary', op: 'OR', left: l, right: r, type: { kind: 'BOOLEAN' } }));
    return [...common, or];
  });
}

function disjuncts(e: BoundExpr): BoundExpr[] {
  return e.kind === 'Binary' && e.op === 'OR' ? [...disjuncts(e.left), ...disjuncts(e.right)] : [e];
}

/**
 * The conjunction of `parts`, as a balanced tree: its depth grows with the logarithm of the
 * number of parts, so a long chain cannot exhaust the stack of recursive passes.
 */
export function andAll(parts: readonly BoundExpr[]): BoundExpr | undefined {
  if (parts.length === 0) return undefined;
  return balanced(parts, 0, parts.length);
}

function balanced(parts: readonly BoundExpr[], from: number, to: number): BoundExpr {
  if (to - from === 1) return parts[from]!;
  const mid = from + Math.ceil((to - from) / 2);
  return { kind: 'Binary', op: 'AND', left: balanced(parts, from, mid), right: balanced(parts, mid, to), type: { kind: 'BOOLEAN' } };
}

/** SQL-ish text of an expression, for EXPLAIN and default column names. */
export function exprToString(e: BoundExpr): string {
  switch (e.kind) {
    case 'Column':
      // A column the planner added for its own use has a name no SQL can spell (it starts with
      // U+0000); shown with # for it, as EXPLAIN shows it.
      return e.name.replaceAll('\u0000', '#');
    case 'Literal':
      return e.value === null ? 'NULL' : typeof e.value === 'string' ? `'${e.value.replace(/'/g, "''")}'` : String(e.value);
    case 'Binary':
      return `${wrap(e.left)} ${e.op} ${wrap(e.right)}`;
    case 'Unary':
      return e.op === 'NOT' ? `NOT ${wrap(e.operand)}` : `-${wrap(e.operand)}`;
    case 'IsNull':
      return `${wrap(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL`;
    case 'In':
      return `${wrap(e.operand)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(exprToString).join(', ')})`;
    case 'Between':
      return `${wrap(e.operand)} ${e.negated ? 'NOT ' : ''}BETWEEN ${wrap(e.low)} AND ${wrap(e.high)}`;
    case 'Like':
      return `${wrap(e.operand)} ${e.negated ? 'NOT ' : ''}${e.caseInsensitive ? 'ILIKE' : 'LIKE'} ${wrap(e.pattern)}${e.escape ? ` ESCAPE ${wrap(e.escape)}` : ''}`;
    case 'Case':
      return `CASE${e.operand ? ' ' + exprToString(e.operand) : ''}${e.whens
        .map((w) => ` WHEN ${exprToString(w.when)} THEN ${exprToString(w.then)}`)
        .join('')}${e.else ? ' ELSE ' + exprToString(e.else) : ''} END`;
    case 'Cast':
      return `${e.try ? 'TRY_CAST' : 'CAST'}(${exprToString(e.operand)} AS ${typeToString(e.type)})`;
    case 'Call':
    case 'Udf':
      return `${e.kind === 'Call' ? e.fn : e.name}(${e.args.map(exprToString).join(', ')})`;
    case 'FieldAccess':
      return `${wrap(e.operand)}.${e.field}`;
    case 'Index':
      return `${wrap(e.operand)}[${exprToString(e.index)}]`;
    case 'Array':
      return `ARRAY[${e.elements.map(exprToString).join(', ')}]`;
    case 'LambdaVar':
      return e.name;
    case 'ListLambda': {
      const params = e.params.length === 1 ? e.params[0]!.name : `(${e.params.map((p) => p.name).join(', ')})`;
      return `list_${e.fn}(${exprToString(e.list)}, ${params} -> ${exprToString(e.body)}${e.initial ? `, ${exprToString(e.initial)}` : ''})`;
    }
  }
}

function wrap(e: BoundExpr): string {
  const s = exprToString(e);
  return e.kind === 'Binary' || e.kind === 'Between' || e.kind === 'Like' ? `(${s})` : s;
}

