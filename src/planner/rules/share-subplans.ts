/**
 * Sub-plan sharing: when a query computes the same stateful sub-plan more than once (Nexmark q5
 * counts the bids per auction and window on both sides of its join, once to keep the counts and
 * once to find their maximum), the pipeline builds that sub-plan once and hands its output to
 * every place that uses it (Flink's sub-plan reuse). Each copy would have read the same rows and
 * kept the same state, so the output is unchanged and the work and the state are halved.
 *
 * Two sub-plans are the same when their nodes are, inputs included, leaving out source spans. Only sub-plans that keep state are
 * shared (a filter or projection over a scan costs less than handing its batches on), never one
 * that holds an exchange (the stages of a scale-out query are cut there) or a predict() (a
 * model call may log each prediction it makes).
 *
 * The plan is not rewritten: the pipeline, the state ids and EXPLAIN each ask `reusedSubplans`
 * which nodes are shared, in the order they build the plan (root first, inputs in order).
 */
import { physicalInputs, type PhysicalPlan } from '../physical.js';

/** A shared sub-plan: the node built (`first`), or a later use of it that is not built again. */
export interface SubplanUse {
  /** Numbers the shared sub-plans of a query from 1, in build order. */
  readonly id: number;
  readonly first: boolean;
}

const KEEPS_STATE: ReadonlySet<PhysicalPlan['kind']> = new Set(['GroupAggregateExec', 'WindowAggregateExec', 'IntervalJoinExec', 'HashJoinExec', 'OverExec']);
const NEVER_SHARED: ReadonlySet<PhysicalPlan['kind']> = new Set(['ExchangeExec', 'PredictExec']);

/** The shared sub-plans of `plan`, by node; a node not in the map is built where it is. */
export function reusedSubplans(plan: PhysicalPlan): ReadonlyMap<PhysicalPlan, SubplanUse> {
  const keys = new SubplanKeys();
  const uses = new Map<PhysicalPlan, SubplanUse>();
  // Greedy from the root, so the largest shared sub-plans are found first. A later use is not
  // built, so what lies under it no longer counts: each round counts what is still built.
  for (;;) {
    const built: PhysicalPlan[] = [];
    const visit = (p: PhysicalPlan): void => {
      if (uses.get(p)?.first === false) return;
      built.push(p);
      physicalInputs(p).forEach(visit);
    };
    visit(plan);
    const count = new Map<number, number>();
    for (const p of built) if (!uses.has(p) && keys.shareable(p)) count.set(keys.of(p), (count.get(keys.of(p)) ?? 0) + 1);
    const first = built.find((p) => (count.get(keys.of(p)) ?? 0) >= 2 && !uses.has(p));
    if (first === undefined) return uses;
    const key = keys.of(first);
    const id = new Set([...uses.values()].map((u) => u.id)).size + 1;
    for (const p of built) if (!uses.has(p) && keys.of(p) === key) uses.set(p, { id, first: p === first });
  }
}

/** Numbers each distinct sub-plan: equal numbers, equal sub-plans. */
class SubplanKeys {
  private readonly numbers = new Map<string, number>();
  private readonly byNode = new Map<PhysicalPlan, number>();

  of(p: PhysicalPlan): number {
    let n = this.byNode.get(p);
    if (n !== undefined) return n;
    const text = `${ownText(p)}(${physicalInputs(p).map((c) => this.of(c)).join(',')})`;
    n = this.numbers.get(text);
    if (n === undefined) {
      n = this.numbers.size + 1;
      this.numbers.set(text, n);
    }
    this.byNode.set(p, n);
    return n;
  }

  /** Whether the sub-plan under `p` keeps state and holds no scan alone, exchange or model call. */
  shareable(p: PhysicalPlan): boolean {
    return p.kind !== 'SourceExec' && !holds(p, (q) => NEVER_SHARED.has(q.kind)) && holds(p, (q) => KEEPS_STATE.has(q.kind));
  }
}

function holds(p: PhysicalPlan, test: (q: PhysicalPlan) => boolean): boolean {
  return test(p) || physicalInputs(p).some((c) => holds(c, test));
}

/** A node's own definition: no inputs, source spans or scan sharing (every use of a sub-plan is built alike). */
function ownText(p: PhysicalPlan): string {
  const own: Record<string, unknown> = { ...p };
  for (const k of ['input', 'left', 'right', 'shared']) delete own[k];
  return planJson(own, true);
}

/**
 * `v` (plan data) as JSON with object keys sorted, bigints as text and source spans left out;
 * with `names: false`, column names are left out too (a function call's name stays).
 */
export function planJson(v: unknown, names: boolean): string {
  return JSON.stringify(v, function (this: unknown, key: string, value: unknown) {
    if (key === 'span') return undefined;
    if (!names && key === 'name' && (this as { kind?: unknown }).kind !== 'Udf') return undefined;
    if (typeof value === 'bigint') return `${value}n`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
      return sorted;
    }
    return value;
  });
}
