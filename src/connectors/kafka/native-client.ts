/**
 * The Kafka connector's client on librdkafka, through @confluentinc/kafka-javascript, built by
 * scripts/build-native-kafka.sh into build/native-kafka/package (or found in the directory named
 * by SLUICE_KAFKA_NATIVE). It is not an npm dependency: its install step downloads a prebuilt
 * binary, so it is loaded at run time when present.
 *
 * It implements client.ts's interfaces:
 * - producers and admins are the package's KafkaJS-compatible ones; a producer picks each
 *   record's partition with the configured kafkajs partitioner (over the topic's partitions as
 *   described once per producer), as a kafkajs producer would; a transaction's
 *   `sendOffsets` for a group goes through a consumer of that group that never joins it (its
 *   group metadata carries no generation, as kafkajs's offsets commit does); a transaction's
 *   records go straight to the librdkafka producer underneath, and `commit` first waits in
 *   librdkafka until all of them are delivered (a transactional producer reports failed
 *   deliveries only: the package hands delivery reports to JavaScript 100 per turn of the event
 *   loop, which made a busy query wait for them far longer than the broker took, and keeps a
 *   handle per record for them); librdkafka's commit fails if any record failed;
 * - consumers are librdkafka consumers in the group with a rebalance callback: on each
 *   assignment GROUP_JOIN listeners run first, and the partitions they `seek` are assigned at
 *   those offsets (the others at the group's committed offset, else the subscription's start);
 *   records are fetched in a loop and handed to `eachBatch` one partition at a time; the end of
 *   a partition (read_committed: its last stable offset, past transaction markers) is reported as
 *   START_BATCH_PROCESS with batchSize 0 once the records before it were handled.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsumerConfig, ConsumerCrashEvent, ConsumerGroupJoinEvent, ConsumerStartBatchProcessEvent, KafkaMessage, Message, PartitionMetadata, ProducerConfig, ProducerRecord, TopicOffsets, TopicPartitionOffset } from 'kafkajs';
import { SluiceError } from '../../common/errors.js';
import type { BatchPayload, BatchRunConfig, ConsumerEventNames, GroupConsumer, KafkaAdmin, KafkaClient, SinkProducer, SinkTransaction } from './client.js';

interface RawTopicPartition {
  topic: string;
  partition: number;
  offset?: number;
}

interface RawMessage {
  value: Buffer | null;
  key?: Buffer | string | null;
  topic: string;
  partition: number;
  offset: number;
  timestamp?: number;
}

/** The end of a partition as a consume call reports it (the records before it were delivered). */
class PartitionEnd {
  constructor(
    readonly partition: number,
    readonly offset: number,
  ) {}
}

interface RawError extends Error {
  code: number;
  isFatal?: boolean;
}

/** The part of the package's librdkafka consumer used here. */
interface RawConsumer {
  connect(opts: { timeout?: number }, cb: (err: RawError | null) => void): void;
  disconnect(cb: (err?: RawError | null) => void): void;
  isConnected(): boolean;
  subscribe(topics: string[]): void;
  assign(assignments: RawTopicPartition[]): void;
  unassign(): void;
  pause(topicPartitions: RawTopicPartition[]): void;
  seek(toppar: RawTopicPartition, timeout: number, cb: (err?: RawError | null) => void): void;
  setDefaultConsumeTimeout(ms: number): void;
  /** true: a consume call waits its timeout for the first record only, then takes what is ready. */
  setDefaultIsTimeoutOnlyForFirstMessage(firstOnly: boolean): void;
  consume(count: number, cb: (err: RawError | null, messages: RawMessage[]) => void): void;
  getWatermarkOffsets(topic: string, partition: number): { highOffset: number; lowOffset: number };
  on(event: 'data', listener: (m: RawMessage) => void): void;
  on(event: 'partition.eof', listener: (e: RawTopicPartition & { offset: number }) => void): void;
  on(event: 'event.error', listener: (err: RawError) => void): void;
}

