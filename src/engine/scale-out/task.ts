/**
 * One partition's share of a query that runs across processes: a pipeline fed by one input
 * partition, whose output, state changes, dead letters and input offset commit together in one
 * Kafka transaction per checkpoint.
 *
 * Invariants:
 * - The task owns transactional id `<prefix>-<stage>-<partition>`. Starting it (InitProducerId)
 *   fences the previous owner of the partition and aborts its open transaction, so what the
 *   task reads next — the group's committed offset and the changelog — is final.
 * - State lives in the changelog topic; the local store is a cache of it. A task clears its
 *   local state and restores it from the changelog partition before it reads any input, so a
 *   partition's state follows the partition wherever the group assigns it.
 * - A checkpoint commits {output records, changelog records, dead letters, input offset} in one
 *   transaction, then writes the same state changes to the local store. A crash before the
 *   commit leaves an open transaction that the next owner aborts; after it, nothing is repeated,
 *   because the committed offset moved with the output.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Kafka as KafkaClient, KafkaMessage, Message as ProducerMessage, Producer } from 'kafkajs';
import { asSluiceError, SluiceError } from '../../common/errors.js';
import { connectFenced } from '../../connectors/kafka/client.js';
import { crashPoint } from '../../connectors/kafka/crash-points.js';
import type { PartitionFeed } from '../../connectors/kafka/partition-feed.js';
import { keyHashPartitioner, withKeyHash } from '../../connectors/kafka/partitioner.js';
import { readPartitionToEnd } from '../../connectors/kafka/read-to-end.js';
import type { DeadLetter } from '../../exec/message.js';
import type { ExecEnv } from '../../exec/pipeline.js';
import type { PhysicalPlan } from '../../planner/physical.js';
import { isRecordedStateIds, type RecordedStateIds } from '../../exec/state-ids.js';
import { stringPrefixRange, type StateCache, type Store } from '../../state/index.js';
import { queryStateParts } from '../../state/state-table.js';
import type { QueryState } from '../query-state.js';
import { QueryRunner, type EpochCommit, type OutputMessage, type Resume } from '../query-runner.js';

/** A record a task produces: to `topic`, at `partition` when set (else by its key hash, common/hash.ts). */
export interface TaskRecord {
  readonly topic: string;
  readonly partition?: number;
  /** The hash of the row's key columns (a keyed sink's records). */
  readonly keyHash?: number;
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TaskSpec {
  readonly queryId: string;
  /** `source` (reads the input topic) or `keyed` (reads the repartition topic). */
  readonly stage: 'source' | 'keyed';
  readonly feed: PartitionFeed;
  /** The consumer group whose offset for the feed's partition commits with the output. */
  readonly groupId: string;
  readonly plan: PhysicalPlan;
  readonly env: ExecEnv;
  readonly store: Store;
  /** The engine's state cache, which every state table reads through. */
  readonly stateCache?: StateCache;
  readonly client: KafkaClient;
  readonly transactionalId: string;
  /** The records a batch of the plan's output becomes (`partition`: set when the plan ends at an exchange). */
  readonly encode: (batch: RecordBatch, rowKinds: Uint8Array | undefined, partition: number | undefined) => TaskRecord[];
  /**
   * Watermark markers for the output's downstream partitions (source stage feeding a
   * repartition topic): sent with a checkpoint whenever the output's watermark advanced.
   */
  readonly markers?: (watermark: number) => TaskRecord[];
  /** Where state changes go, partition for partition with the input (keyed stage). */
  readonly changelogTopic?: string;
  readonly dlqTopic: string;
  readonly checkpointIntervalMs: number;
  readonly onRowsOut: (n: number) => void;
  /**
   * Dead letters of a committed checkpoint (they are in the Kafka dead-letter topic already);
   * a rejection fails the checkpoint, and so the task.
   */
  readonly onDeadLetters: (letters: readonly DeadLetter[]) => Promise<void>;
  readonly onFailed: (task: Task, err: SluiceError, fenced: boolean) => void;
}

const SEND_CHUNK = 1000;
const UPSTREAM_WATERMARKS = 'upstream-watermarks';
/** The stateful operators' ids (RecordedStateIds) the state of the partition was written by. */
const STATE_IDS = 'state-ids';

export class Task {
  readonly partition: number;
  readonly abort = new AbortController();
  /** Resolves once the task restored its state and reads input (rejects if it could not). */
  readonly ready: Promise<void>;
  private readonly runner: QueryRunner;
  private producer: Producer | undefined;
  private running: Promise<void> = Promise.resolve();
  private pending: TaskRecord[] = [];
  /** Whether the state ids are recorded in the changelog (keyed stage). */
  private idsRecorded = false;
  private committedOffset = -1;
  private startedAt = 0;
  private passed = 0;
  private stopped = false;
  /** The latest watermark of the plan's output, and the latest one sent downstream. */
  private outWatermark = -Infinity;
  private sentWatermark = -Infinity;
  /** The feed's upstream watermarks as last checkpointed (JSON), keyed stage. */
  private savedMarks = '{}';

