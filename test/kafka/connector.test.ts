/**
 * Kafka connector against the mock broker: JSON decoding with dead letters that name
 * topic/partition@offset, a filter/project sink with exactly-once delivery, an updating
 * (upsert) sink with tombstone-free final values per key, a keyed sink partitioned by the engine's
 * key hash, and a table kept from a topic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { partitionOf } from '../../src/common/hash.js';
import { keyOf } from '../../src/exec/keys.js';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { connectorClient } from '../../src/connectors/kafka/client.js';
import { tempEngine } from '../engine/helpers.js';
import { nativeTitle, NATIVE_SKIP, produce, readCommitted, waitFor } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let mock: KafkaMock;
let engine: Engine;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  mock = await startKafkaMock({
    brokers: 1,
    topics: ['c-src:2', 'c-out:1', 'n-src:2', 'n-out:1', 'n-cards:1', 'n-joined:1', 'c-counts:1', 'c-cards:1', 'c-joined:1', 'c-tiers:1', 'c-keyed:4', 'c-checked:1', 'c-checked-t:1', 'n-offsets:2', 'n-keyed:4', '__sluice_decisions:1'],
    groupInitialRebalanceDelayMs: 0,
  });
  ({ engine, cleanup } = await tempEngine(100));
}, 300_000);

afterAll(async () => {
  await cleanup?.();
  await mock?.stop();
});

const opts = () => `'bootstrap.servers' = '${mock.bootstrap}', 'session.timeout.ms' = 3000`;

async function dlqRows(name: string): Promise<unknown[][]> {
  const [r] = await engine.execute(`SELECT reason, source FROM ${name}`, { bounded: true });
  if (r?.kind !== 'push') throw new Error('expected a push result');
  const rows: unknown[][] = [];
  for await (const b of r.rows) rows.push(...b.map((x) => [...x.values]));
  return rows;
}

describe('kafka connector', () => {
  it('decodes JSON, sends bad records to dead letters with topic/partition@offset, and delivers a filter/project to a topic', async () => {
    const good = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ id: i, name: `n${i % 4}`, amount: i / 2 }), partition: i % 2 }));
    await produce(mock.brokers, 'c-src', good.slice(0, 20));
    // Bad records on partition 1 at known offsets (10, 11, 12, 13).
    await produce(mock.brokers, 'c-src', [
      { value: 'not json', partition: 1 },
      { value: JSON.stringify({ id: 'x', name: 'a', amount: 1 }), partition: 1 },
      { value: JSON.stringify([1, 2]), partition: 1 },
      { value: JSON.stringify({ id: 1.5, name: 'b', amount: 1 }), partition: 1 },
    ]);
    await produce(mock.brokers, 'c-src', good.slice(20));
    await engine.execute(`CREATE STREAM c_src (id INT, name STRING, amount DOUBLE) WITH (connector = 'kafka', topic = 'c-src', format = 'json', ${opts()})`);
    await engine.execute(`CREATE SINK c_out WITH (connector = 'kafka', topic = 'c-out', key = 'id', ${opts()}) AS SELECT id, name, amount * 2 AS doubled FROM c_src WHERE amount >= 5`);
    const expected = good.map((g) => JSON.parse(g.value) as { id: number; name: string; amount: number }).filter((r) => r.amount >= 5);
    const out = await readCommitted(mock.brokers, 'c-out', expected.length, 60_000);
    const got = out.map((r) => ({ key: r.key, ...(JSON.parse(r.value ?? 'null') as object) }));
    expect(got.sort((a, b) => Number(a.key) - Number(b.key))).toEqual(expected.map((r) => ({ key: String(r.id), id: r.id, name: r.name, doubled: r.amount * 2 })));

    await waitFor(async () => (await dlqRows('c_out_dlq')).length >= 4, 20_000, 'dead letters');
    const letters = await dlqRows('c_out_dlq');
    expect(letters.map((l) => l[1]).sort()).toEqual(['c-src/1@10', 'c-src/1@11', 'c-src/1@12', 'c-src/1@13']);
    const reasons = letters.map((l) => String(l[0])).join('\n');
    expect(reasons).toContain('not valid JSON');
    expect(reasons).toContain('id: expected INT (32-bit), got "x"');
    expect(reasons).toContain('must be a JSON object');
    expect(reasons).toContain('id: expected INT (32-bit), got 1.5');
  }, 120_000);

  it("applies the stream's CHECKs and DEFAULTs to records: one that breaks a CHECK is a dead letter, a left-out column takes its DEFAULT", async () => {
    await produce(mock.brokers, 'c-checked', [
      { value: JSON.stringify({ id: 1, amount: 5 }) },
      { value: JSON.stringify({ id: 2, amount: -1, cur: 'USD' }) },
      { value: JSON.stringify({ id: 3, amount: 2, cur: 'USD' }) },
      { value: JSON.stringify({ id: 4, amount: null, cur: null }) },
    ]);
    await engine.execute(`CREATE STREAM c_checked (id INT, amount DOUBLE CHECK (amount >= 0), cur STRING DEFAULT 'EUR') WITH (connector = 'kafka', topic = 'c-checked', ${opts()})`);
    // The view reads id and cur only; the CHECK reads amount all the same.
    await engine.execute('CREATE MATERIALIZED VIEW c_checked_v AS SELECT id, cur FROM c_checked');
    const rows = async () => {
      const [r] = await engine.execute('SELECT id, cur FROM c_checked_v ORDER BY id');
      return r?.kind === 'rows' ? r.rows.map((x) => [...x]) : [];
    };
    await waitFor(async () => (await rows()).length >= 3, 30_000, 'rows that pass');
    expect(await rows()).toEqual([
      [1, 'EUR'],
      [3, 'USD'],
      [4, null],
    ]);
    await waitFor(async () => (await dlqRows('c_checked_v_dlq')).length >= 1, 20_000, 'dead letter');
    expect(await dlqRows('c_checked_v_dlq')).toEqual([[expect.stringContaining('the row breaks CHECK (amount >= 0) of c_checked (record c-checked/0@1)'), 'c-checked/0@1']]);
  }, 120_000);

  it("a table over a topic skips and counts records that break a CHECK, and fills left-out columns with their DEFAULT", async () => {
    await produce(mock.brokers, 'c-checked-t', [
      { key: 'a', value: JSON.stringify({ name: 'a', limit_eur: 100 }) },
      { key: 'b', value: JSON.stringify({ name: 'b', limit_eur: -5, tier: 'gold' }) },
      { key: 'a', value: JSON.stringify({ name: 'a', limit_eur: -1, tier: 'gold' }) },
      { key: 'c', value: JSON.stringify({ name: 'c', limit_eur: 7, tier: 'silver' }) },
    ]);
    await engine.execute(`CREATE TABLE c_checked_t (name STRING PRIMARY KEY, limit_eur DOUBLE CHECK (limit_eur >= 0), tier STRING DEFAULT 'basic') WITH (connector = 'kafka', topic = 'c-checked-t', ${opts()})`);
    const [r] = await engine.execute('SELECT name, limit_eur, tier FROM c_checked_t ORDER BY name');
    // The record that breaks the CHECK leaves a's row as it was.
    expect(r?.kind === 'rows' ? r.rows.map((x) => [...x]) : r).toEqual([
      ['a', 100, 'basic'],
      ['c', 7, 'silver'],
    ]);
    expect(await engine.metrics.metrics()).toMatch(/sluice_table_records_rejected_total\{table="c_checked_t"\} 2/);
  }, 120_000);

  it('an updating query writes upserts: the last record per key is the final value', async () => {
    await engine.execute(`CREATE SINK c_counts WITH (connector = 'kafka', topic = 'c-counts', key = 'name', ${opts()}) AS SELECT name, COUNT(*) AS n, SUM(id) AS s FROM c_src GROUP BY name`);
    await waitFor(
      async () => {
        const recs = await readCommitted(mock.brokers, 'c-counts', 4, 20_000);
        const last = new Map(recs.map((r) => [r.key, r.value]));
        return [...last.values()].map((v) => (JSON.parse(v ?? '{}') as { n: number }).n).reduce((a, b) => a + b, 0) === 40;
      },
      60_000,
      'final counts',
    );
    const recs = await readCommitted(mock.brokers, 'c-counts', 4);
    const last = new Map(recs.map((r) => [r.key, JSON.parse(r.value ?? '{}') as { name: string; n: number; s: number }]));
    for (let k = 0; k < 4; k++) {
      const ids = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 4 === k);
      expect(last.get(`n${k}`)).toEqual({ name: `n${k}`, n: 10, s: ids.reduce((a, b) => a + b, 0) });
    }
  }, 120_000);

  it('a table over a topic follows upserts and tombstones, and a lookup join reads it', async () => {
    await produce(mock.brokers, 'c-cards', [
      { key: 'n0', value: JSON.stringify({ name: 'n0', tier: 'gold' }) },
      { key: 'n1', value: JSON.stringify({ name: 'n1', tier: 'silver' }) },
      { key: 'n2', value: JSON.stringify({ name: 'n2', tier: 'bronze' }) },
      { key: 'n1', value: JSON.stringify({ name: 'n1', tier: 'platinum' }) },
      { key: 'n2', value: null },
    ]);
    await engine.execute(`CREATE TABLE c_cards (name STRING PRIMARY KEY, tier STRING) WITH (connector = 'kafka', topic = 'c-cards', ${opts()})`);
    const [r] = await engine.execute('SELECT name, tier FROM c_cards');
    expect(r?.kind === 'rows' ? [...r.rows].map((x) => [...x]).sort() : r).toEqual([
      ['n0', 'gold'],
      ['n1', 'platinum'],
    ]);
    await engine.execute(`CREATE SINK c_joined WITH (connector = 'kafka', topic = 'c-joined', ${opts()}) AS SELECT c_src.id, c_cards.tier FROM c_src JOIN c_cards ON c_src.name = c_cards.name`);
    const out = await readCommitted(mock.brokers, 'c-joined', 20, 60_000);
    const tiers = out.map((o) => (JSON.parse(o.value ?? '{}') as { tier: string }).tier);
    expect(tiers.filter((t) => t === 'gold')).toHaveLength(10);
    expect(tiers.filter((t) => t === 'platinum')).toHaveLength(10);
    expect(tiers).toHaveLength(20);
  }, 120_000);

  it.skipIf(NATIVE_SKIP !== undefined)(nativeTitle("native client: a filter/project sink delivers exactly once, and a table's lookup join reads it"), async () => {
    const native = `${opts()}, client = 'native'`;
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: i, name: `n${i % 3}`, amount: i }));
    await produce(mock.brokers, 'n-src', rows.map((r) => ({ key: String(r.id), value: JSON.stringify(r), partition: r.id % 2 })));
    await produce(mock.brokers, 'n-cards', [
      { key: 'n0', value: JSON.stringify({ name: 'n0', tier: 'gold' }) },
      { key: 'n1', value: JSON.stringify({ name: 'n1', tier: 'silver' }) },
      { key: 'n1', value: null },
    ]);
    await engine.execute(`CREATE STREAM n_src (id INT, name STRING, amount DOUBLE) WITH (connector = 'kafka', topic = 'n-src', ${native})`);
    await engine.execute(`CREATE SINK n_out WITH (connector = 'kafka', topic = 'n-out', key = 'id', ${native}) AS SELECT id, amount * 2 AS doubled FROM n_src WHERE amount >= 10`);
    const out = await readCommitted(mock.brokers, 'n-out', 20, 60_000);
    expect(out.map((r) => JSON.parse(r.value ?? 'null') as unknown).sort((a, b) => (a as { id: number }).id - (b as { id: number }).id)).toEqual(rows.filter((r) => r.amount >= 10).map((r) => ({ id: r.id, doubled: r.amount * 2 })));
    expect(out.map((r) => r.key).sort()).toEqual(rows.filter((r) => r.amount >= 10).map((r) => String(r.id)).sort());

    await engine.execute(`CREATE TABLE n_cards (name STRING PRIMARY KEY, tier STRING) WITH (connector = 'kafka', topic = 'n-cards', ${native})`);
    const [t] = await engine.execute('SELECT name, tier FROM n_cards');
    expect(t?.kind === 'rows' ? [...t.rows].map((x) => [...x]) : t).toEqual([['n0', 'gold']]);
    await engine.execute(`CREATE SINK n_joined WITH (connector = 'kafka', topic = 'n-joined', ${native}) AS SELECT n_src.id, n_cards.tier FROM n_src JOIN n_cards ON n_src.name = n_cards.name`);
    const joined = await readCommitted(mock.brokers, 'n-joined', 10, 60_000);
    expect(joined.map((o) => JSON.parse(o.value ?? '{}') as { id: number; tier: string }).sort((a, b) => a.id - b.id)).toEqual(rows.filter((r) => r.name === 'n0').map((r) => ({ id: r.id, tier: 'gold' })));
  }, 120_000);

  it.skipIf(NATIVE_SKIP !== undefined)(nativeTitle("native client: a group's offsets committed in a transaction read back by topic name"), async () => {
    const kafka = connectorClient('native', mock.brokers, 'sluice-offsets-test');
    const producer = kafka.producer({ transactionalId: 'sluice-offsets-test', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const txn = await producer.transaction();
      await txn.sendOffsets({ consumerGroupId: 'n-offsets-group', topics: [{ topic: 'n-offsets', partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '42' }] }] });
      await txn.commit();
    } finally {
      await producer.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const res = await admin.fetchOffsets({ groupId: 'n-offsets-group', topics: ['n-offsets'] });
      expect(res.map((t) => ({ topic: t.topic, offsets: t.partitions.map((p) => [p.partition, p.offset]).sort() }))).toEqual([{ topic: 'n-offsets', offsets: [[0, '7'], [1, '42']] }]);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('a table over a topic resumes from the offsets stored with its rows after a restart', async () => {
    const own = await tempEngine(100);
    let e = own.engine;
    try {
      await produce(mock.brokers, 'c-tiers', [
        { key: 't0', value: JSON.stringify({ name: 't0', tier: 'gold' }) },
        { key: 't1', value: JSON.stringify({ name: 't1', tier: 'silver' }) },
      ]);
      await e.execute(`CREATE TABLE c_tiers (name STRING PRIMARY KEY, tier STRING) WITH (connector = 'kafka', topic = 'c-tiers', ${opts()})`);
      const rows = async () => {
        const [r] = await e.execute('SELECT name, tier FROM c_tiers');
        return r?.kind === 'rows' ? [...r.rows].map((x) => [...x]).sort() : r;
      };
      expect(await rows()).toEqual([
        ['t0', 'gold'],
        ['t1', 'silver'],
      ]);
      // A row the topic never had, written beside the table's rows with its offsets unchanged:
      // a table rebuilt from the beginning of the topic would lose it, one that resumes keeps it.
      await e.table('c_tiers').rows.apply([[keyOf(['marker']), { name: 'marker', tier: 'none' }]]);
      await e.close();
      await produce(mock.brokers, 'c-tiers', [
        { key: 't1', value: JSON.stringify({ name: 't1', tier: 'platinum' }) },
        { key: 't2', value: JSON.stringify({ name: 't2', tier: 'bronze' }) },
      ]);
      e = await Engine.open({ dataDir: own.dir, checkpointIntervalMs: 100 });
      await waitFor(async () => (await e.table('c_tiers').rows.getMany([keyOf(['t2'])]))[0] !== undefined, 30_000, 'row t2 of c_tiers');
      expect(await rows()).toEqual([
        ['marker', 'none'],
        ['t0', 'gold'],
        ['t1', 'platinum'],
        ['t2', 'bronze'],
      ]);
      expect(e.table('c_tiers').rows.size).toBe(4);
    } finally {
      await e.close().catch(() => undefined);
      await own.cleanup().catch(() => undefined);
    }
  }, 120_000);

  it("a keyed sink sends each record to its key's partition by the engine's key hash, NULL keys included", async () => {
    await keyedSink('c', opts());
  }, 120_000);

  it.skipIf(NATIVE_SKIP !== undefined)(nativeTitle("native client: a keyed sink sends each record to its key's partition by the engine's key hash"), async () => {
    await keyedSink('n', `${opts()}, client = 'native'`);
  }, 120_000);
});

/** Keyed records (NULL and empty keys among them) through a sink `<prefix>_keyed` to its 4-partition topic. */
async function keyedSink(prefix: string, kafka: string): Promise<void> {
  await engine.execute(`CREATE STREAM ${prefix}_keys (k STRING, v INT)`);
  const keys = [null, '', 'a', 'b', 'card-17', null, 'a', 'x', 'y', 'z'];
  await engine.execute(`INSERT INTO ${prefix}_keys VALUES ${keys.map((k, i) => `(${k === null ? 'NULL' : `'${k}'`}, ${i})`).join(', ')}`);
  await engine.execute(`CREATE SINK ${prefix}_keyed WITH (connector = 'kafka', topic = '${prefix}-keyed', key = 'k', ${kafka}) AS SELECT k, v FROM ${prefix}_keys`);
  const out = await readCommitted(mock.brokers, `${prefix}-keyed`, keys.length, 60_000);
  const got = out.map((r) => JSON.parse(r.value ?? '{}') as { k: string | null; v: number }).map((row, i) => [row.v, row.k, out[i]!.partition, out[i]!.key]);
  expect(got.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(keys.map((k, i) => [i, k, partitionOf([k], 4), k]));
}
