/**
 * Nexmark q0–q8 on Sluice over finite `connector = 'nexmark'` streams, compared as multisets with
 * the DuckDB oracles in queries/nexmark/duckdb run over the same generated events. Doubles are
 * compared to 6 significant digits.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nexmarkConfig, nexmarkDdl } from '../../src/connectors/nexmark.js';
import { Engine } from '../../src/engine/engine.js';
import { loadNexmarkIntoDuckDB } from '../generators/load-nexmark-duckdb.js';
import { collectRows } from '../sql/collect.js';
import { formatRow } from '../sql/format-value.js';

const EVENTS = 20_000;
/** 1,000 events per second: 20 seconds of event time, so 10-second windows close several times. */
const RATE = 1_000;
const QUERY_DIR = fileURLToPath(new URL('../../queries/nexmark/', import.meta.url));
const QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8'] as const;

const read = (path: string): string => readFileSync(path, 'utf8').trim().replace(/;$/, '');

/** Rendered rows, sorted, with a count of each distinct row so differences read as a multiset. */
function multiset(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

function difference(a: Map<string, number>, b: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [k, n] of a) {
    const d = n - (b.get(k) ?? 0);
    if (d > 0) out.push(`${d}x ${k}`);
  }
  return out.sort().slice(0, 10);
}

describe(`Nexmark on Sluice vs DuckDB over ${EVENTS} events`, () => {
  let dir: string;
  let engine: Engine;
  let duck: DuckDBInstance;
  let conn: DuckDBConnection;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-nexmark-'));
    engine = await Engine.open({ dataDir: dir });
    await engine.execute(Object.values(nexmarkDdl({ maxEvents: EVENTS, config: { eventsPerSecond: RATE } })).join('\n'));
    duck = await DuckDBInstance.create(':memory:');
    conn = await duck.connect();
    await loadNexmarkIntoDuckDB(conn, 0, EVENTS, nexmarkConfig({ eventsPerSecond: RATE }));
  });

  afterAll(async () => {
    await engine?.close();
    conn?.closeSync();
    duck?.closeSync();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const q of QUERIES) {
    it(`${q} equals the DuckDB oracle`, async () => {
      const got = await collectRows(engine, read(`${QUERY_DIR}${q}.sql`));
      const types = got.columns.map((c) => c.type);
      const actual = got.rows.map((r) => formatRow(r, types, 6));
      const reader = await conn.runAndReadAll(read(`${QUERY_DIR}duckdb/${q}.sql`));
      const duckTypes = reader.columnTypes().map((t) => t.toString());
      const expected = (reader.getRowsJS() as unknown[][]).map((r) => formatRow(r, duckTypes, 6));
      expect(expected.length).toBeGreaterThan(0);
      const a = multiset(actual);
      const e = multiset(expected);
      const report = { rows: actual.length, expectedRows: expected.length, extra: difference(a, e), missing: difference(e, a) };
      expect(report).toEqual({ rows: expected.length, expectedRows: expected.length, extra: [], missing: [] });
    });
  }
});
