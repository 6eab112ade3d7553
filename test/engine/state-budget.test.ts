/**
 * Keyed state far larger than the state cache: every kind of stateful view gives the same
 * contents with a cache of a few KiB (so entries are evicted and read back from RocksDB all the
 * time) as with the default cache, across restarts between input rounds.
 */
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

const DDL = [...EVENT_STREAMS, 'CREATE TABLE dims (k STRING PRIMARY KEY, w INT)'];

const VIEWS: Readonly<Record<string, string>> = {
  grouped: 'SELECT k, COUNT(*) AS n, SUM(v) AS s, MAX(v) AS hi, MIN(v) AS lo, COUNT(DISTINCT v) AS dv FROM ev GROUP BY k',
  total: 'SELECT COUNT(*) AS n, SUM(v) AS s FROM ev',
  regrouped: 'SELECT n, COUNT(*) AS keys FROM (SELECT k, COUNT(*) AS n FROM ev GROUP BY k) GROUP BY n',
  tumbling: "SELECT window_start, k, COUNT(*) AS n, SUM(v) AS s FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, k",
  hopping: "SELECT window_start, k, COUNT(*) AS n FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) GROUP BY window_start, window_end, k",
  sessions: "SELECT window_start, window_end, k, COUNT(*) AS n FROM TABLE(SESSION(TABLE ev, DESCRIPTOR(ts), INTERVAL '3' SECOND)) GROUP BY window_start, window_end, k",
  joined: "SELECT a.k, a.v, b.v AS bv, a.ts FROM ev a JOIN ev2 b ON a.k = b.k AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '2' SECOND",
  looked_up: 'SELECT ev.k, ev.v, dims.w, ev.ts FROM ev JOIN dims',
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
async function run(dir: string, stateCacheBytes: number): Promise<{ contents: Record<string, string[]>; evictions: number; maxBytes: number }> {
  let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50, stateCacheBytes });
  for (const ddl of DDL) await engine.execute(ddl);
  const dims = Array.from({ length: KEYS / 2 }, (_, i) => `('k${i * 2}', ${i})`).join(', ');
  await engine.execute(`INSERT INTO dims VALUES ${dims}`);
  for (const [name, sql] of Object.entries(VIEWS)) await engine.execute(`CREATE MATERIALIZED VIEW ${name} AS ${sql}`);
  let evictions = 0;
  let maxBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await appendEvents(engine, 'ev', rows(round, 0));
    await appendEvents(engine, 'ev2', rows(round, 3));
    await viewsCaughtUp(engine, Object.keys(VIEWS).length);
    const stats = engine.stateCache.stats();
    evictions += stats.evictions;
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
  const contents: Record<string, string[]> = {};
  for (const name of Object.keys(VIEWS)) {
    contents[name] = (await engine.viewScan(name)).map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
  }
  await engine.close();
  return { contents, evictions, maxBytes };
}

describe('state far larger than the state cache', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every kind of stateful view gives the same contents with a 16 KiB cache as with the default, across restarts', async () => {
    const small = mkdtempSync(join(tmpdir(), 'sluice-state-small-'));
    const large = mkdtempSync(join(tmpdir(), 'sluice-state-large-'));
    dirs.push(small, large);
    const budget = 16 * 1024;
    const a = await run(small, budget);
    const b = await run(large, 256 * 1024 * 1024);
    expect(a.evictions).toBeGreaterThan(1000);
    expect(a.maxBytes).toBeLessThanOrEqual(budget);
    for (const name of Object.keys(VIEWS)) {
      expect(a.contents[name]!.length, name).toBeGreaterThan(0);
      expect(a.contents[name], name).toEqual(b.contents[name]);
    }
    // The grouped view counts every row once.
    const total = a.contents['total']![0]!;
    expect(JSON.parse(total)).toMatchObject({ n: `${ROUNDS * ROWS_PER_ROUND + 1}n` });
  }, 180_000);
});
