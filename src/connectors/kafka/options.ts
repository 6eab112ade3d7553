/**
 * WITH options of Kafka streams, tables and sinks, and the kafkajs clients built from them.
 *
 * Options (all optional except where noted):
 * - `topic`: the Kafka topic; defaults to the relation's name.
 * - `'bootstrap.servers'`: `host:port[,host:port...]`; defaults to the SLUICE_KAFKA_BOOTSTRAP
 *   environment variable. One of the two is required.
 * - `format`: only `'json'` (one JSON object per record value).
 * - `key`: the column used as the record key (sinks) / the stream's key column.
 * - `'group.id'`: consumer group of a source; defaults to `sluice-<query id>`.
 * - `timestamp = 'record'` (streams): the WATERMARK column is filled from the Kafka record
 *   timestamp instead of the JSON value.
 * - `semantic` (sinks): `'exactly_once'` (default) or `'at_least_once'`.
 * - `'decisions.topic'` (sinks): the one-partition topic the commit decisions are recorded
 *   against; defaults to `__sluice_decisions` and must exist.
 * - `'transactional.id'` (sinks): defaults to `sluice-<query id>`.
 * - `client`: `'kafkajs'`, `'native'` (librdkafka) or `'auto'`; defaults to the SLUICE_KAFKA_CLIENT
 *   environment variable, else kafkajs (see client.ts).
 * - `'deleted.records'` (streams): `'fail'` or `'skip'` when records were deleted before the query
 *   read them; defaults to the SLUICE_KAFKA_DELETED_RECORDS environment variable, else `'fail'`.
 */
import { createRequire } from 'node:module';
import type { ConsumerConfig, Kafka as KafkaClient } from 'kafkajs';
import { SluiceError } from '../../common/errors.js';
import type { Options } from '../../planner/catalog.js';
import { installAbortedFilter } from './aborted-records.js';
import { kafkaClientKind } from './client.js';

/** The `'deleted.records'` option: fail the query, or go on from the log start offset with a dead letter. */
export type DeletedRecordsPolicy = 'fail' | 'skip';
export const DELETED_RECORDS_POLICIES: readonly DeletedRecordsPolicy[] = ['fail', 'skip'];

/**
 * kafkajs, loaded on first use: most engines never talk to Kafka, and loading it took a tenth of
 * the command line's start-up. It is CommonJS, so a synchronous require keeps its callers sync.
 * Its consumers leave out aborted transactions with our filter (aborted-records.ts).
 */
let kafkajsModule: typeof import('kafkajs') | undefined;
export function kafkajs(): typeof import('kafkajs') {
  if (!kafkajsModule) {
    const require = createRequire(import.meta.url);
    installAbortedFilter(require);
    kafkajsModule = require('kafkajs') as typeof import('kafkajs');
  }
  return kafkajsModule;
}

export const DEFAULT_DECISIONS_TOPIC = '__sluice_decisions';

export type Semantic = 'exactly_once' | 'at_least_once';

export function kafkaTopic(options: Options, relation: string): string {
  return String(options['topic'] ?? relation);
}

export function kafkaBrokers(options: Options, what: string): string[] {
  const raw = options['bootstrap.servers'] ?? options['properties.bootstrap.servers'] ?? process.env['SLUICE_KAFKA_BOOTSTRAP'];
  const brokers = String(raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (brokers.length === 0) {
    throw new SluiceError('INVALID_ARGUMENT', `${what} uses connector 'kafka' but names no brokers`, {
      hint: "add 'bootstrap.servers' = 'host:9092' to WITH (...) or set SLUICE_KAFKA_BOOTSTRAP",
    });
  }
  return brokers;
}

export function kafkaSemantic(options: Options): Semantic {
  const s = String(options['semantic'] ?? 'exactly_once').toLowerCase().replace('-', '_');
  if (s !== 'exactly_once' && s !== 'at_least_once') {
    throw new SluiceError('INVALID_ARGUMENT', `semantic '${String(options['semantic'])}' is not known`, { hint: "use 'exactly_once' or 'at_least_once'" });
  }
  return s;
}

/** What a stream's source does with records deleted before it read them: the option, else SLUICE_KAFKA_DELETED_RECORDS, else 'fail'. */
export function kafkaDeletedRecords(options: Options): DeletedRecordsPolicy {
  const fromOption = options['deleted.records'] !== undefined;
  const raw = String(options['deleted.records'] ?? process.env['SLUICE_KAFKA_DELETED_RECORDS'] ?? 'fail').toLowerCase();
  if (!(DELETED_RECORDS_POLICIES as readonly string[]).includes(raw)) {
    throw new SluiceError('INVALID_ARGUMENT', `${fromOption ? "option 'deleted.records'" : 'SLUICE_KAFKA_DELETED_RECORDS'} is '${raw}'`, { hint: "use 'fail' (the query fails naming the deleted offsets) or 'skip' (it goes on from the log start offset with a dead letter)" });
  }
  return raw as DeletedRecordsPolicy;
}

/** Checks the options of a Kafka stream, table or sink at CREATE time. */
export function checkKafkaOptions(options: Options, what: string, kind: 'stream' | 'table' | 'sink', hasWatermark: boolean): void {
  kafkaBrokers(options, what);
  const format = String(options['format'] ?? 'json').toLowerCase();
  if (format !== 'json') {
    throw new SluiceError('UNSUPPORTED', `${what}: format '${format}' is not supported by the Kafka connector`, { hint: "use format = 'json'" });
  }
  if (kind === 'sink') kafkaSemantic(options);
  kafkaClientKind(options);
  if (kind === 'stream') kafkaDeletedRecords(options);
  const ts = options['timestamp'];
  if (ts !== undefined) {
    if (kind !== 'stream' || String(ts).toLowerCase() !== 'record') {
      throw new SluiceError('INVALID_ARGUMENT', `${what}: timestamp = '${String(ts)}' is not supported`, { hint: "streams accept timestamp = 'record' (event time from the Kafka record timestamp)" });
    }
    if (!hasWatermark) {
      throw new SluiceError('INVALID_ARGUMENT', `${what}: timestamp = 'record' needs a WATERMARK column to fill`, { hint: "declare e.g. ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND" });
    }
  }
}

/** A kafkajs client that logs nothing itself: failures surface as Sluice errors. */
export function kafkaClient(brokers: readonly string[], clientId: string): KafkaClient {
  const { Kafka, logLevel } = kafkajs();
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

/**
 * A consumer as every reader of Kafka in Sluice sets one up: committed records only (reads stop
 * at open transactions), short fetch waits, no topic created by reading, retries with backoff.
 * With `sessionTimeoutMs` (a member of a consumer group that shares partitions): that session
 * timeout, the same rebalance timeout, and heartbeats five times per session.
 */
export function kafkaConsumer<C>(client: { consumer(config: ConsumerConfig): C }, groupId: string, sessionTimeoutMs?: number): C {
  return client.consumer({
    groupId,
    ...(sessionTimeoutMs !== undefined ? { sessionTimeout: sessionTimeoutMs, rebalanceTimeout: sessionTimeoutMs, heartbeatInterval: Math.max(100, Math.floor(sessionTimeoutMs / 5)) } : {}),
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

/** A connector error that names where it happened and what to do. */
export function connectorError(where: string, err: unknown, hint: string): SluiceError {
  const msg = err instanceof Error ? err.message : String(err);
  return new SluiceError('CONNECTOR_ERROR', `kafka ${where}: ${msg}`, { hint, cause: err });
}
