import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { PushRow } from '../../src/engine/types.js';
import { take, tempEngine } from './helpers.js';

const BASE = Date.parse('2024-01-01T00:00:00Z');
const cards = ['c1', 'c2', 'c3', 'c4'];

/** Deterministic transactions over ~5 minutes, slightly out of order (within the 1 s watermark delay). */
function transactions(n: number): { id: string; card: string; amount: number; ts: number }[] {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    card: cards[Math.floor(rnd() * cards.length)]!,
    amount: Math.round(rnd() * 10_000) / 100,
    ts: BASE + i * 1500 - Math.floor(rnd() * 900),
  }));
}

const sqlTime = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;
const values = (rows: ReturnType<typeof transactions>) => rows.map((r) => `('${r.id}', '${r.card}', ${r.amount}, ${sqlTime(r.ts)})`).join(', ');

async function duck(ddlAndInsert: string, query: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(ddlAndInsert);
    return (await conn.runAndReadAll(query)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function all(engine: Engine, sql: string): Promise<PushRow[]> {
  const [res] = await engine.execute(sql, { bounded: true });
  return take(res, Number.MAX_SAFE_INTEGER);
}

describe('stateful operators through the engine', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
  });
  afterEach(async () => cleanup());

  it('a tumbling-window aggregate matches DuckDB time_bucket on the same rows', async () => {
    const rows = transactions(200);
    // One partition: the log source keeps one watermark across partitions it reads one after another.
    await engine.execute(`CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1)`);
    await engine.execute(`INSERT INTO tx VALUES ${values(rows)}`);
    const got = await all(engine, `SELECT window_start, card_id, COUNT(*) AS n, SUM(amount) AS s FROM TABLE(TUMBLE(TABLE tx, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, card_id`);
    expect(got.every((r) => r.op === '+I')).toBe(true);
    const expected = await duck(
      `CREATE TABLE tx (tx_id VARCHAR, card_id VARCHAR, amount DOUBLE, ts TIMESTAMP); INSERT INTO tx VALUES ${values(rows)};`,
      `SELECT epoch_ms(time_bucket(INTERVAL '1 minute', ts, TIMESTAMP '1970-01-01')) AS ws, card_id, COUNT(*) AS n, SUM(amount) AS s FROM tx GROUP BY ALL ORDER BY ws, card_id`,
    );
    const norm = (xs: readonly (readonly unknown[])[]) => xs.map(([ws, c, n, s]) => [Number(ws), c, Number(n), Math.round(Number(s) * 100) / 100]).sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])));
    expect(norm(got.map((r) => r.values))).toEqual(norm(expected.map((r) => [r['ws'], r['card_id'], r['n'], r['s']])));
    expect(got.length).toBeGreaterThan(8);
    // Windows come out in window order.
    const starts = got.map((r) => Number(r.values[0]));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  });

  it('an unwindowed GROUP BY keeps a materialized view up to date', async () => {
    await engine.execute(`CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3))`);
    await engine.execute(`INSERT INTO tx VALUES ('t1', 'c1', 5.0, TIMESTAMP '2024-01-01 00:00:00'), ('t2', 'c1', 7.5, TIMESTAMP '2024-01-01 00:00:01'), ('t3', 'c2', 1.0, TIMESTAMP '2024-01-01 00:00:02')`);
    await engine.execute(`CREATE MATERIALIZED VIEW per_card AS SELECT card_id, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top, COUNT(DISTINCT tx_id) AS ids FROM tx GROUP BY card_id`);
    await engine.checkpointAll();
    const byCard = async () => Object.fromEntries((await engine.viewScan('per_card')).map((r) => [r['card_id'], r]));
    expect(await byCard()).toEqual({
      c1: { card_id: 'c1', n: 2n, total: 12.5, top: 7.5, ids: 2n },
      c2: { card_id: 'c2', n: 1n, total: 1, top: 1, ids: 1n },
    });
    await engine.execute(`INSERT INTO tx VALUES ('t4', 'c2', 9.0, TIMESTAMP '2024-01-01 00:00:03'), ('t5', 'c3', 2.0, TIMESTAMP '2024-01-01 00:00:04')`);
    await engine.checkpointAll();
    const now = await byCard();
    expect(now['c2']).toEqual({ card_id: 'c2', n: 2n, total: 10, top: 9, ids: 2n });
    expect(now['c3']).toEqual({ card_id: 'c3', n: 1n, total: 2, top: 2, ids: 1n });
    expect(Object.keys(now).sort()).toEqual(['c1', 'c2', 'c3']);
  });

  it('joins two streams within a time interval', async () => {
    await engine.execute(`CREATE STREAM auth (auth_id STRING, card_id STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1)`);
    await engine.execute(`CREATE STREAM settle (settle_id STRING, card_id STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1)`);
    await engine.execute(`INSERT INTO auth VALUES ('a1', 'c1', TIMESTAMP '2024-01-01 00:00:00'), ('a2', 'c2', TIMESTAMP '2024-01-01 00:00:10'), ('a3', 'c1', TIMESTAMP '2024-01-01 00:01:00')`);
    await engine.execute(`INSERT INTO settle VALUES ('s1', 'c1', TIMESTAMP '2024-01-01 00:00:30'), ('s2', 'c2', TIMESTAMP '2024-01-01 00:00:05'), ('s3', 'c1', TIMESTAMP '2024-01-01 00:01:10'), ('s4', 'c2', TIMESTAMP '2024-01-01 00:00:50')`);
    const got = await all(engine, `SELECT a.auth_id, s.settle_id FROM auth a JOIN settle s ON a.card_id = s.card_id AND s.ts BETWEEN a.ts AND a.ts + INTERVAL '1' MINUTE`);
    expect(got.map((r) => r.values.join('-')).sort()).toEqual(['a1-s1', 'a2-s4', 'a3-s3']);
  });
});
