/**
 * The Kafka connector as the engine sees it: a source for streams, an epoch sink for sinks,
 * a background loader for tables, and the option checks for CREATE statements.
 */
import { RowChecker } from '../../exec/row-constraints.js';
import type { RowConstraints } from '../../planner/constraints.js';
import { randomUUID } from 'node:crypto';
import { SluiceError } from '../../common/errors.js';
import type { Field } from '../../common/types.js';
import type { EpochSink } from '../../exec/epoch-sink.js';
import type { SinkArgs } from '../connector.js';
import type { ExecEnv } from '../../exec/pipeline.js';
import type { Source } from '../../exec/source.js';
import type { Options, TableDef } from '../../planner/catalog.js';
import { physicalInputs, type PhysicalPlan, type SourceExec } from '../../planner/physical.js';
import type { TableRows } from '../../state/index.js';
import { KafkaSink } from './kafka-sink.js';
import { KafkaSource } from './kafka-source.js';
import { KafkaTableLoader } from './kafka-table.js';
import { kafkaClientKind } from './client.js';
import { DEFAULT_DECISIONS_TOPIC, kafkaBrokers, kafkaDeletedRecords, kafkaSemantic, kafkaTopic } from './options.js';

export { checkKafkaOptions, DEFAULT_DECISIONS_TOPIC } from './options.js';
export { KafkaSink, type KafkaSinkConfig } from './kafka-sink.js';
export { KafkaSource, type KafkaSourceConfig } from './kafka-source.js';
export { KafkaTableLoader } from './kafka-table.js';

export function sessionTimeout(options: Options): number {
  const n = Number(options['session.timeout.ms'] ?? 10_000);
  if (!Number.isInteger(n) || n < 1000) throw new SluiceError('INVALID_ARGUMENT', `'session.timeout.ms' must be an integer of at least 1000, got '${String(options['session.timeout.ms'])}'`);
  return n;
}

/** The consumer group a Kafka source of `queryId` reads in. */
export function kafkaGroupId(options: Options, queryId: string | undefined): string {
  return String(options['group.id'] ?? `sluice-${queryId ?? `push-${randomUUID()}`}`);
}

/** A source over the stream's Kafka topic. Without 'group.id' (push queries) the group is unique. */
export function kafkaSource(plan: SourceExec): Source {
  const what = `stream ${plan.relation}`;
  const recordTime = String(plan.options['timestamp'] ?? '').toLowerCase() === 'record';
  return new KafkaSource({
    relation: plan.relation,
    topic: kafkaTopic(plan.options, plan.relation),
    brokers: kafkaBrokers(plan.options, what),
    groupId: kafkaGroupId(plan.options, undefined),
    fields: plan.fields,
    ...(plan.watermark ? { watermark: plan.watermark } : {}),
    recordTime: recordTime && plan.watermark !== undefined,
    sessionTimeoutMs: sessionTimeout(plan.options),
    startAtLatest: plan.startAt === 'latest',
    client: kafkaClientKind(plan.options),
    deletedRecords: kafkaDeletedRecords(plan.options),
    ...(plan.constraints ? { constraints: { checker: new RowChecker(plan.constraints), columns: plan.columns } } : {}),
  });
}

/** `env` whose Kafka sources read in the group `sluice-<queryId>` unless they name one. */
export function withKafkaQueryGroup(env: ExecEnv, queryId: string): ExecEnv {
  return {
    ...env,
    source: (plan) => env.source(plan.connector === 'kafka' ? { ...plan, options: { ...plan.options, 'group.id': kafkaGroupId(plan.options, queryId) } } : plan),
  };
}

/** What a Kafka sink is built from (the embedded log is not needed). */
export type KafkaSinkArgs = Omit<SinkArgs, 'log'>;

/** The sink's key columns: its `key` option, else `defaultKey`. */
export function sinkKeyColumns(options: Options, fields: readonly Field[], defaultKey: readonly number[], what: string): number[] {
  const explicit = options['key'];
  if (explicit === undefined) return [...defaultKey];
  return String(explicit)
    .split(',')
    .map((n) => {
      const i = fields.findIndex((f) => f.name.toLowerCase() === n.trim().toLowerCase());
      if (i < 0) throw new SluiceError('UNKNOWN_COLUMN', `${what}: key '${n.trim()}' is not an output column`, { hint: `output columns: ${fields.map((f) => f.name).join(', ')}` });
      return i;
    });
}

export function kafkaSink(a: KafkaSinkArgs): EpochSink {
  const what = `sink ${a.name}`;
  const keyColumns = sinkKeyColumns(a.options, a.fields, a.defaultKey, what);
  const sourceGroups = new Map<string, string>();
  const visit = (p: PhysicalPlan): void => {
    if (p.kind === 'SourceExec' && p.connector === 'kafka') sourceGroups.set(kafkaTopic(p.options, p.relation), kafkaGroupId(p.options, a.queryId));
    physicalInputs(p).forEach(visit);
  };
  visit(a.plan);
  return new KafkaSink({
    queryId: a.queryId,
    name: a.name,
    topic: kafkaTopic(a.options, a.name),
    brokers: kafkaBrokers(a.options, what),
    fields: a.fields,
    keyColumns,
    semantic: kafkaSemantic(a.options),
    transactionalId: String(a.options['transactional.id'] ?? `sluice-${a.queryId}`),
    decisionsTopic: String(a.options['decisions.topic'] ?? DEFAULT_DECISIONS_TOPIC),
    sourceGroups,
    store: a.store,
    checkpoints: a.checkpoints,
    ...(a.options['delivery.timeout.ms'] !== undefined ? { deliveryTimeoutMs: Number(a.options['delivery.timeout.ms']) } : {}),
    client: kafkaClientKind(a.options),
  });
}

/**
 * Starts keeping a table current from its topic; waits until the topic was read up to its end
 * as of now, or 'load.timeout.ms' (default 30 s) passed — then it keeps loading in the background.
 */
export async function startKafkaTable(def: TableDef, rows: TableRows, constraints?: RowConstraints): Promise<KafkaTableLoader> {
  const loader = new KafkaTableLoader({
    name: def.name,
    topic: kafkaTopic(def.options, def.name),
    brokers: kafkaBrokers(def.options, `table ${def.name}`),
    schema: def.schema,
    primaryKey: def.primaryKey,
    rows,
    sessionTimeoutMs: sessionTimeout(def.options),
    client: kafkaClientKind(def.options),
    ...(constraints ? { checker: new RowChecker(constraints) } : {}),
  });
  const timeout = Number(def.options['load.timeout.ms'] ?? 30_000);
  let timer: NodeJS.Timeout | undefined;
  const started = loader.start().catch((err: unknown) => {
    loader.lastError = err instanceof Error ? err.message : String(err);
  });
  await Promise.race([loader.ready, new Promise<void>((r) => (timer = setTimeout(r, timeout)))]);
  clearTimeout(timer);
  void started;
  return loader;
}
