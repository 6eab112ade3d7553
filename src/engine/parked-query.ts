/**
 * A view or sink recorded in the data folder that is not running: it failed to restore, the
 * engine was opened with `startQueries: false`, or it was stopped. SHOW QUERIES lists it; POST
 * /v1/queries/:id/start runs it again from its last checkpoint; DROP removes it.
 */
import { SluiceError } from '../common/errors.js';
import type { QueryInfo } from './types.js';

export interface ParkedQuery {
  readonly id: string;
  readonly kind: 'view' | 'sink';
  /** Normalised name, as the catalog records it. */
  readonly name: string;
  readonly sql: string;
  readonly status: 'failed' | 'not_started' | 'stopped';
  readonly error?: SluiceError;
}

/** How SHOW QUERIES and GET /v1/queries show it: no counters, the reason when it failed. */
export function parkedInfo(p: ParkedQuery): QueryInfo {
  return {
    id: p.id,
    kind: p.kind,
    name: p.name,
    sql: p.sql,
    status: p.status,
    ...(p.error ? { error: { code: p.error.code, message: p.error.message } } : {}),
    startedAt: 0,
    rowsIn: 0,
    rowsOut: 0,
    deadLetters: 0,
    rateIn: 0,
    rateOut: 0,
  };
}

/** Catalog records `stopped:<name>` mark a view or sink stopped, so it stays stopped on restart. */
export const STOPPED_KIND = 'stopped';

/** Names of the views and sinks the catalog records as stopped. */
export function stoppedNames(entries: readonly { readonly kind: string; readonly name: string }[]): Set<string> {
  return new Set(entries.filter((e) => e.kind === STOPPED_KIND).map((e) => e.name));
}

/** Why a parked view or sink cannot be read, and what to do. */
export function parkedError(p: ParkedQuery): SluiceError {
  const what = `${p.kind === 'view' ? 'materialized view' : 'sink'} '${p.name}'`;
  const why = p.status === 'stopped' ? 'is stopped' : p.status === 'failed' ? 'failed to start' : 'was not started (--no-start-queries)';
  return new SluiceError('QUERY_STOPPED', `${what} ${why}; its query ${p.id} does not run, so its rows would not follow its input`, {
    hint: `start it with POST /v1/queries/${p.id}/start, or DROP ${p.kind === 'view' ? 'MATERIALIZED VIEW' : 'SINK'} ${p.name}`,
  });
}