/** The KafkaJS-compatible client of the package, as used here. */
/** The package's librdkafka producer under its KafkaJS-compatible one, as used here. */
interface RawProducer {
  produce(topic: string, partition: number, value: Buffer | null, key: Buffer | string | null, timestamp: number, opaque?: undefined, headers?: RawHeader[]): void;
  /** Waits (off the event loop) until every record produced so far is delivered or failed. */
  flush(timeoutMs: number, cb: (err?: RawError | null) => void): void;
  on(event: 'delivery-report', listener: (err: RawError | null) => void): void;
  removeAllListeners(event: 'delivery-report'): void;
}
/** One record header as librdkafka takes it: { name: value }. */
type RawHeader = Record<string, string | Buffer>;
interface CompatProducer {
  /** The librdkafka producer, once connected. */
  _getInternalClient(): RawProducer;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: ProducerRecord['messages'] }): Promise<unknown>;
  transaction(): Promise<CompatProducer>;
  sendOffsets(arg: { consumer: CompatConsumer; topics: TopicOffsets[] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface CompatConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}
interface CompatKafka {
  producer(config: Record<string, unknown>): CompatProducer;
  consumer(config: Record<string, unknown>): CompatConsumer;
  admin(config?: Record<string, unknown>): CompatAdmin;
}
interface CompatAdmin extends KafkaAdmin {
  fetchTopicMetadata(options: { topics: string[] }): Promise<{ name: string; partitions: PartitionMetadata[] }[]>;
}

interface NativeModule {
  readonly librdkafkaVersion: string;
  readonly KafkaConsumer: new (conf: Record<string, unknown>, topicConf?: Record<string, unknown>) => RawConsumer;
  readonly KafkaJS: { readonly Kafka: new (config: Record<string, unknown>) => CompatKafka; readonly logLevel: { readonly NOTHING: number } };
}

const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
const ERR_UNKNOWN_TOPIC = 3;
const ERR_UNKNOWN_TOPIC_LOCAL = -188;
/** Records fetched per consume call, and how long a call waits for the first of them. */
const CONSUME_BATCH = 2000;
const CONSUME_WAIT_MS = 100;
/** How long a produced record may wait for its acknowledgement. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** librdkafka's queue of undelivered records is full (100 000 records by default). */
const ERR_QUEUE_FULL = -184;
/** How long a transactional call (sendOffsets, commit, abort) or a producer's disconnect may take. */
const TXN_CALL_TIMEOUT_MS = 15_000;
/** How long `disconnect` waits for a batch handler to return before it closes the consumer. */
const STOP_WAIT_MS = 5000;
/** Timeouts and back-off as kafkajs's (3 s to connect, 10 s per request, retries backing off to 2 s). */
const RECONNECT = { 'socket.timeout.ms': 10_000, 'socket.connection.setup.timeout.ms': 3000, 'reconnect.backoff.max.ms': 2000, 'retry.backoff.max.ms': 2000 } as const;

/** Where the build script puts the package: <repo>/build/native-kafka/package. */
export function defaultNativePackageDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../build/native-kafka/package');
}

let loaded: { module: NativeModule } | { error: string } | undefined;

/** The native package, or why it is not available. Loaded once. */
export function loadNativeKafka(): { module: NativeModule } | { error: string } {
  if (loaded) return loaded;
  const dir = process.env['SLUICE_KAFKA_NATIVE'] || defaultNativePackageDir();
  if (!existsSync(join(dir, 'package.json'))) {
    loaded = { error: `@confluentinc/kafka-javascript is not built (no package at ${dir})` };
    return loaded;
  }
  try {
    loaded = { module: createRequire(join(dir, 'package.json'))(dir) as NativeModule };
  } catch (err) {
    loaded = { error: `@confluentinc/kafka-javascript at ${dir} does not load: ${err instanceof Error ? err.message : String(err)}` };
  }
  return loaded;
}

/**
 * A librdkafka client, or undefined when the package is missing and not `required` (the caller
 * falls back to kafkajs).
 */
