/**
 * Builds the operator of every physical plan node kind but sources, from the node itself:
 * the executor needs nothing from the engine but the lookups in ExecEnv.
 */
import { SluiceError, assertNever } from '../common/errors.js';
import type { PhysicalPlan } from '../planner/physical.js';
import { isUpdating, physicalStreamKind } from '../planner/stream-kind.js';
import { PredictRunner } from '../udf/predict-runner.js';
import type { Operator } from './message.js';
import { ExchangeOperator } from './operators/exchange.js';
import { GroupAggregateOperator } from './operators/group-aggregate.js';
import { HashJoinOperator } from './operators/hash-join.js';
import { OverOperator } from './operators/over.js';
import { UnnestExecOperator } from './operators/unnest.js';
import { IntervalJoinOperator } from './operators/interval-join.js';
import { LocalAggregateOperator } from './operators/local-aggregate.js';
import { StreamLookupJoinOperator } from './operators/lookup-join.js';
import { PredictOperator } from './operators/predict.js';
import { SessionWindowAggregateOperator } from './operators/session-window-aggregate.js';
import { FilterExecOperator, ProjectExecOperator } from './operators/stateless.js';
import { WindowAggregateOperator } from './operators/window-aggregate.js';
import { WindowAssignOperator } from './operators/window-assign.js';
import { UnionOperator } from './operators/union.js';
import type { ExecEnv } from './exec-env.js';

/** The operator for `plan`, whose inputs the pipeline wires to it. */
export function buildOperator(plan: PhysicalPlan, env: ExecEnv): Operator {
  const udfs = env.udfs;
  switch (plan.kind) {
    case 'ExchangeExec':
      return new ExchangeOperator({ input: plan.input.fields, key: plan.key, partitions: env.exchange?.side === 'send' ? env.exchange.partitions : 1, udfs });
    case 'FilterExec':
      return new FilterExecOperator({ input: plan.input.fields, predicate: plan.predicate, udfs });
    case 'ProjectExec':
      return new ProjectExecOperator({ input: plan.input.fields, exprs: plan.exprs, fields: plan.fields, udfs });
    case 'StreamLookupJoinExec':
      return new StreamLookupJoinOperator({ input: plan.input.fields, fields: plan.fields, keys: plan.keys, tableColumns: plan.tableColumns, joinType: plan.joinType, table: env.table(plan.table), udfs });
    case 'PredictExec': {
      // Over an updating input, retractions carry the output emitted for their row.
      const kind = physicalStreamKind(plan.input);
      const rowKey = kind.kind === 'upsert' ? kind.key : kind.kind === 'retracting' ? plan.input.fields.map((_, i) => i) : undefined;
      const runner = new PredictRunner(env.models, plan.model, plan.width, plan.version === undefined ? { kind: 'serving' } : { kind: 'pinned', version: plan.version });
      return new PredictOperator({ input: plan.input.fields, keep: plan.keep, fields: plan.fields, args: plan.args, model: plan.model, outputs: plan.outputs, runner, udfs, rowKey, rollout: env.predictRollout?.(plan) });
    }
    case 'WindowAssignExec':
      return new WindowAssignOperator({ input: plan.input.fields, window: plan.window, fields: plan.fields });
    case 'WindowAggregateExec': {
      const spec = { input: plan.input.fields, window: plan.window, groupBy: plan.groupBy, aggregates: plan.aggregates, fields: plan.fields, udfs, retractable: isUpdating(physicalStreamKind(plan.input)) };
      return plan.window.fn === 'SESSION' ? new SessionWindowAggregateOperator(spec) : new WindowAggregateOperator(spec);
    }
    case 'GroupAggregateExec':
      return new GroupAggregateOperator({
        input: plan.input.fields,
        groupBy: plan.groupBy,
        aggregates: plan.aggregates,
        fields: plan.fields,
        retractable: isUpdating(physicalStreamKind(plan.input)),
        udfs,
        phase: plan.phase ?? 'single',
      });
    case 'LocalAggregateExec':
      return new LocalAggregateOperator({
        input: plan.input.fields,
        groupBy: plan.groupBy,
        aggregates: plan.aggregates,
        fields: plan.fields,
        salt: plan.salt,
        skewThreshold: plan.skewThreshold,
        retractable: isUpdating(physicalStreamKind(plan.input)),
        udfs,
      });
    case 'IntervalJoinExec':
      return new IntervalJoinOperator({
        left: plan.left.fields,
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
    case 'UnnestExec':
      return new UnnestExecOperator({ input: plan.input.fields, arrays: plan.arrays, fields: plan.fields, udfs });
    case 'OverExec':
      return new OverOperator({ input: plan.input.fields, windows: plan.windows, partitionBy: plan.partitionBy, fields: plan.fields });
    case 'HashJoinExec':
      return new HashJoinOperator({
        joinType: plan.joinType,
        left: plan.left.fields,
        right: plan.right.fields,
        leftKeys: plan.leftKeys,
        rightKeys: plan.rightKeys,
        residual: plan.residual,
        fields: plan.fields,
        udfs,
      });
    case 'UnionExec':
      return new UnionOperator({ inputs: plan.inputs.length, fields: plan.fields });
    case 'SourceExec':
      throw new SluiceError('INTERNAL', `source ${plan.relation} is read by the pipeline, not built as an operator`);
    default:
      return assertNever(plan, 'physical plan node');
  }
}
