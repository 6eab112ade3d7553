/**
 * Stream kinds: one computation for logical and physical plans, which agree at the root; what a
 * query's result is (updating or not, its key) follows from it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { parseStatements } from '../../src/parser/index.js';
import { planQuery } from '../../src/planner/plan-query.js';
import { logicalStreamKind, physicalStreamKind, streamKindText } from '../../src/planner/stream-kind.js';
import { tempEngine } from '../engine/helpers.js';

let engine: Engine;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ engine, cleanup } = await tempEngine());
  await engine.execute(`
    CREATE STREAM s (g STRING, h STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
    CREATE TABLE labels (g STRING PRIMARY KEY, label STRING);
    CREATE MATERIALIZED VIEW totals AS SELECT g, SUM(v) AS t FROM s GROUP BY g;
    CREATE MATERIALIZED VIEW totals_only AS SELECT t FROM totals;
    CREATE MATERIALIZED VIEW rows_only AS SELECT g, v FROM s;
  `);
});
afterAll(async () => cleanup());

function plan(sql: string) {
  const stmt = parseStatements(sql)[0]?.statement;
  if (stmt?.kind !== 'Query') throw new Error('expected a query');
  const q = planQuery(stmt.query, engine.catalog);
  const kind = streamKindText(physicalStreamKind(q.physical), q.fields);
  // The logical plan (before the physical rewrites) says the same at the root.
  expect(streamKindText(logicalStreamKind(q.logical), q.fields)).toBe(kind);
  return { kind, updating: q.updating, key: q.keyColumns.map((k) => q.fields[k]!.name) };
}

describe('stream kinds of queries', () => {
  it.each([
    ['SELECT g, v FROM s WHERE v > 1', 'append-only', false, []],
    ['SELECT g, COUNT(*) AS n FROM s GROUP BY g', 'upsert(g)', true, ['g']],
    ['SELECT COUNT(*) AS n, g FROM s GROUP BY g HAVING COUNT(*) > 1', 'upsert(g)', true, ['g']],
    ['SELECT n FROM (SELECT g, COUNT(*) AS n FROM s GROUP BY g)', 'retracting', true, []],
    ['SELECT g, t * 2 AS t2 FROM totals WHERE t > 1', 'upsert(g)', true, ['g']],
    // A view's updates join the table's changelog (a hash join), which takes rows back and adds them.
    ['SELECT totals.g, t, label FROM totals JOIN labels', 'retracting', true, []],
    ['SELECT t FROM totals_only', 'retracting', true, []],
    ['SELECT g, v FROM rows_only', 'append-only', false, []],
    ['SELECT t, COUNT(*) AS n FROM totals GROUP BY t', 'upsert(t)', true, ['t']],
    ["SELECT window_start, g, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end, g", 'append-only', false, ['window_start', 'g']],
  ])('%s is %s', (sql, kind, updating, key) => {
    expect(plan(sql)).toEqual({ kind, updating, key });
  });
});
