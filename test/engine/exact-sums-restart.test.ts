import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

async function rows(engine: Engine, sql: string): Promise<unknown[][]> {
  const [res] = await engine.execute(sql);
  return res?.kind === 'rows' ? res.rows.map((r) => [...r]) : [];
}

describe('exact sums of doubles across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-exact-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a value retracted after the restart leaves no rounding in SUM, AVG, VAR_POP and COVAR_POP', async () => {
    let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`
      CREATE STREAM a (k STRING, x DOUBLE) WITH (partitions = 1);
      CREATE STREAM b (k STRING) WITH (partitions = 1);
      CREATE MATERIALIZED VIEW unmatched AS
        SELECT b.k AS bk, SUM(a.x) AS s, AVG(a.x) AS m, VAR_POP(a.x) AS v, COVAR_POP(a.x, a.x) AS c, COUNT(*) AS n
        FROM a LEFT JOIN b ON a.k = b.k GROUP BY b.k;
      INSERT INTO a VALUES ('p', 1e10), ('q', 0.1), ('r', 0.7);
    `);
    await engine.checkpointAll();
    const [before] = await rows(engine, 'SELECT s, n FROM unmatched WHERE bk IS NULL');
    // The exact sum rounded once (adding in order as doubles gives 10000000000.800001).
    expect(before).toEqual([10000000000.8, 3n]);
    await engine.close();

    // The state saved at the checkpoint holds the exact sums; p's match retracts 1e10 from them.
    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`INSERT INTO b VALUES ('p')`);
    await engine.checkpointAll();
    const [[s, m, v, c, n]] = (await rows(engine, 'SELECT s, m, v, c, n FROM unmatched WHERE bk IS NULL')) as [[number, number, number, number, bigint]];
    // One rounding of the exact answers over 0.1 and 0.7 (a double sum that held 1e10 is off in its
    // 7th digit: 0.8000002...; a running variance by about 1e4).
    expect(s).toBe(0.1 + 0.7);
    expect(m).toBe((0.1 + 0.7) / 2);
    expect(Math.abs(v - 0.09)).toBeLessThan(1e-16);
    expect(Math.abs(c - 0.09)).toBeLessThan(1e-16);
    expect(n).toBe(2n);
    expect(await rows(engine, `SELECT bk, s FROM unmatched WHERE bk = 'p'`)).toEqual([['p', 1e10]]);
    await engine.close();
  });
});
