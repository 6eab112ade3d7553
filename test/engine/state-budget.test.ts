/**
 * Keyed state far larger than the state cache: every kind of stateful view (GROUP BY, TUMBLE, HOP
 * and SESSION windows, interval join, lookup join against a TABLE, latest row per key, views
 * over views) gives the same contents with a cache of a few KiB (so entries are evicted and read
 * back from RocksDB all the time) as with the default cache, across restarts between input
 * rounds, and both equal what DuckDB computes on the same rows.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { appendEvents, EVENT_STREAMS, viewsCaughtUp } from './log-input.js';

const BASE = Date.UTC(2024, 0, 1);
const KEYS = 1500;
const ROUNDS = 3;
const ROWS_PER_ROUND = 3000;
/**
 * Row j of ev2 has the key row j - 50 of ev has (7 * 50 + 1150 = 1500), 1 s later: each row of ev
 * meets one row of ev2 within the join's 2 s, some of them in the next round, after a restart.
 */
const EV2_SALT = 1150;

const DDL = [...EVENT_STREAMS, 'CREATE TABLE dims (k STRING PRIMARY KEY, w INT)'];

const VIEWS = {
  grouped: 'SELECT k, COUNT(*) AS n, SUM(v) AS s, MAX(v) AS hi, MIN(v) AS lo, COUNT(DISTINCT v) AS dv FROM ev GROUP BY k',
  total: 'SELECT COUNT(*) AS n, SUM(v) AS s FROM ev',
  regrouped: 'SELECT n, COUNT(*) AS keys FROM (SELECT k, COUNT(*) AS n FROM ev GROUP BY k) GROUP BY n',
  tumbling: "SELECT window_start, k, COUNT(*) AS n, SUM(v) AS s FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, k",
  hopping: "SELECT window_start, k, COUNT(*) AS n FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) GROUP BY window_start, window_end, k",
  sessions: "SELECT window_start, window_end, k, COUNT(*) AS n FROM TABLE(SESSION(TABLE ev, DESCRIPTOR(ts), INTERVAL '3' SECOND)) GROUP BY window_start, window_end, k",
  // Keyed by (k, ts): one row per row of ev (a view of a stream is kept by its key).
  joined: "CREATE MATERIALIZED VIEW joined WITH (key = 'k,ts') AS SELECT a.k, a.v, b.v AS bv, a.ts FROM ev a JOIN ev2 b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '2' SECOND",
  looked_up: "CREATE MATERIALIZED VIEW looked_up WITH (key = 'k,ts') AS SELECT ev.k, ev.v, dims.w, ev.ts FROM ev JOIN dims",
  // The latest row per key (an upsert of the stream), and views that read views.
  latest: "CREATE MATERIALIZED VIEW latest WITH (key = 'k') AS SELECT k, v, ts FROM ev",
  per_latest_v: 'SELECT v, COUNT(*) AS n, MAX(ts) AS last_ts FROM latest GROUP BY v',
  per_count: 'SELECT n, COUNT(*) AS keys, SUM(s) AS s FROM grouped GROUP BY n',
};

/** A view's statement: its query, or (when it names options) the whole statement. */
const createView = (name: string, sql: string): string => (sql.startsWith('CREATE ') ? sql : `CREATE MATERIALIZED VIEW ${name} AS ${sql}`);

/**
 * What each view holds, in DuckDB over tables ev, ev2 (seq, k, v, ts) and dims, as rows of the
 * view's columns (times as epoch milliseconds). Windows and sessions of the closing row 'end'
 * stay open, so they are not in the views.
 */
const DUCK: Readonly<Record<keyof typeof VIEWS, string>> = {
  grouped: 'SELECT k, COUNT(*), SUM(v), MAX(v), MIN(v), COUNT(DISTINCT v) FROM ev GROUP BY k',
  total: 'SELECT COUNT(*), SUM(v) FROM ev',
  regrouped: 'SELECT n, COUNT(*) FROM (SELECT k, COUNT(*) AS n FROM ev GROUP BY k) GROUP BY n',
  tumbling: "SELECT epoch_ms(time_bucket(INTERVAL '10 seconds', ts, TIMESTAMP '1970-01-01')) AS ws, k, COUNT(*), SUM(v) FROM ev WHERE k <> 'end' GROUP BY ws, k",
  hopping: "SELECT ws, k, COUNT(*) FROM (SELECT k, unnest([b, b - 5000]) AS ws FROM (SELECT k, epoch_ms(ts) // 5000 * 5000 AS b FROM ev WHERE k <> 'end')) GROUP BY ws, k",
  sessions: `WITH marked AS (SELECT k, ts, CASE WHEN epoch_ms(ts) - lag(epoch_ms(ts)) OVER (PARTITION BY k ORDER BY ts) < 3000 THEN 0 ELSE 1 END AS starts FROM ev WHERE k <> 'end'),
    numbered AS (SELECT k, ts, SUM(starts) OVER (PARTITION BY k ORDER BY ts ROWS UNBOUNDED PRECEDING) AS session FROM marked)
    SELECT epoch_ms(MIN(ts)), epoch_ms(MAX(ts)) + 3000, k, COUNT(*) FROM numbered GROUP BY k, session`,
  joined: "SELECT a.k, a.v, b.v, epoch_ms(a.ts) FROM ev a JOIN ev2 b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '2 seconds'",
  looked_up: 'SELECT ev.k, ev.v, dims.w, epoch_ms(ev.ts) FROM ev JOIN dims ON ev.k = dims.k',
  latest: 'SELECT k, v, epoch_ms(ts) FROM ev QUALIFY row_number() OVER (PARTITION BY k ORDER BY seq DESC) = 1',
  per_latest_v: 'SELECT v, COUNT(*), epoch_ms(MAX(ts)) FROM (SELECT * FROM ev QUALIFY row_number() OVER (PARTITION BY k ORDER BY seq DESC) = 1) GROUP BY v',
  per_count: 'SELECT n, COUNT(*), SUM(s) FROM (SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY k) GROUP BY n',
};

