import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

async function minutes(engine: Engine): Promise<readonly unknown[]> {
  const [res] = await engine.execute('SELECT window_start, n FROM per_minute');
  return res?.kind === 'rows' ? res.rows : [];
}

describe('a view over a UNION ALL across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-union-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('resumes both branches from the checkpoint, neither losing nor repeating rows, and closes windows on the least watermark', async () => {
    let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`
      CREATE STREAM web (user_id STRING, amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (partitions = 2);
      CREATE STREAM app (user_id STRING, amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (partitions = 1);
      CREATE MATERIALIZED VIEW spend AS
        SELECT user_id, COUNT(*) AS n, SUM(amount) AS total
        FROM (SELECT user_id, amount FROM web UNION ALL SELECT user_id, amount FROM app) q GROUP BY user_id;
      CREATE MATERIALIZED VIEW per_minute AS
        SELECT window_start, COUNT(*) AS n
        FROM TABLE(TUMBLE(TABLE (SELECT ts FROM web UNION ALL SELECT ts FROM app), DESCRIPTOR(ts), INTERVAL '1' MINUTE))
        GROUP BY window_start;
      INSERT INTO web VALUES ('u1', 10.0, TIMESTAMP '2024-01-01 00:00:10'), ('u2', 1.0, TIMESTAMP '2024-01-01 00:00:20');
      INSERT INTO app VALUES ('u1', 5.0, TIMESTAMP '2024-01-01 00:00:30');
    `);
    await engine.checkpointAll();
    expect(await engine.viewRow('spend', 'u1')).toEqual({ user_id: 'u1', n: 2n, total: 15 });
    // Only web has passed minute 0: app's watermark holds the window open.
    await engine.execute(`INSERT INTO web VALUES ('u2', 1.0, TIMESTAMP '2024-01-01 00:02:00')`);
    await engine.checkpointAll();
    expect(await minutes(engine)).toEqual([]);
    await engine.close();

    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`INSERT INTO app VALUES ('u1', 100.0, TIMESTAMP '2024-01-01 00:01:30')`);
    await engine.checkpointAll();
    expect(await engine.viewRow('spend', 'u1')).toEqual({ user_id: 'u1', n: 3n, total: 115 });
    expect(await engine.viewRow('spend', 'u2')).toEqual({ user_id: 'u2', n: 2n, total: 2 });
    // Now both have passed minute 0 (app at 00:01:30): it closes with its three rows.
    expect(await minutes(engine)).toEqual([[1704067200000, 3n]]);
    await engine.close();
  });
});
