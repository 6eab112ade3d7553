/**
 * Proves that the patched mock broker (tools/kafka-mock) enforces Kafka
 * transactions, using third-party clients only: kafkajs and kcat (librdkafka).
 *
 * Without tools/kafka-mock/transactions.patch, librdkafka 2.15.1's mock
 * answers every Fetch with LastStableOffset = high watermark and an empty
 * AbortedTransactions list, drops TxnOffsetCommit offsets and hands a new
 * PID to a second producer with the same transactional id. Against such a
 * build (run with KAFKA_MOCK_BIN=<unpatched binary>) all six transaction tests
 * below fail: read_committed consumers get aborted records and records past an
 * open transaction, sendOffsets offsets stay unset, the old producer keeps
 * working after being fenced, and kcat rejects the control batches' CRC.
 *
 * kcat must be installed (`apt-get install -y kcat`); the librdkafka test
 * fails, rather than skips, when it is missing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import type { Consumer, Kafka as KafkaClient, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock, type KafkaMock } from './harness.js';

const { Kafka, logLevel } = kafkajs;
const execFileAsync = promisify(execFile);

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const TOPICS = ['txn-data:3', 'txn-lso:1', 'txn-offsets-src:2', 'txn-fence:1', 'txn-kcat:2', 'txn-recover:1'];

let mock: KafkaMock;
let kafka: KafkaClient;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 3, topics: TOPICS, groupInitialRebalanceDelayMs: 0 });
  kafka = new Kafka({
    clientId: 'kafka-mock-test',
    brokers: mock.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 },
  });
}, 300_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    await Promise.race([c().catch(() => {}), sleep(10_000)]);
  }
  await mock?.stop();
}, 120_000);

async function txnProducer(transactionalId: string): Promise<Producer> {
  const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  cleanups.push(() => p.disconnect());
  return p;
}

type Isolation = 'read_committed' | 'read_uncommitted';

/** A running consumer that records every value it delivers, in order. */
interface Collector {
  values: string[];
  /** Resolves once `pred(values)` holds; rejects after `timeoutMs`. */
  until(pred: (values: string[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let groupSeq = 0;

async function collect(topic: string, isolation: Isolation): Promise<Collector> {
  const consumer: Consumer = kafka.consumer({
    groupId: `collector-${topic}-${isolation}-${groupSeq++}`,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    readUncommitted: isolation === 'read_uncommitted',
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value?.toString() ?? '');
    },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await consumer.disconnect();
  };
  cleanups.push(stop);
  return {
    values,
    stop,
    async until(pred, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(values)) {
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for records; got ${JSON.stringify(values)}`);
        }
        await sleep(100);
      }
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const sorted = (xs: string[]) => [...xs].sort();

async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((res?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

function requireKcat(): string {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' });
    return 'kcat';
  } catch {
    throw new Error(
      'kcat (librdkafka command line client) is not installed; it is needed to check the broker ' +
        'with a librdkafka read_committed consumer. Install it with: apt-get install -y kcat',
    );
  }
}

async function kcatConsume(topic: string, isolation: Isolation): Promise<string[]> {
  const { stdout } = await execFileAsync(
    requireKcat(),
    ['-C', '-b', mock.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\\n',
      '-X', `isolation.level=${isolation}`, '-X', 'check.crcs=true'],
    { timeout: 60_000 },
  );
  return stdout.split('\n').filter((l) => l.length > 0);
}

describe('kafka-mock transactions (patched librdkafka mock)', () => {
  it('read_committed kafkajs consumer sees every committed record and no aborted one', async () => {
    const topic = 'txn-data';
    const producer = await txnProducer('data-writer');
    const committed: string[] = [];
    const aborted: string[] = [];

    // 12 transactions; every third one is aborted; the last one commits.
    for (let t = 0; t < 12; t++) {
      const abort = t % 3 === 1;
      const values = Array.from({ length: 5 }, (_, i) => `${abort ? 'aborted' : 'committed'}-${t}-${i}`);
      const txn = await producer.transaction();
      await txn.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
      await txn.sendOffsets({
        consumerGroupId: 'data-upstream',
        topics: [{ topic: 'txn-offsets-src', partitions: [{ partition: 0, offset: String(100 + t) }] }],
      });
      if (abort) {
        await txn.abort();
        aborted.push(...values);
      } else {
        await txn.commit();
        committed.push(...values);
      }
    }

    const rc = await collect(topic, 'read_committed');
    await rc.until((v) => v.length >= committed.length);
    await sleep(1000); // give stray records a chance to show up
    expect(sorted(rc.values)).toEqual(sorted(committed));
    await rc.stop();

    // The aborted records are in the log: read_uncommitted delivers them.
    const ru = await collect(topic, 'read_uncommitted');
    await ru.until((v) => v.length >= committed.length + aborted.length);
    expect(sorted(ru.values)).toEqual(sorted([...committed, ...aborted]));
    await ru.stop();

    // Offsets sent with the transactions: the last committed one wins (t=11).
    expect(await committedOffsets('data-upstream', 'txn-offsets-src')).toMatchObject({ 0: '111' });
  }, 120_000);

  it('read_committed stops at the first open transaction (last stable offset)', async () => {
    const topic = 'txn-lso';
    const open = await txnProducer('lso-open');
    const other = await txnProducer('lso-other');

    const t0 = await other.transaction();
    await t0.send({ topic, messages: [{ value: 'before' }] });
    await t0.commit();

    const openTxn = await open.transaction();
    await openTxn.send({ topic, messages: [{ value: 'open-1' }] });

    const t1 = await other.transaction();
    await t1.send({ topic, messages: [{ value: 'after' }] });
    await t1.commit();

    const rc = await collect(topic, 'read_committed');
    const ru = await collect(topic, 'read_uncommitted');
    await ru.until((v) => v.length >= 3);
    await rc.until((v) => v.length >= 1);
    await sleep(1500);
    // 'after' is committed but lies beyond the open transaction's first offset.
    expect(rc.values).toEqual(['before']);

    await openTxn.commit();
    await rc.until((v) => v.length >= 3);
    expect(rc.values).toEqual(['before', 'open-1', 'after']);
    await Promise.all([rc.stop(), ru.stop()]);
  }, 120_000);

  it('offsets sent in an aborted transaction are not visible to the group, committed ones are', async () => {
    const producer = await txnProducer('offsets-writer');
    const group = 'offsets-group';
    const topic = 'txn-offsets-src';
    const sendOffsets = async (offsets: [number, number][], commit: boolean) => {
      const txn = await producer.transaction();
      await txn.sendOffsets({
        consumerGroupId: group,
        topics: [{ topic, partitions: offsets.map(([partition, offset]) => ({ partition, offset: String(offset) })) }],
      });
      await (commit ? txn.commit() : txn.abort());
    };

    await sendOffsets([[0, 9], [1, 3]], false);
    expect(await committedOffsets(group, topic)).toEqual({ 0: '-1', 1: '-1' });

    await sendOffsets([[0, 5], [1, 7]], true);
    expect(await committedOffsets(group, topic)).toEqual({ 0: '5', 1: '7' });

    await sendOffsets([[0, 50], [1, 70]], false);
    expect(await committedOffsets(group, topic)).toEqual({ 0: '5', 1: '7' });

    await sendOffsets([[0, 12]], true);
    expect(await committedOffsets(group, topic)).toEqual({ 0: '12', 1: '7' });
  }, 120_000);

  it('a second producer with the same transactional id fences the first', async () => {
    const topic = 'txn-fence';
    const first = await txnProducer('fenced-id');
    const txn1 = await first.transaction();
    await txn1.send({ topic, messages: [{ value: 'zombie-1' }] });

    // kafkajs initializes the transactional producer id on the first
    // transaction() call (not on connect): that InitProducerId bumps the
    // epoch and aborts txn1.
    const second = await txnProducer('fenced-id');
    const txn2 = await second.transaction();

    await expect(txn1.send({ topic, messages: [{ value: 'zombie-2' }] })).rejects.toThrow(/epoch/i);
    await expect(txn1.commit()).rejects.toThrow();

    await txn2.send({ topic, messages: [{ value: 'winner-1' }] });
    await txn2.commit();

    const rc = await collect(topic, 'read_committed');
    await rc.until((v) => v.includes('winner-1'));
    await sleep(1000);
    expect(rc.values).toEqual(['winner-1']);
    await rc.stop();
  }, 120_000);

  it('a librdkafka read_committed consumer (kcat) sees committed records only', async () => {
    requireKcat();
    const topic = 'txn-kcat';
    const producer = await txnProducer('kcat-writer');
    const committed: string[] = [];
    const aborted: string[] = [];
    for (let t = 0; t < 6; t++) {
      const abort = t % 2 === 0;
      const values = Array.from({ length: 4 }, (_, i) => `${abort ? 'aborted' : 'committed'}-${t}-${i}`);
      const txn = await producer.transaction();
      await txn.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
      await (abort ? txn.abort() : txn.commit());
      (abort ? aborted : committed).push(...values);
    }
    // An open transaction at the end: read_committed stops before it.
    const open = await producer.transaction();
    await open.send({ topic, messages: [{ key: 'k0', value: 'open-0' }, { key: 'k1', value: 'open-1' }] });

    expect(sorted(await kcatConsume(topic, 'read_committed'))).toEqual(sorted(committed));
    expect(sorted(await kcatConsume(topic, 'read_uncommitted'))).toEqual(
      sorted([...committed, ...aborted, 'open-0', 'open-1']),
    );

    await open.abort();
    expect(sorted(await kcatConsume(topic, 'read_committed'))).toEqual(sorted(committed));
  }, 120_000);

  it('recovers from a failed EndTxn by recreating the producer with the same transactional id', async () => {
    const topic = 'txn-recover';
    const p1 = await txnProducer('recovering');

    const a = await p1.transaction();
    await a.send({ topic, messages: [{ value: 'a1' }, { value: 'a2' }] });
    await a.commit();

    // The next EndTxn fails; kafkajs does not retry it and stays in COMMITTING.
    await mock.command('error EndTxn COORDINATOR_NOT_AVAILABLE 1');
    const b = await p1.transaction();
    await b.send({ topic, messages: [{ value: 'b1' }, { value: 'b2' }] });
    await expect(b.commit()).rejects.toThrow();
    await expect(p1.transaction()).rejects.toThrow(/COMMITTING/);
    await p1.disconnect();

    // Recovery: a new producer with the same id aborts the stuck transaction;
    // the batch is then written again.
    const p2 = await txnProducer('recovering');
    const b2 = await p2.transaction();
    await b2.send({ topic, messages: [{ value: 'b1' }, { value: 'b2' }] });
    await b2.commit();
    const c = await p2.transaction();
    await c.send({ topic, messages: [{ value: 'c1' }] });
    await c.commit();

    const rc = await collect(topic, 'read_committed');
    await rc.until((v) => v.includes('c1'));
    await sleep(1000);
    expect(rc.values).toEqual(['a1', 'a2', 'b1', 'b2', 'c1']);

    // The first attempt of b is in the log, aborted.
    const ru = await collect(topic, 'read_uncommitted');
    await ru.until((v) => v.length >= 7);
    expect(ru.values).toEqual(['a1', 'a2', 'b1', 'b2', 'b1', 'b2', 'c1']);
    await Promise.all([rc.stop(), ru.stop()]);
  }, 120_000);

  it('answers fault-injection commands', async () => {
    // A separate cluster: taking a broker down under live kafkajs consumers
    // can trigger a kafkajs fetcher spin (see tools/kafka-mock/README.md).
    const m = await startKafkaMock({ brokers: 3 });
    try {
      await expect(m.command('rtt 2 5')).resolves.toBe('OK');
      await expect(m.command('rtt 2 0')).resolves.toBe('OK');
      await expect(m.command('create-topic extra:2')).resolves.toBe('OK');
      await expect(m.command('create-topic extra:2')).rejects.toThrow(/ERR/);
      await expect(m.command('error Produce NOT_LEADER_FOR_PARTITION 2')).resolves.toBe('OK');
      await expect(m.command('error 1 6')).resolves.toBe('OK');
      await expect(m.command('error Bogus 1')).rejects.toThrow(/ERR unknown ApiKey/);
      await expect(m.command('nonsense')).rejects.toThrow(/ERR unknown command/);
      await expect(m.command('broker-down 3')).resolves.toBe('OK');
      await expect(m.command('broker-up 3')).resolves.toBe('OK');
    } finally {
      await m.stop();
    }
    await expect(m.command('rtt 1 1')).rejects.toThrow(/not running/);
  }, 60_000);
});
