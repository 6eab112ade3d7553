/** Builds the stateful operators (windows, aggregates, interval joins) from their plan nodes. */
import { assertNever } from '../../common/errors.js';
import type { Field } from '../../common/types.js';
import type { PhysicalPlan } from '../../planner/physical.js';
import { isUpdating, physicalStreamKind } from '../../planner/stream-kind.js';
import type { UdfResolver } from '../compile-expr.js';
import type { Operator } from '../message.js';
import { GroupAggregateOperator } from './group-aggregate.js';
import { IntervalJoinOperator } from './interval-join.js';
import { LocalAggregateOperator } from './local-aggregate.js';
import { WindowAggregateOperator } from './window-aggregate.js';
import { WindowAssignOperator } from './window-assign.js';

/**
 * The operator for a WindowAssignExec, WindowAggregateExec, GroupAggregateExec,
 * LocalAggregateExec or IntervalJoinExec node; undefined for every other kind. `input` is the node's input fields
 * (the left input's for a join).
 */
export function createStatefulOperator(plan: PhysicalPlan, input: readonly Field[], udfs: UdfResolver): Operator | undefined {
  switch (plan.kind) {
    case 'WindowAssignExec':
      return new WindowAssignOperator(input, plan.window, plan.fields);
    case 'WindowAggregateExec':
      return new WindowAggregateOperator(input, plan.window, plan.groupBy, plan.aggregates, plan.fields, udfs, isUpdating(physicalStreamKind(plan.input)));
    case 'GroupAggregateExec':
      return new GroupAggregateOperator(input, plan.groupBy, plan.aggregates, plan.fields, isUpdating(physicalStreamKind(plan.input)), udfs, plan.phase ?? 'single');
    case 'LocalAggregateExec':
      return new LocalAggregateOperator(input, plan, isUpdating(physicalStreamKind(plan.input)), udfs);
    case 'IntervalJoinExec':
      return new IntervalJoinOperator(plan, input, plan.right.fields, udfs);
    case 'SourceExec':
    case 'FilterExec':
    case 'ProjectExec':
    case 'StreamLookupJoinExec':
    case 'PredictExec':
      return undefined;
    default:
      return assertNever(plan, 'physical plan node');
  }
}
