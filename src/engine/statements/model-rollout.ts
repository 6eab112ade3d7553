/**
 * Model rollout from SQL and HTTP: ALTER MODEL's candidate actions (SET CANDIDATE, PROMOTE,
 * ROLLBACK TO VERSION, DROP CANDIDATE) recorded so a restart serves the same versions, the
 * prediction log stream `<model>_predictions`, and a model registered from a file's signature.
 */
import { SluiceError } from '../../common/errors.js';
import { typeToString, type Field } from '../../common/types.js';
import { parseStatements } from '../../parser/index.js';
import type { AllowedFiles } from '../../udf/allowed-files.js';
import type { CandidateInfo, ChangeOrigin, ModelVersion, RawModelOptions } from '../../udf/model-registry.js';
import { OnnxModel, signatureOf, type TensorInfo } from '../../udf/onnx-model.js';
import { predictionLogFields, predictionLogName } from '../prediction-log.js';
import type { WriteBatch } from '../../state/index.js';
import type { Session } from '../session.js';
import { createStream } from './create-stream.js';

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

/**
 * Creates `<model>_predictions` (an embedded-log stream, one partition, watermark on scored_at)
 * when the model logs and the stream does not exist yet; it is recorded like any CREATE STREAM.
 */
export async function ensurePredictionLog(session: Session, model: string): Promise<void> {
  if (session.record.replaying || !session.models.has(model)) return;
  const v = session.models.get(model);
  if (!v.options.log) return;
  const name = predictionLogName(session.models.signature(model).name);
  if (session.catalog.findRelation(name)) return;
  await createLogStream(session, name, predictionLogFields(session.models.signature(model).outputs), 'scored_at', v.options.logRetentionMs);
}

/** Creates an embedded-log stream of `fields` (one partition, watermark on `time`), recorded like any CREATE STREAM. */
export async function createLogStream(session: Session, name: string, fields: readonly Field[], time: string, retentionMs?: number): Promise<void> {
  const cols = fields.map((f) => `${f.name} ${typeToString(f.type)}`).join(', ');
  const retention = retentionMs === undefined ? '' : `, retention = '${retentionMs}ms'`;
  const sql = `CREATE STREAM ${name} (${cols}, WATERMARK FOR ${time} AS ${time} - INTERVAL '5' SECOND) WITH (partitions = 1${retention})`;
  const stmt = parseStatements(sql)[0]!.statement;
  if (stmt.kind !== 'CreateStream') throw new SluiceError('INTERNAL', `the statement creating ${name} is not a CREATE STREAM`);
  await createStream(session, stmt, sql, {});
}

/**
 * Applies a change and records it so that a restart serves the same versions: a candidate is
 * recorded as its SET CANDIDATE, a promotion or rollback as a SET of the serving version's options.
 * With `wb` the record is staged in that batch, so it is durable with whatever else the caller
 * writes there (a guard's decision and its event row), or not at all.
 */
export async function changeModel(session: Session, name: string, change: ModelChange, origin: ChangeOrigin, text?: string, wb?: WriteBatch): Promise<ModelChangeResult> {
  const { models, record } = session;
  let result: ModelChangeResult;
  switch (change.kind) {
    case 'candidate': {
      const c = await models.setCandidate(name, change.options, origin);
      await record.remember('model-candidate', name, text ?? `ALTER MODEL ${sqlName(name)} SET CANDIDATE (${optionsSql(change.options)})`, wb);
      const share = c.mode === 'canary' ? ` for ${+(c.share * 100).toFixed(2)}% of keys` : '';
      result = { message: `model ${name}: version ${c.version.number} is the ${c.mode} candidate${share} (${c.version.provider})`, version: c.version, candidate: c };
      break;
    }
    case 'promote': {
      const v = await models.promote(name, origin);
      await rememberServing(session, name, v, wb);
      result = { message: `model ${name}: version ${v.number} promoted; it serves now`, version: v };
      break;
    }
    case 'rollback': {
      const v = await models.rollback(name, change.version, origin);
      await rememberServing(session, name, v, wb);
      result = { message: `model ${name}: rolled back; version ${v.number} serves now`, version: v };
      break;
    }
    case 'drop candidate': {
      const v = await models.dropCandidate(name, origin);
      await record.forget('model-candidate', name, wb);
      result = { message: `model ${name}: candidate version ${v.number} dropped`, version: v };
      break;
    }
  }
  // A promoted candidate may log where the version it replaced did not.
  await ensurePredictionLog(session, name);
  return result;
}

/** A model name as SQL: quoted unless it is a plain identifier. */
function sqlName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** Options as SQL: `'key' = value, ...`. */
function optionsSql(raw: RawModelOptions): string {
  return Object.entries(raw)
    .map(([k, x]) => `'${k.replace(/'/g, "''")}' = ${typeof x === 'number' ? x : typeof x === 'boolean' ? String(x) : `'${String(x).replace(/'/g, "''")}'`}`)
    .join(', ');
}

/**
 * A restart must serve the same file with the same options: after any change of the serving
 * version (SET, PROMOTE, ROLLBACK, a file from a watched folder) the model's recorded ALTER
 * becomes a SET of all that version's options (only the last ALTER is replayed, so a SET of one
 * option would lose the others), and a promoted candidate is no longer recorded as one.
 */
export async function rememberServing(session: Pick<Session, 'models' | 'record'>, name: string, v: ModelVersion, wb?: WriteBatch): Promise<void> {
  const raw: Record<string, string | number> = { ...session.models.describe(name, false).options };
  if (v.options.metadata !== undefined) raw['metadata'] = v.options.metadata;
  await session.record.remember('model-alter', name, `ALTER MODEL ${sqlName(name)} SET (${optionsSql(raw)})`, wb);
  if (!session.models.candidate(name)) await session.record.forget('model-candidate', name, wb);
}

/**
 * `CREATE MODEL name INPUT (...) OUTPUT (...) WITH (path = ...)` with the signature the file at
 * `path` declares; MODEL_SCHEMA_MISMATCH when it declares something SQL cannot describe.
 */
export async function createModelSql(name: string, path: string, files: AllowedFiles): Promise<string> {
  const file = await files.read(path, `model '${name}'`, 'MODEL_ERROR');
  const io = await OnnxModel.inspect(name, path, file.bytes);
  const part = (ts: readonly TensorInfo[]): string =>
    ts
      .map((t) => {
        const s = signatureOf(t);
        if ('problem' in s) {
          throw new SluiceError('MODEL_SCHEMA_MISMATCH', `model '${name}': cannot take the signature from '${path}': ${s.problem}`, {
            hint: `declare it: CREATE MODEL ${name} INPUT (...) OUTPUT (...) WITH (path = '${path}')`,
          });
        }
        return s.sql;
      })
      .join(', ');
  return `CREATE MODEL ${name} INPUT (${part(io.inputs)}) OUTPUT (${part(io.outputs)}) WITH (path = '${path.replace(/'/g, "''")}')`;
}
