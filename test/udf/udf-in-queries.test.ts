/**
 * Sandboxed functions inside queries: called once per batch, yet a row sees only its own value
 * or error, also under CASE and when nested; a function past its budget sends its batch to the
 * dead-letter stream and the query goes on.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { take, tempEngine } from '../engine/helpers.js';

describe('user functions in queries', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
    await engine.execute(`
      CREATE STREAM s (a DOUBLE, b DOUBLE) WITH (partitions = 1);
      CREATE FUNCTION inv(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'if (x === 0) throw new Error("zero"); return 1 / x';
      CREATE FUNCTION plus1(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'return x === null ? null : x + 1';
      INSERT INTO s VALUES (1, 2), (0, 4), (2, 0), (4, 8);`);
  });
  afterEach(async () => cleanup());

  async function rows(sql: string): Promise<unknown[][]> {
    const [res] = await engine.execute(sql, { bounded: true });
    return (await take(res, 100)).map((r) => [...r.values]);
  }

  async function deadLetters(): Promise<unknown[][]> {
    const q = engine.queries().find((x) => x.kind === 'push')!;
    return rows(`SELECT reason FROM ${q.id}_dlq`);
  }

  it('a call under CASE only fails the rows that reach it', async () => {
    expect(await rows('SELECT a, CASE WHEN a <> 0 THEN inv(a) ELSE -1 END AS r FROM s')).toEqual([
      [1, 1],
      [0, -1],
      [2, 0.5],
      [4, 0.25],
    ]);
    expect(engine.queries().find((x) => x.kind === 'push')!.deadLetters).toBe(0);
  });

  it('nested calls and an argument that fails: each row keeps its own error', async () => {
    expect(await rows('SELECT a, plus1(inv(a)) AS r, plus1(a / b) AS q FROM s')).toEqual([
      [1, 2, 1.5],
      [4, 1.25, 1.5],
    ]);
    expect((await deadLetters()).map((r) => String(r[0])).sort()).toEqual(["SELECT q := plus1(a / b): division by zero", "SELECT r := plus1(inv(a)): function 'inv': zero"]);
  });

  it('a function past its time budget sends the rows its batch had not completed to dead letters; the query and the engine go on', async () => {
    await engine.execute(`CREATE FUNCTION spin(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'if (x > 3) while (true) {} return x'`);
    const t = Date.now();
    // The rows before the endless one completed.
    expect(await rows('SELECT a, spin(a) AS r FROM s')).toEqual([
      [1, 1],
      [0, 0],
      [2, 2],
    ]);
    expect(Date.now() - t).toBeLessThan(5000);
    expect(await deadLetters()).toEqual([["SELECT r := spin(a): function 'spin': exceeded its time budget of 100 ms per batch"]]);
    // The next query uses a rebuilt sandbox.
    await engine.execute('INSERT INTO s VALUES (3, 1)');
    const again = await rows('SELECT spin(a) AS r FROM s WHERE a = 3');
    expect(again).toEqual([[3]]);
  });
});
