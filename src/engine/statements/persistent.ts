/**
 * What CREATE MATERIALIZED VIEW and CREATE SINK share: planning the query, its dead-letter
 * stream, starting it (undone if the start fails) and recording the statement.
 */
import { throwIfCancelled } from '../../common/errors.js';
import type { ExecEnv } from '../../exec/pipeline.js';
import { normalizeName } from '../../parser/index.js';
import type { Options, QueryDependencies } from '../../planner/catalog.js';
import { queryDependencies } from '../../planner/dependencies.js';
import { planQuery, type QueryPlan } from '../../planner/plan-query.js';
import { ensureDlq } from '../dead-letter-topics.js';
import { isScaleOutSink, viewOrSinkQuery } from '../persistent-plan.js';
import { queryDeps } from '../query-deps.js';
import { RunningQuery, type QueryHandle, type QueryOutput } from '../running-query.js';
import type { Session } from '../session.js';
import type { StatementResult } from '../types.js';
import { checkConnectorOptions, checkViewOptions, connectorName } from '../../connectors/registry.js';
import { eventTimeColumn, ok, optionsOf } from './definitions.js';
import type { StatementOf } from './handler.js';

export type PersistentStatement = StatementOf<'CreateMaterializedView' | 'CreateSink'>;

/** A view's or sink's query, planned, with what it needs to run. */
export interface PersistentPlan {
  readonly id: string;
  readonly name: string;
  readonly text: string;
  readonly q: QueryPlan;
  readonly options: Options;
  readonly connector: string;
  /** What the query reads, recorded with the catalog entry. */
  readonly reads: QueryDependencies;
  /** Its dead-letter topic. */
  readonly dlq: string;
}

/** The query id of a view or sink. */
export function persistentId(s: PersistentStatement): string {
  return `${s.kind === 'CreateSink' ? 'sink' : 'view'}_${normalizeName(s.name.name)}`;
}

/** Plans a view's or sink's query; an 'ok' result when IF NOT EXISTS finds it there already. */
export async function planPersistent(session: Session, written: PersistentStatement, text: string): Promise<PersistentPlan | StatementResult> {
  const name = written.name.name;
  const { catalog } = session;
  if (catalog.hasRelation(name)) {
    if (written.ifNotExists) return ok(text, `${name} already exists`);
    catalog.checkNameFree(name, written.name.span);
  }
  const checkEach = !session.record.replaying;
  // A sink stored before LIMIT was refused still opens as it ran: without it.
  const s = !checkEach && written.kind === 'CreateSink' ? written : viewOrSinkQuery(written);
  const q = planQuery(s.query, catalog, { exchange: isScaleOutSink(s) });
  const options = optionsOf(s.options);
  if (s.kind === 'CreateSink') checkConnectorOptions('sink', s.options, { what: `sink ${name}`, hasWatermark: false, span: s.span, checkEach });
  else if (checkEach) checkViewOptions(s.options, `materialized view ${name}`);
  const connector = connectorName('sink', options);
  const reads = queryDependencies(s.query, catalog);
  const dlq = await ensureDlq(session, `${name}_dlq`);
  return { id: persistentId(s), name, text, q, options, connector, reads, dlq };
}

/** The running query of a view or sink over `plan`, writing to `output`. */
export function persistentQuery(session: Session, plan: PersistentPlan, kind: 'view' | 'sink', output: QueryOutput, env?: ExecEnv): RunningQuery {
  const timeColumn = eventTimeColumn(plan.q);
  return new RunningQuery({
    id: plan.id,
    kind,
    name: plan.name,
    sql: plan.text,
    plan: plan.q.physical,
    fields: plan.q.fields,
    output,
    deps: env ? { ...queryDeps(session), env } : queryDeps(session),
    dlqTopic: plan.dlq,
    ...(timeColumn !== undefined ? { eventTimeColumn: timeColumn } : {}),
  });
}

/**
 * Starts a view's or sink's query (restoring it from its checkpoint) and records the statement.
 * A failed start is undone, so that it leaves nothing half-made behind it.
 */
export async function startPersistent(session: Session, s: PersistentStatement, plan: PersistentPlan, rq: QueryHandle, signal?: AbortSignal): Promise<StatementResult> {
  const kind = s.kind === 'CreateSink' ? 'sink' : 'view';
  session.queries.add(rq);
  try {
    await rq.start();
    throwIfCancelled(signal, `starting the ${kind === 'sink' ? 'sink' : 'materialized view'} ${plan.name}`, s.name.span);
  } catch (err) {
    session.queries.remove(plan.id);
    session.catalog.removeRelation(plan.name);
    rq.stop('failed');
    await rq.stopped().catch(() => undefined);
    throw err;
  }
  await session.record.remember(kind, plan.name, plan.text);
  // A new statement of the same name replaces a parked one's record.
  session.queries.unpark(plan.name);
  return ok(plan.text, `${kind === 'sink' ? 'sink' : 'materialized view'} ${plan.name} created (query ${plan.id})`);
}
