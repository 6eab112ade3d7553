/**
 * Projection pruning: every node keeps only the columns something above it reads, so sources
 * decode and operators carry fewer columns.
 */
import { assertNever } from '../../common/errors.js';
import { columnsOf, remapColumns, type BoundExpr } from '../bound-expr.js';
import type { LogicalPlan } from '../logical.js';

interface Pruned {
  readonly plan: LogicalPlan;
  /** Old output index -> new output index, for the columns kept. */
  readonly map: ReadonlyMap<number, number>;
}

export function pruneColumns(plan: LogicalPlan): LogicalPlan {
  return prune(plan, new Set(plan.fields.map((_, i) => i))).plan;
}

function identity(n: number): Map<number, number> {
  return new Map(Array.from({ length: n }, (_, i) => [i, i]));
}

function sorted(s: Iterable<number>): number[] {
  return [...new Set(s)].sort((a, b) => a - b);
}

function remap(e: BoundExpr, map: ReadonlyMap<number, number>): BoundExpr {
  return remapColumns(e, (i) => map.get(i) ?? -1);
}

function prune(plan: LogicalPlan, required: ReadonlySet<number>): Pruned {
  switch (plan.kind) {
    case 'LogicalScan': {
      const keep = sorted([...required, ...(plan.watermark ? [plan.watermark.column] : [])]);
      const map = new Map(keep.map((old, i) => [old, i]));
      return {
        plan: {
          ...plan,
          columns: keep.map((i) => plan.columns[i]!),
          fields: keep.map((i) => plan.fields[i]!),
          ...(plan.watermark ? { watermark: { ...plan.watermark, column: map.get(plan.watermark.column)! } } : {}),
        },
        map,
      };
    }
    case 'LogicalFilter': {
      const child = prune(plan.input, new Set([...required, ...columnsOf(plan.predicate)]));
      return { plan: { ...plan, input: child.plan, predicate: remap(plan.predicate, child.map), fields: child.plan.fields }, map: child.map };
    }
    case 'LogicalProject': {
      // A computed column nothing above reads is not computed: it becomes a NULL of its type, so
      // that the columns keep their places (operators above, and their state ids, see them
      // unchanged) and a value that would fail (CAST('x' AS INT)) cannot send the row to the dead
      // letters for a column the result does not have (DuckDB and PostgreSQL never evaluate it).
      // A column passed through as it is stays: it costs nothing and may carry the rows' key
      // (unless the projection says its columns carry none).
      const exprs = plan.exprs.map((e, i): BoundExpr => (required.has(i) || e.kind === 'Literal' || (e.kind === 'Column' && !plan.keyless) ? e : { kind: 'Literal', value: null, type: e.type }));
      const need = new Set<number>();
      for (const e of exprs) columnsOf(e, need);
      const child = prune(plan.input, need);
      return { plan: { ...plan, input: child.plan, exprs: exprs.map((e) => remap(e, child.map)) }, map: identity(plan.fields.length) };
    }
    case 'LogicalLookupJoin': {
      const n = plan.input.fields.length;
      const need = new Set([...required].filter((i) => i < n));
      for (const k of plan.keys) columnsOf(k, need);
      const child = prune(plan.input, need);
      const tableKeep = sorted([...required].filter((i) => i >= n)).map((i) => i - n);
      const m = child.plan.fields.length;
      const map = new Map(child.map);
      tableKeep.forEach((t, j) => map.set(n + t, m + j));
      return {
        plan: {
          ...plan,
          input: child.plan,
          keys: plan.keys.map((k) => remap(k, child.map)),
          tableColumns: tableKeep.map((t) => plan.tableColumns[t]!),
          fields: [...child.plan.fields, ...tableKeep.map((t) => plan.fields[n + t]!)],
        },
        map,
      };
    }
    case 'LogicalUnnest': {
      // The input keeps what is read above and what the arrays read; the elements stay.
      const n = plan.input.fields.length;
      const need = new Set([...required].filter((i) => i < n));
      for (const a of plan.arrays) columnsOf(a, need);
      const child = prune(plan.input, need);
      const m = child.plan.fields.length;
      const map = new Map(child.map);
      plan.arrays.forEach((_, a) => map.set(n + a, m + a));
      return {
        plan: { ...plan, input: child.plan, arrays: plan.arrays.map((a) => remap(a, child.map)), fields: [...child.plan.fields, ...plan.fields.slice(n)] },
        map,
      };
    }
    case 'LogicalPredict': {
      const n = plan.fields.length - 3;
      const passed = sorted([...required].filter((i) => i < n));
      const need = new Set(passed.map((i) => plan.keep[i]!));
      for (const a of plan.args) columnsOf(a, need);
      for (const c of Object.values(plan.rowInfo)) need.add(c);
      const child = prune(plan.input, need);
      const map = new Map<number, number>();
      passed.forEach((old, j) => map.set(old, j));
      map.set(n, passed.length);
      map.set(n + 1, passed.length + 1);
      map.set(n + 2, passed.length + 2);
      return {
        plan: {
          ...plan,
          input: child.plan,
          keep: passed.map((i) => child.map.get(plan.keep[i]!)!),
          args: plan.args.map((a) => remap(a, child.map)),
          rowInfo: Object.fromEntries(Object.entries(plan.rowInfo).map(([k, c]) => [k, child.map.get(c)!])),
          fields: [...passed.map((i) => plan.fields[i]!), plan.fields[n]!, plan.fields[n + 1]!, plan.fields[n + 2]!],
        },
        map,
      };
    }
    case 'LogicalWindow': {
      const n = plan.input.fields.length;
      const child = prune(plan.input, new Set([...[...required].filter((i) => i < n), plan.timeColumn]));
      const m = child.plan.fields.length;
      const map = new Map(child.map);
      map.set(n, m);
      map.set(n + 1, m + 1);
      return {
        plan: { ...plan, input: child.plan, timeColumn: child.map.get(plan.timeColumn)!, fields: [...child.plan.fields, plan.fields[n]!, plan.fields[n + 1]!] },
        map,
      };
    }
    case 'LogicalAggregate': {
      const need = new Set<number>();
      for (const g of plan.groupBy) columnsOf(g, need);
      for (const a of plan.aggregates) for (const x of a.args) columnsOf(x, need);
      const child = prune(plan.input, need);
      return {
        plan: {
          ...plan,
          input: child.plan,
          groupBy: plan.groupBy.map((g) => remap(g, child.map)),
          aggregates: plan.aggregates.map((a) => ({ ...a, args: a.args.map((x) => remap(x, child.map)) })),
        },
        map: identity(plan.fields.length),
      };
    }
    case 'LogicalIntervalJoin': {
      const { left, right, map, rebuilt } = pruneJoin(plan, required, [plan.leftTime], [plan.rightTime]);
      return { plan: { ...rebuilt, leftTime: left.map.get(plan.leftTime)!, rightTime: right.map.get(plan.rightTime)! }, map };
    }
    case 'LogicalHashJoin':
      return plan.joinType === 'MARK' ? pruneMarkJoin(plan, required) : pruneJoin(plan, required, [], []).pruned;
    case 'LogicalOver': {
      // The windows' inputs and outputs are columns in place: the input keeps them all.
      const all = new Set(plan.input.fields.map((_, i) => i));
      return { plan: { ...plan, input: prune(plan.input, all).plan }, map: identity(plan.fields.length) };
    }
    case 'LogicalUnion': {
      // Every input keeps all its columns, so that they stay in the same places in each: below
      // each input, what it does not read itself is still pruned.
      const all = new Set(plan.fields.map((_, i) => i));
      return { plan: { ...plan, inputs: plan.inputs.map((i) => prune(i, all).plan) }, map: identity(plan.fields.length) };
    }
    default:
      return assertNever(plan, 'plan node');
  }
}

