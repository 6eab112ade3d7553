/**
 * Where a push query starts reading its streams. By default at the latest position: only rows
 * that arrive after it starts, as ksqlDB and Flink clients do; asked for, from the earliest
 * record still stored. Materialized views and sinks always read from the earliest (or their
 * checkpoint), and a bounded run reads the input as it is when it starts, from the earliest.
 * Changelogs of views and tables are read whole either way: a join needs their state.
 */
import { mapPhysicalInputs, type PhysicalPlan } from '../planner/physical.js';

export type StartFrom = 'earliest' | 'latest';

export const START_FROM_VALUES: readonly StartFrom[] = ['earliest', 'latest'];

/** The plan with each stream it reads marked to start at the latest position when `from` says so. */
export function startingFrom(plan: PhysicalPlan, from: StartFrom): PhysicalPlan {
  if (from === 'earliest') return plan;
  if (plan.kind === 'SourceExec') return plan.relationKind === 'stream' && plan.connector !== 'view' ? { ...plan, startAt: 'latest' } : plan;
  return mapPhysicalInputs(plan, (c) => startingFrom(c, from));
}
