/**
 * Requests against the real engine behind the HTTP API: a request is planned whole before any
 * of it runs, a run-time failure reports what ran before it, NUL never cuts SQL short, and view
 * keys keep NULL apart from the string '\u0000'.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { buildServer } from '../../src/server/app.js';
import { tempEngine } from '../engine/helpers.js';

let engine: Engine;
let cleanup: () => Promise<void>;
let app: FastifyInstance;

beforeAll(async () => {
  ({ engine, cleanup } = await tempEngine(50));
  app = buildServer(engine, { limits: { maxStatements: 5 } });
});
afterAll(async () => {
  await app.close();
  await cleanup();
});

interface Answer {
  status: number;
  body: { results?: unknown[]; error?: { code: string; message: string; position?: { line: number; column: number; offset: number }; hint?: string } };
}

async function post(url: string, sql: string): Promise<Answer> {
  const res = await app.inject({ method: 'POST', url, payload: { sql } });
  return { status: res.statusCode, body: res.json() as Answer['body'] };
}

function relations(): string[] {
  return engine.catalog.listRelations().map((r) => r.name).sort();
}

async function settle(): Promise<void> {
  const until = Date.now() + 10_000;
  while (engine.queries().some((q) => q.kind !== 'push' && q.status === 'running' && (q.lag ?? 0) > 0) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await engine.checkpointAll();
}

describe('POST /v1/sql plans every statement before running any', () => {
  it('changes nothing when a later statement does not bind', async () => {
    const before = relations();
    const sql = 'CREATE STREAM a (x INT);\nCREATE STREAM b (y INT);\nSELECT nosuch FROM a;\nCREATE STREAM c (z INT)';
    const { status, body } = await post('/v1/sql', sql);
    expect(status).toBe(400);
    expect(body.error?.code).toBe('UNKNOWN_COLUMN');
    expect(body.error?.position).toEqual({ line: 3, column: 8, offset: sql.indexOf('nosuch') });
    expect(body.results).toBeUndefined();
    expect(relations()).toEqual(before);
  });

  it('plans a statement against the objects earlier statements of the request create', async () => {
    const { status, body } = await post(
      '/v1/sql',
      "CREATE STREAM t1 (k STRING, v INT) WITH (key = 'k', partitions = 1);" +
        'CREATE MATERIALIZED VIEW t1_sum AS SELECT k, SUM(v) AS total FROM t1 GROUP BY k;' +
        "INSERT INTO t1 VALUES ('x', 1), ('x', 2);" +
        'EXPLAIN SELECT k FROM t1_sum',
    );
    expect(status).toBe(200);
    expect((body.results ?? []).map((r) => (r as { kind: string }).kind)).toEqual(['ok', 'ok', 'ok', 'explain']);
    await settle();
    const row = await engine.viewRow('t1_sum', 'x');
    expect(Number(row?.['total'])).toBe(3);
  });

  it('plans against a dropped and re-created object as it will be', async () => {
    await post('/v1/sql', 'CREATE STREAM t2 (old_col INT)');
    const { status } = await post('/v1/sql', 'DROP STREAM t2; CREATE STREAM t2 (new_col STRING); INSERT INTO t2 (new_col) VALUES (\'n\')');
    expect(status).toBe(200);
    const refused = await post('/v1/sql', 'DROP STREAM t2; CREATE STREAM t2 (other INT); INSERT INTO t2 (new_col) VALUES (1)');
    expect(refused.body.error?.code).toBe('UNKNOWN_COLUMN');
    expect(engine.catalog.relation('t2').schema.map((f) => f.name)).toEqual(['new_col']);
  });

  it('checks connector options when planning, so a bad one changes nothing', async () => {
    for (const bad of ["WITH (connector = 'kafka', topic = 't', 'bootstrap.servers' = 'k:9092', format = 'avro')", "WITH (retention = 'forever')", 'WITH (partitions = 0)']) {
      const { status } = await post('/v1/sql', `CREATE STREAM opt_ok (x INT); CREATE STREAM opt_bad (x INT) ${bad}`);
      expect(status).toBe(400);
      expect(relations()).not.toContain('opt_ok');
    }
  });

  it('converts INSERT values when planning, so a bad value changes nothing', async () => {
    const { status, body } = await post('/v1/sql', "CREATE STREAM t3 (x INT); INSERT INTO t3 VALUES ('not a number')");
    expect(status).toBe(400);
    expect(body.error?.code).toBe('TYPE_MISMATCH');
    expect(body.results).toBeUndefined();
    expect(relations()).not.toContain('t3');
  });

  it('answers the results of the statements that ran before a run-time failure, then the error', async () => {
    // Whether a view still reads t1 is known only when the DROP runs.
    const { status, body } = await post('/v1/sql', 'CREATE STREAM t4 (x INT); DROP STREAM t1; CREATE STREAM t5 (y INT)');
    expect(status).toBe(409);
    expect(body.error?.code).toBe('IN_USE');
    expect(body.results).toEqual([{ kind: 'ok', statement: 'CREATE STREAM t4 (x INT)', message: 'stream t4 created' }]);
    expect(relations()).toContain('t4');
    expect(relations()).toContain('t1');
    expect(relations()).not.toContain('t5');
  });

  it('refuses a push query together with DDL before running either', async () => {
    const { status, body } = await post('/v1/sql', 'CREATE STREAM t6 (x INT); SELECT x FROM t6');
    expect(status).toBe(400);
    expect(body.error?.hint).toContain('POST /v1/query');
    expect(relations()).not.toContain('t6');
  });

  it('refuses more statements than the limit, pointing at the first one too many', async () => {
    const sql = Array.from({ length: 6 }, (_, i) => `CREATE STREAM many_${i} (x INT)`).join(';\n');
    const { status, body } = await post('/v1/sql', sql);
    expect(status).toBe(400);
    expect(body.error?.code).toBe('LIMIT_EXCEEDED');
    expect(body.error?.position?.line).toBe(6);
    expect(body.error?.hint).toContain('--max-statements');
    expect(relations().filter((r) => r.startsWith('many_'))).toEqual([]);
  });

  it('refuses a HOP window with too many windows per row with a caret', async () => {
    await post('/v1/sql', "CREATE STREAM hop_in (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)");
    const sql = "SELECT window_start, COUNT(*) FROM TABLE(HOP(TABLE hop_in, DESCRIPTOR(ts), INTERVAL '1' MILLISECOND, INTERVAL '600' SECOND)) GROUP BY window_start, window_end";
    const res = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql } });
    expect(res.statusCode).toBe(400);
    const body = res.json() as Answer['body'];
    expect(body.error?.code).toBe('LIMIT_EXCEEDED');
    expect(body.error?.position?.column).toBe(sql.indexOf('TABLE(HOP(') + 1);
    expect(engine.queries().filter((q) => q.kind === 'push' && q.status === 'running')).toEqual([]);
  });
});

describe('POST /v1/query', () => {
  it('refuses DDL before running anything', async () => {
    const { status, body } = await post('/v1/query', 'CREATE STREAM t7 (x INT); SELECT x FROM t7');
    expect(status).toBe(400);
    expect(body.error?.hint).toContain('POST /v1/sql');
    expect(relations()).not.toContain('t7');
  });
});

describe('NUL in SQL text', () => {
  it('is refused with its position instead of ending the request there', async () => {
    const sql = 'CREATE STREAM nul_a (x INT);\u0000 CREATE STREAM nul_b (x INT)';
    const { status, body } = await post('/v1/sql', sql);
    expect(status).toBe(400);
    expect(body.error?.code).toBe('SYNTAX_ERROR');
    expect(body.error?.message).toContain('NUL');
    expect(body.error?.position?.offset).toBe(sql.indexOf('\u0000'));
    expect(relations()).not.toContain('nul_a');
  });

  it('is refused inside a string literal too', async () => {
    const { body } = await post('/v1/sql', "CREATE STREAM nul_c (x STRING); INSERT INTO nul_c VALUES ('a\u0000b')");
    expect(body.error?.code).toBe('SYNTAX_ERROR');
    expect(relations()).not.toContain('nul_c');
  });
});

describe('view keys', () => {
  const longKey = 'k'.repeat(5000);

  beforeAll(async () => {
    const { status } = await post(
      '/v1/sql',
      "CREATE STREAM kv_in (k STRING, v INT) WITH (partitions = 1); CREATE MATERIALIZED VIEW kv AS SELECT k, SUM(v) AS total FROM kv_in GROUP BY k;" +
        `INSERT INTO kv_in VALUES (NULL, 1), ('a', 2), ('${longKey}', 3)`,
    );
    expect(status).toBe(200);
    await settle();
  });

  it("does not answer the NULL key's row for the string '\\u0000'", async () => {
    const res = await app.inject({ url: '/v1/views/kv/keys/%00' });
    expect(res.statusCode).toBe(404);
    expect((res.json() as Answer['body']).error?.code).toBe('NOT_FOUND');
  });

  it('finds the NULL key through the lookup route', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/views/kv/lookup', payload: { key: null } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ view: 'kv', key: null, row: { k: null, total: 1 } });
  });

  it('fetches a key of thousands of characters by URL and by lookup', async () => {
    const byUrl = await app.inject({ url: `/v1/views/kv/keys/${longKey}` });
    expect(byUrl.statusCode).toBe(200);
    expect((byUrl.json() as { row: { total: number } }).row.total).toBe(3);
    const byBody = await app.inject({ method: 'POST', url: '/v1/views/kv/lookup', payload: { key: longKey } });
    expect((byBody.json() as { row: { total: number } }).row.total).toBe(3);
  });
});
