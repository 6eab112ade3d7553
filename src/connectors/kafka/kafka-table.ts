/**
 * Keeps a TABLE current from a (compacted) Kafka topic: latest JSON value per primary key;
 * a tombstone (null value) deletes the key.
 *
 * Invariants:
 * - Each fetched batch is applied to the table's rows in one write batch together with the
 *   partition's next offset; a lookup never sees a row that is not durable.
 * - A start resumes every partition from its stored offset (the consumer group is private to
 *   the run and commits nothing); a partition with no stored offset, or whose stored offset
 *   the topic no longer holds, makes the table rebuild from the beginning of the topic.
 * - Records whose value does not decode into the table's columns, or that break one of its
 *   CHECKs, are skipped and counted (`rejected`, `lastError`), since a table has no dead-letter
 *   stream; a column a record leaves out takes its DEFAULT.
 */
import { parseExactJson } from '../../common/exact-json.js';
import type { Field } from '../../common/types.js';
import { keyOf } from '../../common/keys.js';
import type { StateRow, TableChange, TableRows } from '../../state/index.js';
import { makeBatch } from '../../exec/columns.js';
import type { RowChecker } from '../../exec/row-constraints.js';
import { decodeJsonRow } from './json-codec.js';
import { connectorClient, type ClientKind, type GroupConsumer } from './client.js';
import { connectorError, kafkaConsumer } from './options.js';

export interface KafkaTableConfig {
  readonly name: string;
  readonly topic: string;
  readonly brokers: readonly string[];
  readonly schema: readonly Field[];
  readonly primaryKey: readonly string[];
  readonly rows: TableRows;
  readonly sessionTimeoutMs: number;
  /** The Kafka client to read with (default kafkajs). */
  readonly client?: ClientKind;
  /** The table's CHECKs and DEFAULTs, when it declares any. */
  readonly checker?: RowChecker;
}

/** A decoded row of a fetched batch: its place among the batch's changes, values and offset. */
interface Decoded {
  readonly at: number;
  readonly values: readonly unknown[];
  readonly offset: string;
}

export class KafkaTableLoader {
  rejected = 0;
  lastError: string | undefined;
  /** Resolves once the topic was read up to its end as of the start (or the start failed). */
  readonly ready: Promise<void>;
  private consumer: GroupConsumer | undefined;
  private markReady: () => void = () => undefined;
  private readonly pkIndexes: number[];

  constructor(private readonly config: KafkaTableConfig) {
    this.ready = new Promise((r) => (this.markReady = r));
    this.pkIndexes = config.primaryKey.map((k) => config.schema.findIndex((f) => f.name.toLowerCase() === k.toLowerCase()));
  }

  /** Starts reading in the background, from the stored offsets (see the invariants). */
  async start(): Promise<void> {
    const { topic } = this.config;
    const client = connectorClient(this.config.client ?? 'kafkajs', this.config.brokers, `sluice-table-${this.config.name}`);
    const pending = new Set<number>();
    const admin = client.admin();
    let resume = await this.config.rows.offsets();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      const resumable = offsets.every((o) => {
        const at = resume.get(o.partition);
        return at !== undefined && at >= Number(o.low) && at <= Number(o.high);
      });
      if (!resumable) {
        // Rebuilt from the topic: a key whose tombstone was compacted away must not survive.
        await this.config.rows.clear();
        resume = new Map();
      }
      for (const o of offsets) if (Number(o.high) > Math.max(Number(o.low), resume.get(o.partition) ?? 0)) pending.add(o.partition);
    } catch (err) {
      this.lastError = connectorError(`table ${this.config.name} (topic '${topic}')`, err, "check 'bootstrap.servers' and that the topic exists").message;
      this.markReady();
      return;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const done = (p: number) => {
      pending.delete(p);
      if (pending.size === 0) this.markReady();
    };
    if (pending.size === 0) this.markReady();
    const consumer = kafkaConsumer(client, `sluice-table-${this.config.name}-${process.pid}-${Date.now()}`, this.config.sessionTimeoutMs);
    this.consumer = consumer;
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0 && payload.offsetLag === '0') done(payload.partition);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const changes: TableChange[] = [];
        /** The changes that are rows (not deletes), for the CHECKs. */
        const decoded: Decoded[] = [];
        // Until the seek below lands, a fetch may start at the beginning: what the table holds is skipped.
        const from = resume.get(batch.partition) ?? 0;
        for (const m of batch.messages) {
          if (Number(m.offset) < from) continue;
          if (m.value === null) {
            const key = m.key === null ? undefined : this.keyFromRecordKey(m.key.toString('utf8'));
            if (key === undefined) {
              this.reject(`${topic}/${batch.partition}@${m.offset}: tombstone without a usable key`);
              continue;
            }
            changes.push([key, null]);
            continue;
          }
          const r = decodeJsonRow(this.config.schema, m.value, this.config.checker?.defaults);
          if ('error' in r) {
            this.reject(`${topic}/${batch.partition}@${m.offset}: ${r.error}`);
            continue;
          }
          const key = keyOf(this.pkIndexes.map((i) => r.values[i]));
          const row: Record<string, unknown> = {};
          this.config.schema.forEach((f, i) => (row[f.name] = r.values[i]));
          changes.push([key, row as StateRow]);
          decoded.push({ at: changes.length - 1, values: r.values, offset: m.offset });
        }
        this.dropUnchecked(changes, decoded, `${topic}/${batch.partition}`);
        const last = batch.messages[batch.messages.length - 1];
        if (last) await this.config.rows.apply(changes, new Map([[batch.partition, Number(last.offset) + 1]]));
        if (batch.offsetLag() === '0') done(batch.partition);
      },
    });
    for (const [partition, offset] of resume) consumer.seek({ topic, partition, offset: String(offset) });
  }

  async stop(): Promise<void> {
    this.markReady();
    await this.consumer?.disconnect().catch(() => undefined);
  }

  /** Drops from `changes` the rows that break a CHECK of the table, each counted as rejected. */
  private dropUnchecked(changes: TableChange[], decoded: readonly Decoded[], where: string): void {
    const checker = this.config.checker;
    if (!checker || decoded.length === 0) return;
    const schema = this.config.schema;
    const violations = checker.violations(makeBatch(schema, schema.map((_, c) => decoded.map((d) => d.values[c])), decoded.length));
    if (violations.size === 0) return;
    const drop = new Set<number>();
    for (const [i, reason] of violations) {
      this.reject(`${where}@${decoded[i]!.offset}: ${reason}`);
      drop.add(decoded[i]!.at);
    }
    const kept = changes.filter((_, i) => !drop.has(i));
    changes.length = 0;
    changes.push(...kept);
  }

  private reject(reason: string): void {
    this.rejected++;
    this.lastError = reason;
  }

  /** The table key of a tombstone: the record key is the primary key value (a JSON array for several). */
  private keyFromRecordKey(text: string): string | undefined {
    const types = this.pkIndexes.map((i) => this.config.schema[i]?.type.kind);
    if (types.length === 1) {
      if (types[0] === 'STRING') return keyOf([text]);
      // keyOf writes numbers and bigints as their digits, so the text of an integer key is its key.
      if (/^-?\d+$/.test(text)) return keyOf([BigInt(text)]);
      const n = Number(text);
      return Number.isFinite(n) ? keyOf([n]) : keyOf([text]);
    }
    try {
      const parts: unknown = parseExactJson(text);
      return Array.isArray(parts) && parts.length === types.length ? keyOf(parts) : undefined;
    } catch {
      return undefined;
    }
  }
}
