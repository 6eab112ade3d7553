/**
 * Reads a stream from a Kafka topic with kafkajs, as a Sluice source.
 *
 * Invariants:
 * - Positions (`<topic>/<partition>` -> next offset) come from the engine's checkpoint, never
 *   from the consumer group's committed offsets: on every (re)assignment each partition is
 *   sought to the position this source holds (the checkpoint's after a restart), or to the
 *   earliest offset when it holds none (the latest for a push query that starts there). Group offsets are only a monitoring copy (the sink
 *   commits them in its transaction).
 * - A record is emitted once per position: records below a partition's position are skipped,
 *   and the position moves (inside the pipeline lock, after downstream took the batch) to one
 *   past the last record of the batch.
 * - Consumers read with read_committed isolation: aborted transactional records never appear.
 * - Records that fail to decode or break a declared type go to the dead-letter stream with
 *   source `<topic>/<partition>@<offset>`, in the same critical section as the position move,
 *   so a dead letter belongs to exactly one checkpoint.
 * - Back-pressure: eachBatch awaits the emit, so kafkajs fetches no further while downstream
 *   is busy.
 * - A source never stops silently: a consumer that fetches nothing for twice the session timeout
 *   (no batch in hand) while the brokers report committed records past an assigned partition's
 *   position is replaced by a new one, which rejoins and seeks to the positions.
 * - Records deleted before they were read never pass unnoticed: when a partition's position is
 *   below its log start offset (checked when the source starts, and whenever a fetched batch
 *   begins past the position), the source fails with an error naming the topic, partition,
 *   position and log start offset ('deleted.records' = 'fail', the default), or moves the
 *   position to the log start offset and sends one dead letter stating the skipped offsets, in
 *   the same critical section ('skip').
 */
import type { RecordBatch } from 'apache-arrow';
import type { KafkaMessage } from 'kafkajs';
import type { Field } from '../../common/types.js';
import type { DeadLetter } from '../../exec/message.js';
import { SluiceError } from '../../common/errors.js';
import { readColumn } from '../../exec/columns.js';
import { WatermarkTracker, type Source, type SourceContext } from '../../exec/source.js';
import { decodeJsonRecords, type DecodeConstraints, type RawRecord } from './json-codec.js';
import { connectorClient, type BatchPayload, type ClientKind, type KafkaAdmin, type KafkaClient } from './client.js';
import { connectorError, kafkaConsumer, type DeletedRecordsPolicy } from './options.js';

export interface KafkaSourceConfig {
  readonly relation: string;
  readonly topic: string;
  readonly brokers: readonly string[];
  readonly groupId: string;
  /** The stream's columns this query reads, in output order. */
  readonly fields: readonly Field[];
  readonly watermark?: { readonly column: number; readonly delayMs: number };
  /** Fill the watermark column from the record timestamp (`timestamp = 'record'`). */
  readonly recordTime: boolean;
  /** The stream's CHECKs and DEFAULTs, when it declares any. */
  readonly constraints?: DecodeConstraints;
  readonly sessionTimeoutMs: number;
  /** Partitions without a position start at their end (new records only) instead of their beginning. */
  readonly startAtLatest?: boolean;
  /** The Kafka client to read with (default kafkajs). */
  readonly client?: ClientKind;
  /** What to do when records past a position were deleted before they were read (default 'fail'). */
  readonly deletedRecords?: DeletedRecordsPolicy;
}

/** Records per emitted batch: a fetched batch larger than this is emitted in pieces. */
export const MAX_ROWS_PER_EMIT = 4096;
const MAX_DEAD_LETTER_TEXT = 4096;
/** A consumer idle this long (at least; twice the session timeout) while records wait is replaced. */
const STALL_MIN_MS = 5000;

export interface KafkaDecodeConfig {
  readonly topic: string;
  readonly fields: readonly Field[];
  /** Operator name dead letters carry. */
  readonly operator: string;
  /** Fill this column from the record timestamp (`timestamp = 'record'`). */
  readonly recordTimeColumn?: number;
  /** The stream's CHECKs and DEFAULTs, when it declares any. */
  readonly constraints?: DecodeConstraints;
}

