/** DROP STREAM/TABLE/MATERIALIZED VIEW/SINK/MODEL/FUNCTION/QUERY. */
import { SluiceError } from '../../common/errors.js';
import { normalizeName } from '../../parser/index.js';
import type { RelationDef } from '../../planner/catalog.js';
import { STOPPED_KIND, type ParkedQuery } from '../parked-query.js';
import { forgetReferences } from '../model-references.js';
import { forgetTopicPositions } from '../model-updates.js';
import { refuseIfRead } from '../readers.js';
import { dropTableChangelog, viewKv } from '../relation-storage.js';
import type { Session } from '../session.js';
import { connectorFor, connectorName } from '../../connectors/registry.js';
import { ok } from './definitions.js';
import { dropLogicalView } from './create-logical-view.js';
import type { StatementHandler, StatementOf } from './handler.js';

type Drop = StatementOf<'Drop'>;

export const drop: StatementHandler<'Drop'> = async (session, s, text) => ok(text, await dropObject(session, s));

async function dropObject(session: Session, s: Drop): Promise<string> {
  const name = s.name.name;
  const { catalog, record } = session;
  switch (s.objectKind) {
    case 'MODEL':
      if (!session.models.has(name)) {
        if (s.ifExists) return `model ${name} does not exist`;
        catalog.model(name, s.name.span);
      }
      refuseIfRead(catalog, 'models', s.name, 'drop', 'model', `or swap its file with ALTER MODEL ${name} SET (path = ...)`);
      await session.models.drop(name);
      catalog.removeModel(name);
      await record.forget('model', name);
      await record.forget('model-alter', name);
      await record.forget('model-candidate', name);
      await forgetTopicPositions(session.storage.store, name);
      await forgetReferences(session.storage.store, name);
      return `model ${name} dropped`;
    case 'FUNCTION':
      refuseIfRead(catalog, 'functions', s.name, 'drop', 'function');
      // A function recorded in the data folder that failed to restore can still be dropped.
      if (!session.functions.drop(name) && !(await record.isRecorded('function', name)) && !s.ifExists) {
        throw new SluiceError('UNKNOWN_FUNCTION', `unknown function '${name}'`, { span: s.name.span });
      }
      catalog.removeFunction(name);
      await record.forget('function', name);
      return `function ${name} dropped`;
    case 'QUERY':
      if (!session.queries.cancel(name) && !s.ifExists) throw new SluiceError('UNKNOWN_QUERY', `no running query '${name}'`, { span: s.name.span, hint: 'SHOW QUERIES lists them' });
      return `query ${name} stopped`;
    default:
      return dropRelation(session, s);
  }
}

async function dropRelation(session: Session, s: Drop): Promise<string> {
  const name = s.name.name;
  const { catalog } = session;
  const { store, log, checkpoints } = session.storage;
  const def = catalog.findRelation(name);
  const parked = def ? undefined : session.queries.parkedQuery(name);
  if (parked && (parked.kind === 'view' ? 'MATERIALIZED VIEW' : 'SINK') === s.objectKind) {
    await dropParked(session, parked);
    return `${s.objectKind.toLowerCase()} ${name} dropped (it was not running: ${parked.status === 'failed' ? 'it failed to start' : 'queries were not started'})`;
  }
  if (!def && s.objectKind === 'MATERIALIZED VIEW' && (await dropLogicalView(session, name))) return `view ${name} dropped`;
  if (!def) {
    if (s.ifExists) return `${s.objectKind.toLowerCase()} ${name} does not exist`;
    catalog.relation(name, s.name.span);
    return '';
  }
  checkDropKind(def, s);
  refuseIfRead(catalog, 'relations', s.name, 'drop', def.kind === 'view' ? 'materialized view' : def.kind);
  if (def.kind === 'view' || def.kind === 'sink') {
    await session.queries.stopAndWait(def.queryId);
    await checkpoints.drop(def.queryId);
    if (def.kind === 'view') {
      await viewKv(store, def.name).clear();
      await log.dropTopic(def.changelog);
    }
  }
  if (def.kind === 'table') {
    const t = session.tables.table(def.name);
    await t.loader?.stop();
    await t.rows.clear();
    await dropTableChangelog(def, log);
    t.rows.release();
    session.tables.delete(normalizeName(def.name));
  }
  if (def.kind === 'stream' && !def.options['dlq']) await connectorFor('stream', connectorName('stream', def.options)).release?.('stream', def.name, def.options, log);
  catalog.removeRelation(def.name);
  await session.record.forget(def.kind, def.name);
  return `${def.kind === 'view' ? 'materialized view' : def.kind} ${def.name} dropped`;
}

/** DROP of a parked view or sink: forgets its statement and removes the state it left. */
export async function dropParked(session: Session, q: ParkedQuery): Promise<void> {
  const { store, log, checkpoints } = session.storage;
  await checkpoints.drop(q.id);
  if (q.kind === 'view') {
    await viewKv(store, q.name).clear();
    if (log.hasTopic(`${q.name}__changes`)) await log.dropTopic(`${q.name}__changes`);
  }
  await session.record.forget(q.kind, q.name);
  await session.record.forget(STOPPED_KIND, q.name);
  session.queries.unpark(q.name);
}

/** Refuses `DROP STREAM v` when `v` is a view (and so on): the statement names the wrong kind. */
export function checkDropKind(def: RelationDef, s: Drop): void {
  const want = { STREAM: 'stream', TABLE: 'table', 'MATERIALIZED VIEW': 'view', SINK: 'sink', MODEL: undefined, FUNCTION: undefined, QUERY: undefined }[s.objectKind];
  if (def.kind !== want) {
    throw new SluiceError('INVALID_ARGUMENT', `'${def.name}' is a ${def.kind === 'view' ? 'materialized view' : def.kind}, not a ${s.objectKind.toLowerCase()}`, {
      span: s.name.span,
      hint: `use DROP ${def.kind === 'view' ? 'MATERIALIZED VIEW' : def.kind.toUpperCase()} ${def.name}`,
    });
  }
}
