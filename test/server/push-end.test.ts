/** How a push stream over POST /v1/query ends: on its own, or cancelled by DELETE /v1/queries/:id. */
import { expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { tempEngine } from '../engine/helpers.js';

it('ends a push stream cancelled by DELETE /v1/queries/:id with cancelled: true, and one whose input ends without it', async () => {
  const { engine, cleanup } = await tempEngine(50);
  try {
    await engine.execute(`
      CREATE STREAM tx (id STRING NOT NULL, amount DOUBLE) WITH (partitions = 2, key = 'id');
      CREATE MATERIALIZED VIEW totals AS SELECT id, COUNT(*) AS c FROM tx GROUP BY id;`);
    const app = buildServer(engine);
    const live = app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT id, amount FROM tx' } });
    let id: string | undefined;
    for (let i = 0; i < 200 && id === undefined; i++) {
      id = engine.queries().find((q) => q.kind === 'push')?.id;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await app.inject({ method: 'DELETE', url: `/v1/queries/${id}` })).statusCode).toBe(200);
    const lines = (await live).body.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toEqual({ end: true, rows: 0, cancelled: true });
    const pull = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT * FROM totals' } });
    expect(JSON.parse(pull.body.trim().split('\n').pop()!)).toEqual({ end: true, rows: 0 });
  } finally {
    await cleanup();
  }
});
