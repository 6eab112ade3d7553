import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNexmarkIntoDuckDB } from './load-nexmark-duckdb.js';

const QUERY_DIR = fileURLToPath(new URL('../../queries/nexmark/', import.meta.url));
const QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8'] as const;
/** An oracle query as a subquery, without its trailing semicolon. */
const oracle = (q: string): string => `(${readFileSync(`${QUERY_DIR}duckdb/${q}.sql`, 'utf8').trim().replace(/;$/, '')})`;

describe('Nexmark queries on DuckDB over 50k generated events', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    const counts = await loadNexmarkIntoDuckDB(conn, 0, 50_000);
    expect(counts).toEqual({ person: 1000, auction: 3000, bid: 46_000 });
  }, 60_000);

  afterAll(() => {
    conn.closeSync();
    instance.closeSync();
  });

  for (const q of QUERIES) {
    it(`${q} runs and returns rows`, async () => {
      const sql = readFileSync(`${QUERY_DIR}duckdb/${q}.sql`, 'utf8');
      const reader = await conn.runAndReadAll(sql);
      expect(reader.currentRowCount).toBeGreaterThan(0);
    });

    it(`${q} has a streaming counterpart that says what it computes`, () => {
      const sql = readFileSync(`${QUERY_DIR}${q}.sql`, 'utf8');
      expect(sql.startsWith('-- Nexmark')).toBe(true);
    });
  }

  it('q0 and q1 return every bid; q2 only auctions divisible by 123', async () => {
    const n0 = (await conn.runAndReadAll(readFileSync(`${QUERY_DIR}duckdb/q0.sql`, 'utf8'))).currentRowCount;
    expect(n0).toBe(46_000);
    const q2 = await conn.runAndReadAll(readFileSync(`${QUERY_DIR}duckdb/q2.sql`, 'utf8'));
    for (const row of q2.getRowObjectsJS()) expect(Number(row.auction) % 123).toBe(0);
  });

  it('q3 equals the unbounded join at the default rate', async () => {
    const bounded = await conn.runAndReadAll(`SELECT * FROM ${oracle('q3')} ORDER BY id`);
    const unbounded = await conn.runAndReadAll(
      `SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id
       WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA') ORDER BY A.id`,
    );
    expect(bounded.currentRowCount).toBeGreaterThan(10);
    expect(bounded.getRowsJS()).toEqual(unbounded.getRowsJS());
  });

  it('q5, q7 and q8 find hot auctions, top bids and new sellers', async () => {
    const q5 = await conn.runAndReadAll(`SELECT auction, num FROM ${oracle('q5')}`);
    for (const [auction, num] of q5.getRowsJS()) {
      expect(Number(auction) % 2).toBe(0);
      expect(Number(num)).toBeGreaterThan(1);
    }
    const q7 = await conn.runAndReadAll(`SELECT max(price) = (SELECT max(price) FROM bid) FROM ${oracle('q7')}`);
    expect(q7.getRowsJS()[0]?.[0]).toBe(true);
    const q8 = await conn.runAndReadAll(`SELECT COUNT(DISTINCT id) FROM ${oracle('q8')}`);
    expect(Number(q8.getRowsJS()[0]?.[0])).toBeGreaterThan(100);
  });

  it('q4 equals the standard join bounded only by expiry', async () => {
    const q4 = await conn.runAndReadAll(`SELECT * FROM ${oracle('q4')} ORDER BY 1`);
    const std = await conn.runAndReadAll(
      `SELECT category, AVG(final) AS avg_final FROM (
         SELECT A.id, A.category, MAX(B.price) AS final FROM auction A JOIN bid B
         ON A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires GROUP BY A.id, A.category)
       GROUP BY category ORDER BY 1`,
    );
    expect(q4.getRowsJS()).toEqual(std.getRowsJS());
  });
});
