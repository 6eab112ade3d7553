/**
 * The Kafka sink's outbox across a restart, against the mock broker: an epoch staged but not
 * delivered (a crash after the checkpoint was written) is delivered by the next sink's recovery,
 * record for record as the first sink would have sent it (upserts, tombstones, the old row of
 * an update dropped); an entry stored as records by an earlier version is delivered too.
 * Records sent ahead of their checkpoint stay invisible until it commits, rows written after an
 * epoch is staged go into the next transaction, and close aborts a transaction sent ahead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T, type Field } from '../../src/common/types.js';
import { KafkaSink, sinkRecords, type KafkaSinkConfig } from '../../src/connectors/kafka/kafka-sink.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { RowKind } from '../../src/exec/message.js';
import { CheckpointStore, encodeKey, encodeValue, Store } from '../../src/state/index.js';
import { queryStateParts } from '../../src/state/state-table.js';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { client, readCommitted, waitFor } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const FIELDS: readonly Field[] = [
  { name: 'k', type: T.STRING, nullable: false },
  { name: 'n', type: T.BIGINT, nullable: true },
  { name: 'v', type: T.DOUBLE, nullable: true },
];

let mock: KafkaMock;
let dir: string;
let store: Store;

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 1, topics: ['o-new:1', 'o-old:1', 'o-ahead:1', 'o-close:1', '__sluice_decisions:1'], groupInitialRebalanceDelayMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'sluice-outbox-'));
  store = await Store.open(dir);
}, 300_000);

afterAll(async () => {
  await store?.close();
  await mock?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sinkFor(queryId: string, topic: string): KafkaSink {
  const config: KafkaSinkConfig = {
    queryId,
    name: queryId,
    topic,
    brokers: mock.brokers,
    fields: FIELDS,
    keyColumns: [0],
    semantic: 'exactly_once',
    transactionalId: `sluice-${queryId}`,
    decisionsTopic: '__sluice_decisions',
    sourceGroups: new Map(),
    store,
    checkpoints: new CheckpointStore(store),
  };
  return new KafkaSink(config);
}

/** Records of `topic` a read_uncommitted reader finds (those of open transactions too), once it found `n` or after `timeoutMs`. */
async function readUncommitted(topic: string, n: number, timeoutMs = 10_000): Promise<string[]> {
  const consumer = client(mock.brokers).consumer({ groupId: `uncommitted-${topic}-${Date.now()}`, readUncommitted: true, maxWaitTimeInMs: 100 });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? '') });
    await waitFor(() => values.length >= n, timeoutMs, `${n} records in '${topic}'`).catch(() => undefined);
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** The last stable offset of partition 0 of `topic`: records at or past it belong to a transaction still open. */
async function lastStable(topic: string): Promise<number> {
  const admin = client(mock.brokers).admin();
  await admin.connect();
  try {
    return Number((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)!.high);
  } finally {
    await admin.disconnect();
  }
}

/** Rows `from` .. `from + n - 1` of FIELDS, keyed k<i>. */
const rowsOf = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ k: `k${from + i}`, n: BigInt(from + i), v: (from + i) / 4 }));
const valueOf = (r: { k: string; n: bigint; v: number }) => JSON.stringify({ k: r.k, n: Number(r.n), v: r.v });

const asRead = (records: readonly (readonly [string | null, string | null, number?])[]) => records.map(([key, value]) => ({ key, value }));