/**
 * A join keeps the columns read above it, its keys and residual's, and `leftMore`/`rightMore`
 * (input column indexes) of each side: `rebuilt` has the sides pruned and the keys and residual
 * remapped; `pruned` is it with the map of the join's output.
 */
function pruneJoin<J extends Extract<LogicalPlan, { kind: 'LogicalIntervalJoin' | 'LogicalHashJoin' }>>(plan: J, required: ReadonlySet<number>, leftMore: readonly number[], rightMore: readonly number[]) {
  const n = plan.left.fields.length;
  const all = new Set([...required, ...(plan.residual ? columnsOf(plan.residual) : [])]);
  const left = prune(plan.left, new Set([...[...all].filter((i) => i < n), ...plan.leftKeys, ...leftMore]));
  const right = prune(plan.right, new Set([...[...all].filter((i) => i >= n).map((i) => i - n), ...plan.rightKeys, ...rightMore]));
  const m = left.plan.fields.length;
  const map = new Map(left.map);
  for (const [o, nw] of right.map) map.set(n + o, m + nw);
  const rebuilt: J = {
    ...plan,
    left: left.plan,
    right: right.plan,
    leftKeys: plan.leftKeys.map((k) => left.map.get(k)!),
    rightKeys: plan.rightKeys.map((k) => right.map.get(k)!),
    ...(plan.residual ? { residual: remap(plan.residual, map) } : {}),
    fields: [...left.plan.fields, ...right.plan.fields],
  };
  return { left, right, map, rebuilt, pruned: { plan: rebuilt, map } satisfies Pruned };
}

/**
 * A MARK join outputs the left side and the mark (after it); the right keeps its keys and the
 * columns the residual reads, which is over the pair (left ++ right).
 */
function pruneMarkJoin(plan: Extract<LogicalPlan, { kind: 'LogicalHashJoin' }>, required: ReadonlySet<number>): Pruned {
  const n = plan.left.fields.length;
  const pairCols = plan.residual ? columnsOf(plan.residual) : new Set<number>();
  const left = prune(plan.left, new Set([...[...required, ...pairCols].filter((i) => i < n), ...plan.leftKeys]));
  const right = prune(plan.right, new Set([...[...pairCols].filter((i) => i >= n).map((i) => i - n), ...plan.rightKeys]));
  const m = left.plan.fields.length;
  const pairMap = new Map(left.map);
  for (const [o, nw] of right.map) pairMap.set(n + o, m + nw);
  const map = new Map(left.map);
  map.set(n, m);
  return {
    plan: {
      ...plan,
      left: left.plan,
      right: right.plan,
      leftKeys: plan.leftKeys.map((k) => left.map.get(k)!),
      rightKeys: plan.rightKeys.map((k) => right.map.get(k)!),
      ...(plan.residual ? { residual: remap(plan.residual, pairMap) } : {}),
      fields: [...left.plan.fields, plan.fields[n]!],
    },
    map,
  };
}
