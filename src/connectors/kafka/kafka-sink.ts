/**
 * Writes a query's output to a Kafka topic: exactly once by default ("outbox + decision
 * record"), or at least once.
 *
 * Exactly-once protocol, per epoch with output:
 * 1. `write` buffers the epoch's output batches.
 * 2. `stage` puts them, as Arrow IPC with their change kinds, into an OUTBOX entry with sequence
 *    number `seq` in the epoch's RocksDB write batch — the same atomic batch as the operator
 *    state and the checkpoint.
 * 3. `committed` delivers the outbox in one Kafka transaction (transactional id
 *    `sluice-<query>`): the records, the Kafka sources' positions (sendOffsets to their
 *    consumer groups), and the decision record — sendOffsets for group
 *    `<transactional id>-decisions` on partition 0 of the decisions topic with offset = seq.
 *    Then commit, then delete the outbox entry. The entry's rows become records there (JSON
 *    value, key from the key columns; for updating results a delete is a tombstone and the old
 *    row of an update is dropped: upsert semantics, see `sinkRecords`).
 *    Once the sink has recovered and no delivery is in flight, the epoch's transaction is
 *    opened early and its records are sent into it as `write` takes their rows (sent ahead):
 *    `committed` then sends what is left, the offsets and the decision, and commits. Records
 *    sent ahead are invisible until that commit; a crash before it leaves the transaction to be
 *    aborted by the next producer's fencing, and a failure of a send ahead only makes
 *    `committed` deliver the whole entry in a new transaction, as without sending ahead.
 *
 * Invariants:
 * - The decisions group's committed offset D says which outbox entries are delivered: the
 *   entry `seq` is in Kafka as committed data iff D >= seq, because the decision commits
 *   atomically with the records. Sequence numbers start above D, so they stay monotonic when a
 *   query is dropped and created again.
 * - Before D is read, a producer with the transactional id is initialised (InitProducerId),
 *   which fences any older producer and completes or aborts its open transaction: D is final.
 * - An outbox entry is deleted only after its transaction committed (or D shows it did), so a
 *   crash at any point neither loses a record nor commits it twice. `recover` re-delivers
 *   (or just deletes) what a crash left.
 * - One transaction is open at a time: an epoch's records are sent ahead only after the
 *   previous epoch's delivery ended, and only that epoch's rows go into its transaction (rows
 *   written once it is staged wait for the next one). A transaction sent ahead that is never
 *   committed (the query stops) is aborted on close.
 * - On any transaction error the producer is dropped and recreated (kafkajs does not retry a
 *   failed EndTxn and keeps the transaction stuck); delivery is retried from the decision
 *   check until `deliveryTimeoutMs`, after which the query fails with the outbox kept.
 * - At least once (`semantic = 'at_least_once'`): the same outbox, delivered by a plain
 *   idempotent producer without a transaction; `recover` re-sends every entry left (a crash
 *   between send and delete repeats that epoch's records).
 */
import { stringifyExactJson } from '../../common/exact-json.js';
import { keyHash } from '../../common/hash.js';
import type { RecordBatch } from 'apache-arrow';
import type { Message as KafkaMessage } from 'kafkajs';
import { SluiceError } from '../../common/errors.js';
import type { Field } from '../../common/types.js';
import { concatBatches, readColumn, plain } from '../../exec/columns.js';
import { decodeBatches, encodeBatch } from '../../exec/ipc.js';
import { RowKind } from '../../exec/message.js';
import type { EpochSink } from '../../exec/epoch-sink.js';
import { decodeValue, encodeKey, encodeValue, prefixRange, type CheckpointStore, type KeyPart, type Store, type WriteBatch } from '../../state/index.js';
import { queryStateParts } from '../../state/state-table.js';
import { crashPoint } from './crash-points.js';
import { rowsAsJson } from './json-codec.js';
import { connectFenced, connectorClient, type ClientKind, type KafkaAdmin, type KafkaClient, type SinkProducer, type SinkTransaction } from './client.js';
import { connectorError, type Semantic } from './options.js';
import { keyHashPartitioner, withKeyHash } from './partitioner.js';


