/**
 * A sink query that runs across processes (`'scale.out' = true`): every process running the
 * same CREATE SINK joins the same Kafka consumer groups, and each works on the partitions the
 * group assigns it.
 *
 * Shape: the plan is cut at its keyed operator (planner/exchange.ts).
 * - The source stage runs the exchange and the plan below it once per input partition (consumer
 *   group `<group>`); the exchange operator routes each row to key partition hash(key) mod N,
 *   which goes to that partition of the repartition topic `<prefix>-repartition` as Arrow IPC
 *   — or, with no keyed operator, the whole plan runs here and writes straight to the sink.
 * - The keyed stage runs the plan above the exchange once per repartition partition (group
 *   `<group>-keyed`), reading the exchanged rows as its source, keeps
 *   its state in the changelog topic `<prefix>-changelog` (same partition as its input), and
 *   writes the sink topic.
 * Each (stage, partition) is a Task with its own transactional producer; see task.ts for how
 * output, state and offsets commit together and how a partition's state moves on rebalance.
 * Dead letters go to `<prefix>-dlq` in the same transactions (and are mirrored to the local
 * dead-letter stream after they commit).
 */
import { RowChecker } from '../../exec/row-constraints.js';
import type { RecordBatch } from 'apache-arrow';
import type { Admin, Consumer, IHeaders, Kafka as KafkaClient } from 'kafkajs';
import { asSluiceError, SluiceError } from '../../common/errors.js';
import type { Field } from '../../common/types.js';
import { decodeKafkaRecords } from '../../connectors/kafka/kafka-source.js';
import { sinkRecords } from '../../connectors/kafka/kafka-sink.js';
import { connectorError, kafkaClient, kafkaConsumer } from '../../connectors/kafka/options.js';
import { PartitionFeed, type FeedDecoder } from '../../connectors/kafka/partition-feed.js';
import { takeRows } from '../../exec/columns.js';
import { decodeBatches, encodeBatch } from '../../exec/ipc.js';
import type { DeadLetter } from '../../exec/message.js';
import type { ExecEnv } from '../../exec/pipeline.js';
import { splitAtExchange, type ExchangeSplit } from '../../planner/exchange.js';
import type { PhysicalPlan } from '../../planner/physical.js';
import type { StateCache, Store } from '../../state/index.js';
import type { QueryInfo } from '../types.js';
import { queryInfo, RateMeter, type QueryHandle } from '../running-query.js';
import { Task, type TaskRecord, type TaskSpec } from './task.js';

export interface ScaleOutSpec {
  readonly id: string;
  readonly name: string;
  readonly sql: string;
  readonly plan: PhysicalPlan;
  readonly fields: readonly Field[];
  readonly brokers: readonly string[];
  readonly sinkTopic: string;
  readonly keyColumns: readonly number[];
  /** Consumer group of the source stage (the keyed stage uses `<group>-keyed`). */
  readonly groupId: string;
  /** Prefix of the internal topics and transactional ids. */
  readonly prefix: string;
  /** Partitions of the repartition and changelog topics; default: the input topic's. */
  readonly partitions?: number;
  readonly sourceTopic: string;
  readonly sessionTimeoutMs: number;
  readonly store: Store;
  /** The engine's state cache, which every task's state tables read through. */
  readonly stateCache?: StateCache;
  readonly env: ExecEnv;
  readonly checkpointIntervalMs: number;
  readonly onRowsOut: (n: number) => void;
  /** Copies the dead letters of a committed checkpoint to the local dead-letter stream; a rejection fails the task. */
  readonly onDeadLetters: (letters: readonly DeadLetter[]) => Promise<void>;
}

/** Prefix of a scale-out sink's internal topics and transactional ids. */
export function scaleOutPrefix(options: Readonly<Record<string, unknown>>, queryId: string): string {
  return String(options['transactional.id'] ?? `sluice-${queryId}`);
}

