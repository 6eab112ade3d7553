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
import { SessionWindowAggregateOperator } from './session-window-aggregate.js';
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
      return new WindowAssignOperator({ input, window: plan.window, fields: plan.fields });
    case 'WindowAggregateExec': {
      const spec = { input, window: plan.window, groupBy: plan.groupBy, aggregates: plan.aggregates, fields: plan.fields, udfs, retractable: isUpdating(physicalStreamKind(plan.input)) };
      return plan.window.fn === 'SESSION' ? new SessionWindowAggregateOperator(spec) : new WindowAggregateOperator(spec);
    }
    case 'GroupAggregateExec':
      return new GroupAggregateOperator({ input, groupBy: plan.groupBy, aggregates: plan.aggregates, fields: plan.fields, retractable: isUpdating(physicalStreamKind(plan.input)), udfs, phase: plan.phase ?? 'single' });
    case 'LocalAggregateExec':
      return new LocalAggregateOperator({ input, groupBy: plan.groupBy, aggregates: plan.aggregates, fields: plan.fields, salt: plan.salt, skewThreshold: plan.skewThreshold, retractable: isUpdating(physicalStreamKind(plan.input)), udfs });
    case 'IntervalJoinExec':
      return new IntervalJoinOperator({
        left: input,
        right: plan.right.fields,
        leftKeys: plan.leftKeys,
        rightKeys: plan.rightKeys,
        leftTime: plan.leftTime,
        rightTime: plan.rightTime,
        lowerMs: plan.lowerMs,
        upperMs: plan.upperMs,
        residual: plan.residual,
        fields: plan.fields,
        udfs,
      });
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
