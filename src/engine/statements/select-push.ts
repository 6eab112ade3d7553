/** SELECT as a push query: runs until cancelled (or, bounded, until its input ends), streaming its rows. */
import { throwIfCancelled } from '../../common/errors.js';
import { typeToString } from '../../common/types.js';
import { planQuery } from '../../planner/plan-query.js';
import { dropDlqIfEmpty, ensureDlq } from '../dead-letter-topics.js';
import { queryDeps } from '../query-deps.js';
import { RunningQuery } from '../running-query.js';
import { startingFrom } from '../start-position.js';
import { PushQueue } from '../sinks.js';
import { eventTimeColumn } from './definitions.js';
import type { StatementHandler } from './handler.js';

export const selectPush: StatementHandler<'Query'> = async (session, s, text, opts) => {
  const q = planQuery(s.query, session.catalog);
  const id = session.queries.nextId('push');
  const queue = new PushQueue(q.fields);
  const dlq = await ensureDlq(session, `${id}_dlq`);
  const timeColumn = eventTimeColumn(q);
  const rq = new RunningQuery({
    id,
    kind: 'push',
    sql: text,
    plan: startingFrom(q.physical, opts.bounded === true ? 'earliest' : (opts.from ?? 'latest')),
    fields: q.fields,
    output: { kind: 'push', queue, ...(q.limit !== undefined ? { limit: q.limit } : {}) },
    deps: queryDeps(session),
    dlqTopic: dlq,
    bounded: opts.bounded === true,
    ...(timeColumn !== undefined ? { eventTimeColumn: timeColumn } : {}),
  });
  session.queries.add(rq);
  await rq.start();
  // The caller's signal cancels the query, also after this call has returned it.
  const cancel = (): void => rq.stop('finished');
  opts.signal?.addEventListener('abort', cancel, { once: true });
  session.queries.track(
    rq
      .stopped()
      .then(() => dropDlqIfEmpty(session, dlq))
      .catch(() => undefined)
      .finally(() => {
        opts.signal?.removeEventListener('abort', cancel);
        setTimeout(() => session.queries.remove(id), 1000).unref();
      }),
  );
  if (opts.signal?.aborted) cancel();
  throwIfCancelled(opts.signal, 'the push query', s.span);
  return {
    kind: 'push',
    statement: text,
    queryId: id,
    columns: q.fields.map((f) => ({ name: f.name, type: typeToString(f.type) })),
    updating: q.updating,
    rows: queue,
    batches: queue.batches(),
    cancel: () => rq.stop('finished'),
    cancelledElsewhere: () => session.queries.wasCancelled(id),
  };
};