export function nativeKafkaClient(brokers: readonly string[], clientId: string, required: boolean): KafkaClient | undefined {
  const lib = loadNativeKafka();
  if ('error' in lib) {
    if (!required) return undefined;
    throw new SluiceError('CONNECTOR_ERROR', `kafka client 'native': ${lib.error}`, {
      hint: "build it with scripts/build-native-kafka.sh (needs gcc, g++, make, python3 and the npm registry), set SLUICE_KAFKA_NATIVE to a built package, or use client = 'kafkajs'",
    });
  }
  return new NativeClient(lib.module, brokers, clientId);
}

class NativeClient implements KafkaClient {
  private readonly compat: CompatKafka;

  constructor(
    private readonly lib: NativeModule,
    private readonly brokers: readonly string[],
    private readonly clientId: string,
  ) {
    this.compat = new lib.KafkaJS.Kafka({
      kafkaJS: { brokers: [...brokers], clientId, logLevel: lib.KafkaJS.logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 10_000 },
    });
  }

  producer(config: ProducerConfig): SinkProducer {
    return new NativeProducer(this.compat, config);
  }

  consumer(config: ConsumerConfig): GroupConsumer {
    return new NativeConsumer(this.lib, this.brokers, this.clientId, config);
  }

  admin(): KafkaAdmin {
    const admin = this.compat.admin();
    // A group's offsets committed in a transaction count once it completed: the sink reads its
    // decision offset after fencing the previous producer, and must not see it from before.
    // Topics are asked for by partition: for a topic named alone librdkafka asks for all the
    // group's offsets (OffsetFetch without topics), which not every broker answers (the test
    // broker returns none, and the sink then took every delivered outbox entry as undelivered).
    const fetchOffsets: KafkaAdmin['fetchOffsets'] = async (options) => {
      const names = options.topics;
      const topics = names?.length ? (await admin.fetchTopicMetadata({ topics: [...names] })).map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partitionId) })) : names;
      return admin.fetchOffsets({ ...options, topics, requireStableOffsets: true } as unknown as typeof options);
    };
    return { connect: () => admin.connect(), disconnect: () => admin.disconnect(), listTopics: () => admin.listTopics(), fetchTopicOffsets: (topic) => admin.fetchTopicOffsets(topic), fetchOffsets };
  }
}

class NativeProducer implements SinkProducer, SinkTransaction {
  private readonly producer: CompatProducer;
  /** Per consumer group: a consumer that never joins it, whose group metadata `sendOffsets` needs. */
  private readonly groups = new Map<string, Promise<CompatConsumer>>();
  /** The configured partitioner (librdkafka's own is not kafkajs's), and the partitions per topic it picks from. */
  private readonly partitioner: ReturnType<NonNullable<ProducerConfig['createPartitioner']>> | undefined;
  private readonly partitions = new Map<string, Promise<PartitionMetadata[]>>();
  private readonly transactional: boolean;
  private inTransaction = false;
  /** The first delivery failure reported in the transaction. */
  private deliveryFailure: Error | undefined;

  constructor(
    private readonly compat: CompatKafka,
    config: ProducerConfig,
  ) {
    this.transactional = config.transactionalId !== undefined;
    this.producer = compat.producer({
      kafkaJS: {
        ...(config.transactionalId !== undefined ? { transactionalId: config.transactionalId } : {}),
        idempotent: config.idempotent ?? false,
        ...(config.maxInFlightRequests !== undefined ? { maxInFlightRequests: config.maxInFlightRequests } : {}),
        acks: -1,
        retry: { retries: config.retry?.retries ?? 5 },
      },
      // A send fails within seconds while a broker is away (librdkafka's default waits five
      // minutes): the sink recreates the producer and retries, as with kafkajs.
      'message.timeout.ms': DELIVERY_TIMEOUT_MS,
      // A transactional producer sends in transactions only, whose records commit waits for.
      ...(this.transactional ? { 'delivery.report.only.error': true } : {}),
      ...RECONNECT,
    });
    this.partitioner = config.createPartitioner?.();
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    if (!this.transactional) return;
    // Only failures are reported (see the constructor), for records sent without an opaque: the
    // package's handler, which settles the opaque of its own sends, would throw on them.
    const raw = this.producer._getInternalClient();
    raw.removeAllListeners('delivery-report');
    raw.on('delivery-report', (err) => {
      if (err) this.deliveryFailure ??= new Error(`librdkafka: a record of the transaction was not delivered: ${err.message}`);
    });
  }

