import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

async function rows(engine: Engine, sql: string): Promise<unknown[][]> {
  const [res] = await engine.execute(sql);
  return res?.kind === 'rows' ? res.rows.map((r) => [...r]) : [];
}

describe('views over EXCEPT, subqueries and ordered STRING_AGG across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-setops-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('resume from their checkpoints: a row the right side of EXCEPT gives after the restart takes its row out, and nothing is lost or repeated', async () => {
    let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`
      CREATE STREAM signups (user_id STRING, plan STRING) WITH (partitions = 2);
      CREATE STREAM churned (user_id STRING) WITH (partitions = 1);
      CREATE TABLE blocked (user_id STRING PRIMARY KEY, reason STRING);
      INSERT INTO blocked VALUES ('u3', 'fraud');
      CREATE MATERIALIZED VIEW active AS SELECT user_id FROM signups EXCEPT SELECT user_id FROM churned;
      CREATE MATERIALIZED VIEW plans AS
        SELECT plan, COUNT(*) AS n, STRING_AGG(user_id, ',' ORDER BY user_id) AS users
        FROM signups WHERE user_id NOT IN (SELECT user_id FROM blocked) GROUP BY plan;
      INSERT INTO signups VALUES ('u1', 'pro'), ('u2', 'free'), ('u3', 'pro'), ('u4', 'pro');
      INSERT INTO churned VALUES ('u2');
    `);
    await engine.checkpointAll();
    expect((await rows(engine, 'SELECT user_id FROM active ORDER BY user_id')).flat()).toEqual(['u1', 'u3', 'u4']);
    expect(await rows(engine, 'SELECT plan, n, users FROM plans ORDER BY plan')).toEqual([
      ['free', 1n, 'u2'],
      ['pro', 2n, 'u1,u4'],
    ]);
    await engine.close();

    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`
      INSERT INTO churned VALUES ('u4');
      INSERT INTO signups VALUES ('u0', 'pro'), ('u5', 'free');
    `);
    await engine.checkpointAll();
    expect((await rows(engine, 'SELECT user_id FROM active ORDER BY user_id')).flat()).toEqual(['u0', 'u1', 'u3', 'u5']);
    expect(await rows(engine, 'SELECT plan, n, users FROM plans ORDER BY plan')).toEqual([
      ['free', 2n, 'u2,u5'],
      ['pro', 3n, 'u0,u1,u4'],
    ]);
    await engine.close();
  });
});
