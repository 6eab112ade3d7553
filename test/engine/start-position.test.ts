/**
 * Push queries start at the latest position: only rows that arrive after they start, unless
 * asked to read from the earliest. Views, sinks and bounded runs read from the earliest.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nexmarkDdl } from '../../src/connectors/nexmark.js';
import type { Engine } from '../../src/engine/engine.js';
import type { StatementResult } from '../../src/engine/types.js';
import { buildServer } from '../../src/server/app.js';
import { take, tempEngine } from './helpers.js';

/** Waits until a push query has started reading (its source positions exist), so a later insert is new to it. */
async function started(engine: Engine, r: StatementResult | undefined): Promise<void> {
  if (r?.kind !== 'push') throw new Error('expected a push result');
  const end = Date.now() + 5000;
  while (Date.now() < end && engine.query(r.queryId)?.status !== 'running') await new Promise((res) => setTimeout(res, 10));
  await new Promise((res) => setTimeout(res, 50));
}

describe('where a push query starts', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
    await engine.execute(`
      CREATE STREAM s (id STRING, v INT) WITH (partitions = 2, key = 'id');
      INSERT INTO s VALUES ('old1', 1), ('old2', 2), ('old3', 3);
    `);
  });
  afterEach(async () => cleanup());

  it('reads only new rows by default', async () => {
    const [r] = await engine.execute('SELECT id, v FROM s');
    await started(engine, r);
    await engine.execute("INSERT INTO s VALUES ('new1', 10), ('new2', 20)");
    const rows = await take(r, 2);
    expect(rows.map((x) => x.values[0]).sort()).toEqual(['new1', 'new2']);
  });

  it("reads every stored row first with from: 'earliest'", async () => {
    const [r] = await engine.execute('SELECT id, v FROM s', { from: 'earliest' });
    await started(engine, r);
    await engine.execute("INSERT INTO s VALUES ('new1', 10)");
    const rows = await take(r, 4);
    expect(rows.map((x) => x.values[0]).sort()).toEqual(['new1', 'old1', 'old2', 'old3']);
  });

  it('keeps materialized views and bounded runs reading from the earliest', async () => {
    await engine.execute('CREATE MATERIALIZED VIEW total AS SELECT COUNT(*) AS n, SUM(v) AS t FROM s');
    await engine.checkpointAll();
    const [pull] = await engine.execute('SELECT n, t FROM total');
    expect(pull?.kind === 'rows' ? pull.rows : []).toEqual([[3n, 6n]]);
    const bounded = await take((await engine.execute('SELECT id FROM s', { bounded: true }))[0], 3);
    expect(bounded).toHaveLength(3);
  });

  it('runs a generator in event time from now at the latest position, from its base time at the earliest', async () => {
    await engine.execute(Object.values(nexmarkDdl({ maxEvents: 2000, prefix: 'nx_' })).join('\n'));
    const before = Date.now();
    const [latest] = await take((await engine.execute('SELECT date_time FROM nx_bid'))[0], 1);
    expect(latest!.values[0] as number).toBeGreaterThanOrEqual(before - 1000);
    const [earliest] = await take((await engine.execute('SELECT date_time FROM nx_bid', { from: 'earliest' }))[0], 1);
    expect(earliest!.values[0] as number).toBeLessThan(Date.UTC(2025, 0, 1));
  });

  it('takes the position as a request property of POST /v1/query', async () => {
    const app = buildServer(engine);
    const earliest = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT id FROM s LIMIT 3', from: 'earliest' } });
    const ids = earliest.body.trim().split('\n').map((l) => JSON.parse(l) as { values?: string[] }).filter((m) => m.values).map((m) => m.values![0]);
    expect(ids.sort()).toEqual(['old1', 'old2', 'old3']);
    const bad = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT id FROM s', from: 'beginning' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'BAD_REQUEST', message: "'from' must be one of 'earliest', 'latest'" } });
    await app.close();
  });
});
