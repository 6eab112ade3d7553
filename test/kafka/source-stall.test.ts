/**
 * A Kafka source whose consumer goes silent (its partitions stop being fetched, no error, no
 * crash) replaces the consumer and reads on from its positions: nothing lost or repeated.
 * SLUICE_FAULT_SOURCE_SILENT makes the source's first consumer stop fetching after its first batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T, type Field } from '../../src/common/types.js';
import { KafkaSource } from '../../src/connectors/kafka/kafka-source.js';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { collectingContext, produce, waitFor } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let mock: KafkaMock;

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 1, topics: ['stall-in:2'], groupInitialRebalanceDelayMs: 0 });
}, 300_000);

afterAll(async () => {
  delete process.env['SLUICE_FAULT_SOURCE_SILENT'];
  await mock?.stop();
});

describe('kafka source with a consumer gone silent', () => {
  it('replaces the consumer and reads every record once', async () => {
    const fields: Field[] = [{ name: 'id', type: T.BIGINT, nullable: true }];
    const add = (from: number, n: number) =>
      produce(
        mock.brokers,
        'stall-in',
        Array.from({ length: n }, (_, i) => ({ key: String(from + i), value: JSON.stringify({ id: from + i }), partition: (from + i) % 2 })),
      );
    await add(0, 20);
    process.env['SLUICE_FAULT_SOURCE_SILENT'] = '1';
    const source = new KafkaSource({ relation: 'stall_in', topic: 'stall-in', brokers: mock.brokers, groupId: 'stall-test', fields, recordTime: false, sessionTimeoutMs: 1000 });
    const { ctx, ids, abort } = collectingContext();
    const running = source.run(ctx, false);
    try {
      await waitFor(() => ids.length > 0, 15_000, 'the first batch');
      await add(20, 20);
      await waitFor(() => ids.length >= 40, 20_000, 'all 40 records');
    } finally {
      abort.abort();
      await running;
    }
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  }, 60_000);
});
