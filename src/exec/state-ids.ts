/**
 * Stable identity of the state of each operator of a physical plan.
 *
 * An operator's state id is derived from what the operator is, not from where it happens to be
 * built: its kind, its position among the plan's inputs (the input port taken at every join on
 * the way from the root; single-input nodes such as projections and filters add nothing), and a
 * hash of its own definition (keys, aggregates, window, join bounds, types) and of the relations
 * each of its inputs reads (sources and lookup tables, by name), leaving out the inputs' other
 * nodes, source spans and column names. So adding or removing a projection or filter keeps
 * every id, while a change that alters what an operator keeps (another aggregate, another key,
 * columns that moved, another relation, the two sides of a join exchanged) gives it a new id,
 * and restoring it finds no state under the new id instead of reading another operator's.
 */
import { SluiceError } from '../common/errors.js';
import { physicalInputs, type PhysicalPlan } from '../planner/physical.js';
import { planJson, reusedSubplans } from '../planner/rules/share-subplans.js';

/** Plan kinds whose operators keep state across checkpoints. */
const STATEFUL_KINDS: ReadonlySet<PhysicalPlan['kind']> = new Set(['GroupAggregateExec', 'WindowAggregateExec', 'IntervalJoinExec', 'HashJoinExec', 'OverExec', 'PredictExec']);

const SHORT: Readonly<Partial<Record<PhysicalPlan['kind'], string>>> = {
  GroupAggregateExec: 'agg',
  WindowAggregateExec: 'window',
  IntervalJoinExec: 'join',
  HashJoinExec: 'hash-join',
  OverExec: 'over',
  PredictExec: 'predict',
};

const LEGACY_ID = /^op\d+$/;

/** The keys of a plan node that hold its inputs: not part of its identity. */
const CHILD_KEYS = ['input', 'left', 'right'];

/** One operator of a plan, in the Pipeline's build order (root first, sources left out). */
export interface OperatorIdentity {
  /** The operator's index in build order (what `PipelineOptions.state` receives). */
  readonly index: number;
  readonly kind: PhysicalPlan['kind'];
  /** Stable state id (see the module comment); undefined for operators that keep no state. */
  readonly stateId: string | undefined;
  /** The id state was kept under before ids were stable: `op<index>`. */
  readonly legacyId: string;
  /**
   * The stable id from before ids covered the relations an operator's inputs read (undefined
   * for operators that keep no state): a checkpoint recorded so restores under it.
   */
  readonly unsourcedId: string | undefined;
}

/**
 * Every operator of the plan in build order, with the state id of each stateful one; and the ids
 * the operators under the later uses of a shared sub-plan (rules/share-subplans.ts) had when each
 * use was built: a checkpoint written then holds their state, which the one built use now keeps.
 */
export function operatorIdentities(plan: PhysicalPlan): { readonly operators: OperatorIdentity[]; readonly absorbed: readonly string[] } {
  const out: OperatorIdentity[] = [];
  const absorbedIds: string[] = [];
  const seen = new Map<string, number>();
  const seenUnsourced = new Map<string, number>();
  const numbered = (base: string, counts: Map<string, number>): string => {
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    return n === 0 ? base : `${base}~${n}`;
  };
  const reused = reusedSubplans(plan);
  // `absorbed`: under a later use of a shared sub-plan, which is not built; its operators are
  // numbered as if it were, so every other id stays what it was before the sub-plan was shared.
  const visit = (node: PhysicalPlan, path: readonly number[], absorbed: boolean): void => {
    if (node.kind === 'SourceExec') return;
    const later = absorbed || reused.get(node)?.first === false;
    const index = out.length;
    const inputs = physicalInputs(node);
    let stateId: string | undefined;
    let unsourcedId: string | undefined;
    if (STATEFUL_KINDS.has(node.kind)) {
      const prefix = `${SHORT[node.kind] ?? node.kind}${path.length ? `@${path.join('.')}` : ''}`;
      const own = canonical(node);
      stateId = numbered(`${prefix}-${hash(`${own}\u0000${JSON.stringify(inputs.map(relationsRead))}`)}`, seen);
      unsourcedId = numbered(`${prefix}-${hash(own)}`, seenUnsourced);
    }
    if (later) {
      if (stateId !== undefined) absorbedIds.push(stateId, unsourcedId!);
    } else {
      out.push({ index, kind: node.kind, stateId, legacyId: `op${index}`, unsourcedId });
    }
    inputs.forEach((input, port) => visit(input, inputs.length > 1 ? [...path, port] : path, later));
  };
  visit(plan, [], false);
  return { operators: out, absorbed: absorbedIds };
}

