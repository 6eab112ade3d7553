/**
 * ALTER MODEL's rollout actions (SET CANDIDATE, PROMOTE, ROLLBACK TO VERSION, DROP CANDIDATE),
 * the registry state the planner checks, and the prediction log stream `<model>_predictions`.
 */
import { T, typeToString, type DataType, type Field } from '../common/types.js';
import { parseStatements, type Statement } from '../parser/index.js';
import type { ModelLive } from '../planner/catalog.js';
import type { PredictExec } from '../planner/physical.js';
import type { PredictRollout } from '../exec/operators/predict.js';
import type { ModelRegistry } from '../udf/model-registry.js';
import { optionsOf } from './ddl.js';
import type { Engine } from './engine.js';

type AlterModel = Extract<Statement, { kind: 'AlterModel' }>;

/** What the planner reads of a registered model: its versions, its log id, its candidate's key. */
export function modelLive(models: ModelRegistry, name: string): ModelLive {
  return {
    hasVersion: (n) => models.hasVersion(name, n),
    logId: () => (models.has(name) && models.get(name).options.log ? models.get(name).options.logId : undefined),
    routeKey: () => models.candidate(name)?.key,
  };
}

/** What a predict operator needs for candidates and the prediction log. */
export function predictRollout(models: ModelRegistry, plan: PredictExec): PredictRollout {
  return {
    registry: models,
    rowInfo: plan.rowInfo,
    pinned: plan.version !== undefined,
    logTopic: predictionLogName(plan.model),
    logFields: predictionLogFields(plan.outputs),
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

/**
 * Creates `<model>_predictions` (an embedded-log stream, one partition, watermark on scored_at)
 * when the model logs and the stream does not exist yet; it is recorded like any CREATE STREAM.
 */
export async function ensurePredictionLog(engine: Engine, model: string, runDdl: (s: Statement, text: string) => Promise<unknown>): Promise<void> {
  if (engine.isReplaying || !engine.models.has(model)) return;
  const v = engine.models.get(model);
  if (!v.options.log) return;
  const name = predictionLogName(engine.models.signature(model).name);
  if (engine.catalog.findRelation(name)) return;
  const fields = predictionLogFields(engine.models.signature(model).outputs);
  const cols = fields.map((f) => `${f.name} ${typeToString(f.type)}`).join(', ');
  const sql = `CREATE STREAM ${name} (${cols}, WATERMARK FOR scored_at AS scored_at - INTERVAL '5' SECOND) WITH (partitions = 1, retention = '${v.options.logRetentionMs}ms')`;
  await runDdl(parseStatements(sql)[0]!.statement, sql);
}

/** `ALTER MODEL ... SET`; returns the statement's message. */
export async function alterModel(engine: Engine, s: AlterModel, text: string): Promise<string> {
  const name = s.name.name;
  const v = await engine.models.alter(name, optionsOf(s.options), 'sql');
  await engine.remember('model-alter', name, text);
  return `model ${name} now at version ${v.number} (${v.provider})`;
}
