/** CREATE MATERIALIZED VIEW: a persistent query whose result is kept by key and can be read. */
import { withKafkaQueryGroup } from '../../connectors/kafka/index.js';
import { isMultisetView, isReplacingView, pullsFromChangelog, viewChanges, viewKey } from '../persistent-plan.js';
import { viewKv } from '../relation-storage.js';
import { ViewSink } from '../sinks.js';
import { retentionOption } from './definitions.js';
import type { StatementHandler } from './handler.js';
import { persistentQuery, planPersistent, startPersistent } from './persistent.js';

export const createView: StatementHandler<'CreateMaterializedView'> = async (session, s, text, opts) => {
  const plan = await planPersistent(session, s, text);
  if ('kind' in plan) return plan;
  const { q, name, options } = plan;
  const { store, log } = session.storage;
  const key = viewKey(q, options['key'], s.span);
  const changelog = `${name}__changes`;
  await log.createTopic(changelog, 1, retentionOption(options));
  session.catalog.addRelation(
    { kind: 'view', name, schema: q.fields, key: key.map((k) => q.fields[k]!.name), ...viewChanges(q, key, options['key']), ...(pullsFromChangelog(q, options['key']) ? { pullFrom: 'changelog' as const } : {}), queryId: plan.id, changelog, ...(q.watermark ? { watermark: q.watermark } : {}), reads: plan.reads, options, sql: text },
    s.name.span,
  );
  const rows = isMultisetView(q, options['key']) ? 'multiset' : isReplacingView(q, key, options['key']) ? 'replacing' : 'changes';
  const sink = new ViewSink(q.fields, key, viewKv(store, name), { log, topic: changelog }, rows);
  const rq = persistentQuery(session, plan, 'view', { kind: 'epoch', sink }, withKafkaQueryGroup(session.env, plan.id));
  return startPersistent(session, s, plan, rq, opts.signal);
};
