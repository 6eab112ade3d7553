/** What a running query needs of the engine it runs in (see QueryDeps). */
import type { QueryDeps } from './running-query.js';
import type { Session } from './session.js';

export function queryDeps(session: Pick<Session, 'storage' | 'env' | 'options' | 'metrics' | 'queries'>): QueryDeps {
  const { metrics, queries } = session;
  return {
    ...session.storage,
    env: session.env,
    checkpointIntervalMs: session.options.checkpointIntervalMs,
    onDeadLetters: (id, n) => metrics.deadLettered(queries.label(id), n),
    onRowsOut: (id, n) => metrics.recordsOut(queries.label(id), n),
    onLatency: (id, seconds) => metrics.observeLatency(queries.label(id), seconds),
  };
}
