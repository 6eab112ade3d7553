/** BIGINT group keys and exact SUM/COUNT/MIN state survive a checkpoint and a restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('keeps BIGINT keys and sums beyond 2^53 exact across a restart (two partitions, two phases)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bigint-'));
  dirs.push(dir);
  let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  await engine.execute(`
    CREATE STREAM s (k BIGINT, v BIGINT) WITH (partitions = 2);
    INSERT INTO s VALUES (9007199254740993, 9007199254740993), (9007199254740992, 1), (9007199254740993, 2);
    CREATE MATERIALIZED VIEW m AS SELECT k, SUM(v) AS s, COUNT(*) AS n, MIN(v) AS lo FROM s GROUP BY k;
  `);
  await engine.checkpointAll();
  const byKey = async () => new Map((await engine.viewScan('m')).map((r) => [r['k'], r]));
  expect((await byKey()).get(9007199254740993n)).toEqual({ k: 9007199254740993n, s: 9007199254740995n, n: 2n, lo: 2n });
  await engine.close();

  engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  await engine.execute('INSERT INTO s VALUES (9007199254740993, 4), (9007199254740992, 9223372036854775806)');
  await engine.checkpointAll();
  const after = await byKey();
  expect(after.get(9007199254740993n)).toEqual({ k: 9007199254740993n, s: 9007199254740999n, n: 3n, lo: 2n });
  expect(after.get(9007199254740992n)).toEqual({ k: 9007199254740992n, s: 9223372036854775807n, n: 2n, lo: 1n });
  expect(after.size).toBe(2);
  await engine.close();
});
