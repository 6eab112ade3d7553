/**
 * Models as data from Kafka: a model's `'updates.topic'` carries model files as records (key =
 * the model's name, value = the `.onnx` bytes, optional header `metadata` = a JSON object for
 * the version). Each record for the model becomes its next version or its shadow candidate.
 *
 * Invariants:
 * - The first start reads from the topic's end as of then (like a watched folder, what is
 *   already there counts as seen); the position is stored per partition in the engine's store
 *   after each record, so a restart resumes after the last record handled.
 * - A record is applied once: its file is written to the data folder under a name made of topic,
 *   partition and offset, and a record whose file a version of the model already serves from
 *   (applied, recorded, then a crash before its position was stored) is skipped.
 * - A record that fails to load changes nothing: the registry counts, notes and reports it, the
 *   file is removed and the position moves past it.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { kafkaBrokers, kafkaClient, kafkaConsumer, connectorError } from '../connectors/kafka/options.js';
import { SluiceError } from '../common/errors.js';
import type { Statement } from '../parser/index.js';
import { KvTable, type Store } from '../state/index.js';
import type { ArriveFn, ModelFeed, ModelOptions, ModelRegistry } from '../udf/model-registry.js';

/** How long a feed that could not reach its topic waits before trying again. */
const RETRY_MS = 5000;
/** How long a CREATE/ALTER waits for the topic's start position before it returns anyway. */
const START_WAIT_MS = 3000;

interface StoredPosition {
  readonly [partition: string]: number;
}

export interface TopicFeedArgs {
  readonly model: string;
  readonly options: ModelOptions;
  readonly arrive: ArriveFn;
  readonly registry: ModelRegistry;
  readonly store: Store;
  /** Files from records are written under `<dataDir>/model-updates/<model>/`. */
  readonly dataDir: string;
  /** Told of a topic that cannot be read (the feed keeps trying). */
  readonly report: (message: string) => void;
  /**
   * Resolves once the engine has restored its catalog. A feed started while it restores waits
   * for it: a record applied between a model's replayed CREATE and its replayed ALTER would be
   * served, then replaced by the recorded version, and never recorded.
   */
  readonly restored: Promise<void>;
  readonly restoring: boolean;
}

/**
 * Refuses a CREATE/ALTER MODEL that turns on an updates topic with no brokers to read it from
 * (neither 'updates.brokers', earlier or now, nor SLUICE_KAFKA_BOOTSTRAP), before anything runs.
 */
export function checkUpdatesBrokers(s: Statement, models: ModelRegistry): void {
  if (s.kind !== 'CreateModel' && !(s.kind === 'AlterModel' && s.action === 'set')) return;
  const topic = s.options.find((o) => o.key.toLowerCase() === 'updates.topic');
  if (topic === undefined || /^\s*(none|off)?\s*$/i.test(String(topic.value))) return;
  const named = s.options.some((o) => o.key.toLowerCase() === 'updates.brokers');
  const before = s.kind === 'AlterModel' && models.has(s.name.name) ? models.get(s.name.name).options.updatesBrokers : undefined;
  if (named || before !== undefined || (process.env['SLUICE_KAFKA_BOOTSTRAP'] ?? '').trim() !== '') return;
  throw new SluiceError('INVALID_ARGUMENT', `model ${s.name.name}: 'updates.topic' names no brokers to read it from`, {
    span: topic.span,
    hint: "add 'updates.brokers' = 'host:9092' to WITH (...), or start the server with SLUICE_KAFKA_BOOTSTRAP set",
  });
}

const POSITIONS = '__model_updates';

/** DROP MODEL: forgets where the model was in its updates topics, so a model created again under the name starts at their end. */
export async function forgetTopicPositions(store: Store, model: string): Promise<void> {
  await new KvTable(store, POSITIONS).deletePrefix(`${model.toLowerCase()}\u0000`);
}

/**
 * Starts reading the model's updates topic; resolves once the start position is fixed (records
 * produced after that are applied), or after START_WAIT_MS when the topic cannot be reached yet
 * (the feed keeps trying in the background).
 */
