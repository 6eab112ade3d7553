/**
 * Dead-letter streams of push queries: one that caught nothing goes away with its query; one
 * that holds letters stays readable, across a restart too, and new push queries do not reuse
 * its name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { take } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function streams(engine: Engine): Promise<unknown[]> {
  const [r] = await engine.execute('SHOW STREAMS');
  return r?.kind === 'rows' ? r.rows.map((row) => row[0]) : [];
}

describe('push query dead letters', () => {
  it('drops an empty dead-letter stream with its query and keeps one that holds letters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-push-dlq-'));
    dirs.push(dir);
    let engine = await Engine.open({ dataDir: dir });
    await engine.execute(`
      CREATE STREAM s (a DOUBLE, b DOUBLE) WITH (partitions = 1);
      CREATE FUNCTION mul(a DOUBLE, b DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'if (b < 0) throw new Error("negative"); return a * b';
      INSERT INTO s VALUES (2, 3), (4, -1);`);
    const [clean] = await engine.execute('SELECT a FROM s', { bounded: true });
    expect(await take(clean, 10)).toHaveLength(2);
    await until(() => !engine.log.hasTopic('push_1_dlq'), 'the empty dead-letter topic to go');
    const [failing] = await engine.execute('SELECT mul(a, b) AS m FROM s', { bounded: true });
    expect(await take(failing, 10)).toHaveLength(1);
    await until(() => engine.queries().every((q) => q.status !== 'running'), 'the query to end');
    await new Promise((r) => setTimeout(r, 100));
    expect(await streams(engine)).toEqual(['s', 'push_2_dlq']);
    await engine.close();

    engine = await Engine.open({ dataDir: dir });
    try {
      expect(await streams(engine)).toEqual(['s', 'push_2_dlq']);
      const [letters] = await engine.execute('SELECT row FROM push_2_dlq', { bounded: true });
      expect((await take(letters, 10)).map((r) => r.values)).toEqual([['{"a":4,"b":-1}']]);
      expect(engine.queries().map((q) => q.id)).toEqual(['push_3']);
    } finally {
      await engine.close();
    }
  });

  it('has every dead letter of a bounded query in its stream by the time its rows end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-push-dlq-'));
    dirs.push(dir);
    const engine = await Engine.open({ dataDir: dir });
    try {
      await engine.execute(`
        CREATE STREAM n (i INT) WITH (partitions = 1);
        CREATE FUNCTION late_fails(i INT) RETURNS INT LANGUAGE javascript AS 'if (i >= 1000) throw new Error("late"); return i';`);
      for (let chunk = 0; chunk < 4; chunk++) {
        await engine.execute(`INSERT INTO n VALUES ${Array.from({ length: 500 }, (_, k) => `(${chunk * 500 + k})`).join(', ')}`);
      }
      // The last thousand rows fail: their letters are made as the input ends.
      const [res] = await engine.execute('SELECT late_fails(i) AS j FROM n', { bounded: true });
      if (res?.kind !== 'push') throw new Error('expected a push result');
      expect(await take(res, 2000)).toHaveLength(1000);
      // No waiting: the letters were written before the rows ended.
      const [letters] = await engine.execute(`SELECT row FROM ${res.queryId}_dlq`, { bounded: true });
      const rows = await take(letters, 2000, 2000);
      expect(rows).toHaveLength(1000);
      expect(new Set(rows.map((r) => r.values[0])).size).toBe(1000);
    } finally {
      await engine.close();
    }
  });
});
