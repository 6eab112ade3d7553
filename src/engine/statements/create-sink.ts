/** CREATE SINK: a persistent query writing to the embedded log or to Kafka (optionally across processes). */
import { SluiceError } from '../../common/errors.js';
import { checkKafkaOptions, kafkaGroupId, sessionTimeout, sinkKeyColumns, withKafkaQueryGroup } from '../../connectors/kafka/index.js';
import { connectorFor } from '../../connectors/registry.js';
import type { EpochSink } from '../../exec/epoch-sink.js';
import { kafkaBrokers, kafkaTopic } from '../../connectors/kafka/options.js';
import type { PhysicalPlan, SourceExec } from '../../planner/physical.js';
import { isScaleOutSink } from '../persistent-plan.js';
import type { QueryHandle } from '../running-query.js';
import { ScaleOutQuery, scaleOutPrefix } from '../scale-out/query.js';
import type { Session } from '../session.js';
import { appendDeadLetters } from '../sinks.js';
import type { StatementHandler } from './handler.js';
import { persistentQuery, planPersistent, startPersistent, type PersistentPlan, type PersistentStatement } from './persistent.js';

export const createSink: StatementHandler<'CreateSink'> = async (session, s, text, opts) => {
  const plan = await planPersistent(session, s, text);
  if ('kind' in plan) return plan;
  const { q, name, options, connector } = plan;
  let rq: QueryHandle;
  if (connector === 'kafka') {
    rq = kafkaSinkQuery(session, s, plan);
  } else {
    // The embedded log: its topic can be read back as a stream.
    const topic = String(options['topic'] ?? name);
    await connectorFor('sink', plan.connector).provision?.('sink', name, options, session.storage.log);
    addSinkRelation(session, s, plan);
    if (!session.catalog.hasRelation(topic)) session.catalog.addRelation({ kind: 'stream', name: topic, schema: q.fields, options: { connector: 'log', topic }, sql: '' });
    rq = persistentQuery(session, plan, 'sink', { kind: 'epoch', sink: epochSink(session, plan, []) });
  }
  return startPersistent(session, s, plan, rq, opts.signal);
};

/** The sink's connector's EpochSink for the query's output. */
function epochSink(session: Session, plan: PersistentPlan, defaultKey: readonly number[]): EpochSink {
  const { store, checkpoints, log } = session.storage;
  const connector = connectorFor('sink', plan.connector);
  if (!connector.sink) throw new SluiceError('UNSUPPORTED', `connector '${plan.connector}' cannot write sink ${plan.name}`);
  return connector.sink({ queryId: plan.id, name: plan.name, options: plan.options, fields: plan.q.fields, plan: plan.q.physical, defaultKey, store, checkpoints, log });
}

function addSinkRelation(session: Session, s: PersistentStatement, plan: PersistentPlan): void {
  session.catalog.addRelation({ kind: 'sink', name: plan.name, schema: plan.q.fields, queryId: plan.id, reads: plan.reads, options: plan.options, sql: plan.text }, s.name.span);
}

/** A sink query writing to a Kafka topic (exactly once unless `semantic = 'at_least_once'`). */
function kafkaSinkQuery(session: Session, s: PersistentStatement, plan: PersistentPlan): QueryHandle {
  const { q, id, name, options } = plan;
  checkKafkaOptions(options, `sink ${name}`, 'sink', false);
  const defaultKey = q.keyColumns.length ? [...q.keyColumns] : q.streamKey !== undefined ? [q.streamKey] : [];
  if (isScaleOutSink(s)) {
    const query = scaleOutQuery(session, plan, defaultKey);
    addSinkRelation(session, s, plan);
    return query;
  }
  const sink = epochSink(session, plan, defaultKey);
  addSinkRelation(session, s, plan);
  return persistentQuery(session, plan, 'sink', { kind: 'epoch', sink }, withKafkaQueryGroup(session.env, id));
}

/** A Kafka sink query shared by every process that runs it (`'scale.out' = true`). */
function scaleOutQuery(session: Session, plan: PersistentPlan, defaultKey: readonly number[]): ScaleOutQuery {
  const { q, id, name, options } = plan;
  const what = `sink ${name}`;
  let source: SourceExec | undefined;
  const find = (p: PhysicalPlan): void => {
    if (p.kind === 'SourceExec') source ??= p;
    else if (p.kind === 'IntervalJoinExec' || p.kind === 'HashJoinExec') [p.left, p.right].forEach(find);
    else if (p.kind === 'UnionExec') p.inputs.forEach(find);
    else find(p.input);
  };
  find(q.physical);
  const partitions = options['scale.out.partitions'];
  if (partitions !== undefined && !(Number.isInteger(Number(partitions)) && Number(partitions) > 0)) {
    throw new SluiceError('INVALID_ARGUMENT', `${what}: 'scale.out.partitions' must be a positive integer, got '${String(partitions)}'`, { hint: "omit it to use the input topic's partition count" });
  }
  const sourceOptions = source?.options ?? {};
  const { log, store } = session.storage;
  return new ScaleOutQuery({
    id,
    name,
    sql: plan.text,
    plan: q.physical,
    fields: q.fields,
    brokers: kafkaBrokers(options, what),
    sinkTopic: kafkaTopic(options, name),
    keyColumns: sinkKeyColumns(options, q.fields, defaultKey, what),
    groupId: kafkaGroupId(sourceOptions, id),
    prefix: scaleOutPrefix(options, id),
    ...(partitions !== undefined ? { partitions: Number(partitions) } : {}),
    sourceTopic: source ? kafkaTopic(source.options, source.relation) : '',
    sessionTimeoutMs: sessionTimeout(sourceOptions),
    store,
    stateCache: session.storage.stateCache,
    env: session.env,
    checkpointIntervalMs: session.options.checkpointIntervalMs,
    onRowsOut: (n) => session.metrics.recordsOut(name, n),
    onDeadLetters: (letters) => {
      session.metrics.deadLettered(name, letters.length);
      const at = Date.now();
      return appendDeadLetters(log, plan.dlq, letters.map((l) => ({ ...l, at })), `sink ${name}`);
    },
  });
}