  async disconnect(): Promise<void> {
    const groups = [...this.groups.values()];
    this.groups.clear();
    await Promise.all(groups.map(async (c) => (await c.catch(() => undefined))?.disconnect().catch(() => undefined)));
    await bounded('disconnecting', this.producer.disconnect());
  }

  /**
   * Sends outside a transaction resolve once their records are acknowledged. In a transaction
   * the records go straight to librdkafka, which keeps their order, and a send resolves once
   * they are queued: sends follow each other without a round trip each, and `commit` waits for
   * every delivery first.
   */
  async send(record: ProducerRecord): Promise<unknown> {
    const messages = await this.partitioned(record.topic, record.messages);
    // acks is the producer's (all replicas); the package rejects it per send.
    if (!this.inTransaction) return this.producer.send({ topic: record.topic, messages });
    this.checkDeliveries();
    const raw = this.producer._getInternalClient();
    for (const m of messages) {
      const value = m.value === null || m.value === undefined ? null : Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value);
      const key = m.key ?? null;
      const partition = m.partition ?? -1;
      const timestamp = m.timestamp ? Number(m.timestamp) : 0;
      const headers = m.headers === undefined ? undefined : rawHeaders(m.headers);
      try {
        raw.produce(record.topic, partition, value, key, timestamp, undefined, headers);
      } catch (err) {
        if ((err as RawError).code !== ERR_QUEUE_FULL) throw err;
        // librdkafka's queue is full: it empties as the records are delivered.
        await this.delivered();
        raw.produce(record.topic, partition, value, key, timestamp, undefined, headers);
      }
    }
    return undefined;
  }

  /** Resolves once every record produced so far is delivered; rejects with a delivery failure. */
  private async delivered(): Promise<void> {
    const raw = this.producer._getInternalClient();
    await new Promise<void>((resolve, reject) => raw.flush(TXN_CALL_TIMEOUT_MS, (err) => (err ? reject(new Error(`librdkafka: waiting for the records of the transaction to be delivered: ${err.message}`)) : resolve())));
    this.checkDeliveries();
  }

  private checkDeliveries(): void {
    if (this.deliveryFailure !== undefined) throw this.deliveryFailure;
  }

  /**
   * `messages`, each that names no partition given the one the configured partitioner picks (in
   * place: the package's send rewrites the messages it is given too).
   */
  private async partitioned(topic: string, messages: Message[]): Promise<Message[]> {
    const partitioner = this.partitioner;
    if (!partitioner) return messages;
    const partitionMetadata = await this.topicPartitions(topic);
    for (const message of messages) {
      if (message.partition === undefined || message.partition === null) message.partition = partitioner({ topic, partitionMetadata, message });
    }
    return messages;
  }

  private topicPartitions(topic: string): Promise<PartitionMetadata[]> {
    let p = this.partitions.get(topic);
    if (!p) {
      p = (async () => {
        const admin = this.compat.admin();
        await admin.connect();
        try {
          const [meta] = await admin.fetchTopicMetadata({ topics: [topic] });
          if (!meta?.partitions.length) throw new Error(`librdkafka: no partitions known for topic '${topic}'`);
          return [...meta.partitions].sort((a, b) => a.partitionId - b.partitionId);
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      })();
      p.catch(() => this.partitions.delete(topic));
      this.partitions.set(topic, p);
    }
    return p;
  }

  async prepare(topic: string, groups: readonly string[]): Promise<void> {
    await Promise.all([this.partitioner ? this.topicPartitions(topic) : undefined, ...groups.map((g) => this.groupConsumer(g))]);
  }

  async transaction(): Promise<SinkTransaction> {
    await this.producer.transaction();
    this.inTransaction = true;
    this.deliveryFailure = undefined;
    return this;
  }

  async sendOffsets({ consumerGroupId, topics }: { consumerGroupId: string; topics: TopicOffsets[] }): Promise<void> {
    const consumer = await this.groupConsumer(consumerGroupId);
    await bounded(`sending the offsets of group '${consumerGroupId}'`, this.producer.sendOffsets({ consumer, topics }));
  }

  async commit(): Promise<void> {
    // librdkafka's commit waits for the deliveries too (and fails if one failed), but within the package's 5 s.
    if (this.inTransaction) await this.delivered();
    this.inTransaction = false;
    await bounded('committing the transaction', this.producer.commit());
  }

  abort(): Promise<void> {
    this.inTransaction = false;
    return bounded('aborting the transaction', this.producer.abort());
  }

  private groupConsumer(groupId: string): Promise<CompatConsumer> {
    let c = this.groups.get(groupId);
    if (!c) {
      const consumer = this.compat.consumer({ kafkaJS: { groupId } });
      c = consumer.connect().then(() => consumer);
      c.catch(() => this.groups.delete(groupId));
      this.groups.set(groupId, c);
    }
    return c;
  }
}

