/**
 * A pull query reads a view's rows a batch at a time: the answer is what the whole relation
 * gives, over views of more rows than an answer may hold (maxResultRows), and ORDER BY ...
 * LIMIT over such a view keeps only the rows that can still be in the answer. Expected answers
 * are computed here from the inserted rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { pinnedKeys } from '../../src/engine/pull-keys.js';
import { parseStatements } from '../../src/parser/parse.js';
import { planQuery } from '../../src/planner/plan-query.js';

/** Rows inserted: i in [0, ROWS), key 'k' || (i % KEYS), v = (i * 37) % 1000. */
const ROWS = 12_000;
const KEYS = 5_000;
const MAX_RESULT_ROWS = 2_000;

const rows = Array.from({ length: ROWS }, (_, i) => ({ k: `k${i % KEYS}`, v: (i * 37) % 1000 }));

function groups(): { k: string; n: number; s: number }[] {
  const by = new Map<string, { k: string; n: number; s: number }>();
  for (const { k, v } of rows) {
    const g = by.get(k) ?? { k, n: 0, s: 0 };
    g.n++;
    g.s += v;
    by.set(k, g);
  }
  return [...by.values()];
}

/** Code-point order, as SQL orders strings. */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const plain = (r: readonly unknown[]): unknown[] => r.map((x) => (typeof x === 'bigint' ? Number(x) : x));