export interface KafkaSinkConfig {
  readonly queryId: string;
  /** The sink's name, for messages. */
  readonly name: string;
  readonly topic: string;
  readonly brokers: readonly string[];
  readonly fields: readonly Field[];
  /** Output columns that form the record key; empty: no key. */
  readonly keyColumns: readonly number[];
  readonly semantic: Semantic;
  readonly transactionalId: string;
  readonly decisionsTopic: string;
  /** Kafka source topic -> its consumer group: their checkpointed positions are committed too. */
  readonly sourceGroups: ReadonlyMap<string, string>;
  readonly store: Store;
  readonly checkpoints: CheckpointStore;
  /** How long delivery of one epoch is retried before the query fails. Default 120 s. */
  readonly deliveryTimeoutMs?: number;
  /** The Kafka client to write with (default kafkajs). */
  readonly client?: ClientKind;
}

/**
 * A record as kept in the outbox: [key, value, key hash]; a null value is a tombstone. The key
 * hash (common/hash.ts, over the key columns' values) picks the partition; a sink without key
 * columns has none.
 */
export type OutboxRecord = readonly [key: string | null, value: string | null, hash?: number];

/**
 * The records a batch of output becomes: JSON values keyed by the key columns; for updating
 * results (upsert semantics) a delete is a tombstone, and the old row of an update is dropped
 * when its +U carries the same key (the new value replaces it), else it is a tombstone too.
 */
export function sinkRecords(batch: RecordBatch, rowKinds: Uint8Array | undefined, fields: readonly Field[], keyColumns: readonly number[]): OutboxRecord[] {
  const values = rowsAsJson(batch, fields);
  const keyCols = keyColumns.map((c) => readColumn(batch, c, fields[c]!.type));
  const keyAt = (r: number) => (keyCols.length === 0 ? null : recordKey(keyCols.map((c) => plain(c[r]))));
  const hashAt = (r: number) => keyHash(keyCols.map((c) => c[r]));
  const out: OutboxRecord[] = [];
  for (let r = 0; r < batch.numRows; r++) {
    const kind = rowKinds ? rowKinds[r]! : RowKind.INSERT;
    if (kind === RowKind.UPDATE_BEFORE && keyCols.length > 0 && rowKinds?.[r + 1] === RowKind.UPDATE_AFTER && keyAt(r + 1) === keyAt(r)) continue;
    const retract = kind === RowKind.DELETE || kind === RowKind.UPDATE_BEFORE;
    const value = retract ? null : values[r]!;
    out.push(keyCols.length === 0 ? [retract ? values[r]! : null, value] : [keyAt(r), value, hashAt(r)]);
  }
  return out;
}

/** A batch of output with the change kind of each row (undefined: all inserts). */
interface OutputBatch {
  readonly batch: RecordBatch;
  readonly rowKinds: Uint8Array | undefined;
}

/** An epoch's output to deliver: its batches as written or read back (or, as earlier versions stored it, its records). */
interface OutboxEntry {
  readonly seq: number;
  readonly batches: readonly OutputBatch[];
  readonly records?: readonly OutboxRecord[];
}

/**
 * An epoch's transaction opened before its checkpoint, with the records of its first
 * `handedRows` rows sent (or being sent) into it: the batches before `handed`, and the first
 * `offset` rows of batch `handed`. `batches` is the epoch's output as `write` appends it.
 */
interface SentAhead {
  readonly batches: OutputBatch[];
  readonly txn: Promise<SinkTransaction>;
  handed: number;
  offset: number;
  handedRows: number;
  /** Rows of the handed rows whose records were sent. */
  sentRows: number;
  /** The sends in progress; settles once the handed batches are sent or a send failed. */
  work: Promise<void> | undefined;
  failure: unknown;
  /** Wakes a `write` waiting for the sends to catch up. */
  wake: (() => void) | undefined;
}

/**
 * An outbox entry as stored: the output as Arrow IPC, one buffer per chunk of rows with their
 * change kinds (null: all inserts). Entries written by earlier versions hold the records.
 */