function rows(round: number, salt: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < ROWS_PER_ROUND; i++) {
    const j = round * ROWS_PER_ROUND + i;
    out.push({ k: `k${(j * 7 + salt) % KEYS}`, v: (j * 31 + salt) % 97, ts: BASE + j * 20 });
  }
  return out;
}

/** Runs every view over the same rounds of input with the given cache, restarting between rounds. */
async function run(dir: string, stateCacheBytes: number): Promise<{ contents: Record<string, string[]>; evictions: number; diskReads: number; maxBytes: number }> {
  let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50, stateCacheBytes });
  for (const ddl of DDL) await engine.execute(ddl);
  const dims = Array.from({ length: KEYS / 2 }, (_, i) => `('k${i * 2}', ${i})`).join(', ');
  await engine.execute(`INSERT INTO dims VALUES ${dims}`);
  for (const [name, sql] of Object.entries(VIEWS)) await engine.execute(createView(name, sql));
  let evictions = 0;
  let diskReads = 0;
  let maxBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await appendEvents(engine, 'ev', rows(round, 0));
    await appendEvents(engine, 'ev2', rows(round, EV2_SALT));
    await viewsCaughtUp(engine, Object.keys(VIEWS).length);
    const stats = engine.stateCache.stats();
    evictions += stats.evictions;
    diskReads += stats.diskReads;
    maxBytes = Math.max(maxBytes, stats.bytes);
    await engine.close();
    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50, stateCacheBytes });
  }
  // Close every window and session: a row far past them moves the watermarks.
  const end = [{ k: 'end', v: 0, ts: BASE + 86_400_000 }];
  await appendEvents(engine, 'ev', end);
  await appendEvents(engine, 'ev2', end);
  await viewsCaughtUp(engine, Object.keys(VIEWS).length);
  evictions += engine.stateCache.stats().evictions;
  diskReads += engine.stateCache.stats().diskReads;
  const contents: Record<string, string[]> = {};
  for (const name of Object.keys(VIEWS)) contents[name] = sortedRows((await engine.viewScan(name)).map((r) => Object.values(r)));
  await engine.close();
  return { contents, evictions, diskReads, maxBytes };
}

/** Rows as sorted text, numbers alike whether bigint or not (every value here is an integer). */
function sortedRows(rows: readonly (readonly unknown[])[]): string[] {
  return rows.map((r) => JSON.stringify(r.map((v) => (typeof v === 'bigint' ? Number(v) : v)))).sort();
}

/** Every input row of both streams (rounds, then the closing row), and DuckDB's contents of each view over them. */
async function duckContents(): Promise<Record<string, string[]>> {
  const end = { k: 'end', v: 0, ts: BASE + 86_400_000 };
  const table = (list: Record<string, unknown>[]): string => list.map((r, i) => `(${i}, '${String(r['k'])}', ${Number(r['v'])}, make_timestamp(${Number(r['ts']) * 1000}))`).join(', ');
  const all = (salt: number) => [...Array.from({ length: ROUNDS }, (_, round) => rows(round, salt)).flat(), end];
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`CREATE TABLE ev (seq INTEGER, k VARCHAR, v INTEGER, ts TIMESTAMP); INSERT INTO ev VALUES ${table(all(0))};
      CREATE TABLE ev2 (seq INTEGER, k VARCHAR, v INTEGER, ts TIMESTAMP); INSERT INTO ev2 VALUES ${table(all(EV2_SALT))};
      CREATE TABLE dims (k VARCHAR PRIMARY KEY, w INTEGER); INSERT INTO dims SELECT 'k' || (i * 2), i FROM range(${KEYS / 2}) t(i);`);
    const out: Record<string, string[]> = {};
    for (const [name, sql] of Object.entries(DUCK)) out[name] = sortedRows((await conn.runAndReadAll(sql)).getRowsJS());
    return out;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('state far larger than the state cache', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every kind of stateful view gives the same contents with a 16 KiB cache as with the default and as DuckDB, across restarts', async () => {
    const small = mkdtempSync(join(tmpdir(), 'sluice-state-small-'));
    const large = mkdtempSync(join(tmpdir(), 'sluice-state-large-'));
    dirs.push(small, large);
    const budget = 16 * 1024;
    const a = await run(small, budget);
    const b = await run(large, 256 * 1024 * 1024);
    const expected = await duckContents();
    console.log(`state budget: ${budget} B cache: ${a.evictions} evictions, ${a.diskReads} state entries read from RocksDB; default cache: ${b.evictions} evictions, ${b.diskReads} read`);
    expect(a.evictions).toBeGreaterThan(1000);
    expect(a.diskReads).toBeGreaterThan(b.diskReads);
    expect(a.maxBytes).toBeLessThanOrEqual(budget);
    for (const name of Object.keys(VIEWS)) {
      expect(a.contents[name]!.length, name).toBeGreaterThan(0);
      expect(a.contents[name], name).toEqual(b.contents[name]);
      expect(a.contents[name], name).toEqual(expected[name]);
    }
    // Each row of ev meets its row of ev2 (the last 50 have none), and the closing rows meet.
    expect(a.contents['joined']).toHaveLength(ROUNDS * ROWS_PER_ROUND - 50 + 1);
    // The grouped view counts every row once.
    expect((JSON.parse(a.contents['total']![0]!) as number[])[0]).toBe(ROUNDS * ROWS_PER_ROUND + 1);
  }, 180_000);
});
