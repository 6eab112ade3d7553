/** A pull query's failed rows come back next to its rows over HTTP, never dropped. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { buildServer } from '../../src/server/app.js';
import { tempEngine } from '../engine/helpers.js';

describe('pull queries with failing rows over HTTP', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
    await engine.execute(`
      CREATE STREAM s (g STRING, v INT) WITH (partitions = 1);
      INSERT INTO s VALUES ('a', 5), ('b', 7), ('c', 6);
      CREATE MATERIALIZED VIEW totals AS SELECT g, SUM(v) AS t FROM s GROUP BY g;
    `);
    await engine.checkpointAll();
  });
  afterEach(async () => cleanup());

  it('POST /v1/sql answers an errors array next to rows', async () => {
    const app = buildServer(engine);
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'SELECT g, 10 / (t - 5) AS q FROM totals' } });
    expect(res.statusCode).toBe(200);
    const [r] = (res.json() as { results: { rows: unknown[][]; errors: { reason: string; operator: string; row: unknown }[] }[] }).results;
    expect(r!.rows.map((x) => x[0]).sort()).toEqual(['b', 'c']);
    expect(r!.errors).toHaveLength(1);
    expect(r!.errors[0]).toMatchObject({ operator: 'ProjectExec', row: { g: 'a', t: 5 } });
    expect(r!.errors[0]!.reason).toMatch(/^SELECT q := .*zero/i);
    const ok = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'SELECT g FROM totals' } });
    expect((ok.json() as { results: { errors: unknown[] }[] }).results[0]!.errors).toEqual([]);
    await app.close();
  });

  it('POST /v1/query sends the failed rows as one errors message before the end', async () => {
    const app = buildServer(engine);
    const res = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT g, 10 / (t - 5) AS q FROM totals' } });
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => 'op' in l)).toHaveLength(2);
    const errors = lines.find((l) => 'errors' in l) as { errors: { row: unknown }[] };
    expect(errors.errors.map((e) => e.row)).toEqual([{ g: 'a', t: 5 }]);
    expect(lines.at(-1)).toEqual({ end: true, rows: 2 });
    await app.close();
  });
});