type StoredOutbox = { readonly seq: number; readonly batches: readonly Buffer[]; readonly kinds: readonly (Buffer | null)[] } | { readonly seq: number; readonly records: readonly OutboxRecord[] };

/** Records per send; SLUICE_KAFKA_SEND_CHUNK sets another count (crash tests: small epochs are then sent ahead too). */
const SEND_CHUNK = Math.max(1, Math.floor(Number(process.env['SLUICE_KAFKA_SEND_CHUNK'] ?? 2000)) || 2000);
/**
 * Rows written and not yet sent ahead beyond which `write` waits for the sends (so that the
 * query does not read far ahead of its output, leaving a long delivery at the checkpoint).
 */
const AHEAD_BACKLOG_ROWS = 4 * SEND_CHUNK;
/** How long close waits to abort a transaction sent ahead (otherwise the broker's transaction timeout ends it). */
const ABORT_ON_CLOSE_MS = 5000;
/** Rows per Arrow IPC chunk of an outbox entry. */
const OUTBOX_CHUNK_ROWS = 16_384;
/** Rows turned into records at a time. */
const RECORDS_CHUNK_ROWS = 512;

export class KafkaSink implements EpochSink {
  private pending: OutputBatch[] = [];
  private pendingRows = 0;
  /** The entry staged for the epoch being committed, if it had output, and its transaction if sent ahead. */
  private staged: { readonly entry: OutboxEntry; readonly ahead: SentAhead | undefined } | undefined;
  /** The pending epoch's transaction, when its records are being sent ahead. */
  private ahead: SentAhead | undefined;
  /** Whether records may be sent ahead: exactly once, recovered, and no epoch staged or being delivered. */
  private aheadAllowed = false;
  private closed = false;
  /** Last sequence number used (or found decided); the next entry gets seq + 1. */
  private seq = 0;
  private readonly client: KafkaClient;
  private producer: SinkProducer | undefined;
  private admin: KafkaAdmin | undefined;
  private readonly decisionsGroup: string;

  constructor(private readonly config: KafkaSinkConfig) {
    this.client = connectorClient(config.client ?? 'kafkajs', config.brokers, config.transactionalId);
    this.decisionsGroup = `${config.transactionalId}-decisions`;
  }

  write(batch: RecordBatch, rowKinds: Uint8Array | undefined): void | Promise<void> {
    if (batch.numRows === 0) return;
    this.pending.push({ batch, rowKinds });
    this.pendingRows += batch.numRows;
    this.sendAhead();
    const ahead = this.ahead;
    if (ahead && this.pendingRows - ahead.sentRows > AHEAD_BACKLOG_ROWS) return this.catchUp(ahead);
  }

  stage(wb: WriteBatch): void {
    if (this.pending.length === 0) {
      this.staged = undefined;
      return;
    }
    const entry: OutboxEntry = { seq: this.seq + 1, batches: this.pending };
    this.pending = [];
    this.pendingRows = 0;
    const ahead = this.ahead;
    this.ahead = undefined;
    this.aheadAllowed = false;
    const chunks = outboxChunks(this.config.fields, entry.batches);
    const stored: StoredOutbox = { seq: entry.seq, batches: chunks.map((b) => encodeBatch(b.batch)), kinds: chunks.map((b) => (b.rowKinds ? Buffer.from(b.rowKinds.buffer, b.rowKinds.byteOffset, b.rowKinds.byteLength) : null)) };
    wb.put(this.outboxKey(entry.seq), encodeValue(stored));
    this.staged = { entry, ahead };
    crashPoint('mid-stage');
  }

  async committed(): Promise<void> {
    const staged = this.staged;
    this.staged = undefined;
    if (!staged) return;
    this.seq = staged.entry.seq;
    await this.deliver(staged.entry, false, staged.ahead);
    this.aheadAllowed = this.config.semantic === 'exactly_once' && !this.closed;
    this.sendAhead();
  }