describe('pull queries over views larger than an answer', () => {
  let engine: Engine;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-pull-'));
    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50, limits: { maxResultRows: MAX_RESULT_ROWS } });
    await engine.execute(
      'CREATE STREAM ev (k STRING, v INT) WITH (partitions = 1);' +
        ' CREATE MATERIALIZED VIEW agg AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY k;' +
        ' CREATE MATERIALIZED VIEW raw AS SELECT k, v FROM ev;',
    );
    // Several INSERTs (each within maxResultRows): the changelog view holds several stored batches.
    for (let from = 0; from < ROWS; from += 1_000) {
      await engine.execute(`INSERT INTO ev SELECT 'k' || CAST(range % ${KEYS} AS STRING), CAST((range * 37) % 1000 AS INT) FROM range(${from}, ${from + 1_000})`);
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      await engine.checkpointAll();
      const [r] = await engine.execute('SELECT SUM(n) FROM agg');
      if (r?.kind === 'rows' && Number(r.rows[0]?.[0]) === ROWS) break;
      if (Date.now() > deadline) throw new Error('the view did not catch up');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function pull(sql: string): Promise<unknown[][]> {
    const [r] = await engine.execute(sql);
    if (r?.kind !== 'rows') throw new Error(`expected rows, got ${r?.kind}`);
    expect(r.errors).toEqual([]);
    return r.rows.map(plain);
  }

  it('aggregates every row of a view of more rows than an answer may hold', async () => {
    const total = rows.reduce((a, r) => a + r.v, 0);
    expect(await pull('SELECT COUNT(*), SUM(n), SUM(s), MIN(k), MAX(s) FROM agg')).toEqual([
      [KEYS, ROWS, total, 'k0', Math.max(...groups().map((g) => g.s))],
    ]);
    const counts = new Map<number, number>();
    for (const g of groups()) counts.set(g.n, (counts.get(g.n) ?? 0) + 1);
    expect(await pull('SELECT n, COUNT(*) FROM agg GROUP BY n ORDER BY n')).toEqual([...counts].sort((a, b) => a[0] - b[0]));
  });

  it('answers ORDER BY ... LIMIT [OFFSET] over such a view with the first rows of the whole view', async () => {
    const sorted = groups().sort((a, b) => b.s - a.s || byText(a.k, b.k));
    expect(await pull('SELECT k, s FROM agg ORDER BY s DESC, k LIMIT 5')).toEqual(sorted.slice(0, 5).map((g) => [g.k, g.s]));
    expect(await pull('SELECT k, s FROM agg ORDER BY s DESC, k LIMIT 4 OFFSET 1500')).toEqual(sorted.slice(1500, 1504).map((g) => [g.k, g.s]));
    // Ordered by a column it does not return; a LIMIT near the limit on answers.
    const asc = groups().sort((a, b) => a.s - b.s || byText(b.k, a.k));
    expect(await pull(`SELECT k FROM agg ORDER BY s, k DESC LIMIT ${MAX_RESULT_ROWS}`)).toEqual(asc.slice(0, MAX_RESULT_ROWS).map((g) => [g.k]));
    // Ties at the cut: which tied rows come is open, how many and their order value is not.
    const top = await pull('SELECT n FROM agg ORDER BY n DESC LIMIT 7');
    expect(top).toEqual(groups().map((g) => [g.n]).sort((a, b) => b[0]! - a[0]!).slice(0, 7));
  });

  it('answers LIMIT without ORDER BY over such a view with that many of its rows', async () => {
    const byKey = new Map(groups().map((g) => [g.k, g]));
    for (const sql of ['SELECT k, n, s FROM agg LIMIT 7', 'SELECT k, n, s FROM agg WHERE n > 2 LIMIT 5 OFFSET 3', `SELECT k, n, s FROM agg LIMIT ${MAX_RESULT_ROWS}`]) {
      const got = await pull(sql);
      const want = Number(/LIMIT (\d+)/.exec(sql)![1]);
      expect(got).toHaveLength(want);
      expect(new Set(got.map((r) => r[0])).size).toBe(want);
      for (const [k, n, s] of got) {
        expect(byKey.get(k as string)).toEqual({ k, n, s });
        if (sql.includes('n > 2')) expect(n).toBeGreaterThan(2);
      }
    }
    expect(await pull('SELECT k FROM agg LIMIT 0')).toEqual([]);
    const some = await pull('SELECT k, v FROM raw WHERE v >= 990 LIMIT 4');
    expect(some).toHaveLength(4);
    for (const [k, v] of some) expect(rows.some((r) => r.k === k && r.v === v && v >= 990)).toBe(true);
  });

  it('reads a view of a stream (from its changelog) a stored batch at a time', async () => {
    expect(await pull('SELECT COUNT(*), SUM(v) FROM raw')).toEqual([[ROWS, rows.reduce((a, r) => a + r.v, 0)]]);
    const sorted = [...rows].sort((a, b) => b.v - a.v || byText(a.k, b.k));
    expect(await pull('SELECT k, v FROM raw ORDER BY v DESC, k LIMIT 6')).toEqual(sorted.slice(0, 6).map((r) => [r.k, r.v]));
  });

  it('reads the keys a WHERE pins the key column to, and gives what reading every row gives', async () => {
    const byKey = new Map(groups().map((g) => [g.k, g]));
    const row = (k: string) => [k, byKey.get(k)!.n, byKey.get(k)!.s];
    expect(await pull("SELECT k, n, s FROM agg WHERE k = 'k17'")).toEqual([row('k17')]);
    expect(await pull("SELECT k, n, s FROM agg WHERE 'k4999' = k")).toEqual([row('k4999')]);
    expect(await pull("SELECT k, n, s FROM agg WHERE k = 'none'")).toEqual([]);
    expect(await pull("SELECT COUNT(*) FROM agg WHERE k = 'none'")).toEqual([[0]]);
    // IN, with a key absent, one repeated, and another condition ANDed.
    const inList = ['k1', 'k2', 'k3', 'k2', 'missing', 'k4000'];
    const wanted = [...new Set(inList)].filter((k) => byKey.has(k) && byKey.get(k)!.n > 2).sort(byText);
    expect(await pull(`SELECT k, n, s FROM agg WHERE k IN (${inList.map((k) => `'${k}'`).join(', ')}) AND n > 2 ORDER BY k`)).toEqual(wanted.map(row));
    // Conditions that do not pin the key read every row.
    const orRows = groups().filter((g) => g.k === 'k17' || g.s > 2900).sort((a, b) => byText(a.k, b.k));
    expect(await pull("SELECT k, n, s FROM agg WHERE k = 'k17' OR s > 2900 ORDER BY k")).toEqual(orRows.map((g) => [g.k, g.n, g.s]));
    expect(await pull("SELECT k FROM agg WHERE k NOT IN ('k1') AND k < 'k10' ORDER BY k")).toEqual([['k0']]);
    expect(await pull("SELECT k FROM agg WHERE k = 'K17' COLLATE nocase")).toEqual([['k17']]);
  });

  it('pins the key only where the ANDed conditions right above a scan fix it to STRING literals', () => {
    const keysOf = (sql: string): string[][] => {
      const [parsed] = parseStatements(sql);
      if (parsed?.statement.kind !== 'Query') throw new Error('not a query');
      return [...pinnedKeys(planQuery(parsed.statement.query, engine.catalog, { pull: true }).physical, engine.catalog).values()];
    };
    expect(keysOf("SELECT * FROM agg WHERE k = 'a'")).toEqual([['a']]);
    expect(keysOf("SELECT * FROM agg WHERE n > 1 AND k IN ('b', 'a', 'b')")).toEqual([['b', 'a']]);
    expect(keysOf("SELECT COUNT(*) FROM agg WHERE k = 'a' AND k = 'b'")).toEqual([['a']]);
    for (const open of ["SELECT * FROM agg WHERE k = 'a' OR n > 1", "SELECT * FROM agg WHERE k IN ('a', NULL)", "SELECT * FROM agg WHERE k NOT IN ('a')", "SELECT * FROM agg WHERE k > 'a'", "SELECT * FROM agg WHERE k = 'a' COLLATE nocase", 'SELECT * FROM agg WHERE n = 1', "SELECT * FROM raw WHERE k = 'a'"]) {
      expect(keysOf(open), open).toEqual([]);
    }
  });

  it('pins one scan of a table read twice, and not the other', async () => {
    await engine.execute("CREATE TABLE t (id STRING PRIMARY KEY, grp INT, v INT); INSERT INTO t VALUES ('a', 1, 10), ('b', 1, 20), ('c', 2, 30), ('d', 2, 40), ('e', 3, NULL)");
    expect(await pull("SELECT x.id, y.id FROM t AS x JOIN t AS y ON x.grp = y.grp WHERE x.id = 'c' ORDER BY y.id")).toEqual([
      ['c', 'c'],
      ['c', 'd'],
    ]);
    expect(await pull("SELECT id, v FROM t WHERE id IN ('e', 'a', 'z') ORDER BY id")).toEqual([
      ['a', 10],
      ['e', null],
    ]);
    expect(await pull("SELECT SUM(v) FROM t WHERE id = 'b' OR id = 'd'")).toEqual([[60]]);
  });

  it('pins INT and BIGINT keys to integer literals, and leaves other literals to the filter', async () => {
    await engine.execute(
      'CREATE TABLE ti (id INT PRIMARY KEY, v STRING); INSERT INTO ti VALUES (1, \'one\'), (2, \'two\'), (3, \'three\'), (-4, \'minus four\');' +
        ' CREATE TABLE tb (id BIGINT PRIMARY KEY, v STRING); INSERT INTO tb VALUES (9007199254740993, \'big\'), (5, \'five\')',
    );
    expect(await pull('SELECT v FROM ti WHERE id = 3')).toEqual([['three']]);
    expect(await pull('SELECT v FROM ti WHERE id IN (1, 3, 99) ORDER BY v')).toEqual([['one'], ['three']]);
    expect(await pull('SELECT v FROM ti WHERE id = 3.0')).toEqual([['three']]);
    expect(await pull('SELECT v FROM ti WHERE id = -4')).toEqual([['minus four']]);
    expect(await pull("SELECT v FROM ti WHERE id = '2'")).toEqual([['two']]);
    expect(await pull('SELECT v FROM tb WHERE id = 9007199254740993')).toEqual([['big']]);
    expect(await pull('SELECT v FROM tb WHERE id IN (5, 6)')).toEqual([['five']]);
    const [parsed] = parseStatements('SELECT v FROM ti WHERE id IN (1, 3)');
    if (parsed?.statement.kind !== 'Query') throw new Error('not a query');
    expect([...pinnedKeys(planQuery(parsed.statement.query, engine.catalog, { pull: true }).physical, engine.catalog).values()]).toEqual([['1', '3']]);
  });

  it('still refuses an answer of more rows than maxResultRows', async () => {
    await expect(engine.execute('SELECT * FROM agg')).rejects.toThrow(/more than 2,000 rows/);
    await expect(engine.execute(`SELECT k FROM agg ORDER BY k LIMIT ${MAX_RESULT_ROWS + 1}`)).rejects.toThrow(/more than 2,000 rows/);
  });
});