/** KafkaJS headers ({ name: value or values }) as librdkafka's list of { name: value }. */
function rawHeaders(headers: NonNullable<Message['headers']>): RawHeader[] {
  const out: RawHeader[] = [];
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) out.push({ [name]: v });
  }
  return out;
}

type Listener = (event: never) => void;

const EVENTS: ConsumerEventNames = { GROUP_JOIN: 'consumer.group_join', START_BATCH_PROCESS: 'consumer.start_batch_process', CRASH: 'consumer.crash' };

class NativeConsumer implements GroupConsumer {
  readonly events = EVENTS;
  /** Created by `subscribe`, which knows where unsought partitions start. */
  private rawConsumer: RawConsumer | undefined;
  private readonly listeners = new Map<string, Listener[]>();
  private readonly groupId: string;
  private topic: string | undefined;
  /** Partitions assigned now, and a count of (re)assignments for `isStale`. */
  private assigned = new Set<number>();
  private generation = 0;
  /** Seeks asked for partitions not assigned yet: applied when they are. */
  private readonly pendingSeeks = new Map<number, number>();
  private readonly paused = new Set<number>();
  private inRebalance = false;
  private running = false;
  private loop: Promise<void> | undefined;
  /** What the last consume call delivered, in order: records and partition ends. */
  private fetched: (RawMessage | PartitionEnd)[] = [];
  private eventId = 0;

  constructor(
    private readonly lib: NativeModule,
    private readonly brokers: readonly string[],
    private readonly clientId: string,
    private readonly config: ConsumerConfig,
  ) {
    this.groupId = config.groupId;
  }

  private get raw(): RawConsumer {
    if (!this.rawConsumer) throw new Error('the consumer is not subscribed');
    return this.rawConsumer;
  }

  private createRaw(fromBeginning: boolean): RawConsumer {
    const { config, brokers } = this;
    const self = this;
    const raw = new this.lib.KafkaConsumer(
      {
        'bootstrap.servers': brokers.join(','),
        'client.id': this.clientId,
        'group.id': config.groupId,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'isolation.level': config.readUncommitted === true ? 'read_uncommitted' : 'read_committed',
        'enable.partition.eof': true,
        'allow.auto.create.topics': config.allowAutoTopicCreation ?? false,
        'fetch.wait.max.ms': config.maxWaitTimeInMs ?? 100,
        ...(config.sessionTimeout !== undefined ? { 'session.timeout.ms': config.sessionTimeout } : {}),
        ...(config.heartbeatInterval !== undefined ? { 'heartbeat.interval.ms': config.heartbeatInterval } : {}),
        ...RECONNECT,
        rebalance_cb(err: RawError | undefined, assignment: RawTopicPartition[]) {
          self.onRebalance(err, assignment);
        },
      },
      // Partitions neither sought nor committed in the group start at the beginning or the end.
      { 'auto.offset.reset': fromBeginning ? 'earliest' : 'latest' },
    );
    raw.setDefaultConsumeTimeout(CONSUME_WAIT_MS);
    // Otherwise a call waits up to the timeout for each record until it has CONSUME_BATCH.
    raw.setDefaultIsTimeoutOnlyForFirstMessage(true);
    raw.on('data', (m) => this.fetched.push(m));
    raw.on('partition.eof', (e) => this.fetched.push(new PartitionEnd(e.partition, e.offset)));
    raw.on('event.error', (err) => {
      if (err.isFatal) this.crash(err);
    });
    return raw;
  }

