/**
 * A view WITH (key = ...) over an append-only query keeps the latest row per key; what reads the
 * view (a query, another view, a sink) sees it as a changelog of that latest row, so it counts
 * and sums what the view holds, as DuckDB does on the latest row per key of the same rows.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { collectRows } from '../sql/collect.js';
import { take, tempEngine } from './helpers.js';

/** Input rows in arrival order: (k, v). */
const ROWS: readonly (readonly [string, number])[] = [
  ['a', 1],
  ['a', 2],
  ['b', 5],
  ['c', 7],
  ['b', 4],
  ['a', 9],
  ['d', 3],
];

const values = (rows: readonly (readonly [string, number])[]): string => rows.map(([k, v]) => `('${k}', ${v})`).join(', ');

/** DuckDB on the latest row per key of the same rows (seq gives the arrival order). */
async function duckLatest(query: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`CREATE TABLE ev (seq INTEGER, k VARCHAR, v INTEGER); INSERT INTO ev VALUES ${ROWS.map(([k, v], i) => `(${i}, '${k}', ${v})`).join(', ')};`);
    await conn.run('CREATE VIEW latest AS SELECT k, v FROM ev QUALIFY row_number() OVER (PARTITION BY k ORDER BY seq DESC) = 1');
    return (await conn.runAndReadAll(query)).getRowsJS().map((r) => r.map((x) => (typeof x === 'bigint' ? Number(x) : x)));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const numbers = (rows: readonly (readonly unknown[])[]): unknown[][] => rows.map((r) => r.map((x) => (typeof x === 'bigint' ? Number(x) : x)));

describe('a keyed view over an append-only stream', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
    await engine.execute("CREATE STREAM ev (k STRING, v INT) WITH (partitions = 1); CREATE MATERIALIZED VIEW latest WITH (key = 'k') AS SELECT k, v FROM ev;");
  });
  afterEach(async () => cleanup());

  it('holds the latest row per key, and a query reading it counts those rows, not every input row', async () => {
    await engine.execute("INSERT INTO ev VALUES ('a', 1), ('a', 2), ('b', 5)");
    await engine.checkpointAll();
    expect(numbers((await engine.viewScan('latest')).map((r) => [r['k'], r['v']])).sort()).toEqual([
      ['a', 2],
      ['b', 5],
    ]);
    expect(numbers((await collectRows(engine, 'SELECT COUNT(*) AS n, SUM(v) AS s FROM latest')).rows)).toEqual([[2, 7]]);
  });

  it('feeds views and queries over it as DuckDB computes them on the latest row per key', async () => {
    await engine.execute('CREATE MATERIALIZED VIEW totals AS SELECT COUNT(*) AS n, SUM(v) AS s, MAX(v) AS hi FROM latest');
    await engine.execute('CREATE MATERIALIZED VIEW by_v AS SELECT v, COUNT(*) AS n FROM latest GROUP BY v');
    // Two inserts, so that a key is replaced both within one batch and across batches.
    await engine.execute(`INSERT INTO ev VALUES ${values(ROWS.slice(0, 4))}`);
    await engine.checkpointAll();
    await engine.execute(`INSERT INTO ev VALUES ${values(ROWS.slice(4))}`);
    await engine.checkpointAll();
    await engine.checkpointAll();

    const contents = numbers((await engine.viewScan('latest')).map((r) => [r['k'], r['v']])).sort();
    expect(contents).toEqual(await duckLatest('SELECT k, v FROM latest ORDER BY k'));
    const totals = numbers((await engine.viewScan('totals')).map((r) => [r['n'], r['s'], r['hi']]));
    expect(totals).toEqual(await duckLatest('SELECT COUNT(*), SUM(v), MAX(v) FROM latest'));
    const byV = numbers((await engine.viewScan('by_v')).map((r) => [r['v'], r['n']])).sort((x, y) => Number(x[0]) - Number(y[0]));
    expect(byV).toEqual(await duckLatest('SELECT v, COUNT(*) FROM latest GROUP BY v ORDER BY v'));
    expect(numbers((await collectRows(engine, 'SELECT k, v FROM latest WHERE v > 3')).rows).sort()).toEqual(await duckLatest('SELECT k, v FROM latest WHERE v > 3 ORDER BY k'));
  });

  it('streams each replaced row as an update of the row it replaces', async () => {
    // Read through a subquery: a push query over the view's changes, not a pull of its rows.
    const [res] = await engine.execute('SELECT k, v FROM (SELECT k, v FROM latest)');
    await new Promise((r) => setTimeout(r, 100));
    await engine.execute("INSERT INTO ev VALUES ('a', 1), ('b', 5), ('a', 2)");
    const rows = (await take(res, 4)).map((r) => [r.op, ...numbers([r.values])[0]!]);
    expect(rows).toEqual([
      ['+I', 'a', 1],
      ['+I', 'b', 5],
      ['-U', 'a', 1],
      ['+U', 'a', 2],
    ]);
  });

  it("reads as inserts when its key holds the query's own key, as a window aggregate's groups", async () => {
    await engine.execute("CREATE STREAM tx (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1)");
    const windowed = "SELECT window_start, k, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE tx, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, k";
    await engine.execute(`CREATE MATERIALIZED VIEW per_window WITH (key = 'window_start,k') AS ${windowed}`);
    await engine.execute(`CREATE MATERIALIZED VIEW last_window WITH (key = 'k') AS ${windowed}`);
    expect(engine.catalog.relation('per_window')).not.toHaveProperty('changes');
    expect(engine.catalog.relation('last_window')).toMatchObject({ changes: 'upsert', key: ['k'] });
    expect(engine.catalog.relation('latest')).toMatchObject({ changes: 'upsert', key: ['k'] });
  });
});
