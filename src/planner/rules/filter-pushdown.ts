/**
 * Filter pushdown: moves conjuncts of a filter below lookup joins, interval joins and model
 * calls when they read only columns from below, so fewer rows are joined and scored; and below
 * TUMBLE and HOP windows, so that `TABLE(TUMBLE(...)) WHERE ... GROUP BY window_start, ...` is
 * still one windowed aggregation (append-only) rather than an updating GROUP BY. SESSION
 * windows keep their filters above: which rows exist decides where sessions split.
 */
import { andAll, columnsOf, conjuncts, factoredConjuncts, rebuild, remapColumns, type BoundExpr } from '../bound-expr.js';
import { assertNever } from '../../common/errors.js';
import { hashJoinOn } from '../join-keys.js';
import { mapLogicalChildren, type LogicalPlan } from '../logical.js';

export function pushDownFilters(plan: LogicalPlan): LogicalPlan {
  if (plan.kind !== 'LogicalFilter') return mapLogicalChildren(plan, pushDownFilters);
  const input = plan.input;
  const parts = factoredConjuncts(plan.predicate);
  const below = (n: number) => (e: BoundExpr) => [...columnsOf(e)].every((i) => i < n);
  switch (input.kind) {
    case 'LogicalFilter':
      return pushDownFilters({ ...plan, input: input.input, predicate: andAll([...conjuncts(input.predicate), ...parts])! });
    case 'LogicalWindow':
    case 'LogicalLookupJoin':
    case 'LogicalPredict': {
      // TUMBLE and HOP assign windows row by row; sessions depend on which rows exist.
      if (input.kind === 'LogicalWindow' && input.fn === 'SESSION') return { ...plan, input: pushDownFilters(input) };
      const n = input.input.fields.length;
      const [down, up] = split(parts, below(n));
      if (down.length === 0) return { ...plan, input: pushDownFilters(input) };
      const pushed: LogicalPlan = { kind: 'LogicalFilter', input: input.input, predicate: andAll(down)!, fields: input.input.fields };
      const rebuilt = pushDownFilters({ ...input, input: pushed });
      return up.length ? { ...plan, input: rebuilt, predicate: andAll(up)! } : rebuilt;
    }
    case 'LogicalIntervalJoin':
      return pushIntoJoin(plan, input, parts, true, true);
    case 'LogicalHashJoin':
      // A filter may go below a join only to a side whose rows the join never pads: on the side
      // an outer join pads, a condition must see the NULLs.
      return pushIntoJoin(plan, input, parts, input.joinType !== 'RIGHT' && input.joinType !== 'FULL', input.joinType === 'INNER' || input.joinType === 'RIGHT');
    // Every input of a union has the union's columns: the filter applies to each.
    case 'LogicalUnion':
      return { ...input, inputs: input.inputs.map((i) => pushDownFilters({ kind: 'LogicalFilter', input: i, predicate: plan.predicate, fields: i.fields })) };
    case 'LogicalProject':
      return pushBelowProject(plan, input, parts);
    // An aggregate's output is not its input's columns; a scan has nothing below.
    case 'LogicalScan':
    case 'LogicalAggregate':
    case 'LogicalUnnest':
    // A window function's value depends on every row of its partition: nothing goes below it.
    case 'LogicalOver':
      return { ...plan, input: pushDownFilters(input) };
    default:
      return assertNever(input, 'plan node');
  }
}

/** Moves the conjuncts over one side's columns below the join, to the sides allowed. */
function pushIntoJoin(plan: Extract<LogicalPlan, { kind: 'LogicalFilter' }>, input: Extract<LogicalPlan, { kind: 'LogicalIntervalJoin' | 'LogicalHashJoin' }>, parts: readonly BoundExpr[], toLeft: boolean, toRight: boolean): LogicalPlan {
  const n = input.left.fields.length;
  const [left, rest] = split(parts, (e) => toLeft && [...columnsOf(e)].every((i) => i < n));
  const [right, up] = split(rest, (e) => toRight && [...columnsOf(e)].every((i) => i >= n));
  const l: LogicalPlan = left.length ? { kind: 'LogicalFilter', input: input.left, predicate: andAll(left)!, fields: input.left.fields } : input.left;
  const r: LogicalPlan = right.length ? { kind: 'LogicalFilter', input: input.right, predicate: remapColumns(andAll(right)!, (i) => i - n), fields: input.right.fields } : input.right;
  let joined: LogicalPlan = { ...input, left: l, right: r };
  let above = up;
  // Over an inner hash join (`FROM a, b WHERE a.k = b.k`) a condition on both sides is the join's:
  // its equalities become keys, so that pairs are found by key rather than tried one by one.
  if (input.kind === 'LogicalHashJoin' && input.joinType === 'INNER') {
    const [both, rest] = split(up, (e) => [...columnsOf(e)].some((i) => i < n) && [...columnsOf(e)].some((i) => i >= n));
    if (both.length) {
      const column = (i: number, side: LogicalPlan, at: number): BoundExpr => ({ kind: 'Column', index: at, name: side.fields[i]!.name, type: side.fields[i]!.type });
      const keyed = input.leftKeys.map((lk, i): BoundExpr => ({ kind: 'Binary', op: '=', left: column(lk, l, lk), right: column(input.rightKeys[i]!, r, n + input.rightKeys[i]!), type: { kind: 'BOOLEAN' } }));
      joined = hashJoinOn('INNER', l, r, [...keyed, ...(input.residual ? conjuncts(input.residual) : []), ...both], input.fields);
      above = rest;
    }
  }
  if (left.length === 0 && right.length === 0 && above === up) return { ...plan, input: pushDownFilters(input) };
  const rebuilt = pushDownFilters(joined);
  return above.length ? { ...plan, input: rebuilt, predicate: andAll(above)! } : rebuilt;
}

/**
 * Moves the conjuncts that read only columns a projection passes through unchanged below it,
 * where they name the input's columns: a filter the planner left above the projection that adds
 * a subquery's key (`WHERE o.k IN (SELECT ...) AND c.k = o.ck`) still reaches the joins below.
 */
function pushBelowProject(plan: Extract<LogicalPlan, { kind: 'LogicalFilter' }>, input: Extract<LogicalPlan, { kind: 'LogicalProject' }>, parts: readonly BoundExpr[]): LogicalPlan {
  const source = (i: number): number | undefined => {
    const e = input.exprs[i];
    return e?.kind === 'Column' ? e.index : undefined;
  };
  const [down, up] = split(parts, (e) => [...columnsOf(e)].every((i) => source(i) !== undefined));
  if (down.length === 0) return { ...plan, input: pushDownFilters(input) };
  const pushed: LogicalPlan = { kind: 'LogicalFilter', input: input.input, predicate: rebuild(andAll(down)!, (x) => (x.kind === 'Column' ? { ...x, index: source(x.index)!, name: input.input.fields[source(x.index)!]!.name } : x)), fields: input.input.fields };
  const rebuilt: LogicalPlan = { ...input, input: pushDownFilters(pushed) };
  return up.length ? { ...plan, input: rebuilt, predicate: andAll(up)! } : rebuilt;
}

function split<T>(xs: readonly T[], p: (x: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const x of xs) (p(x) ? yes : no).push(x);
  return [yes, no];
}
