/**
 * The prediction log's shape and what the planner and the predict operator read of a model's
 * registry state: versions a query may pin, the log's id column, the canary's key.
 */
import { T, type DataType, type Field } from '../common/types.js';
import type { PredictRollout } from '../exec/operators/predict.js';
import type { ModelLive } from '../planner/catalog.js';
import type { PredictExec } from '../planner/physical.js';
import type { ModelRegistry } from '../udf/model-registry.js';

/** What the planner reads of a registered model: its versions, its log id, its candidate's key. */
export function modelLive(models: ModelRegistry, name: string): ModelLive {
  return {
    hasVersion: (n) => models.hasVersion(name, n),
    logId: () => (models.has(name) && models.get(name).options.log ? models.get(name).options.logId : undefined),
    routeKey: () => models.candidate(name)?.key,
    collectedReference: () => {
      const collector = models.has(name) && !models.get(name).reference ? models.get(name).collector : undefined;
      return collector && ((feature: string) => collector.reference?.[feature]);
    },
    versionReference: (n, feature) => {
      const v = models.has(name) ? models.versions(name).find((x) => x.number === n) : undefined;
      return v?.reference?.[feature] ?? v?.collector?.reference?.[feature];
    },
  };
}

/** What a predict operator needs for candidates and the prediction log. */
export function predictRollout(models: ModelRegistry, plan: PredictExec, topicExists: (topic: string) => boolean): PredictRollout {
  const logTopic = predictionLogName(plan.model);
  return {
    registry: models,
    rowInfo: plan.rowInfo,
    pinned: plan.version !== undefined,
    logTopic,
    logFields: predictionLogFields(plan.outputs),
    logExists: () => topicExists(logTopic),
  };
}

/** The name of a model's prediction log stream. */
export function predictionLogName(model: string): string {
  return `${model}_predictions`;
}

/** The columns of `<model>_predictions`; `outputs` has the model's output type (a STRUCT for several). */
export function predictionLogFields(outputs: readonly Field[]): Field[] {
  const out: DataType = outputs.length === 1 ? outputs[0]!.type : { kind: 'STRUCT', fields: outputs };
  return [
    { name: 'query', type: T.STRING, nullable: false },
    { name: 'id', type: T.STRING, nullable: true },
    { name: 'event_time', type: T.TIMESTAMP, nullable: true },
    { name: 'scored_at', type: T.TIMESTAMP, nullable: false },
    { name: 'version', type: T.INT, nullable: true },
    { name: 'role', type: T.STRING, nullable: false },
    { name: 'outputs', type: out, nullable: true },
    { name: 'inputs', type: { kind: 'ARRAY', element: T.FLOAT }, nullable: true },
    { name: 'latency_ms', type: T.DOUBLE, nullable: true },
    { name: 'error', type: T.STRING, nullable: true },
  ];
}
