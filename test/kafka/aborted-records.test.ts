/**
 * Takeover of a transactional id, as a scale-out task does it when its partition moves: the new
 * owner fences the old one before it reads anything, and read_committed consumers never see
 * the old owner's aborted records, also when two producers' aborted transactions overlap.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutAborted, type FetchedRecord } from '../../src/connectors/kafka/aborted-records.js';
import { connectFenced } from '../../src/connectors/kafka/client.js';
import { kafkajs } from '../../src/connectors/kafka/options.js';
import { readPartitionToEnd } from '../../src/connectors/kafka/read-to-end.js';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { client } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let mock: KafkaMock;

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 1, topics: ['ab-two:1', 'ab-fence:1'] });
}, 300_000);

afterAll(async () => {
  await mock?.stop();
});

const rec = (offset: number, producerId: string, inTransaction = true, control?: 'abort' | 'commit'): FetchedRecord => ({
  offset: String(offset),
  key: control ? Buffer.from([0, 0, 0, control === 'abort' ? 0 : 1]) : Buffer.from(`k${offset}`),
  isControlRecord: control !== undefined,
  batchContext: { producerId, inTransaction },
});

const offsets = (rs: readonly FetchedRecord[]) => rs.map((r) => Number(r.offset));

describe('aborted transactions (read_committed)', () => {
  it('leaves out every aborted transaction that started at or before a record, not one per record', () => {
    // A fetch from offset 125: producer 1 aborted a transaction at 123, producer 2 one at 125.
    const aborted = [
      { producerId: '1', firstOffset: '123' },
      { producerId: '2', firstOffset: '125' },
    ];
    expect(offsets(withoutAborted({ messages: [rec(125, '2'), rec(126, '2')], abortedTransactions: aborted }))).toEqual([]);
    // Listed out of order, with committed and non-transactional records between.
    const messages = [rec(123, '1'), rec(124, '3'), rec(125, '2'), rec(126, '9', false), rec(127, '1', true, 'abort'), rec(128, '1'), rec(129, '2', true, 'abort'), rec(130, '2'), rec(131, '3', true, 'commit')];
    expect(offsets(withoutAborted({ messages, abortedTransactions: [...aborted].reverse() }))).toEqual([124, 126, 127, 128, 129, 130, 131]);
    expect(offsets(withoutAborted({ messages, abortedTransactions: [] }))).toEqual(offsets(messages));
  });

  it("kafkajs's consumer batches use that filter", () => {
    kafkajs();
    const Batch = createRequire(import.meta.url)('kafkajs/src/consumer/batch.js') as new (topic: string, fetchedOffset: string, partitionData: unknown) => { messages: FetchedRecord[] };
    const batch = new Batch('t', '125', {
      partition: 0,
      highWatermark: '130',
      abortedTransactions: [
        { producerId: '1', firstOffset: '123' },
        { producerId: '2', firstOffset: '125' },
      ],
      messages: [rec(125, '2'), rec(126, '2'), rec(127, '3', false)],
    });
    expect(offsets(batch.messages)).toEqual([127]);
  });

  it('a read_committed consumer skips two overlapping aborted transactions of two producers', async () => {
    const kafka = client(mock.brokers);
    const topic = 'ab-two';
    const owners = ['ab-a', 'ab-b'].map((id) => kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 }));
    const txns = [];
    for (const [i, p] of owners.entries()) {
      await p.connect();
      const txn = await p.transaction();
      await txn.send({ topic, acks: -1, messages: [{ partition: 0, key: `aborted-${i}`, value: 'x' }] });
      txns.push(txn);
    }
    // Both die inside their transaction; their successors abort them, one after the other.
    for (const id of ['ab-a', 'ab-b']) {
      const next = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
      await connectFenced(next);
      await next.disconnect();
    }
    const committed = kafka.producer({ transactionalId: 'ab-c', idempotent: true, maxInFlightRequests: 1 });
    await committed.connect();
    const txn = await committed.transaction();
    await txn.send({ topic, acks: -1, messages: [{ partition: 0, key: 'committed', value: 'x' }] });
    await txn.commit();
    await committed.disconnect();
    for (const p of owners) await p.disconnect().catch(() => undefined);

    const admin = kafka.admin();
    await admin.connect();
    const end = Number((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)?.high ?? 0);
    await admin.disconnect();
    const keys: string[] = [];
    await readPartitionToEnd(kafka, topic, 0, end, async (messages) => {
      for (const m of messages) keys.push(m.key?.toString() ?? '');
    });
    expect(keys).toEqual(['committed']);
  }, 60_000);

  it('connectFenced ends the previous owner’s open transaction before it resolves', async () => {
    const kafka = client(mock.brokers);
    const topic = 'ab-fence';
    const old = kafka.producer({ transactionalId: 'ab-fence', idempotent: true, maxInFlightRequests: 1 });
    await old.connect();
    const open = await old.transaction();
    await open.send({ topic, acks: -1, messages: [{ partition: 0, key: 'old', value: 'x' }] });
    await open.sendOffsets({ consumerGroupId: 'ab-fence-group', topics: [{ topic, partitions: [{ partition: 0, offset: '7' }] }] });

    const next = kafka.producer({ transactionalId: 'ab-fence', idempotent: true, maxInFlightRequests: 1 });
    await connectFenced(next);
    // The old owner can no longer commit what it had sent: nothing it did becomes visible
    // after the new owner has read the committed offset.
    await expect(open.commit()).rejects.toThrow();
    const admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: 'ab-fence-group', topics: [topic] });
    const [latest] = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(committed[0]?.partitions[0]?.offset).toBe('-1');
    // Aborted: the last stable offset is past the old record and its abort marker.
    expect(Number(latest?.high)).toBe(2);
    await next.disconnect();
    await old.disconnect().catch(() => undefined);
  }, 60_000);
});