/**
 * Decodes fetched JSON records of one partition into a batch; records that do not fit become
 * dead letters naming `<topic>/<partition>@<offset>`.
 */
export function decodeKafkaRecords(config: KafkaDecodeConfig, partition: number, chunk: readonly KafkaMessage[]): { batch: RecordBatch; letters: DeadLetter[] } {
  const records: RawRecord[] = chunk.map((m) => ({ value: m.value, timestamp: Number(m.timestamp) }));
  const decoded = decodeJsonRecords(config.fields, records, config.recordTimeColumn, config.constraints);
  const letters: DeadLetter[] = decoded.rejected.map(({ index, reason }) => {
    const m = chunk[index]!;
    const text = m.value?.toString('utf8') ?? '';
    return {
      reason: `${reason} (record ${config.topic}/${partition}@${m.offset}); fix or re-publish the record — the query skipped it`,
      operator: config.operator,
      row: text.length > MAX_DEAD_LETTER_TEXT ? `${text.slice(0, MAX_DEAD_LETTER_TEXT)}...` : text,
      source: `${config.topic}/${partition}@${m.offset}`,
    };
  });
  return { batch: decoded.batch, letters };
}

export class KafkaSource implements Source {
  readonly name: string;
  readonly fields: readonly Field[];
  private readonly next = new Map<number, number>();
  /** The largest event time among the rows emitted so far; checkpointed with the positions. */
  private maxTime = -Infinity;
  /** Per partition: one past the last offset fetched, control records included (bounded runs). */
  private readonly reached = new Map<number, number>();
  /** Whether SLUICE_FAULT_SOURCE_SILENT already silenced a consumer of this source (tests). */
  private silenced = false;

  constructor(private readonly config: KafkaSourceConfig) {
    this.name = `kafka:${config.topic}`;
    this.fields = config.fields;
  }

  seek(positions: Readonly<Record<string, number>>): void {
    const prefix = `${this.config.topic}/`;
    for (const [k, v] of Object.entries(positions)) {
      if (!k.startsWith(prefix)) continue;
      const p = Number(k.slice(prefix.length));
      if (Number.isInteger(p)) this.next.set(p, v);
    }
    const t = positions[maxTimeKey(this.config.topic)];
    if (t !== undefined) this.maxTime = t;
  }

  positions(): Record<string, number> {
    const out: Record<string, number> = Object.fromEntries([...this.next].map(([p, o]) => [`${this.config.topic}/${p}`, o]));
    if (this.config.watermark && Number.isFinite(this.maxTime)) out[maxTimeKey(this.config.topic)] = this.maxTime;
    return out;
  }

  async run(ctx: SourceContext, bounded: boolean): Promise<void> {
    const client = connectorClient(this.config.client ?? 'kafkajs', this.config.brokers, `sluice-${this.config.groupId}`);
    const logStarts = new LogStarts(client, this.config.topic);
    try {
      await this.runWith(client, logStarts, ctx, bounded);
    } finally {
      await logStarts.close();
    }
  }

  private async runWith(client: KafkaClient, logStarts: LogStarts, ctx: SourceContext, bounded: boolean): Promise<void> {
    const restored = new Map(this.next);
    const ends = bounded ? await this.endOffsets(client) : undefined;
    // Positions restored from a checkpoint may lie below what retention kept since (with nothing
    // left to read past them, no fetched batch would tell).
    if (restored.size > 0) {
      const starts = await logStarts.get().catch((err: unknown) => {
        throw connectorError(`source ${this.config.relation} (topic '${this.config.topic}')`, err, "check 'bootstrap.servers' and that the topic exists");
      });
      for (const [p, low] of starts) {
        const at = restored.get(p);
        if (at === undefined || at >= low) continue;
        const failure = await this.onDeleted(ctx, p, at, low);
        if (failure) throw failure;
      }
    }
    if (ends && this.caughtUp(ends)) {
      await ctx.emit({ kind: 'end' });
      return;
    }
    const wm = this.config.watermark ? new WatermarkTracker(this.config.watermark.delayMs) : undefined;
    // A restored source resumes at the watermark its checkpointed rows had produced: a checkpoint
    // may fall between a batch and the watermark after it, and no row may be left to move it.
    if (wm && Number.isFinite(this.maxTime)) {
      wm.observe([this.maxTime]);
      const w = wm.next();
      if (w !== undefined) await ctx.emit({ kind: 'watermark', time: w });
    }
    // A consumer that went silent is replaced by a new one, which rejoins and seeks to the positions.
    while ((await this.consume(client, logStarts, ctx, ends, wm)) === 'stalled' && !ctx.signal.aborted);
    if (ends && !ctx.signal.aborted) await ctx.emit({ kind: 'end' });
  }