describe('kafka sink outbox', () => {
  it('an epoch staged before a crash is delivered by the next sink, as the first would have sent it', async () => {
    const first = sinkFor('q_new', 'o-new');
    const a = batchFromRows(FIELDS, [
      { k: 'a', n: 1n, v: 0.5 },
      { k: 'b', n: 2n, v: null },
    ]);
    const b = batchFromRows(FIELDS, [
      { k: 'a', n: 1n, v: 0.5 },
      { k: 'a', n: 3n, v: 1.25 },
      { k: 'b', n: 2n, v: null },
      { k: 'c', n: 9007199254740993n, v: -0 },
    ]);
    const kinds = Uint8Array.from([RowKind.UPDATE_BEFORE, RowKind.UPDATE_AFTER, RowKind.DELETE, RowKind.INSERT]);
    first.write(a, undefined);
    first.write(b, kinds);
    const wb = store.batch();
    first.stage(wb);
    await wb.write();
    // The process dies here: the epoch is in the outbox, not in Kafka.
    await first.close();

    const next = sinkFor('q_new', 'o-new');
    await next.recover();
    await next.close();
    const expected = [...sinkRecords(a, undefined, FIELDS, [0]), ...sinkRecords(b, kinds, FIELDS, [0])];
    expect(expected.map(([key, value]) => [key, value])).toEqual([
      ['a', '{"k":"a","n":1,"v":0.5}'],
      ['b', '{"k":"b","n":2,"v":null}'],
      ['a', '{"k":"a","n":3,"v":1.25}'],
      ['b', null],
      ['c', '{"k":"c","n":9007199254740993,"v":0}'],
    ]);
    const read = await readCommitted(mock.brokers, 'o-new', expected.length);
    expect(read.map(({ key, value }) => ({ key, value }))).toEqual(asRead(expected));
  }, 60_000);

  it('an entry stored as records by an earlier version is delivered', async () => {
    const records = [
      ['x', '{"k":"x","n":1,"v":2}'],
      ['y', null],
    ];
    await store.put(encodeKey([...queryStateParts('q_old'), 'kafka-sink.outbox', 1]), encodeValue({ seq: 1, records }));
    const sink = sinkFor('q_old', 'o-old');
    await sink.recover();
    await sink.close();
    const read = await readCommitted(mock.brokers, 'o-old', records.length);
    expect(read.map(({ key, value }) => ({ key, value }))).toEqual(records.map(([key, value]) => ({ key, value })));
  }, 60_000);

  it('sends records ahead into the epoch\'s transaction, visible with its commit; rows written once it is staged go into the next', async () => {
    const sink = sinkFor('q_ahead', 'o-ahead');
    await sink.recover();
    // Records go ahead a send's worth (2000) at a time; the rest of the epoch goes at its delivery.
    const first = rowsOf(0, 2500);
    await sink.write(batchFromRows(FIELDS, first.slice(0, 1500)), undefined);
    await sink.write(batchFromRows(FIELDS, first.slice(1500)), undefined);
    expect(await readUncommitted('o-ahead', 2000)).toEqual(first.slice(0, 2000).map(valueOf));
    expect(await lastStable('o-ahead')).toBe(0);
    const wb = store.batch();
    sink.stage(wb);
    await wb.write();
    const second = rowsOf(2500, 10);
    await sink.write(batchFromRows(FIELDS, second), undefined);
    await sink.committed();
    expect((await readCommitted(mock.brokers, 'o-ahead', 2500)).map((r) => r.value)).toEqual(first.map(valueOf));
    const next = store.batch();
    sink.stage(next);
    await next.write();
    await sink.committed();
    await sink.close();
    expect((await readCommitted(mock.brokers, 'o-ahead', 2510)).map((r) => r.value)).toEqual([...first, ...second].map(valueOf));
  }, 60_000);

  it('aborts on close a transaction its records were sent ahead into, so read_committed readers are not held back', async () => {
    const sink = sinkFor('q_close', 'o-close');
    await sink.recover();
    await sink.write(batchFromRows(FIELDS, rowsOf(0, 2000)), undefined);
    expect(await readUncommitted('o-close', 2000)).toHaveLength(2000);
    expect(await lastStable('o-close')).toBe(0);
    await sink.close();
    // The records and the abort marker: nothing is open past them.
    expect(await lastStable('o-close')).toBe(2001);
    expect(await readCommitted(mock.brokers, 'o-close')).toEqual([]);
  }, 60_000);
});
