/**
 * A view or sink recorded in the data folder that is not running: it failed to restore, or the
 * engine was opened with `startQueries: false`. SHOW QUERIES lists it; DROP removes it.
 */
import type { SluiceError } from '../common/errors.js';
import type { QueryInfo } from './types.js';

export interface ParkedQuery {
  readonly id: string;
  readonly kind: 'view' | 'sink';
  /** Normalised name, as the catalog records it. */
  readonly name: string;
  readonly sql: string;
  readonly status: 'failed' | 'not_started';
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
