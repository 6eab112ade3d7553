/**
 * Reads one partition of a topic from its beginning up to a given end offset (committed data
 * only), e.g. to restore state from a changelog. kafkajs has no manual assignment, so this
 * joins a private consumer group of its own and skips the other partitions.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { KafkaClient } from './client.js';
import { kafkaConsumer } from './options.js';

export async function readPartitionToEnd(
  client: KafkaClient,
  topic: string,
  partition: number,
  end: number,
  onMessages: (messages: readonly KafkaMessage[]) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  if (end <= 0) return;
  const consumer = kafkaConsumer(client, `sluice-restore-${randomUUID()}`);
  let reached = 0;
  let settle: (err?: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
  const advance = (next: number) => {
    reached = Math.max(reached, next);
    if (reached >= end) settle();
  };
  const onAbort = () => settle(signal?.reason ?? new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) settle(payload.error);
  });
  // Batches of only transaction markers never reach eachBatch.
  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic && payload.partition === partition && payload.batchSize === 0) advance(Number(payload.lastOffset) + 1);
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const others = (payload.memberAssignment[topic] ?? []).filter((p) => p !== partition);
    if (others.length) consumer.pause([{ topic, partitions: others }]);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (batch.partition !== partition || reached >= end) return;
        const messages = batch.messages.filter((m) => Number(m.offset) < end);
        if (messages.length) await onMessages(messages);
        advance(Number(batch.lastOffset()) + 1);
      },
    });
    await done;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
  }
}
