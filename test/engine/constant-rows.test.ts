/**
 * Constant rows in a continuous query ((VALUES ...) in FROM, a SELECT without FROM in a UNION)
 * are given once: a view over them keeps its counts exact across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('gives VALUES rows once, also after a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-values-'));
  dirs.push(dir);
  let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  await engine.execute(`
    CREATE STREAM ev (k STRING, n INT) WITH (partitions = 2);
    INSERT INTO ev VALUES ('a', 1), ('b', 2), ('z', 3);
    CREATE MATERIALIZED VIEW labelled AS SELECT t.label, COUNT(*) AS rows, SUM(e.n) AS total FROM ev e JOIN (VALUES ('a', 'alpha'), ('b', 'beta')) t(k, label) ON e.k = t.k GROUP BY t.label;
    CREATE MATERIALIZED VIEW counted AS SELECT k, COUNT(*) AS c FROM (SELECT k FROM ev UNION ALL SELECT 'seed' AS k) q GROUP BY k;
  `);
  await engine.checkpointAll();
  const rows = async (view: string, key: string) => new Map((await engine.viewScan(view)).map((r) => [r[key], r]));
  expect((await rows('labelled', 'label')).get('alpha')).toEqual({ label: 'alpha', rows: 1n, total: 1n });
  expect((await rows('counted', 'k')).get('seed')).toEqual({ k: 'seed', c: 1n });
  await engine.close();

  engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  await engine.execute("INSERT INTO ev VALUES ('a', 10), ('b', 20)");
  await engine.checkpointAll();
  const labelled = await rows('labelled', 'label');
  expect(labelled.get('alpha')).toEqual({ label: 'alpha', rows: 2n, total: 11n });
  expect(labelled.get('beta')).toEqual({ label: 'beta', rows: 2n, total: 22n });
  const counted = await rows('counted', 'k');
  expect(counted.get('seed')).toEqual({ k: 'seed', c: 1n });
  expect(counted.get('a')).toEqual({ k: 'a', c: 2n });
  await engine.close();
});
