/**
 * The Kafka client a stream, table or sink talks through: kafkajs (the default), or librdkafka
 * through @confluentinc/kafka-javascript when it was built (`client = 'native'`; see
 * scripts/build-native-kafka.sh).
 *
 * The interfaces below are the part of kafkajs the source, sink and table use; kafkajs's own
 * clients satisfy them as they are, and the native adapter (native-client.ts) implements them on
 * librdkafka, with the same meaning:
 * - consumers read committed records only, in a consumer group, and report each assignment
 *   (GROUP_JOIN, where `seek` and `pause` of the assigned partitions take effect before any
 *   fetch), the end of a partition (START_BATCH_PROCESS with batchSize 0, lastOffset one below
 *   the position past any transaction markers), and fatal errors (CRASH);
 * - a transactional producer fences older producers of its transactional id (and ends their open
 *   transaction) by its first `transaction()` at the latest (kafkajs runs InitProducerId there,
 *   not in `connect`: see connectFenced), and `sendOffsets` commits a group's offsets within the
 *   transaction.
 */
import type {
  Admin,
  Batch,
  ConsumerConfig,
  ConsumerCrashEvent,
  ConsumerEvents,
  ConsumerGroupJoinEvent,
  ConsumerStartBatchProcessEvent,
  ConsumerSubscribeTopic,
  ProducerConfig,
  ProducerRecord,
  TopicOffsets,
  TopicPartitionOffset,
} from 'kafkajs';
import { SluiceError } from '../../common/errors.js';
import type { Options } from '../../planner/catalog.js';
import { nativeKafkaClient } from './native-client.js';
import { kafkaClient } from './options.js';

export type ClientKind = 'kafkajs' | 'native' | 'auto';
export const CLIENT_KINDS: readonly ClientKind[] = ['kafkajs', 'native', 'auto'];

/** What a batch handler is given. */
export interface BatchPayload {
  readonly batch: Pick<Batch, 'topic' | 'partition' | 'highWatermark' | 'messages' | 'lastOffset' | 'offsetLag'>;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** Whether the batch's partition was revoked since it was fetched. */
  isStale(): boolean;
}

export interface BatchRunConfig {
  readonly autoCommit?: boolean;
  readonly eachBatchAutoResolve?: boolean;
  readonly partitionsConsumedConcurrently?: number;
  eachBatch(payload: BatchPayload): Promise<void>;
}

export type ConsumerEventNames = Pick<ConsumerEvents, 'GROUP_JOIN' | 'START_BATCH_PROCESS' | 'CRASH'>;

export interface GroupConsumer {
  readonly events: ConsumerEventNames;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: ConsumerSubscribeTopic): Promise<void>;
  /** Starts fetching in the background; resolves once started. */
  run(config: BatchRunConfig): Promise<void>;
  seek(topicPartitionOffset: TopicPartitionOffset): void;
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  on(eventName: ConsumerEvents['GROUP_JOIN'], listener: (event: ConsumerGroupJoinEvent) => void): () => void;
  on(eventName: ConsumerEvents['START_BATCH_PROCESS'], listener: (event: ConsumerStartBatchProcessEvent) => void): () => void;
  on(eventName: ConsumerEvents['CRASH'], listener: (event: ConsumerCrashEvent) => void): () => void;
}

export interface SinkTransaction {
  send(record: ProducerRecord): Promise<unknown>;
  sendOffsets(offsets: { consumerGroupId: string; topics: TopicOffsets[] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface SinkProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: ProducerRecord): Promise<unknown>;
  transaction(): Promise<SinkTransaction>;
  /**
   * Optional: sets up ahead (in the background) what sending to `topic` and `sendOffsets` for
   * `groups` need, so that the first transaction does not wait for it. A failure here only leaves
   * it to the first use.
   */
  prepare?(topic: string, groups: readonly string[]): Promise<void>;
}

export type KafkaAdmin = Pick<Admin, 'connect' | 'disconnect' | 'listTopics' | 'fetchOffsets' | 'fetchTopicOffsets'>;

export interface KafkaClient {
  producer(config: ProducerConfig): SinkProducer;
  consumer(config: ConsumerConfig): GroupConsumer;
  admin(): KafkaAdmin;
}

/**
 * Connects a transactional producer and fences the older producers of its transactional id
 * before it resolves: their open transaction is ended, so offsets and data read next are final.
 * kafkajs runs the transactional InitProducerId on the first `transaction()`, not on `connect`,
 * so one is begun and aborted (with nothing in it, the abort sends nothing).
 */
export async function connectFenced(producer: Pick<SinkProducer, 'connect' | 'transaction'>): Promise<void> {
  await producer.connect();
  await (await producer.transaction()).abort();
}

/** The `client` option, else SLUICE_KAFKA_CLIENT, else kafkajs. */
export function kafkaClientKind(options: Options): ClientKind {
  const fromOption = options['client'] !== undefined;
  const raw = String(options['client'] ?? process.env['SLUICE_KAFKA_CLIENT'] ?? 'kafkajs').toLowerCase();
  if (!(CLIENT_KINDS as readonly string[]).includes(raw)) {
    throw new SluiceError('INVALID_ARGUMENT', `${fromOption ? "option 'client'" : 'SLUICE_KAFKA_CLIENT'} is '${raw}'; the Kafka connector knows no such client`, {
      hint: "use 'kafkajs', 'native' (librdkafka; build it with scripts/build-native-kafka.sh) or 'auto' (native when built, else kafkajs)",
    });
  }
  return raw as ClientKind;
}

/** A client of `kind` for the connector ('auto': native when it loads, else kafkajs). */
export function connectorClient(kind: ClientKind, brokers: readonly string[], clientId: string): KafkaClient {
  if (kind === 'kafkajs') return kafkaClient(brokers, clientId);
  return nativeKafkaClient(brokers, clientId, kind === 'native') ?? kafkaClient(brokers, clientId);
}