  async recover(): Promise<void> {
    const entries: OutboxEntry[] = [];
    for await (const [, v] of this.config.store.iterate(prefixRange(this.outboxPrefix()))) entries.push(storedEntry(decodeValue<StoredOutbox>(v)));
    entries.sort((a, b) => a.seq - b.seq);
    if (this.config.semantic === 'exactly_once') {
      await this.retrying('recover', async () => {
        // Side by side: each sets up its own connections (tens of milliseconds with librdkafka).
        const setup = await Promise.allSettled([this.checkDecisionsTopic(), this.ensureProducer()]);
        for (const r of setup) if (r.status === 'rejected') throw r.reason;
        this.seq = Math.max(this.seq, await this.decided());
      });
    }
    for (const e of entries) {
      this.seq = Math.max(this.seq, e.seq);
      await this.deliver(e, true);
    }
    this.aheadAllowed = this.config.semantic === 'exactly_once' && this.staged === undefined;
  }

  async close(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = undefined;
    this.aheadAllowed = false;
    this.closed = true;
    ahead?.wake?.();
    // Its records would otherwise hold back read_committed consumers until the broker's transaction timeout.
    if (ahead) await bounded(ABORT_ON_CLOSE_MS, abortAhead(ahead));
    await this.dropProducer();
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  /**
   * Delivers an outbox entry, retrying through broker faults, then deletes it. The first try
   * completes the transaction its records were sent ahead into, if any; a retry sends them all.
   */
  private async deliver(entry: OutboxEntry, checkFirst: boolean, ahead?: SentAhead): Promise<void> {
    let check = checkFirst;
    let open = ahead;
    await this.retrying(`epoch output (outbox entry ${entry.seq}, ${entryRows(entry)} rows)`, async () => {
      if (check && this.config.semantic === 'exactly_once') {
        await this.ensureProducer();
        if ((await this.decided()) >= entry.seq) {
          await this.config.store.del(this.outboxKey(entry.seq));
          return;
        }
      }
      check = true;
      const sentAhead = open;
      open = undefined;
      if (this.config.semantic === 'exactly_once') await this.sendTransaction(entry, sentAhead);
      else await this.sendPlain(entry);
      crashPoint('after-commit-before-outbox-delete');
      await this.config.store.del(this.outboxKey(entry.seq));
    });
  }

  /**
   * Opens the pending epoch's transaction when sending ahead is allowed, and sends the records
   * of the rows written since into it, SEND_CHUNK rows a send, as the rows come (the rest of
   * the epoch goes at its delivery). A failed send stops the sending: `committed` then delivers
   * the entry anew.
   */
  private sendAhead(): void {
    if (!this.aheadAllowed || this.pending.length === 0) return;
    if (!this.ahead) {
      const txn = this.ensureProducer().then((p) => p.transaction());
      // A failure to open it is the delivery's to report (or nobody's, once closed).
      txn.catch(() => undefined);
      this.ahead = { batches: this.pending, txn, handed: 0, offset: 0, handedRows: 0, sentRows: 0, work: undefined, failure: undefined, wake: undefined };
    }
    const ahead = this.ahead;
    if (ahead.work || ahead.failure !== undefined || this.pendingRows - ahead.handedRows < SEND_CHUNK) return;
    ahead.work = (async () => {
      try {
        const txn = await ahead.txn;
        const send = (messages: KafkaMessage[]) => txn.send({ topic: this.config.topic, acks: -1, messages });
        while (this.pendingRows - ahead.handedRows >= SEND_CHUNK && ahead.batches === this.pending) {
          const part = takeRows(ahead, SEND_CHUNK);
          await this.sendChunks({ seq: 0, batches: part.batches }, send);
          ahead.sentRows += part.rows;
          ahead.wake?.();
        }
      } catch (err) {
        ahead.failure = err;
      } finally {
        ahead.work = undefined;
        ahead.wake?.();
      }
    })();
  }

  /** Waits until the rows written are sent ahead up to AHEAD_BACKLOG_ROWS, or the sending stops. */
  private async catchUp(ahead: SentAhead): Promise<void> {
    while (this.ahead === ahead && ahead.work && this.pendingRows - ahead.sentRows > AHEAD_BACKLOG_ROWS) {
      await new Promise<void>((resolve) => (ahead.wake = resolve));
      ahead.wake = undefined;
    }
  }

  private async sendTransaction(entry: OutboxEntry, ahead?: SentAhead): Promise<void> {
    let txn: SinkTransaction;
    let rest = entry;
    let sent = 0;
    if (ahead) {
      await ahead.work;
      if (ahead.failure !== undefined) throw ahead.failure;
      txn = await ahead.txn;
      rest = { seq: entry.seq, batches: takeRows(ahead, Infinity).batches };
      sent = ahead.sentRows;
    } else {
      txn = await (await this.ensureProducer()).transaction();
    }
    const send = (messages: KafkaMessage[]) => txn.send({ topic: this.config.topic, acks: -1, messages });
    const rows = entryRows(entry);
    // Half of the records or more went ahead: the crash point comes before the rest.
    const halfAhead = 2 * sent >= rows;
    if (halfAhead) crashPoint('mid-send');
    await this.sendChunks(rest, send, halfAhead ? undefined : () => crashPoint('mid-send'), rows, sent);
    for (const [group, topics] of await this.sourceOffsets()) await txn.sendOffsets({ consumerGroupId: group, topics });
    await txn.sendOffsets({
      consumerGroupId: this.decisionsGroup,
      topics: [{ topic: this.config.decisionsTopic, partitions: [{ partition: 0, offset: String(entry.seq) }] }],
    });
    crashPoint('before-commit');
    await txn.commit();
  }

  private async sendPlain(entry: OutboxEntry): Promise<void> {
    const producer = await this.ensureProducer();
    await this.sendChunks(entry, (messages) => producer.send({ topic: this.config.topic, acks: -1, messages }));
  }

  /**
   * Sends the entry's records SEND_CHUNK at a time, each chunk made just before it is sent (so
   * that an epoch's records are never all held at once; a retried delivery makes the same
   * again); `halfway` runs once, after the chunk that takes the sent rows (`sentBefore` were
   * sent already) to half of `rows` (default: the entry's) or more.
   */
  private async sendChunks(entry: OutboxEntry, send: (messages: KafkaMessage[]) => Promise<unknown>, halfway?: () => void, rows = entryRows(entry), sentBefore = 0): Promise<void> {
    let sent = sentBefore;
    let half = halfway;
    for (const chunk of this.recordChunks(entry)) {
      await send(chunk.records.map(toMessage));
      sent += chunk.rows;
      if (half && 2 * sent >= rows) {
        half();
        half = undefined;
      }
    }
    half?.();
  }

  /**
   * The entry's records in chunks of about SEND_CHUNK, with the rows each covers, made from
   * the batches a few hundred rows at a time (JSON text of a few hundred rows at a time costs a
   * third of what one of thousands does).
   */
  private *recordChunks(entry: OutboxEntry): Generator<{ records: OutboxRecord[]; rows: number }> {
    if (entry.records) {
      for (let i = 0; i < entry.records.length; i += SEND_CHUNK) {
        const records = entry.records.slice(i, i + SEND_CHUNK);
        yield { records, rows: records.length };
      }
      return;
    }
    const { fields, keyColumns } = this.config;
    let chunk: OutboxRecord[] = [];
    let rows = 0;
    for (const b of entry.batches) {
      for (let from = 0, to = 0; from < b.batch.numRows; from = to) {
        to = Math.min(b.batch.numRows, from + RECORDS_CHUNK_ROWS, from + SEND_CHUNK - chunk.length);
        // The old row of an update stays with its new row (see sinkRecords).
        if (b.rowKinds?.[to - 1] === RowKind.UPDATE_BEFORE && to < b.batch.numRows) to++;
        const whole = from === 0 && to === b.batch.numRows;
        for (const r of sinkRecords(whole ? b.batch : b.batch.slice(from, to), whole ? b.rowKinds : b.rowKinds?.subarray(from, to), fields, keyColumns)) chunk.push(r);
        rows += to - from;
        if (chunk.length >= SEND_CHUNK) {
          yield { records: chunk, rows };
          chunk = [];
          rows = 0;
        }
      }
    }
    if (chunk.length > 0) yield { records: chunk, rows };
  }

  /**
   * The Kafka sources' positions of the latest checkpoint, per consumer group. The latest
   * checkpoint is the entry's epoch or a later one; either is a valid monitoring position.
   */
  private async sourceOffsets(): Promise<Map<string, { topic: string; partitions: { partition: number; offset: string }[] }[]>> {
    const out = new Map<string, { topic: string; partitions: { partition: number; offset: string }[] }[]>();
    if (this.config.sourceGroups.size === 0) return out;
    const ckpt = await this.config.checkpoints.latest(this.config.queryId);
    if (!ckpt) return out;
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const [k, offset] of Object.entries(ckpt.offsets)) {
      const slash = k.lastIndexOf('/');
      const topic = k.slice(0, slash);
      if (slash < 0 || !this.config.sourceGroups.has(topic)) continue;
      const list = byTopic.get(topic) ?? [];
      list.push({ partition: Number(k.slice(slash + 1)), offset: String(offset) });
      byTopic.set(topic, list);
    }
    for (const [topic, partitions] of byTopic) {
      const group = this.config.sourceGroups.get(topic)!;
      out.set(group, [...(out.get(group) ?? []), { topic, partitions }]);
    }
    return out;
  }

