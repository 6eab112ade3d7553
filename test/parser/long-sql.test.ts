/**
 * Long SQL costs the event loop little: SQL past OFF_THREAD_CHARS is parsed in a worker thread
 * (to the same statements, or the same error), a chain of operators or a CASE of more parts than
 * an expression may have is refused on its tokens, before the grammar runs, and a syntax error
 * deep in a long statement is placed without content assist reading the whole statement.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import type { Engine } from '../../src/engine/engine.js';
import { parseStatements, parseStatementsOffThread } from '../../src/parser/index.js';
import { OFF_THREAD_CHARS } from '../../src/parser/parse-off-thread.js';
import { tempEngine } from '../engine/helpers.js';

async function failure(p: Promise<unknown> | (() => unknown)): Promise<SluiceError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof SluiceError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

/** The longest the event loop went without running a 5 ms timer while `work` ran. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await work().catch(() => undefined);
  } finally {
    clearInterval(timer);
  }
  return Math.max(longest, performance.now() - last);
}

const list = (n: number, item: string, sep: string) => Array(n).fill(item).join(sep);

describe('long SQL', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ engine, cleanup } = await tempEngine());
    // Starts the worker, so the timings below do not count its start.
    await parseStatementsOffThread(`SELECT 1 -- ${'x'.repeat(OFF_THREAD_CHARS)}`);
  });
  afterAll(async () => cleanup());

  it('parses long SQL in a worker to the same statements, or the same error, as in place', async () => {
    const pad = `\n-- ${'x'.repeat(OFF_THREAD_CHARS)}`;
    const scripts = [
      "SELECT a, SUM(b) FILTER (WHERE c > 1.5e3) AS s, [1, 2][1], {'k': DATE '2024-01-01'} FROM t WHERE x IN (1, 2) GROUP BY a ORDER BY s DESC NULLS LAST LIMIT 10",
      "CREATE MATERIALIZED VIEW v AS SELECT card_id, predict('fraud', features) AS score FROM tx JOIN cards ON tx.card_id = cards.id; INSERT INTO t VALUES (9223372036854775807, -1.5, 'x', NULL)",
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT LIST_TRANSFORM([n], x -> x * 2) FROM r',
    ];
    for (const sql of scripts) expect(isDeepStrictEqual(await parseStatementsOffThread(sql + pad), parseStatements(sql + pad))).toBe(true);
    const bad = `SELECT a FORM t${pad}`;
    expect((await failure(parseStatementsOffThread(bad))).render()).toBe((await failure(() => parseStatements(bad))).render());
  });

  it('keeps the event loop free while a long statement parses', async () => {
    const sql = `SELECT ${list(60_000, '1', ', ')} FROM missing_table`;
    const inPlace = await longestStall(async () => parseStatements(sql));
    let err: SluiceError | undefined;
    const stall = await longestStall(async () => {
      err = await failure(engine.execute(sql));
    });
    expect(err?.code).toBe('UNKNOWN_RELATION');
    // What is left on the main thread is taking in the parsed statements.
    expect(stall).toBeLessThan(inPlace / 2);
  });

  it('refuses a chain of operators or a CASE of too many parts before parsing it', async () => {
    for (const sql of [`SELECT ${list(50_000, '1', ' + ')}`, `SELECT 1 WHERE ${list(50_000, 'TRUE', ' AND ')}`, `SELECT ${list(50_000, "'ab'", ' || ')}`, `SELECT CASE ${list(20_000, 'WHEN a THEN 2', ' ')} END FROM t`]) {
      const started = performance.now();
      const err = await failure(() => parseStatements(sql));
      expect(err.code).toBe('EXPRESSION_TOO_COMPLEX');
      expect(err.message).toBe('expression has more than 10000 parts');
      expect(performance.now() - started).toBeLessThan(3000);
    }
    // Two thousand OR-ed comparisons are one expression of some 8,000 parts: it parses.
    expect(parseStatements(`SELECT 1 FROM t WHERE ${list(2000, 'a = 1', ' OR ')}`)).toHaveLength(1);
    // Many short expressions are many expressions: each is counted on its own.
    expect(parseStatements(`SELECT ${list(6000, 'a + 1', ', ')} FROM t`)).toHaveLength(1);
  });

  it('refuses runs of bracket groups as nesting: array types and subscripts', async () => {
    for (const sql of [`SELECT CAST(NULL AS INT${'[]'.repeat(20_000)})`, `SELECT a${'[1]'.repeat(20_000)} FROM t`, `SELECT a${'[1:2]'.repeat(200)} FROM t`]) {
      expect((await failure(() => parseStatements(sql))).message).toBe('expression nested more than 128 levels deep');
      expect((await failure(parseStatementsOffThread(sql))).code).toBe('EXPRESSION_TOO_COMPLEX');
    }
    const [fine] = await engine.execute(`SELECT CAST([[[7]]] AS INT${'[]'.repeat(3)})[1][1][1] AS x, CAST(NULL AS INT${'[]'.repeat(100)}) IS NULL AS y`);
    expect(fine?.kind === 'rows' && fine.rows).toEqual([[7, true]]);
    // The worker still parses long SQL.
    expect(await parseStatementsOffThread(`SELECT 1 -- ${'x'.repeat(OFF_THREAD_CHARS)}`)).toHaveLength(1);
  });

  it('places a syntax error deep in a long statement at once, with its caret', async () => {
    const started = performance.now();
    const err = await failure(() => parseStatements(`SELECT ${list(20_000, 'a + 1', ', ')} FROM WHERE`));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err.code).toBe('SYNTAX_ERROR');
    expect(err.message).toBe("unexpected 'WHERE'");
    expect(err.hint).toContain('the statement is too long');
    expect(err.render()).toMatch(/FROM WHERE\n\s+\^\^\^\^\^/);
    const comma = await failure(() => parseStatements(`SELECT ${list(20_000, 'a', ', ')}, FROM t`));
    expect(comma.message).toBe("unexpected 'FROM'");
    expect(comma.hint).toContain("remove the trailing ','");
  });
});
