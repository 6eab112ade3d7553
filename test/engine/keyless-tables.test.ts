import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

async function rows(engine: Engine, sql: string): Promise<unknown[][]> {
  const [res] = await engine.execute(sql);
  return res?.kind === 'rows' ? res.rows.map((r) => [...r]) : [];
}

describe('a table without a primary key and CREATE TABLE AS SELECT', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-keyless-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keep every row (duplicates too), change them with UPDATE and DELETE, and keep rows and definitions across a restart', async () => {
    let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`
      CREATE TABLE visits (page STRING, n INT);
      INSERT INTO visits VALUES ('a', 1), ('a', 1), ('b', 2);
      CREATE TABLE totals AS SELECT page, SUM(n) AS total, COUNT(*) AS rows_seen FROM visits GROUP BY page;
      CREATE MATERIALIZED VIEW per_page AS SELECT page, COUNT(*) AS c FROM visits GROUP BY page;
      UPDATE visits SET n = 5 WHERE page = 'b';
    `);
    await engine.checkpointAll();
    expect(await rows(engine, 'SELECT page, n FROM visits ORDER BY page, n')).toEqual([['a', 1], ['a', 1], ['b', 5]]);
    expect(await rows(engine, 'SELECT page, total, rows_seen FROM totals ORDER BY page')).toEqual([['a', 2n, 2n], ['b', 2n, 1n]]);
    expect(await rows(engine, 'SELECT page, c FROM per_page ORDER BY page')).toEqual([['a', 2n], ['b', 1n]]);
    await engine.close();

    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    expect(await rows(engine, 'SELECT page, total FROM totals ORDER BY page')).toEqual([['a', 2n], ['b', 2n]]);
    await engine.execute(`
      INSERT INTO visits VALUES ('a', 7), ('c', 1);
      DELETE FROM visits WHERE n = 1 AND page = 'a';
      INSERT INTO totals VALUES ('z', 0, 0);
    `);
    await engine.checkpointAll();
    expect(await rows(engine, 'SELECT page, n FROM visits ORDER BY page, n')).toEqual([['a', 7], ['b', 5], ['c', 1]]);
    expect(await rows(engine, 'SELECT page, c FROM per_page ORDER BY page')).toEqual([['a', 1n], ['b', 1n], ['c', 1n]]);
    expect(await rows(engine, 'SELECT COUNT(*) FROM totals')).toEqual([[3n]]);
    await engine.close();
  });
});