  /** The decisions group's committed offset: every outbox entry up to it is delivered. */
  private async decided(): Promise<number> {
    const admin = await this.ensureAdmin();
    const res = await admin.fetchOffsets({ groupId: this.decisionsGroup, topics: [this.config.decisionsTopic] });
    const p0 = res[0]?.partitions.find((p) => p.partition === 0);
    const d = Number(p0?.offset ?? -1);
    return Number.isFinite(d) ? d : -1;
  }

  private async checkDecisionsTopic(): Promise<void> {
    const admin = await this.ensureAdmin();
    const topics = await admin.listTopics();
    if (!topics.includes(this.config.decisionsTopic)) {
      throw new SluiceError('CONNECTOR_ERROR', `kafka sink ${this.config.name}: the decisions topic '${this.config.decisionsTopic}' does not exist`, {
        hint: `create it with one partition (kafka-topics --create --topic ${this.config.decisionsTopic} --partitions 1) or set 'decisions.topic'`,
      });
    }
  }

  private async ensureProducer(): Promise<SinkProducer> {
    if (this.producer) return this.producer;
    const eo = this.config.semantic === 'exactly_once';
    const p = this.client.producer({
      ...(eo ? { transactionalId: this.config.transactionalId } : {}),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: keyHashPartitioner,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    if (eo) await connectFenced(p);
    else await p.connect();
    this.producer = p;
    // In the background, while the query starts reading.
    if (eo) void p.prepare?.(this.config.topic, [...new Set(this.config.sourceGroups.values()), this.decisionsGroup]).catch(() => undefined);
    return p;
  }

  private async ensureAdmin(): Promise<KafkaAdmin> {
    if (this.admin) return this.admin;
    const a = this.client.admin();
    await a.connect();
    this.admin = a;
    return a;
  }

  private async dropProducer(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => undefined);
  }

  /** Runs `f` until it succeeds, recreating the clients after each failure, up to the timeout. */
  private async retrying(what: string, f: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + (this.config.deliveryTimeoutMs ?? 120_000);
    for (let attempt = 0; ; attempt++) {
      try {
        await f();
        return;
      } catch (err) {
        await this.dropProducer();
        await this.admin?.disconnect().catch(() => undefined);
        this.admin = undefined;
        if (err instanceof SluiceError || Date.now() >= deadline) {
          if (err instanceof SluiceError) throw err;
          throw connectorError(`sink ${this.config.name} (topic '${this.config.topic}'): delivering ${what} failed`, err, 'the output stays in the outbox and is delivered when the query restarts; check the brokers');
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  }

  private outboxPrefix(): KeyPart[] {
    return [...queryStateParts(this.config.queryId), 'kafka-sink.outbox'];
  }

  private outboxKey(seq: number): Buffer {
    return encodeKey([...this.outboxPrefix(), seq]);
  }
}

/**
 * The epoch's output in chunks of up to OUTBOX_CHUNK_ROWS rows (batches are joined, their
 * change kinds with them; a batch larger than a chunk stays whole).
 */
function outboxChunks(fields: readonly Field[], pending: readonly OutputBatch[]): OutputBatch[] {
  const chunks: OutputBatch[] = [];
  for (let from = 0; from < pending.length; ) {
    let rows = 0;
    let to = from;
    while (to < pending.length && (to === from || rows + pending[to]!.batch.numRows <= OUTBOX_CHUNK_ROWS)) rows += pending[to++]!.batch.numRows;
    const part = pending.slice(from, to);
    let rowKinds: Uint8Array | undefined;
    if (part.some((b) => b.rowKinds)) {
      rowKinds = new Uint8Array(rows).fill(RowKind.INSERT);
      let at = 0;
      for (const b of part) {
        if (b.rowKinds) rowKinds.set(b.rowKinds.subarray(0, b.batch.numRows), at);
        at += b.batch.numRows;
      }
    }
    chunks.push({ batch: concatBatches(fields, part.map((b) => b.batch)), rowKinds });
    from = to;
  }
  return chunks;
}

/**
 * The next `max` rows (or all that are left) of an epoch sent ahead, from where its handed rows
 * end, as batches (the first and last may be slices); an update's old row stays with its new
 * row (see sinkRecords). Moves the handed position past them.
 */
function takeRows(ahead: SentAhead, max: number): { batches: OutputBatch[]; rows: number } {
  const batches: OutputBatch[] = [];
  let rows = 0;
  while (rows < max && ahead.handed < ahead.batches.length) {
    const { batch, rowKinds } = ahead.batches[ahead.handed]!;
    const from = ahead.offset;
    let to = Math.min(batch.numRows, from + max - rows);
    if (rowKinds?.[to - 1] === RowKind.UPDATE_BEFORE && to < batch.numRows) to++;
    batches.push(from === 0 && to === batch.numRows ? { batch, rowKinds } : { batch: batch.slice(from, to), rowKinds: rowKinds?.subarray(from, to) });
    rows += to - from;
    if (to === batch.numRows) {
      ahead.handed++;
      ahead.offset = 0;
    } else {
      ahead.offset = to;
    }
  }
  ahead.handedRows += rows;
  return { batches, rows };
}

/** Aborts a transaction sent ahead, once its sends are over; nothing when it never opened. */
async function abortAhead(ahead: SentAhead): Promise<void> {
  await ahead.work;
  const txn = await ahead.txn.catch(() => undefined);
  await txn?.abort().catch(() => undefined);
}

/** Waits for `work` at most `ms`. */
async function bounded(ms: number, work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** The rows of an entry's output (of an entry stored as records: its records). */
function entryRows(entry: OutboxEntry): number {
  return entry.records?.length ?? entry.batches.reduce((n, b) => n + b.batch.numRows, 0);
}

/** An outbox entry as read back from the store. */
function storedEntry(stored: StoredOutbox): OutboxEntry {
  if ('records' in stored) return { seq: stored.seq, batches: [], records: stored.records };
  return {
    seq: stored.seq,
    batches: stored.batches.map((bytes, i) => {
      const kinds = stored.kinds[i];
      return { batch: decodeBatches(bytes)[0]!, rowKinds: kinds ? new Uint8Array(kinds) : undefined };
    }),
  };
}

/** An outbox record as a Kafka message, partitioned by its key hash. */
export function toMessage([key, value, hash]: OutboxRecord): KafkaMessage {
  return withKeyHash({ key, value }, hash);
}

/** One key column as its text; several as a JSON array. NULL key values give no key. */
function recordKey(values: readonly unknown[]): string | null {
  if (values.length === 1) {
    const v = values[0];
    if (v === null || v === undefined) return null;
    if (typeof v === 'bigint') return v.toString();
    return typeof v === 'string' ? v : stringifyExactJson(v);
  }
  return stringifyExactJson(values);
}