  /**
   * Runs one group consumer until the run ends (aborted, or caught up to `ends`), fails, or
   * stalls: brokers answer and committed records wait past what an assigned partition fetched,
   * yet for a stall period nothing was fetched and no batch was in hand (kafkajs can leave a
   * consumer in that state after a broker outage, its fetch loop never resumed).
   */
  private async consume(client: KafkaClient, logStarts: LogStarts, ctx: SourceContext, ends: ReadonlyMap<number, number> | undefined, wm: WatermarkTracker | undefined): Promise<'done' | 'stalled'> {
    const { topic } = this.config;
    const consumer = kafkaConsumer(client, this.config.groupId, this.config.sessionTimeoutMs);
    let settle: (err?: unknown) => void = () => undefined;
    let outcome = 'done' as 'done' | 'stalled';
    const finished = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    const onAbort = () => settle();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let assigned: readonly number[] = [];
    /** Per partition: one past the last offset fetched, control records included. */
    const fetched = new Map<number, number>();
    let lastActivity = Date.now();
    let inHand = 0;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      lastActivity = Date.now();
      assigned = payload.memberAssignment[topic] ?? [];
      for (const p of assigned) {
        const at = this.next.get(p);
        // Without a position: -2 makes kafkajs read from offset 0; starting at the latest, no seek
        // leaves it to the subscription (fromBeginning false: the end of the partition).
        if (at !== undefined || this.config.startAtLatest !== true) consumer.seek({ topic, partition: p, offset: String(at ?? -2) });
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) {
        settle(connectorError(`source ${this.config.relation} (topic '${topic}', group '${this.config.groupId}')`, payload.error, 'check that the brokers are reachable and the topic exists; the query resumes from its last checkpoint when restarted'));
      }
    });
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic !== topic) return;
      lastActivity = Date.now();
      fetched.set(payload.partition, Math.max(fetched.get(payload.partition) ?? 0, Number(payload.lastOffset) + 1));
      // Batches of only transaction markers or aborted records never reach eachBatch.
      if (payload.batchSize !== 0) return;
      this.reached.set(payload.partition, Math.max(this.reached.get(payload.partition) ?? 0, Number(payload.lastOffset) + 1));
      if (ends && this.caughtUp(ends)) settle();
    });
    const stallMs = Math.max(STALL_MIN_MS, 2 * this.config.sessionTimeoutMs);
    let checking = false;
    const watchdog = setInterval(() => {
      if (checking || inHand > 0 || Date.now() - lastActivity < stallMs) return;
      checking = true;
      void this.waiting(client, assigned, fetched)
        .then((waiting) => {
          if (waiting && inHand === 0 && Date.now() - lastActivity >= stallMs) {
            outcome = 'stalled';
            settle();
          }
        })
        .finally(() => (checking = false));
    }, stallMs / 2);
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: this.config.startAtLatest !== true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: 1,
        eachBatch: async (payload) => {
          inHand++;
          try {
            const failure = await this.onBatch(payload, ctx, wm, logStarts);
            if (failure) {
              settle(failure);
              return;
            }
          } finally {
            inHand--;
            lastActivity = Date.now();
          }
          if (ends && this.caughtUp(ends)) settle();
          if (!this.silenced && process.env['SLUICE_FAULT_SOURCE_SILENT']) {
            // Fault injection for tests: the consumer stops fetching as one whose fetch loop died would.
            this.silenced = true;
            consumer.pause([{ topic }]);
          }
        },
      });
      if (!ctx.signal.aborted) await finished;
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      if (!ctx.signal.aborted) throw connectorError(`source ${this.config.relation} (topic '${topic}')`, err, "check 'bootstrap.servers' and that the topic exists");
    } finally {
      clearInterval(watchdog);
      ctx.signal.removeEventListener('abort', onAbort);
      const disconnected = consumer.disconnect().catch(() => undefined);
      // A stalled consumer may never finish stopping: its session then lapses at the coordinator.
      if (outcome === 'stalled') await Promise.race([disconnected, new Promise((r) => setTimeout(r, this.config.sessionTimeoutMs).unref())]);
      else await disconnected;
    }
    return outcome;
  }

  /**
   * Whether committed records wait past what some assigned partition holds or fetched. False
   * when the brokers cannot tell (an outage the consumer is still retrying through).
   */
  private async waiting(client: KafkaClient, assigned: readonly number[], fetched: ReadonlyMap<number, number>): Promise<boolean> {
    if (assigned.length === 0) return false;
    const admin = client.admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(this.config.topic);
      return offsets.some((o) => {
        if (!assigned.includes(o.partition)) return false;
        const at = this.next.get(o.partition) ?? fetched.get(o.partition) ?? (this.config.startAtLatest === true ? undefined : Number(o.low));
        // The last stable offset (fetchTopicOffsets reads committed) past the position and what was fetched.
        return at !== undefined && Number(o.high) > Math.max(at, fetched.get(o.partition) ?? 0);
      });
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Emits the batch's records past the partition's position; a failure when records before them were deleted and the policy is 'fail'. */
  private async onBatch({ batch, heartbeat, isRunning, isStale }: BatchPayload, ctx: SourceContext, wm: WatermarkTracker | undefined, logStarts: LogStarts): Promise<SluiceError | undefined> {
    const p = batch.partition;
    const at = this.next.get(p);
    const messages = batch.messages.filter((m) => Number(m.offset) >= (at ?? 0));
    // A batch that begins past the position: transaction markers or aborted records in between,
    // or records deleted before they were read (the clients then start again at the log start).
    const first = messages.length > 0 ? Number(messages[0]!.offset) : undefined;
    if (at !== undefined && first !== undefined && first > at) {
      const low = await logStarts.get(p).catch((err: unknown) => connectorError(`source ${this.config.relation} (topic '${this.config.topic}' partition ${p})`, err, 'the query resumes from its last checkpoint when restarted'));
      if (low instanceof SluiceError) return low;
      if (low !== undefined && low > at) {
        const failure = await this.onDeleted(ctx, p, at, Math.min(low, first));
        if (failure) return failure;
      }
    }
    for (let i = 0; i < messages.length && isRunning() && !isStale() && !ctx.signal.aborted; i += MAX_ROWS_PER_EMIT) {
      const chunk = messages.slice(i, i + MAX_ROWS_PER_EMIT);
      const recordTime = this.config.recordTime ? this.config.watermark?.column : undefined;
      const { batch: decoded, letters } = decodeKafkaRecords({ topic: this.config.topic, fields: this.fields, operator: this.name, ...(recordTime !== undefined ? { recordTimeColumn: recordTime } : {}), ...(this.config.constraints ? { constraints: this.config.constraints } : {}) }, p, chunk);
      const nextOffset = Number(chunk[chunk.length - 1]!.offset) + 1;
      let m = this.maxTime;
      if (wm && decoded.numRows > 0) {
        const c = this.config.watermark!.column;
        const times = readColumn(decoded, c, this.fields[c]!.type);
        for (let j = 0; j < times.length; j++) {
          const t = times[j];
          if (typeof t === 'number' && t > m) m = t;
        }
      }
      // The largest event time moves with the position, so a checkpoint holds both or neither.
      await ctx.emit({ kind: 'data', batch: decoded }, () => {
        this.next.set(p, nextOffset);
        if (m > this.maxTime) this.maxTime = m;
        for (const l of letters) ctx.deadLetter?.(l);
      });
      if (wm && decoded.numRows > 0) {
        wm.observe([m]);
        const w = wm.next();
        if (w !== undefined) await ctx.emit({ kind: 'watermark', time: w });
      }
      await heartbeat();
    }
    return undefined;
  }

  /**
   * Records from `at` up to `low` were deleted before they were read: the query's failure, or
   * (policy 'skip') the position moved to `low` with one dead letter stating the range.
   */
  private async onDeleted(ctx: SourceContext, p: number, at: number, low: number): Promise<SluiceError | undefined> {
    const { relation, topic } = this.config;
    const range = `${low - at} record${low - at === 1 ? '' : 's'} (offsets ${at}..${low - 1})`;
    const found = `position ${at}, log start offset ${low}`;
    if (this.config.deletedRecords !== 'skip') {
      return new SluiceError('CONNECTOR_ERROR', `kafka source ${relation} (topic '${topic}' partition ${p}): ${range} were deleted by the broker (retention or DeleteRecords) before the query read them (${found})`, {
        hint: "keep records longer than queries take to read them (the topic's retention.ms / retention.bytes), or set 'deleted.records' = 'skip' on the stream to go on from the log start offset with a dead letter per skipped range",
      });
    }
    const empty = decodeJsonRecords(this.fields, []).batch;
    await ctx.emit({ kind: 'data', batch: empty }, () => {
      this.next.set(p, low);
      ctx.deadLetter?.({
        reason: `${range} were deleted by the broker (retention or DeleteRecords) before the query read them (${found}); 'deleted.records' = 'skip' went on from offset ${low}`,
        operator: this.name,
        row: '',
        source: `${topic}/${p}@${at}`,
      });
    });
    return undefined;
  }

  /** High watermarks per partition now (bounded runs read up to them). */
  private async endOffsets(client: KafkaClient): Promise<Map<number, number>> {
    const admin = client.admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(this.config.topic);
      const ends = new Map<number, number>();
      for (const o of offsets) {
        ends.set(o.partition, Number(o.high));
        if (!this.next.has(o.partition)) this.next.set(o.partition, Number(o.low));
      }
      return ends;
    } catch (err) {
      throw connectorError(`source ${this.config.relation} (topic '${this.config.topic}')`, err, "check 'bootstrap.servers' and that the topic exists");
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Whether every partition was read up to its end (trailing transaction markers included). */
  private caughtUp(ends: ReadonlyMap<number, number>): boolean {
    for (const [p, end] of ends) if (Math.max(this.next.get(p) ?? 0, this.reached.get(p) ?? 0) < end) return false;
    return true;
  }
}

/** Log start offsets of a topic's partitions, through one admin connection kept while a source runs. */
class LogStarts {
  private admin: Promise<KafkaAdmin> | undefined;

  constructor(
    private readonly client: KafkaClient,
    private readonly topic: string,
  ) {}

  /** Every partition's log start offset now. */
  async get(): Promise<Map<number, number>>;
  /** The partition's log start offset now (undefined: no such partition). */
  async get(partition: number): Promise<number | undefined>;
  async get(partition?: number): Promise<Map<number, number> | number | undefined> {
    if (!this.admin) {
      const admin = this.client.admin();
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => (this.admin = undefined));
    }
    const offsets = await (await this.admin).fetchTopicOffsets(this.topic);
    const starts = new Map(offsets.map((o) => [o.partition, Number(o.low)]));
    return partition === undefined ? starts : starts.get(partition);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await (await admin?.catch(() => undefined))?.disconnect().catch(() => undefined);
  }
}

/** The checkpoint key of a source's largest event time (no '/': not a partition position). */
const maxTimeKey = (topic: string): string => `max-time:${topic}`;
