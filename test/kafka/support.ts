/** Kafka test helpers: plain kafkajs producers and read_committed readers over the mock broker. */
import type { Kafka as KafkaClient } from 'kafkajs';
import { T } from '../../src/common/types.js';
import { loadNativeKafka } from '../../src/connectors/kafka/native-client.js';
import { kafkajs } from '../../src/connectors/kafka/options.js';
import { readColumn } from '../../src/exec/columns.js';
import type { DeadLetter } from '../../src/exec/message.js';
import type { SourceContext } from '../../src/exec/source.js';

const { Kafka, logLevel, Partitioners } = kafkajs();

export function client(brokers: readonly string[]): KafkaClient {
  return new Kafka({ clientId: 'sluice-test', brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

export interface TestRecord {
  readonly key?: string | null;
  readonly value: string | null;
  readonly partition?: number;
  readonly timestamp?: string;
}

export async function produce(brokers: readonly string[], topic: string, records: readonly TestRecord[]): Promise<void> {
  const p = client(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  try {
    for (let i = 0; i < records.length; i += 1000) {
      await p.send({ topic, acks: -1, messages: records.slice(i, i + 1000).map((r) => ({ key: r.key ?? null, value: r.value, ...(r.partition !== undefined ? { partition: r.partition } : {}), ...(r.timestamp ? { timestamp: r.timestamp } : {}) })) });
    }
  } finally {
    await p.disconnect();
  }
}

export interface ReadRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Every committed record of `topic` (read_committed), reading until the high watermarks as of
 * the call are reached. Uses a fresh consumer group.
 */
export async function readCommitted(brokers: readonly string[], topic: string, atLeast = 0, timeoutMs = 30_000): Promise<ReadRecord[]> {
  const kafka = client(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, number>();
  for (const o of await admin.fetchTopicOffsets(topic)) ends.set(o.partition, Number(o.high));
  await admin.disconnect();
  const reached = new Map<number, number>();
  const done = () => [...ends].every(([p, e]) => (reached.get(p) ?? 0) >= e - 1 || e === 0);
  const out: ReadRecord[] = [];
  if (atLeast === 0 && [...ends.values()].every((e) => e === 0)) return out;
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}`, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const mark = (p: number, last: number) => reached.set(p, Math.max(reached.get(p) ?? 0, last + 1));
  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize === 0) mark(payload.partition, Number(payload.lastOffset));
  });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        out.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, partition: batch.partition, offset: Number(m.offset) });
      }
      mark(batch.partition, Number(batch.lastOffset()));
    },
  });
  const deadline = Date.now() + timeoutMs;
  // A trailing commit marker is never delivered: a partition counts as read at end - 1 only
  // once nothing arrived for a while.
  let quietSince = Date.now();
  let lastCount = -1;
  while (Date.now() < deadline) {
    if (out.length !== lastCount) {
      lastCount = out.length;
      quietSince = Date.now();
    }
    const full = [...ends].every(([p, e]) => (reached.get(p) ?? 0) >= e);
    if (out.length >= atLeast && (full || (done() && Date.now() - quietSince > 1000))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await consumer.disconnect();
  return out;
}

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A context for running a source alone: the BIGINT first column of its batches and its dead letters, collected; positions move at once. */
export function collectingContext(): { ctx: SourceContext; ids: number[]; letters: DeadLetter[]; abort: AbortController } {
  const ids: number[] = [];
  const letters: DeadLetter[] = [];
  const abort = new AbortController();
  const ctx: SourceContext = {
    signal: abort.signal,
    emit: async (msg, advance) => {
      if (msg.kind === 'data') ids.push(...Array.from(readColumn(msg.batch, 0, T.BIGINT), Number));
      advance?.();
    },
    deadLetter: (l) => letters.push(l),
  };
  return { ctx, ids, letters, abort };
}

const native = loadNativeKafka();
/** Why the native (librdkafka) client's tests are skipped, or undefined when it is built. */
export const NATIVE_SKIP = 'error' in native ? `${native.error}; scripts/build-native-kafka.sh builds it` : undefined;
/** A test title for the native client's variant that says when and why it is skipped. */
export const nativeTitle = (title: string) => (NATIVE_SKIP ? `${title} (skipped: ${NATIVE_SKIP})` : title);
