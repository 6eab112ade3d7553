/** SELECT as a push query: runs until cancelled (or, bounded, until its input ends), streaming its rows. */
import { throwIfCancelled } from '../../common/errors.js';
import { typeToString } from '../../common/types.js';
import { batchToRows, makeBatch } from '../../exec/columns.js';
import { RowKind } from '../../exec/message.js';
import { planQuery, type QueryPlan } from '../../planner/plan-query.js';
import { dropDlqIfEmpty, ensureDlq } from '../dead-letter-topics.js';
import { queryDeps } from '../query-deps.js';
import { RunningQuery } from '../running-query.js';
import { startingFrom } from '../start-position.js';
import { PushQueue } from '../sinks.js';
import { finishRows, foldedRowsFor, visibleFields } from '../sorted-rows.js';
import { eventTimeColumn } from './definitions.js';
import type { StatementHandler } from './handler.js';

export const selectPush: StatementHandler<'Query'> = async (session, s, text, opts) => {
  const q = planQuery(s.query, session.catalog, { bounded: opts.bounded === true });
  const id = session.queries.nextId('push');
  const queue = new PushQueue(q.fields);
  // With ORDER BY or window functions (a bounded run only), the client gets the final rows once the input has ended.
  const sorted = q.orderBy || q.windows ? sortAtEnd(q, queue, session.catalog.limits.maxResultRows) : undefined;
  const dlq = await ensureDlq(session, `${id}_dlq`);
  const timeColumn = eventTimeColumn(q);
  const rq = new RunningQuery({
    id,
    kind: 'push',
    sql: text,
    plan: startingFrom(q.physical, opts.bounded === true ? 'earliest' : (opts.from ?? 'latest')),
    fields: q.fields,
    output: sorted ? { kind: 'push', queue } : { kind: 'push', queue, ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.offset ? { offset: q.offset } : {}) },
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
    columns: visibleFields(q).map((f) => ({ name: f.name, type: typeToString(f.type) })),
    updating: sorted ? false : q.updating,
    rows: sorted ?? queue,
    batches: (sorted ?? queue).batches(),
    cancel: () => rq.stop('finished'),
    cancelledElsewhere: () => session.queries.wasCancelled(id),
  };
};

/**
 * The queue a client reads for a push query with ORDER BY: it takes every change of `queue` as it
 * comes, folds them into rows, and when `queue` ends gives those rows sorted, cut by OFFSET and
 * LIMIT and without hidden columns, as inserts.
 */
function sortAtEnd(q: QueryPlan, queue: PushQueue, maxRows: number): PushQueue {
  const fields = visibleFields(q);
  const out = new PushQueue(fields, Number.POSITIVE_INFINITY);
  const folded = foldedRowsFor(q, maxRows);
  void (async () => {
    try {
      for await (const { batch, rowKinds } of queue.batches()) {
        batchToRows(batch, q.fields).forEach((r, i) => folded.apply(rowKinds ? rowKinds[i]! : RowKind.INSERT, r));
      }
      const rows = finishRows(q, folded.rows());
      if (rows.length > 0) await out.push(makeBatch(fields, fields.map((_, c) => rows.map((r) => r[c])), rows.length), undefined);
      out.end();
    } catch (err) {
      out.end(err);
    }
  })();
  return out;
}
