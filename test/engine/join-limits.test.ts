/**
 * A join may make far more rows than it reads: an answer built in memory stops at the result
 * limit with LIMIT_EXCEEDED, and a caller that goes away stops a long join of tables.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { Engine } from '../../src/engine/engine.js';
import { buildServer } from '../../src/server/app.js';
import { take } from './helpers.js';

async function failure(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SluiceError) return e;
    throw e;
  }
  throw new Error('expected the statement to fail');
}

describe('joins within limits', () => {
  let dir: string;
  let engine: Engine;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-join-limits-'));
    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50, limits: { maxResultRows: 1000 } });
    const values = Array.from({ length: 40 }, (_, i) => `(${i}, ${i % 7})`).join(', ');
    await engine.execute(`CREATE TABLE t (id INT PRIMARY KEY, g INT); INSERT INTO t VALUES ${values};`);
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers up to the limit and refuses an answer past it, naming the limit and its flag', async () => {
    const [small] = await engine.execute('SELECT a.id, b.id FROM t a JOIN t b ON a.g = b.g');
    // g = id % 7: five groups of 6 ids and two of 5.
    expect(small?.kind === 'rows' && small.rows.length).toBe(5 * 36 + 2 * 25);
    const [count] = await engine.execute('SELECT COUNT(*) FROM t a, t b');
    expect(count?.kind === 'rows' && count.rows).toEqual([[1600n]]);
    const err = await failure(engine.execute('SELECT a.id, b.id FROM t a CROSS JOIN t b'));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toContain('more than 1,000 rows');
    expect(err.hint).toContain('--max-result-rows');
    // The engine goes on answering.
    const [again] = await engine.execute('SELECT COUNT(*) AS n FROM t');
    expect(again?.kind === 'rows' && again.rows).toEqual([[40n]]);
  });

  it('stops a long join of tables when its caller goes away', async () => {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(new Error('client disconnected')), 100);
    // 40^5 = 102 million rows of five, counted: far longer than the 100 ms before the abort.
    const err = await failure(engine.execute('SELECT COUNT(*) FROM t a, t b, t c, t d, t e WHERE a.id + b.id + c.id + d.id + e.id >= 0', { signal: ac.signal }));
    expect(err.code).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('the statement timeout', () => {
  let dir: string;
  let engine: Engine;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-statement-timeout-'));
    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50, limits: { statementTimeoutMs: 300 } });
    const values = Array.from({ length: 40 }, (_, i) => `(${i}, ${i % 7})`).join(', ');
    await engine.execute(`CREATE TABLE t (id INT PRIMARY KEY, g INT); CREATE TABLE copy (id INT PRIMARY KEY); INSERT INTO t VALUES ${values};`);
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // 40^5 = 102 million rows of five: minutes of pairing, far past the 300 ms allowed.
  const LONG = 'SELECT COUNT(*) FROM t a, t b, t c, t d, t e WHERE a.id + b.id + c.id + d.id + e.id >= 0';

  it('stops a pull query that runs past it with STATEMENT_TIMEOUT, naming the limit and its flag', async () => {
    const started = Date.now();
    const err = await failure(engine.execute(LONG));
    expect(err.code).toBe('STATEMENT_TIMEOUT');
    expect(err.message).toContain('statement timeout of 300ms');
    expect(err.hint).toContain('--statement-timeout');
    expect(err.render()).toContain('^^^');
    expect(Date.now() - started).toBeLessThan(10_000);
    // Range table functions are timed alike, a long series too: it makes its rows a batch at a
    // time and lets the timer run between them.
    expect((await failure(engine.execute('SELECT COUNT(*) FROM range(100000) a, range(100000) b'))).code).toBe('STATEMENT_TIMEOUT');
    const series = Date.now();
    expect((await failure(engine.execute('SELECT COUNT(*) FROM range(1000000000)'))).code).toBe('STATEMENT_TIMEOUT');
    expect(Date.now() - series).toBeLessThan(10_000);
    // Window functions hold the thread while they compute (no timer runs): they look at the
    // deadline themselves. A STRING_AGG over a sliding frame is built again for each row.
    const windows = Date.now();
    const frames = await failure(engine.execute('SELECT MAX(LENGTH(m)) FROM (SELECT STRING_AGG(CAST(range AS VARCHAR), \',\') OVER (ORDER BY range ROWS BETWEEN 5000 PRECEDING AND CURRENT ROW) AS m FROM range(200000))'));
    expect(frames.code).toBe('STATEMENT_TIMEOUT');
    expect(Date.now() - windows).toBeLessThan(10_000);
    // The engine goes on answering, and a short query is not stopped.
    const [count] = await engine.execute('SELECT COUNT(*) FROM t a, t b');
    expect(count?.kind === 'rows' && count.rows).toEqual([[1600n]]);
  });

  it('stops the SELECT of an INSERT and a CREATE TABLE AS before anything is written', async () => {
    const insert = await failure(engine.execute(`INSERT INTO copy SELECT a.id FROM t a, t b, t c, t d, t e WHERE a.id + b.id + c.id + d.id + e.id < 0`));
    expect(insert.code).toBe('STATEMENT_TIMEOUT');
    const [n] = await engine.execute('SELECT COUNT(*) FROM copy');
    expect(n?.kind === 'rows' && n.rows).toEqual([[0n]]);
    const ctas = await failure(engine.execute(`CREATE TABLE big AS ${LONG}`));
    expect(ctas.code).toBe('STATEMENT_TIMEOUT');
    expect((await failure(engine.execute('SELECT * FROM big'))).code).toBe('UNKNOWN_RELATION');
  });

  it('leaves push queries running past it', async () => {
    await engine.execute('CREATE STREAM s (x INT) WITH (partitions = 1)');
    const [push] = await engine.execute('SELECT x * 2 AS y FROM s');
    try {
      await new Promise((r) => setTimeout(r, 700));
      await engine.execute('INSERT INTO s VALUES (21)');
      const rows = await take(push, 1);
      expect(rows.map((r) => [...r.values])).toEqual([[42]]);
    } finally {
      if (push?.kind === 'push') push.cancel();
    }
  });

  it('answers 504 over HTTP', async () => {
    const app = buildServer(engine);
    const res = await app.inject({ method: 'POST', url: '/v1/query', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ sql: LONG }) });
    expect(res.statusCode).toBe(504);
    expect((res.json() as { error: { code: string } }).error.code).toBe('STATEMENT_TIMEOUT');
    await app.close();
  });
});