  constructor(private readonly spec: TaskSpec) {
    this.partition = spec.feed.partition;
    this.runner = new QueryRunner({
      queryId: spec.queryId,
      label: `${spec.queryId} partition ${this.partition}`,
      plan: spec.plan,
      env: { ...spec.env, source: () => spec.feed },
      store: spec.store,
      ...(spec.stateCache ? { stateCache: spec.stateCache } : {}),
      stateScope: `${this.label()}.`,
      signal: this.abort.signal,
      bounded: false,
      checkpointIntervalMs: spec.checkpointIntervalMs,
      protocol: {
        pipelined: true,
        resume: (state) => this.resume(state),
        write: (msg) => this.write(msg),
        watermark: (time) => (this.outWatermark = Math.max(this.outWatermark, time)),
        beforeFlush: (state, stateIds) => this.beforeFlush(state, stateIds),
        commit: (c) => this.commit(c),
        // The epoch's state changes go to the changelog topic too.
        readsStaged: true,
      },
      live: () => !this.stopped,
      onFailed: (err) => this.fail(err),
    });
    this.ready = this.start();
    this.ready.catch((err: unknown) => this.fail(err));
  }

  /** The last committed epoch. */
  get epoch(): number {
    return this.runner.epoch;
  }

  /** The input offset the task started from (the group's committed offset). */
  get startOffset(): number {
    return this.startedAt;
  }

  /** The next input offset to read, past any transaction markers already passed (for lag). */
  get position(): number {
    return Math.max(this.spec.feed.position, this.passed);
  }

  /** Offsets below `next` were consumed, transaction markers included. */
  passedTo(next: number): void {
    if (next > this.passed) this.passed = next;
  }

  get rowsIn(): number {
    return this.runner.pipeline.rowsIn;
  }

  get operatorStats(): readonly { readonly operator: string; readonly rowsOut: number }[] {
    return this.runner.pipeline.operatorStats;
  }

  /** Feeds fetched records of the partition (waits until the task is ready). */
  async push(messages: readonly KafkaMessage[], live: () => boolean): Promise<void> {
    // A task that could not start is restarted by its stage, which rewinds the consumer.
    const started = await this.ready.then(
      () => true,
      () => false,
    );
    if (!started || this.stopped) return;
    await this.spec.feed.push(messages, () => live() && !this.stopped);
  }

  private async start(): Promise<void> {
    await this.runner.start();
    if (this.stopped) return;
    this.running = this.runner.run().catch((err: unknown) => this.fail(err));
  }

