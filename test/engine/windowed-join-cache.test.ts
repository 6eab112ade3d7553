/**
 * SESSION windows and an interval join whose state lives in RocksDB behind a 4 KiB state cache
 * (entries evicted and read back all the time, across restarts) give the same views as with the
 * default cache, and as DuckDB computes from the same input.
 * (The join view is keyed by both times: each pair of rows is one row of it.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { appendEvents, EVENT_STREAMS, viewsCaughtUp } from './log-input.js';
import { DuckOracle } from '../sql/duckdb-oracle.js';

const BASE = Date.UTC(2024, 0, 1);
const KEYS = 200;
const ROUNDS = 2;
const ROWS_PER_ROUND = 2500;
const STEP_MS = 10;
const END = BASE + 86_400_000;

const DDL = [
  ...EVENT_STREAMS,
  "CREATE MATERIALIZED VIEW sessions AS SELECT window_start, window_end, k, COUNT(*) AS n, SUM(v) AS s FROM TABLE(SESSION(TABLE ev, DESCRIPTOR(ts), INTERVAL '3' SECOND)) GROUP BY window_start, window_end, k",
  "CREATE MATERIALIZED VIEW joined WITH (key = 'ts, bts') AS SELECT a.k, a.v, b.v AS bv, a.ts, b.ts AS bts FROM ev a JOIN ev2 b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '2' SECOND",
];

/** The same views in DuckDB: sessions as gaps-and-islands (a gap of 3 s or more starts a new one). */
const ORACLE: Readonly<Record<string, string>> = {
  sessions: `WITH o AS (SELECT k, v, ts, CASE WHEN ts - lag(ts) OVER (PARTITION BY k ORDER BY ts) < INTERVAL 3 SECOND THEN 0 ELSE 1 END AS brk FROM ev WHERE k <> 'end'),
    s AS (SELECT k, v, ts, SUM(brk) OVER (PARTITION BY k ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid FROM o)
    SELECT epoch_ms(MIN(ts)), epoch_ms(MAX(ts) + INTERVAL 3 SECOND), k, COUNT(*), SUM(v) FROM s GROUP BY k, sid`,
  joined: 'SELECT a.k, a.v, b.v, epoch_ms(a.ts), epoch_ms(b.ts) FROM ev a JOIN ev2 b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL 2 SECOND',
};

const COLUMNS: Readonly<Record<string, readonly string[]>> = {
  sessions: ['window_start', 'window_end', 'k', 'n', 's'],
  joined: ['k', 'v', 'bv', 'ts', 'bts'],
};

/** Row `j` of a stream: keys spread unevenly in time, so sessions both merge and split. */
function rows(round: number, salt: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < ROWS_PER_ROUND; i++) {
    const j = round * ROWS_PER_ROUND + i;
    const h = Math.imul(j + salt * 7919, 2654435761) >>> 0;
    out.push({ k: `k${h % KEYS}`, v: (j * 31 + salt) % 97, ts: BASE + j * STEP_MS });
  }
  return out;
}

const line = (values: readonly unknown[]): string => values.map((x) => (typeof x === 'bigint' ? Number(x) : x)).join('|');

/** Runs both views over every round with the given cache, restarting between rounds. */
async function run(dir: string, stateCacheBytes: number): Promise<{ views: Record<string, string[]>; evictions: number }> {
  const open = () => Engine.open({ dataDir: dir, checkpointIntervalMs: 50, stateCacheBytes });
  let engine = await open();
  for (const ddl of DDL) await engine.execute(ddl);
  let evictions = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    const last = round === ROUNDS;
    // The last round is one row far ahead on each stream: it closes every session and retires every buffered row.
    await appendEvents(engine, 'ev', last ? [{ k: 'end', v: 0, ts: END }] : rows(round, 0));
    await appendEvents(engine, 'ev2', last ? [{ k: 'end', v: 0, ts: END }] : rows(round, 1));
    await viewsCaughtUp(engine, 2);
    evictions += engine.stateCache.stats().evictions;
    if (last) break;
    await engine.close();
    engine = await open();
  }
  const views: Record<string, string[]> = {};
  for (const [name, cols] of Object.entries(COLUMNS)) views[name] = (await engine.viewScan(name)).map((r) => line(cols.map((c) => r[c]))).sort();
  await engine.close();
  return { views, evictions };
}

async function oracle(): Promise<Record<string, string[]>> {
  const duck = await DuckOracle.create();
  try {
    const columns = [
      { name: 'k', type: 'STRING' },
      { name: 'v', type: 'INT' },
      { name: 'ts', type: 'TIMESTAMP(3)' },
    ];
    const input = (salt: number) => [...Array.from({ length: ROUNDS }, (_, r) => rows(r, salt)).flat(), { k: 'end', v: 0, ts: END }].map((r) => [r['k'], r['v'], r['ts']]);
    await duck.loadTable('ev', columns, input(0));
    await duck.loadTable('ev2', columns, input(1));
    const out: Record<string, string[]> = {};
    for (const [name, sql] of Object.entries(ORACLE)) out[name] = (await duck.query(sql)).rows.map(line).sort();
    return out;
  } finally {
    duck.close();
  }
}

describe('SESSION windows and interval joins behind a tiny state cache', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('give the same views with a 4 KiB cache as with the default cache, and as DuckDB', async () => {
    const small = mkdtempSync(join(tmpdir(), 'sluice-lazy-small-'));
    const large = mkdtempSync(join(tmpdir(), 'sluice-lazy-large-'));
    dirs.push(small, large);
    const a = await run(small, 4 * 1024);
    const b = await run(large, 256 * 1024 * 1024);
    const expected = await oracle();
    expect(a.evictions).toBeGreaterThan(1000);
    for (const name of Object.keys(COLUMNS)) {
      expect(expected[name]!.length, name).toBeGreaterThan(500);
      expect(a.views[name], name).toEqual(expected[name]);
      expect(b.views[name], name).toEqual(expected[name]);
    }
  }, 120_000);
});
