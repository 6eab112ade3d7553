/**
 * Long and deep expressions: chains and lists of thousands of parts compile and run; nesting past
 * the documented limit fails with EXPRESSION_TOO_COMPLEX (HTTP 400, a short body), never with a
 * stack overflow reported as INTERNAL.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import type { Engine } from '../../src/engine/engine.js';
import { MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_NODES } from '../../src/parser/limits.js';
import { buildServer } from '../../src/server/app.js';
import { collectRows } from '../sql/collect.js';
import { tempEngine } from './helpers.js';

const nest = (n: number, wrap: (inner: string) => string, base: string): string => {
  let x = base;
  for (let i = 0; i < n; i++) x = wrap(x);
  return x;
};

let engine: Engine;
let cleanup: () => Promise<void>;
let app: FastifyInstance;

beforeAll(async () => {
  ({ engine, cleanup } = await tempEngine());
  app = buildServer(engine);
  await engine.execute('CREATE STREAM d (id INT, a INT, s STRING) WITH (partitions = 1)');
  await engine.execute("INSERT INTO d VALUES (1, 5, 'x'), (2, 799, 'y'), (3, 1000, NULL), (4, NULL, 'z')");
});

afterAll(async () => {
  await app.close();
  await cleanup();
});

async function ids(sql: string): Promise<unknown[]> {
  const { rows } = await collectRows(engine, sql);
  return rows.map((r) => r[0]).sort();
}

async function failure(sql: string): Promise<SluiceError> {
  try {
    await collectRows(engine, sql);
  } catch (err) {
    if (err instanceof SluiceError) return err;
    throw err;
  }
  throw new Error('statement succeeded');
}

describe('long chains and lists', () => {
  it('runs a WHERE of 800 OR-ed comparisons', async () => {
    const ors = Array.from({ length: 800 }, (_, i) => `a = ${i}`).join(' OR ');
    expect(await ids(`SELECT id FROM d WHERE ${ors}`)).toEqual([1, 2]);
  });

  it('runs 800 AND-ed conditions, keeping three-valued logic', async () => {
    const ands = Array.from({ length: 800 }, (_, i) => `a <> ${i + 2000}`).join(' AND ');
    expect(await ids(`SELECT id FROM d WHERE ${ands}`)).toEqual([1, 2, 3]);
    const { rows } = await collectRows(engine, `SELECT id, ${ands} FROM d WHERE id = 4`);
    expect(rows).toEqual([[4, null]]);
  });

  it('runs an IN list of 1000 items, with and without NULL', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => i).join(', ');
    expect(await ids(`SELECT id FROM d WHERE a IN (${items})`)).toEqual([1, 2]);
    expect(await ids(`SELECT id FROM d WHERE a NOT IN (${items})`)).toEqual([3]);
    expect(await ids(`SELECT id FROM d WHERE a NOT IN (${items}, NULL)`)).toEqual([]);
    const exprs = Array.from({ length: 1000 }, (_, i) => `id + ${i}`).join(', ');
    expect(await ids(`SELECT id FROM d WHERE a IN (${exprs})`)).toEqual([1, 2, 3]);
    expect(await ids(`SELECT id FROM d WHERE a NOT IN (${exprs}, NULL)`)).toEqual([]);
  });

  it('runs a CASE of 500 branches and a COALESCE of 500 arguments', async () => {
    const whens = Array.from({ length: 500 }, (_, i) => `WHEN a = ${i * 2 + 1} THEN ${i}`).join(' ');
    const { rows } = await collectRows(engine, `SELECT id, CASE ${whens} ELSE -1 END FROM d`);
    expect(rows.map((r) => r.join(':')).sort()).toEqual(['1:2', '2:399', '3:-1', '4:-1']);
    const args = Array.from({ length: 500 }, () => 'a').join(', ');
    const co = await collectRows(engine, `SELECT id, COALESCE(${args}, 0) FROM d WHERE id = 4`);
    expect(co.rows).toEqual([[4, 0]]);
  });
});

describe('deep nesting', () => {
  it('runs 100 levels of parentheses, calls, CASE and arithmetic', async () => {
    expect(await ids(`SELECT id FROM d WHERE ${nest(100, (x) => `(${x})`, 'a = 5')}`)).toEqual([1]);
    expect(await ids(`SELECT id FROM d WHERE ${nest(100, (x) => `ABS(${x})`, 'a')} = 5`)).toEqual([1]);
    expect(await ids(`SELECT id FROM d WHERE ${nest(100, (x) => `(1 + ${x})`, 'a')} = 105`)).toEqual([1]);
    expect(await ids(`SELECT id FROM d WHERE ${nest(100, (x) => `CASE WHEN a > 0 THEN ${x} END`, 'a')} = 5`)).toEqual([1]);
    expect(await ids(`SELECT id FROM d WHERE ${nest(100, (x) => `NOT (${x})`, 'a = 5')}`)).toEqual([1]);
    expect(await ids(`SELECT id FROM d WHERE ${nest(100, (x) => `COALESCE(${x}, 0)`, 'a')} = 5`)).toEqual([1]);
  });

  it(`runs ${MAX_EXPRESSION_DEPTH} levels of parentheses and refuses one more`, async () => {
    expect(await ids(`SELECT id FROM d WHERE ${nest(MAX_EXPRESSION_DEPTH - 1, (x) => `(${x})`, 'a = 5')}`)).toEqual([1]);
    const err = await failure(`SELECT id FROM d WHERE ${nest(MAX_EXPRESSION_DEPTH + 1, (x) => `(${x})`, 'a = 5')}`);
    expect(err.code).toBe('EXPRESSION_TOO_COMPLEX');
  });

  it('refuses 1000 nested parentheses with a caret at the level past the limit', async () => {
    const sql = `SELECT id FROM d WHERE ${'('.repeat(1000)}a = 1${')'.repeat(1000)}`;
    const err = await failure(sql);
    expect(err.code).toBe('EXPRESSION_TOO_COMPLEX');
    expect(err.message).toBe(`expression nested more than ${MAX_EXPRESSION_DEPTH} levels deep`);
    expect(err.span?.start.offset).toBe('SELECT id FROM d WHERE '.length + MAX_EXPRESSION_DEPTH);
    expect(err.render().length).toBeLessThan(800);
  });

  it('refuses deep NOT, minus, calls and a long arithmetic chain', async () => {
    for (const sql of [
      `SELECT ${nest(1000, (x) => `NOT ${x}`, 'TRUE')} FROM d`,
      `SELECT ${nest(1000, (x) => `- ${x}`, 'a')} FROM d`,
      `SELECT ${nest(1000, (x) => `ABS(${x})`, 'a')} FROM d`,
      `SELECT ${nest(1000, (x) => `CASE WHEN TRUE THEN ${x} END`, 'a')} FROM d`,
      `SELECT ${Array.from({ length: 1000 }, () => 'a').join(' + ')} FROM d`,
      `SELECT ${nest(1000, (x) => `ARRAY[${x}]`, '1')} FROM d`,
    ]) {
      expect((await failure(sql)).code, sql.slice(0, 40)).toBe('EXPRESSION_TOO_COMPLEX');
    }
  });

  it(`refuses an expression of more than ${MAX_EXPRESSION_NODES} parts, not a statement of many small ones`, async () => {
    const items = Array.from({ length: MAX_EXPRESSION_NODES }, (_, i) => i).join(', ');
    const err = await failure(`SELECT id FROM d WHERE a IN (${items})`);
    expect(err.code).toBe('EXPRESSION_TOO_COMPLEX');
    expect(err.message).toBe(`expression has more than ${MAX_EXPRESSION_NODES} parts`);
    expect(err.span?.start.offset).toBe('SELECT id FROM d WHERE '.length);
    const rows = Array.from({ length: 3000 }, (_, i) => `(${i + 100}, ${i} + 1, 'r')`).join(', ');
    await engine.execute(`CREATE STREAM wide (id INT, a INT, s STRING) WITH (partitions = 1)`);
    await engine.execute(`INSERT INTO wide VALUES ${rows}`);
    expect((await collectRows(engine, 'SELECT id FROM wide WHERE a = 3000')).rows).toEqual([[3099]]);
  });

  it('refuses an IN list of 150,000 values (a megabyte of SQL) before parsing it, within a second', async () => {
    const items = Array.from({ length: 150_000 }, (_, i) => i).join(',');
    const t0 = performance.now();
    const err = await failure(`SELECT id FROM d WHERE a IN (${items})`);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(err.code).toBe('EXPRESSION_TOO_COMPLEX');
    expect(err.message).toBe(`expression has more than ${MAX_EXPRESSION_NODES} parts`);
    expect(err.span?.start.offset).toBe('SELECT id FROM d WHERE a IN '.length);
    // A VALUES list of as many rows is not an expression: it is not held to the limit.
    const rows = Array.from({ length: MAX_EXPRESSION_NODES + 5 }, (_, i) => `(${i})`).join(',');
    expect((await collectRows(engine, `SELECT COUNT(*) FROM (VALUES ${rows}) t(x)`)).rows).toEqual([[BigInt(MAX_EXPRESSION_NODES + 5)]]);
  });
});

describe('over HTTP', () => {
  it('answers 1000 nested parentheses with 400 and a small JSON body', async () => {
    const sql = `CREATE MATERIALIZED VIEW deep AS SELECT id FROM d WHERE ${'('.repeat(1000)}a = 1${')'.repeat(1000)}`;
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql } });
    expect(res.statusCode).toBe(400);
    expect(res.body.length).toBeLessThan(600);
    const body = res.json() as { error: { code: string; position: { column: number }; hint: string } };
    expect(body.error.code).toBe('EXPRESSION_TOO_COMPLEX');
    expect(body.error.position.column).toBe(sql.indexOf('(') + MAX_EXPRESSION_DEPTH + 1);
    expect(body.error.hint).toContain('flatten');
  });

  it('accepts a view whose WHERE has 800 OR-ed terms', async () => {
    const ors = Array.from({ length: 800 }, (_, i) => `a = ${i}`).join(' OR ');
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: `CREATE MATERIALIZED VIEW many_ors AS SELECT id, a FROM d WHERE ${ors}` } });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  });
});
