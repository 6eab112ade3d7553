/**
 * Stopping and starting a view's or sink's query by id (POST /v1/queries/:id/stop and /start).
 * A stopped query is parked like one that failed to restore: it keeps its state, rows and
 * recorded statement, leaves the catalog (so nothing reads rows that no longer follow their
 * input: reading it answers QUERY_STOPPED, see Catalog.whyAbsent), shows as 'stopped' in SHOW QUERIES, SHOW VIEWS/SINKS and /v1/queries, and a
 * `stopped:<name>` record keeps it stopped across restarts. Starting runs its statement again,
 * as a restart does, so it resumes from its last checkpoint.
 */
import { SluiceError } from '../common/errors.js';
import { normalizeName } from '../parser/index.js';
import { readerLabel, readersOf } from './readers.js';
import { STOPPED_KIND } from './parked-query.js';
import type { Session } from './session.js';
import type { QueryInfo } from './types.js';

/** Stops a view's or sink's query (a push query is cancelled); undefined when no query has that id. */
export async function stopQuery(session: Session, id: string): Promise<QueryInfo | undefined> {
  const { queries, catalog, record } = session;
  const q = queries.get(id);
  if (!q || q.kind === 'push' || q.name === undefined) {
    const info = q?.info(undefined);
    if (q) queries.cancel(id);
    return info === undefined ? queries.info(id) : { ...info, status: 'finished' };
  }
  const name = normalizeName(q.name);
  refuseIfReaders(session, q.kind, name);
  const sql = (await record.entries()).find((e) => e.kind === q.kind && e.name === name)?.sql ?? q.info(undefined).sql;
  await queries.stopAndWait(id);
  catalog.removeRelation(name);
  await record.remember(STOPPED_KIND, name, '');
  queries.park(q.kind, name, sql, 'stopped');
  return queries.info(id);
}

/**
 * Starts a stopped (or failed, or not started) view or sink again by running its recorded
 * statement; undefined when no query has that id. A running query is left as it is.
 */
export async function startQuery(session: Session, id: string, execute: (sql: string) => Promise<unknown>): Promise<QueryInfo | undefined> {
  const { queries, record } = session;
  const p = queries.parkedById(id);
  if (!p) return queries.info(id);
  await record.keepingPlace(p.kind, p.name, () => execute(p.sql));
  await record.forget(STOPPED_KIND, p.name);
  return queries.info(id);
}

/**
 * A view that other views or sinks read keeps serving them while it runs; stopped, it leaves the
 * catalog and they could not start again on the next restart, so they are stopped first.
 */
function refuseIfReaders(session: Session, kind: 'view' | 'sink', name: string): void {
  const readers = readersOf(session.catalog, 'relations', name, name);
  if (readers.length === 0) return;
  const ids = readers.map((r) => `${r.keyword === 'SINK' ? 'sink' : 'view'}_${normalizeName(r.name)}`);
  throw new SluiceError('IN_USE', `cannot stop ${kind === 'view' ? 'materialized view' : 'sink'} '${name}': ${readers.map(readerLabel).join(', ')} ${readers.length === 1 ? 'reads' : 'read'} it`, {
    hint: `stop ${readers.length === 1 ? 'it' : 'them'} first (${ids.map((id) => `POST /v1/queries/${id}/stop`).join('; ')})`,
  });
}
