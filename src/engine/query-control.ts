/**
 * Stopping and starting a view's or sink's query by id (POST /v1/queries/:id/stop and /start).
 * A stopped query is parked like one that failed to restore: it keeps its state, rows and
 * recorded statement, leaves the catalog (so nothing reads rows that no longer follow their
 * input), shows as 'stopped' in SHOW QUERIES, SHOW VIEWS/SINKS and /v1/queries, and a
 * `stopped:<name>` record keeps it stopped across restarts. Starting runs its statement again,
 * as a restart does, so it resumes from its last checkpoint.
 */
import { normalizeName } from '../parser/index.js';
import { parkedError, STOPPED_KIND } from './parked-query.js';
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

/** Throws QUERY_STOPPED when `name` is a view or sink that is recorded but not running. */
export function checkRunning(session: Session, name: string): void {
  const p = session.queries.parkedQuery(name);
  if (p) throw parkedError(p);
}