export async function startTopicFeed(args: TopicFeedArgs): Promise<ModelFeed> {
  const feed = new TopicFeed(args);
  if (args.restoring) {
    void args.restored.then(() => feed.start());
    return feed;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([feed.start(), new Promise<void>((r) => (timer = setTimeout(r, START_WAIT_MS)))]);
  clearTimeout(timer);
  return feed;
}

class TopicFeed implements ModelFeed {
  private readonly topic: string;
  private readonly positions: KvTable<{ readonly offsets: StoredPosition }>;
  private readonly positionKey: string;
  private readonly folder: string;
  private consumer: Consumer | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastReport: string | undefined;

  constructor(private readonly a: TopicFeedArgs) {
    this.topic = a.options.updatesTopic!;
    this.positions = new KvTable(a.store, POSITIONS);
    this.positionKey = `${a.model.toLowerCase()}\u0000${this.topic}`;
    this.folder = join(a.dataDir, 'model-updates', encodeURIComponent(a.model.toLowerCase()));
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.run();
    } catch (err) {
      await this.consumer?.disconnect().catch(() => undefined);
      this.consumer = undefined;
      if (this.stopped) return;
      const e = connectorError(`updates topic '${this.topic}' of model '${this.a.model}'`, err, "check 'updates.brokers' (or SLUICE_KAFKA_BOOTSTRAP) and that the topic exists");
      // Reported when it starts failing or fails differently, not on every try.
      if (e.message !== this.lastReport) this.a.report(`${e.message} (${e.hint}); trying again every ${RETRY_MS / 1000} s`);
      this.lastReport = e.message;
      this.retry = setTimeout(() => void this.start(), RETRY_MS);
      this.retry.unref();
    }
  }

  private async run(): Promise<void> {
    const named = this.a.options.updatesBrokers;
    const brokers = kafkaBrokers(named === undefined ? {} : { 'bootstrap.servers': named }, `model ${this.a.model} ('updates.topic')`);
    const client = kafkaClient(brokers, `sluice-model-updates-${this.a.model}`);
    const at = new Map(Object.entries((await this.positions.get(this.positionKey))?.offsets ?? {}).map(([p, o]) => [Number(p), o]));
    const admin = client.admin();
    try {
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(this.topic);
      // First start: what the topic holds now counts as seen.
      if (at.size === 0) for (const o of ends) at.set(o.partition, Number(o.high));
      await this.savePositions(at);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (this.stopped) return;
    const consumer = kafkaConsumer(client, `sluice-model-updates-${this.a.model}-${process.pid}-${Date.now()}`);
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (this.stopped) return;
          // Until the seek below lands, a fetch may start at the beginning.
          if (Number(m.offset) < (at.get(batch.partition) ?? 0)) continue;
          await this.handle(batch.partition, m);
          at.set(batch.partition, Number(m.offset) + 1);
          await this.savePositions(at);
        }
      },
    });
    for (const [partition, offset] of at) consumer.seek({ topic: this.topic, partition, offset: String(offset) });
  }

  private savePositions(at: ReadonlyMap<number, number>): Promise<void> {
    return this.positions.upsert(this.positionKey, { offsets: Object.fromEntries([...at].map(([p, o]) => [String(p), o])) });
  }

  /** Applies one record if it is for this model and was not applied before. */
  private async handle(partition: number, m: KafkaMessage): Promise<void> {
    if (m.key === null || m.key.toString('utf8').trim().toLowerCase() !== this.a.model.toLowerCase()) return;
    const path = join(this.folder, `${encodeURIComponent(this.topic)}-${partition}-${m.offset}.onnx`);
    if (!this.a.registry.has(this.a.model) || this.a.registry.versions(this.a.model).some((v) => v.path === path)) return;
    await mkdir(this.folder, { recursive: true });
    await writeFile(`${path}.part`, m.value ?? Buffer.alloc(0));
    await rename(`${path}.part`, path);
    const header = m.headers?.['metadata'];
    const metadata = header === undefined ? undefined : String(Array.isArray(header) ? header[0] : header);
    const ok = await this.a.arrive({ path, origin: `the record ${this.topic}/${partition}@${m.offset} from the updates topic`, ...(metadata === undefined ? {} : { metadata }) });
    if (!ok) await rm(path, { force: true });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