  /**
   * Takes over the partition: fences its previous owner, starts the feed at the group's
   * committed offset and restores the state from the changelog (keyed stage).
   */
  private async resume(state: QueryState): Promise<Resume> {
    const { spec } = this;
    const producer = spec.client.producer({ transactionalId: spec.transactionalId, idempotent: true, maxInFlightRequests: 1, createPartitioner: keyHashPartitioner, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 } });
    this.producer = producer;
    // Fences the partition's previous owner and ends its open transaction before the committed
    // offset and the changelog are read.
    await connectFenced(producer);
    const admin = spec.client.admin();
    await admin.connect();
    try {
      const topic = spec.feed.topic;
      const offsets = await admin.fetchOffsets({ groupId: spec.groupId, topics: [topic] });
      const committed = Number(offsets[0]?.partitions.find((p) => p.partition === this.partition)?.offset ?? -1);
      this.committedOffset = committed >= 0 ? committed : 0;
      this.startedAt = this.committedOffset;
      spec.feed.startAt(this.committedOffset);
      if (!spec.changelogTopic) return { restored: false };
      await spec.store.clearRange(stringPrefixRange(queryStateParts(spec.queryId), `${this.label()}.`));
      const ends = await admin.fetchTopicOffsets(spec.changelogTopic);
      const end = Number(ends.find((o) => o.partition === this.partition)?.high ?? 0);
      await readPartitionToEnd(spec.client, spec.changelogTopic, this.partition, end, async (messages) => {
        const wb = spec.store.batch();
        for (const m of messages) {
          if (!m.key) continue;
          if (m.value === null) wb.del(m.key);
          else wb.put(m.key, m.value);
        }
        await wb.write();
      }, this.abort.signal);
      const feed = state.table('feed');
      const marks = await feed.get(UPSTREAM_WATERMARKS);
      if (marks) spec.feed.restoreUpstreamWatermarks(marks as Record<string, number>);
      this.savedMarks = JSON.stringify(spec.feed.upstreamWatermarks());
      const stateIds = await feed.get(STATE_IDS);
      this.idsRecorded = isRecordedStateIds(stateIds);
      return { restored: committed >= 0, stateIds };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Commits what the task did since the last checkpoint (one at a time); a failure fails the task. */
  checkpoint(): Promise<void> {
    return this.runner.checkpoint().catch((err: unknown) => this.fail(err));
  }

  private write(msg: OutputMessage): void {
    if (msg.batch.numRows === 0) return;
    const records = this.spec.encode(msg.batch, msg.rowKinds, msg.partition);
    for (const r of records) this.pending.push(r);
    this.spec.onRowsOut(msg.batch.numRows);
  }

  /** Task-level state of the keyed stage that commits with the epoch: upstream watermarks, state ids. */
  private beforeFlush(state: QueryState, stateIds: RecordedStateIds): void {
    if (!this.spec.changelogTopic) return;
    const feed = state.table('feed');
    const marks = this.spec.feed.upstreamWatermarks();
    const json = JSON.stringify(marks);
    if (json !== this.savedMarks) {
      feed.put(UPSTREAM_WATERMARKS, marks);
      this.savedMarks = json;
    }
    if (!this.idsRecorded) {
      feed.put(STATE_IDS, { ids: [...stateIds.ids] });
      this.idsRecorded = true;
    }
  }

  /**
   * One Kafka transaction: the epoch's output records, its state changes (to the changelog),
   * dead letters and the input offset; then the same state changes to the local store.
   */
  private async commit({ wb, positions, letters }: EpochCommit): Promise<void> {
    const { spec } = this;
    const changes = wb.staged();
    const records = this.pending;
    this.pending = [];
    const at = `${spec.feed.topic}/${this.partition}`;
    const offset = positions[at];
    if (offset === undefined) throw new SluiceError('INTERNAL', `sink task ${spec.transactionalId}: the checkpoint holds no position of '${at}'`);
    const watermark = this.outWatermark;
    if (spec.markers && watermark > this.sentWatermark) records.push(...spec.markers(watermark));
    if (records.length === 0 && changes.length === 0 && letters.length === 0 && offset === this.committedOffset) {
      wb.discard();
      return;
    }
    const txn = await this.producer!.transaction();
    try {
      const byTopic = new Map<string, ProducerMessage[]>();
      const add = (topic: string, m: ProducerMessage) => {
        const list = byTopic.get(topic) ?? [];
        list.push(m);
        byTopic.set(topic, list);
      };
      for (const r of records) add(r.topic, withKeyHash({ key: r.key, value: r.value, ...(r.partition !== undefined ? { partition: r.partition } : {}), ...(r.headers ? { headers: { ...r.headers } } : {}) }, r.keyHash));
      if (spec.changelogTopic) for (const c of changes) add(spec.changelogTopic, { partition: this.partition, key: c.key, value: c.value ?? null });
      for (const l of letters) add(spec.dlqTopic, { partition: 0, key: l.source ?? null, value: JSON.stringify({ ...l, query: spec.queryId }) });
      for (const [topic, messages] of byTopic) {
        for (let i = 0; i < messages.length; i += SEND_CHUNK) {
          await txn.send({ topic, acks: -1, messages: messages.slice(i, i + SEND_CHUNK) });
          crashPoint('mid-send');
        }
      }
      await txn.sendOffsets({ consumerGroupId: spec.groupId, topics: [{ topic: spec.feed.topic, partitions: [{ partition: this.partition, offset: String(offset) }] }] });
      crashPoint('before-commit');
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
    await wb.write();
    this.sentWatermark = Math.max(this.sentWatermark, watermark);
    this.committedOffset = offset;
    if (letters.length) await spec.onDeadLetters(letters);
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    const fenced = isFenced(err);
    void this.stop();
    this.spec.onFailed(this, asSluiceError(err, 'CONNECTOR_ERROR'), fenced);
  }

  /** Stops reading; `commitFirst` commits what was read so far (a clean shutdown). */
  async stop(commitFirst = false): Promise<void> {
    if (commitFirst && !this.stopped) await this.checkpoint();
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    await this.running;
    await this.runner.close();
    // An open transaction is left to the next owner, whose InitProducerId aborts it.
    await this.producer?.disconnect().catch(() => undefined);
  }

  private label(): string {
    return `${this.spec.stage === 'keyed' ? 'k' : 's'}${this.partition}`;
  }
}

/** Whether a newer owner of the transactional id took over (the partition moved away). */
function isFenced(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const type = (e as { type?: unknown }).type;
    if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED') return true;
    if (e instanceof Error && /fenced|INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/i.test(e.message)) return true;
  }
  return false;
}