/** How long a failed task waits before it starts again (if its partition is still ours). */
const RESTART_DELAY_MS = 500;
const ROWS_PER_EXCHANGE_RECORD = 2048;
const LAG_REFRESH_MS = 2000;

export class ScaleOutQuery implements QueryHandle {
  readonly kind = 'sink' as const;
  readonly startedAt = Date.now();
  status: QueryInfo['status'] = 'running';
  error: SluiceError | undefined;
  rowsOut = 0;
  deadLetters = 0;
  private readonly split: ExchangeSplit;
  private readonly client: KafkaClient;
  private readonly stages: Stage[] = [];
  private readonly rate = new RateMeter();

  constructor(private readonly spec: ScaleOutSpec) {
    this.split = splitAtExchange(spec.plan, `${spec.prefix}-repartition`, `sink ${spec.name}`);
    this.client = kafkaClient(spec.brokers, spec.prefix);
  }

  get id(): string {
    return this.spec.id;
  }

  get name(): string {
    return this.spec.name;
  }

  get sql(): string {
    return this.spec.sql;
  }

  get rowsIn(): number {
    return this.stages[0]?.rowsIn() ?? 0;
  }

  async start(): Promise<void> {
    const { spec, split } = this;
    const repartition = `${spec.prefix}-repartition`;
    const changelog = `${spec.prefix}-changelog`;
    const dlq = `${spec.prefix}-dlq`;
    const admin = this.client.admin();
    let partitions: number;
    let sourcePartitions: number;
    try {
      await admin.connect();
      const meta = await admin.fetchTopicMetadata({ topics: [spec.sourceTopic] });
      sourcePartitions = meta.topics[0]?.partitions.length ?? 1;
      partitions = spec.partitions ?? sourcePartitions;
      await ensureTopics(admin, [
        { topic: dlq, numPartitions: 1 },
        ...(split.exchange
          ? [
              { topic: repartition, numPartitions: partitions },
              { topic: changelog, numPartitions: partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
            ]
          : []),
      ]);
    } catch (err) {
      throw connectorError(`sink ${spec.name} (scale-out, input topic '${spec.sourceTopic}')`, err, 'check that the brokers are reachable, the input topic exists and topics can be created');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const sinkEncode = (batch: RecordBatch, rowKinds: Uint8Array | undefined): TaskRecord[] =>
      sinkRecords(batch, rowKinds, spec.fields, spec.keyColumns).map(([key, value, keyHash]) => ({ topic: spec.sinkTopic, key, value, ...(keyHash !== undefined ? { keyHash } : {}) }));
    const source = split.source;
    const constraints = source.constraints ? { checker: new RowChecker(source.constraints), columns: source.columns } : undefined;
    const jsonDecoder =
      (p: number): FeedDecoder =>
      (chunk) => {
        const { batch, letters } = decodeKafkaRecords({ topic: spec.sourceTopic, fields: source.fields, operator: `kafka:${spec.sourceTopic}`, ...(constraints ? { constraints } : {}) }, p, chunk);
        return { batches: [batch], letters };
      };
    const base = { queryId: spec.id, store: spec.store, ...(spec.stateCache ? { stateCache: spec.stateCache } : {}), client: this.client, dlqTopic: dlq, checkpointIntervalMs: spec.checkpointIntervalMs };
    const onRowsOut = (n: number) => {
      this.rowsOut += n;
      spec.onRowsOut(n);
    };
    const onDeadLetters = (letters: readonly DeadLetter[]): Promise<void> => {
      this.deadLetters += letters.length;
      return spec.onDeadLetters(letters);
    };
    this.stages.push(
      new Stage(this, this.client, spec.sessionTimeoutMs, 'source', spec.sourceTopic, spec.groupId, (p) => ({
        ...base,
        stage: 'source',
        feed: new PartitionFeed(spec.sourceTopic, p, source.fields, jsonDecoder(p), source.watermark ? { column: { index: source.watermark.column, delayMs: source.watermark.delayMs } } : {}),
        groupId: spec.groupId,
        plan: split.exchange ?? split.plan,
        env: split.exchange ? { ...spec.env, exchange: { side: 'send', partitions } } : spec.env,
        transactionalId: `${spec.prefix}-source-${p}`,
        encode: split.exchange ? exchangeRecords(repartition, split.exchange.fields) : sinkEncode,
        ...(split.exchange && source.watermark ? { markers: watermarkMarkers(repartition, partitions, p) } : {}),
        onRowsOut: split.exchange ? () => undefined : onRowsOut,
        onDeadLetters,
        onFailed: (t, err, fenced) => this.stages[0]!.failed(t, err, fenced),
      })),
    );
    if (split.exchange) {
      const exchange = split.exchange;
      const keyedGroup = `${spec.groupId}-keyed`;
      const ipcDecoder: FeedDecoder = (chunk) => ({
        batches: chunk.flatMap((m) => (m.value ? decodeBatches(m.value) : [])),
        letters: [],
        marks: chunk.flatMap((m) => {
          const mark = readMarker(m.headers);
          return mark ? [mark] : [];
        }),
      });
      this.stages.push(
        new Stage(this, this.client, spec.sessionTimeoutMs, 'keyed', repartition, keyedGroup, (p) => {
          const feed = new PartitionFeed(repartition, p, exchange.fields, ipcDecoder, source.watermark ? { sources: sourcePartitions } : {});
          return {
          ...base,
          stage: 'keyed',
          feed,
          groupId: keyedGroup,
          plan: split.plan,
          env: { ...spec.env, exchange: { side: 'receive', source: feed } },
          transactionalId: `${spec.prefix}-keyed-${p}`,
          encode: sinkEncode,
          changelogTopic: changelog,
          onRowsOut,
          onDeadLetters,
          onFailed: (t, err, fenced) => this.stages[1]!.failed(t, err, fenced),
          };
        }),
      );
    }
    for (const s of this.stages) await s.start();
  }

  /** A stage's consumer stopped for good: the query fails. */
  crashed(err: unknown): void {
    if (this.status !== 'running') return;
    this.error = asSluiceError(err, 'CONNECTOR_ERROR');
    this.status = 'failed';
    for (const s of this.stages) void s.stop(false);
  }

  checkpoint(): Promise<void> {
    return Promise.all(this.stages.map((s) => s.checkpoint())).then(() => undefined);
  }

  stop(status: QueryInfo['status'] = 'finished'): void {
    if (this.status === 'running') this.status = status;
    this.stopping ??= Promise.all(this.stages.map((s) => s.stop(true))).then(() => undefined);
  }

  private stopping: Promise<void> | undefined;

  async stopped(): Promise<void> {
    await this.stopping;
  }

  operatorStats(): readonly { readonly operator: string; readonly rowsOut: number }[] {
    const sums = new Map<string, number>();
    for (const s of this.stages) for (const o of s.operatorStats()) sums.set(o.operator, (sums.get(o.operator) ?? 0) + o.rowsOut);
    return [...sums].map(([operator, rowsOut]) => ({ operator, rowsOut }));
  }

  positionsNow(): Record<string, number> {
    return {};
  }

  /** Measures the lag now instead of waiting for the next refresh. */
  async refreshLag(): Promise<number | undefined> {
    await Promise.all(this.stages.map((s) => s.refreshLag()));
    return this.lag();
  }

  /** Records in the partitions this process works on that it has not read yet (refreshed every few seconds). */
  lag(): number | undefined {
    const parts = this.stages.map((s) => s.lag);
    return parts.every((l) => l === undefined) ? undefined : parts.reduce<number>((a, l) => a + (l ?? 0), 0);
  }

  /** Partitions this process works on now, per stage (for introspection and tests). */
  assignment(): Record<string, number[]> {
    return Object.fromEntries(this.stages.map((s) => [s.stage, s.partitions()]));
  }

  info(lag: number | undefined): QueryInfo {
    return queryInfo(this, this.rate, lag, Math.max(0, ...this.stages.flatMap((s) => s.epochs())));
  }
}

/** One stage: a group consumer over its input topic and a task per assigned partition. */
class Stage {
  private consumer: Consumer | undefined;
  private readonly tasks = new Map<number, Task>();
  private assigned = new Set<number>();
  private closing = false;
  /** Rows read by tasks that stopped. */
  private retiredRowsIn = 0;
  /** Records of this stage's partitions not read yet, as of the last refresh. */
  lag: number | undefined;
  private lagTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly query: ScaleOutQuery,
    private readonly client: KafkaClient,
    private readonly sessionTimeoutMs: number,
    readonly stage: 'source' | 'keyed',
    private readonly topic: string,
    private readonly groupId: string,
    private readonly taskSpec: (partition: number) => TaskSpec,
  ) {}

  async start(): Promise<void> {
    const c = kafkaConsumer(this.client, this.groupId, this.sessionTimeoutMs);
    this.consumer = c;
    c.on(c.events.GROUP_JOIN, ({ payload }) => this.reconcile(payload.memberAssignment[this.topic] ?? []));
    // Batches of only transaction markers never reach eachBatch.
    c.on(c.events.START_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === this.topic && payload.batchSize === 0) this.tasks.get(payload.partition)?.passedTo(Number(payload.lastOffset) + 1);
    });
    c.on(c.events.CRASH, ({ payload }) => {
      if (payload.restart || this.closing) return;
      this.query.crashed(connectorError(`sink ${this.query.name} (${this.stage} stage, consumer group '${this.groupId}', topic '${this.topic}')`, payload.error, 'check that the brokers are reachable; restart the sink (or the process) to resume from the committed offsets'));
    });
    this.lagTimer = setInterval(() => void this.refreshLag(), LAG_REFRESH_MS);
    this.lagTimer.unref();
    await c.connect();
    await c.subscribe({ topic: this.topic, fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      partitionsConsumedConcurrently: 64,
      eachBatch: async ({ batch, isRunning, isStale, heartbeat }) => {
        const task = this.tasks.get(batch.partition);
        if (!task) return;
        await task.push(batch.messages, () => isRunning() && !isStale());
        if (isRunning() && !isStale()) task.passedTo(Number(batch.lastOffset()) + 1);
        await heartbeat();
      },
    });
  }

  /** Starts tasks for newly assigned partitions and stops those of partitions that moved away. */
  private reconcile(partitions: readonly number[]): void {
    this.assigned = new Set(partitions);
    for (const [p, t] of this.tasks) {
      if (this.assigned.has(p)) continue;
      this.retire(t);
      void t.stop(false);
    }
    for (const p of partitions) if (!this.tasks.has(p)) this.startTask(p);
  }

  private startTask(p: number): void {
    if (this.closing) return;
    const task = new Task(this.taskSpec(p));
    this.tasks.set(p, task);
    // The consumer may be past the committed offset already: rewind it to where the task starts.
    void task.ready.then(() => this.consumer?.seek({ topic: this.topic, partition: p, offset: String(task.startOffset) })).catch(() => undefined);
  }

  /** A task failed: start it again if the partition is still ours and nobody fenced it. */
  failed(task: Task, _err: SluiceError, fenced: boolean): void {
    if (this.tasks.get(task.partition) !== task) return;
    this.retire(task);
    if (fenced || this.closing) return;
    setTimeout(() => {
      if (this.assigned.has(task.partition) && !this.tasks.has(task.partition)) this.startTask(task.partition);
    }, RESTART_DELAY_MS).unref();
  }

  private retire(task: Task): void {
    this.tasks.delete(task.partition);
    this.retiredRowsIn += task.rowsIn;
  }

  rowsIn(): number {
    let n = this.retiredRowsIn;
    for (const t of this.tasks.values()) n += t.rowsIn;
    return n;
  }

  operatorStats(): { operator: string; rowsOut: number }[] {
    return [...this.tasks.values()].flatMap((t) => t.operatorStats.map((o) => ({ operator: `${this.stage}:${o.operator}`, rowsOut: o.rowsOut })));
  }

  partitions(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  epochs(): number[] {
    return [...this.tasks.values()].map((t) => t.epoch);
  }

  checkpoint(): Promise<void> {
    return Promise.all([...this.tasks.values()].map((t) => t.checkpoint())).then(() => undefined);
  }

  async refreshLag(): Promise<void> {
    if (this.tasks.size === 0) {
      this.lag = undefined;
      return;
    }
    const admin = this.client.admin();
    try {
      await admin.connect();
      const ends = new Map((await admin.fetchTopicOffsets(this.topic)).map((o) => [o.partition, Number(o.high)]));
      let lag = 0;
      for (const t of this.tasks.values()) lag += Math.max(0, (ends.get(t.partition) ?? 0) - t.position);
      this.lag = lag;
    } catch {
      // Keep the last figure; the consumer reports broker trouble itself.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async stop(commitFirst: boolean): Promise<void> {
    this.closing = true;
    if (this.lagTimer) clearInterval(this.lagTimer);
    if (this.consumer && this.assigned.size) this.consumer.pause([{ topic: this.topic }]);
    await Promise.all([...this.tasks.values()].map((t) => t.stop(commitFirst)));
    this.tasks.clear();
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

/**
 * The exchange's output to repartition records: the rows bound for key partition p (the
 * exchange operator hashed them) go to partition p of the topic, as Arrow IPC.
 */
function exchangeRecords(topic: string, fields: readonly Field[]): TaskSpec['encode'] {
  return (batch, _rowKinds, partition) => {
    const n = batch.numRows;
    if (n <= ROWS_PER_EXCHANGE_RECORD) return [{ topic, partition: partition ?? 0, key: null, value: encodeBatch(batch) }];
    const out: TaskRecord[] = [];
    for (let i = 0; i < n; i += ROWS_PER_EXCHANGE_RECORD) {
      const rows = Array.from({ length: Math.min(ROWS_PER_EXCHANGE_RECORD, n - i) }, (_, j) => i + j);
      out.push({ topic, partition: partition ?? 0, key: null, value: encodeBatch(takeRows(batch, fields, rows)) });
    }
    return out;
  };
}

const WATERMARK_HEADER = 'sluice.watermark';
const UPSTREAM_HEADER = 'sluice.upstream';

/**
 * Watermark markers from source partition `upstream`, one per repartition partition: records
 * with no value whose headers carry the watermark. Sent in the same transaction as the rows
 * they follow, so a marker never overtakes a row of its partition.
 */
function watermarkMarkers(topic: string, partitions: number, upstream: number): (watermark: number) => TaskRecord[] {
  return (watermark) => Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, key: null, value: null, headers: { [WATERMARK_HEADER]: String(watermark), [UPSTREAM_HEADER]: String(upstream) } }));
}

function readMarker(headers: IHeaders | undefined): readonly [number, number] | undefined {
  const w = headers?.[WATERMARK_HEADER];
  const u = headers?.[UPSTREAM_HEADER];
  if (w === undefined || u === undefined) return undefined;
  return [Number(String(u)), Number(String(w))];
}

/** Creates the topics that do not exist yet (several processes may race to do it). */
async function ensureTopics(admin: Admin, topics: { topic: string; numPartitions: number; configEntries?: { name: string; value: string }[] }[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ topics: missing.map((t) => ({ ...t, replicationFactor: -1 })), waitForLeaders: true });
  } catch (err) {
    const again = new Set(await admin.listTopics());
    if (missing.some((t) => !again.has(t.topic))) throw err;
  }
}
