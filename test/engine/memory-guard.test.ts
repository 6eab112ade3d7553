/**
 * A query that fills the engine's memory fails with OUT_OF_MEMORY instead of V8 aborting the
 * process (docs/errors.md): in a child with a 256 MiB heap, STRING_AGG, LIST and COUNT(DISTINCT)
 * over 100,000 strings of 50,000 characters (about 5 GB) each fail, and the engine answers the
 * next statement. And keys longer than V8 hashes (16,383 characters) do not make a GROUP BY,
 * DISTINCT, join, window partition or COUNT(DISTINCT) compare every key with every other.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('memory guard', () => {
  it('fails a query that fills the heap with OUT_OF_MEMORY and keeps the engine running', () => {
    const hogs = [
      "SELECT LENGTH(STRING_AGG(REPEAT('x', 50000) || i, ',')) FROM range(100000) t(i)",
      "SELECT LEN(LIST(REPEAT('y', 50000) || i)) FROM range(100000) t(i)",
      "SELECT COUNT(DISTINCT REPEAT('z', 50000) || i) FROM range(100000) t(i)",
    ];
    const child = spawnSync(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', 'test/engine/memory-guard-child.ts', ...hogs, 'SELECT 1 AS one'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const outcomes = child.stdout.trim().split('\n').map((l) => JSON.parse(l) as { ok: boolean; code?: string; message?: string; rows?: number });
    expect(outcomes).toHaveLength(4);
    for (const o of outcomes.slice(0, 3)) {
      expect(o.ok).toBe(false);
      expect(o.code).toBe('OUT_OF_MEMORY');
      expect(o.message).toMatch(/memory is nearly full .*MiB.*this query stopped/);
    }
    expect(outcomes[3]).toEqual({ ok: true, rows: 1 });
  }, 300_000);
});

describe('keys longer than V8 hashes', () => {
  let dir: string;
  let engine: Engine;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-longkeys-'));
    engine = await Engine.open({ dataDir: dir });
  });
  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // 3,000 distinct keys of 40,000 characters that differ only at their end: compared with each
  // other (the same V8 hash) they cost 3,000² / 2 comparisons of 40 kB, minutes; hashed, a second.
  const keys = "(SELECT REPEAT('k', 40000) || i AS k, i FROM range(3000) t(i))";
  const cases: [string, string, number][] = [
    ['GROUP BY', `SELECT COUNT(*) AS n FROM (SELECT k, COUNT(*) FROM ${keys} GROUP BY k)`, 3000],
    ['GROUP BY two keys', `SELECT COUNT(*) AS n FROM (SELECT k, i % 2, COUNT(*) FROM ${keys} GROUP BY k, i % 2)`, 3000],
    ['DISTINCT', `SELECT COUNT(*) AS n FROM (SELECT DISTINCT k FROM ${keys})`, 3000],
    ['COUNT(DISTINCT)', `SELECT COUNT(DISTINCT k) AS n FROM ${keys}`, 3000],
    ['join', `SELECT COUNT(*) AS n FROM ${keys} a JOIN ${keys} b ON a.k = b.k`, 3000],
    ['window partition', `SELECT COUNT(*) AS n FROM (SELECT ROW_NUMBER() OVER (PARTITION BY k) AS r FROM ${keys}) WHERE r = 1`, 3000],
    ['LIST_DISTINCT', `SELECT LEN(LIST_DISTINCT(LIST(k || (i % 1500)))) AS n FROM ${keys}`, 3000],
  ];
  for (const [what, sql, n] of cases) {
    it(`${what}: right answer, in time linear in the keys`, async () => {
      const t0 = performance.now();
      const [r] = await engine.execute(sql);
      if (r?.kind !== 'rows') throw new Error(`expected rows, got ${r?.kind}`);
      expect(Number(r.rows[0]![0])).toBe(n);
      expect(performance.now() - t0).toBeLessThan(60_000);
    }, 120_000);
  }
});