/** The names of the relations a plan reads (its sources and lookup tables), sorted, each once. */
function relationsRead(plan: PhysicalPlan): string[] {
  const names = new Set<string>();
  const visit = (node: PhysicalPlan): void => {
    if (node.kind === 'SourceExec') names.add(node.relation);
    if (node.kind === 'StreamLookupJoinExec') names.add(node.table);
    physicalInputs(node).forEach(visit);
  };
  visit(plan);
  return [...names].sort();
}

/** What a checkpoint records of a plan's state layout. */
export interface RecordedStateIds {
  readonly ids: readonly string[];
}

/**
 * The state id of every operator index for a query whose last checkpoint recorded `recorded`
 * (undefined: a new query, or a checkpoint from before state ids were recorded, which used
 * `op<index>`). Throws STATE_ERROR, naming the operators, when the recorded stateful operators
 * are not exactly those of the plan: restoring would lose state or give it to the wrong one.
 */
export function resolveStateIds(query: string, plan: PhysicalPlan, recorded: RecordedStateIds | undefined, hasCheckpoint: boolean): { readonly ids: readonly string[]; readonly record: RecordedStateIds } {
  const { operators: ops, absorbed } = operatorIdentities(plan);
  // State written before ids were stable stays under `op<index>`, and is recorded so.
  const legacy = hasCheckpoint && (recorded === undefined || (recorded.ids.length > 0 && recorded.ids.every((id) => LEGACY_ID.test(id))));
  // State written before ids covered the relations read stays under those ids, when the plan's
  // operators are exactly the recorded ones.
  const listed = (pick: (o: OperatorIdentity) => string | undefined): string[] => ops.flatMap((o) => pick(o) ?? []);
  const unsourced = !legacy && recorded !== undefined && sameIds(recorded.ids, listed((o) => o.unsourcedId)) && !sameIds(recorded.ids, listed((o) => o.stateId));
  const idOf = (o: OperatorIdentity): string | undefined => (o.stateId === undefined ? undefined : legacy ? o.legacyId : unsourced ? o.unsourcedId : o.stateId);
  const ids = ops.map((o) => idOf(o) ?? o.legacyId);
  const planned = listed(idOf);
  const record = { ids: planned };
  const describe = (list: readonly string[]) => (list.length ? list.join(', ') : 'none');
  if (legacy && absorbed.length > 0) {
    // Positional ids moved when the sub-plan's later uses stopped being built.
    throw new SluiceError('STATE_ERROR', `query '${query}' cannot restore its state: its checkpoint keeps state by operator position, and the plan now computes a repeated sub-plan once, which moved the positions`, {
      hint: 'restore with the version that wrote it, or drop and create the query again to start from empty state',
    });
  }
  if (recorded === undefined) return { ids, record };
  // State of an operator whose sub-plan is now built once for all its uses is left unread.
  const missing = recorded.ids.filter((id) => !planned.includes(id) && !(!legacy && absorbed.includes(id)));
  const added = planned.filter((id) => !recorded.ids.includes(id));
  if (missing.length === 0 && added.length === 0) return { ids, record };
  throw new SluiceError(
    'STATE_ERROR',
    `query '${query}' cannot restore its state: its checkpoint holds state of operators the plan no longer has (${describe(missing)}), and the plan has stateful operators the checkpoint does not know (${describe(added)})`,
    { hint: 'the query was planned differently when its state was written (an engine upgrade, or a changed definition it reads); restore with the version that wrote it, or drop and create the query again to start from empty state' },
  );
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** Whether a value is a recorded state-id list (as read back from a checkpoint). */
export function isRecordedStateIds(v: unknown): v is RecordedStateIds {
  return typeof v === 'object' && v !== null && Array.isArray((v as { ids?: unknown }).ids) && (v as { ids: unknown[] }).ids.every((x) => typeof x === 'string');
}

/** The node's own definition as text: no inputs, spans or column names (`name` counts for a function call). */
function canonical(node: PhysicalPlan): string {
  const own: Record<string, unknown> = { ...node };
  for (const k of CHILD_KEYS) delete own[k];
  return planJson(own, false);
}

/** FNV-1a, 32 bits, as 8 hex digits. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
