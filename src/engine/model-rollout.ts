/**
 * ALTER MODEL's rollout actions (SET CANDIDATE, PROMOTE, ROLLBACK TO VERSION, DROP CANDIDATE),
 * the registry state the planner checks, and the prediction log stream `<model>_predictions`.
 */
import { SluiceError } from '../common/errors.js';
import { T, typeToString, type DataType, type Field } from '../common/types.js';
import { parseStatements, type Statement } from '../parser/index.js';
import type { ModelLive } from '../planner/catalog.js';
import type { PredictExec } from '../planner/physical.js';
import type { PredictRollout } from '../exec/operators/predict.js';
import type { CandidateInfo, ChangeOrigin, ModelRegistry, ModelVersion, RawModelOptions } from '../udf/model-registry.js';
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

/** A change of a model's serving or candidate version, from SQL or HTTP. */
export type ModelChange =
  | { readonly kind: 'candidate'; readonly options: RawModelOptions }
  | { readonly kind: 'promote' }
  | { readonly kind: 'rollback'; readonly version: number }
  | { readonly kind: 'drop candidate' };

/** What a change did: the message for the shell, and the version it is about. */
export interface ModelChangeResult {
  readonly message: string;
  readonly version: ModelVersion;
  readonly candidate?: CandidateInfo;
}

/** `ALTER MODEL` of every kind; returns the statement's message. */
export async function alterModel(engine: Engine, s: AlterModel, text: string): Promise<string> {
  const name = s.name.name;
  switch (s.action) {
    case 'set': {
      const v = await engine.models.alter(name, optionsOf(s.options), 'sql');
      await engine.remember('model-alter', name, text);
      return `model ${name} now at version ${v.number} (${v.provider})`;
    }
    case 'candidate':
      return (await changeModel(engine, name, { kind: 'candidate', options: optionsOf(s.options) }, { by: 'sql' }, text)).message;
    case 'rollback':
      if (!engine.models.hasVersion(name, s.version!.value)) {
        throw new SluiceError('UNKNOWN_VERSION', `model '${name}' has no version ${s.version!.value}`, { span: s.version!.span, hint: `DESCRIBE MODEL ${name} lists its versions` });
      }
      return (await changeModel(engine, name, { kind: 'rollback', version: s.version!.value }, { by: 'sql' })).message;
    default:
      return (await changeModel(engine, name, { kind: s.action }, { by: 'sql' })).message;
  }
}

/**
 * Applies a change and records it so that a restart serves the same versions: a candidate is
 * recorded as its SET CANDIDATE, a promotion or rollback as a SET of the serving version's options.
 */
export async function changeModel(engine: Engine, name: string, change: ModelChange, origin: ChangeOrigin, text?: string): Promise<ModelChangeResult> {
  const models = engine.models;
  switch (change.kind) {
    case 'candidate': {
      const c = await models.setCandidate(name, change.options, origin);
      await engine.remember('model-candidate', name, text ?? `ALTER MODEL ${name} SET CANDIDATE (${optionsSql(change.options)})`);
      const share = c.mode === 'canary' ? ` for ${+(c.share * 100).toFixed(2)}% of keys` : '';
      return { message: `model ${name}: version ${c.version.number} is the ${c.mode} candidate${share} (${c.version.provider})`, version: c.version, candidate: c };
    }
    case 'promote': {
      const v = await models.promote(name, origin);
      await rememberServing(engine, name, v);
      return { message: `model ${name}: version ${v.number} promoted; it serves now`, version: v };
    }
    case 'rollback': {
      const v = await models.rollback(name, change.version, origin);
      await rememberServing(engine, name, v);
      return { message: `model ${name}: rolled back; version ${v.number} serves now`, version: v };
    }
    case 'drop candidate': {
      const v = await models.dropCandidate(name, origin);
      await engine.forget('model-candidate', name);
      return { message: `model ${name}: candidate version ${v.number} dropped`, version: v };
    }
  }
}

/** Options as SQL: `'key' = value, ...`. */
function optionsSql(raw: RawModelOptions): string {
  return Object.entries(raw)
    .map(([k, x]) => `'${k.replace(/'/g, "''")}' = ${typeof x === 'number' ? x : typeof x === 'boolean' ? String(x) : `'${String(x).replace(/'/g, "''")}'`}`)
    .join(', ');
}

/**
 * After PROMOTE or ROLLBACK, a restart must serve the same file with the same options: the
 * model's recorded ALTER becomes a SET of that version's options, and a promoted candidate is
 * no longer recorded as one.
 */
async function rememberServing(engine: Engine, name: string, v: ModelVersion): Promise<void> {
  const raw: Record<string, string | number> = { ...engine.models.describe(name, false).options };
  if (v.options.metadata !== undefined) raw['metadata'] = v.options.metadata;
  await engine.remember('model-alter', name, `ALTER MODEL ${name} SET (${optionsSql(raw)})`);
  if (!engine.models.candidate(name)) await engine.forget('model-candidate', name);
}
