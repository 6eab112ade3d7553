/**
 * INSERT ... VALUES: each value converted to its column's type once (the request is checked
 * before it runs, and the values found then are the ones written), values of one shape sharing
 * one compiled kernel, and a target whose columns a statement of the same request replaced
 * converting for the new columns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { Engine } from '../../src/engine/engine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(): Promise<Engine> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-insert-'));
  dirs.push(dir);
  return Engine.open({ dataDir: dir });
}

async function rows(engine: Engine, sql: string): Promise<unknown[][]> {
  const [r] = await engine.execute(sql);
  if (r?.kind !== 'rows') throw new Error(`${sql}: ${r?.kind}`);
  return r.rows.map((x) => [...x]);
}

it('writes many rows of computed values, each value its own (literals are not shared by rows of one shape)', async () => {
  const engine = await open();
  try {
    await engine.execute("CREATE TABLE t (id INT PRIMARY KEY, name STRING, v DOUBLE, d DECIMAL(10,2), ts TIMESTAMP, big BIGINT, flag BOOLEAN DEFAULT true)");
    const n = 400;
    const values = Array.from({ length: n }, (_, i) => `(${i}, 'n' || '${i}', ${i} / 4, ${i}.255, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL ${i} SECOND, ${i} * 3000000000, ${i % 3 === 0 ? 'DEFAULT' : i % 3 === 1 ? 'false' : 'NULL'})`);
    await engine.execute(`INSERT INTO t VALUES ${values.join(', ')}`);
    expect(await rows(engine, 'SELECT COUNT(*), SUM(v), SUM(d), MAX(big), COUNT(flag), COUNT_IF(flag) FROM t')).toEqual([[400n, 19950, 79904, 1197000000000n, 267n, 134n]]);
    expect(await rows(engine, "SELECT id, name, v, d, strftime(ts, '%H:%M:%S'), big, flag FROM t WHERE id IN (0, 1, 2, 399) ORDER BY id")).toEqual([
      [0, 'n0', 0, 0.26, '00:00:00', 0n, true],
      [1, 'n1', 0.25, 1.26, '00:00:01', 3000000000n, false],
      [2, 'n2', 0.5, 2.26, '00:00:02', 6000000000n, null],
      [399, 'n399', 99.75, 399.26, '00:06:39', 1197000000000n, true],
    ]);
  } finally {
    await engine.close();
  }
});

it('refuses a bad value before any statement of the request runs, pointing at it', async () => {
  const engine = await open();
  try {
    await engine.execute('CREATE TABLE t (id INT PRIMARY KEY, v INT)');
    const err = await engine.execute("INSERT INTO t VALUES (1, 1); INSERT INTO t VALUES (2, 2), (3, 'x')").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe('TYPE_MISMATCH');
    expect((err as SluiceError).render()).toMatch(/value for v/);
    expect((err as SluiceError).render()).toMatch(/\^/);
    expect(await rows(engine, 'SELECT COUNT(*) FROM t')).toEqual([[0n]]);
  } finally {
    await engine.close();
  }
});

it('converts for the columns a statement before it in the request gave the target', async () => {
  const engine = await open();
  try {
    await engine.execute('CREATE TABLE t (id INT PRIMARY KEY, v DOUBLE)');
    await engine.execute("CREATE OR REPLACE TABLE t (id INT PRIMARY KEY, v STRING); INSERT INTO t VALUES (1, 2.5), (2, 'x')");
    expect(await rows(engine, 'SELECT id, v FROM t ORDER BY id')).toEqual([
      [1, '2.5'],
      [2, 'x'],
    ]);
    await engine.execute('CREATE TABLE u (id INT PRIMARY KEY, v DOUBLE); INSERT INTO u VALUES (1, 2.5), (2, 1 / 8)');
    expect(await rows(engine, 'SELECT id, v FROM u ORDER BY id')).toEqual([
      [1, 2.5],
      [2, 0.125],
    ]);
  } finally {
    await engine.close();
  }
});

it('gives each row of VALUES in FROM its own values, and a row whose value fails to the dead letters', async () => {
  const engine = await open();
  try {
    const values = Array.from({ length: 500 }, (_, i) => `(${i}, ${i} * 2 + 1, 'k' || ${i})`).join(', ');
    expect(await rows(engine, `SELECT COUNT(*), SUM(b), MAX(c) FROM (VALUES ${values}) t(a, b, c)`)).toEqual([[500n, 250000n, 'k99']]);
    const [r] = await engine.execute('SELECT a FROM (VALUES (1, 1), (2, 0), (3, 1)) t(a, b) WHERE a / b > 0');
    expect(r?.kind === 'rows' && r.rows.map((x) => x[0])).toEqual([1, 3]);
  } finally {
    await engine.close();
  }
});
