/**
 * predict() over an updating input (a view over a GROUP BY): each update's -U carries exactly the
 * score and model version emitted for the old row, also across a hot swap, so a GROUP BY over the
 * scores (by version) stays equal to what the scored view holds.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { collectRows } from '../sql/collect.js';
import { tempEngine } from './helpers.js';

const FEATURES = `ARRAY[${Array.from({ length: 30 }, (_, i) => `CAST(total * ${(i % 7) + 1} / 1000.0 AS FLOAT)`).join(', ')}]`;

describe('predict() over updates with a hot swap in between', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
  });
  afterEach(async () => cleanup());

  async function settled(): Promise<void> {
    // A view over a view commits in two steps: checkpoint until nothing more is read.
    for (let round = 0; round < 20; round++) {
      const before = engine.queries().reduce((n, q) => n + q.rowsIn, 0);
      await engine.checkpointAll();
      const lag = engine.queries().reduce((n, q) => n + (q.lag ?? 0), 0);
      if (lag === 0 && engine.queries().reduce((n, q) => n + q.rowsIn, 0) === before) return;
    }
  }
  const rows = async (sql: string) => (await collectRows(engine, sql)).rows.map((r) => [...r]);

  it('retracts the output it emitted, not a rescore, and keeps downstream aggregates exact', async () => {
    await engine.execute(`
      CREATE STREAM pay (card STRING, amount DOUBLE) WITH (partitions = 1);
      CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'batch.max_rows' = 16, 'batch.max_wait' = '1ms');
      CREATE MATERIALIZED VIEW spend AS SELECT card, SUM(amount) AS total FROM pay GROUP BY card;
      CREATE MATERIALIZED VIEW scored AS SELECT card, total, predict('fraud', ${FEATURES}) AS score, model_version('fraud') AS v FROM spend;
      CREATE MATERIALIZED VIEW by_version AS SELECT v, COUNT(*) AS n, SUM(score) AS s FROM scored GROUP BY v;
    `);
    await engine.execute(`INSERT INTO pay VALUES ('c1', 100), ('c2', 250), ('c3', 40)`);
    await engine.execute(`INSERT INTO pay VALUES ('c1', 20)`);
    await settled();
    const before = new Map((await rows('SELECT card, total, score, v FROM scored')).map((r) => [r[0], r]));
    expect([...before.values()].map((r) => [r[0], r[1], r[3]]).sort()).toEqual([
      ['c1', 120, 1],
      ['c2', 250, 1],
      ['c3', 40, 1],
    ]);

    await engine.execute("ALTER MODEL fraud SET (path = 'models/fraud-mlp.onnx')");
    await engine.execute(`INSERT INTO pay VALUES ('c2', 5), ('c4', 70)`);
    await settled();
    const after = (await rows('SELECT card, total, score, v FROM scored')).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(after.map((r) => [r[0], r[1], r[3]])).toEqual([
      ['c1', 120, 1],
      ['c2', 255, 2],
      ['c3', 40, 1],
      ['c4', 70, 2],
    ]);
    // Rows no update touched keep the score version 1 gave them.
    expect(after[0]![2]).toBe(before.get('c1')![2]);
    expect(after[2]![2]).toBe(before.get('c3')![2]);

    // The GROUP BY over scored's changelog saw each old score retracted exactly: its per-version
    // count and sum equal those of the rows scored holds now, and no retraction missed its group.
    const expected = new Map<number, [number, number]>();
    for (const r of after) {
      const [n, s] = expected.get(r[3] as number) ?? [0, 0];
      expected.set(r[3] as number, [n + 1, s + (r[2] as number)]);
    }
    const groups = (await rows('SELECT v, n, s FROM by_version')).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(groups.map((g) => [g[0], Number(g[1])])).toEqual([...expected].sort((a, b) => a[0] - b[0]).map(([v, [n]]) => [v, n]));
    for (const g of groups) expect(g[2] as number).toBeCloseTo(expected.get(g[0] as number)![1], 5);
    const letters = await rows('SELECT reason FROM by_version_dlq');
    expect(letters).toEqual([]);
  }, 30_000);
});