  on(eventName: string, listener: Listener): () => void {
    const list = this.listeners.get(eventName) ?? [];
    list.push(listener);
    this.listeners.set(eventName, list);
    return () => list.splice(list.indexOf(listener) >>> 0, 1);
  }

  /** Connects in `subscribe`, where the consumer is created. */
  async connect(): Promise<void> {}

  async subscribe({ topic, fromBeginning }: { topic: string | RegExp; fromBeginning?: boolean }): Promise<void> {
    if (typeof topic !== 'string') throw new Error('the native Kafka client subscribes to topics by name');
    if (this.rawConsumer) throw new Error('the native Kafka client subscribes to one topic');
    this.topic = topic;
    const raw = this.createRaw(fromBeginning === true);
    this.rawConsumer = raw;
    await new Promise<void>((resolve, reject) => raw.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
    raw.subscribe([topic]);
  }

  async run(config: BatchRunConfig): Promise<void> {
    if (this.running) throw new Error('the consumer is already running');
    this.running = true;
    this.loop = this.fetchLoop(config);
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    if (topic !== this.topic) return;
    const at = Number(offset);
    if (this.inRebalance || !this.assigned.has(partition)) {
      this.pendingSeeks.set(partition, at);
      return;
    }
    this.raw.seek({ topic, partition, offset: at }, 0, (err) => {
      if (err) this.pendingSeeks.set(partition, at);
    });
  }

  pause(topics: { topic: string; partitions?: number[] }[]): void {
    for (const { topic, partitions } of topics) {
      if (topic !== this.topic) continue;
      for (const p of partitions ?? [...this.assigned]) this.paused.add(p);
      if (!this.inRebalance) this.raw.pause((partitions ?? [...this.assigned]).map((partition) => ({ topic, partition })));
    }
  }

  async disconnect(): Promise<void> {
    this.running = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop?.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
    clearTimeout(timer);
    const raw = this.rawConsumer;
    if (!raw?.isConnected()) return;
    await new Promise<void>((resolve) => raw.disconnect(() => resolve()));
  }

  private onRebalance(err: RawError | undefined, assignment: RawTopicPartition[]): void {
    try {
      if (err?.code === ERR_ASSIGN_PARTITIONS) {
        this.generation++;
        const topic = this.topic ?? assignment[0]?.topic ?? '';
        const mine = assignment.filter((tp) => tp.topic === topic).map((tp) => tp.partition);
        this.inRebalance = true;
        try {
          this.emit(EVENTS.GROUP_JOIN, {
            duration: 0,
            groupId: this.groupId,
            isLeader: false,
            leaderId: '',
            groupProtocol: '',
            memberId: '',
            memberAssignment: { [topic]: mine },
          } satisfies ConsumerGroupJoinEvent['payload']);
        } finally {
          this.inRebalance = false;
        }
        this.raw.assign(
          assignment.map((tp) => {
            const sought = tp.topic === topic ? this.pendingSeeks.get(tp.partition) : undefined;
            // Without a seek: the group's committed offset, else the subscription's start.
            return { topic: tp.topic, partition: tp.partition, ...(sought !== undefined ? { offset: sought } : {}) };
          }),
        );
        for (const p of mine) this.pendingSeeks.delete(p);
        this.assigned = new Set(mine);
        const paused = mine.filter((p) => this.paused.has(p));
        if (paused.length) this.raw.pause(paused.map((partition) => ({ topic, partition })));
      } else if (err?.code === ERR_REVOKE_PARTITIONS) {
        this.generation++;
        this.assigned = new Set();
        this.paused.clear();
        this.raw.unassign();
      }
    } catch (e) {
      this.crash(e);
    }
  }

  private async fetchLoop(config: BatchRunConfig): Promise<void> {
    const topic = this.topic!;
    while (this.running) {
      this.fetched = [];
      try {
        // The records arrive through the 'data' and 'partition.eof' listeners, in order.
        await new Promise<void>((resolve, reject) => this.raw.consume(CONSUME_BATCH, (err) => (err ? reject(err) : resolve())));
      } catch (err) {
        const code = (err as RawError).code;
        if ((err as RawError).isFatal || code === ERR_UNKNOWN_TOPIC || code === ERR_UNKNOWN_TOPIC_LOCAL) {
          this.crash(err);
          return;
        }
        await new Promise((r) => setTimeout(r, CONSUME_WAIT_MS));
        continue;
      }
      // Records per partition, in order; a partition's end is reported after its records.
      const items = this.fetched;
      this.fetched = [];
      const batches = new Map<number, RawMessage[]>();
      const generation = this.generation;
      for (const item of items) {
        if (!this.running) return;
        if (!(item instanceof PartitionEnd)) {
          if (item.topic !== topic) continue;
          const list = batches.get(item.partition);
          if (list) list.push(item);
          else batches.set(item.partition, [item]);
          continue;
        }
        const pending = batches.get(item.partition);
        batches.delete(item.partition);
        if (pending) await this.handOver(config, topic, item.partition, pending, generation);
        if (generation !== this.generation) continue;
        const last = String(item.offset - 1);
        this.emit(EVENTS.START_BATCH_PROCESS, {
          topic,
          partition: item.partition,
          highWatermark: String(item.offset),
          offsetLag: '0',
          offsetLagLow: '0',
          batchSize: 0,
          firstOffset: last,
          lastOffset: last,
        } satisfies ConsumerStartBatchProcessEvent['payload']);
      }
      for (const [partition, list] of batches) {
        if (!this.running) return;
        await this.handOver(config, topic, partition, list, generation);
      }
    }
  }

  private async handOver(config: BatchRunConfig, topic: string, partition: number, list: readonly RawMessage[], generation: number): Promise<void> {
    if (generation !== this.generation || !this.assigned.has(partition)) return;
    const messages = list.map(toKafkaMessage);
    const lastOffset = messages[messages.length - 1]!.offset;
    const payload: BatchPayload = {
      batch: {
        topic,
        partition,
        messages,
        highWatermark: String(this.high(topic, partition) ?? Number(lastOffset) + 1),
        lastOffset: () => lastOffset,
        offsetLag: () => String(Math.max(0, (this.high(topic, partition) ?? 0) - Number(lastOffset) - 1)),
      },
      heartbeat: async () => undefined,
      isRunning: () => this.running,
      isStale: () => generation !== this.generation,
    };
    try {
      await config.eachBatch(payload);
    } catch (err) {
      this.crash(err);
      this.running = false;
    }
  }

  private high(topic: string, partition: number): number | undefined {
    try {
      return this.raw.getWatermarkOffsets(topic, partition).highOffset;
    } catch {
      return undefined;
    }
  }

  private crash(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.emit(EVENTS.CRASH, { error, groupId: this.groupId, restart: false } satisfies ConsumerCrashEvent['payload']);
  }

  private emit(type: string, payload: unknown): void {
    const event = { id: String(++this.eventId), type, timestamp: Date.now(), payload };
    for (const l of this.listeners.get(type) ?? []) (l as (e: unknown) => void)(event);
  }
}

/**
 * `call`, failing after TXN_CALL_TIMEOUT_MS: a transactional call of librdkafka can stay
 * unanswered while a broker is away, and the sink then recreates the producer (whose new
 * instance fences this one) instead of waiting for it.
 */
function bounded<T>(what: string, call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`librdkafka: ${what} got no answer within ${TXN_CALL_TIMEOUT_MS} ms`)), TXN_CALL_TIMEOUT_MS)));
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

function toKafkaMessage(m: RawMessage): KafkaMessage {
  const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
  return { key, value: m.value ?? null, timestamp: String(m.timestamp ?? 0), attributes: 0, offset: String(m.offset), headers: {} };
}
