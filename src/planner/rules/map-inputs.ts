import { assertNever } from '../../common/errors.js';
import type { LogicalPlan } from '../logical.js';

/** Rebuilds `plan` with `f` applied to each of its inputs. */
export function mapInputs(plan: LogicalPlan, f: (p: LogicalPlan) => LogicalPlan): LogicalPlan {
  switch (plan.kind) {
    case 'LogicalScan':
      return plan;
    case 'LogicalIntervalJoin':
      return { ...plan, left: f(plan.left), right: f(plan.right) };
    case 'LogicalFilter':
    case 'LogicalProject':
    case 'LogicalLookupJoin':
    case 'LogicalWindow':
    case 'LogicalAggregate':
    case 'LogicalPredict':
      return { ...plan, input: f(plan.input) };
    default:
      return assertNever(plan, 'plan node');
  }
}
