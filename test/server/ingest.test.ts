/** POST /v1/streams/:name/rows: rows in over HTTP, decoded with the stream's schema. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { Engine } from '../../src/engine/engine.js';
import { ingestRows } from '../../src/engine/ingest.js';
import { buildServer } from '../../src/server/app.js';
import { tempEngine, take } from '../engine/helpers.js';
import { createFakeEngine } from './fake-engine.js';

const NDJSON = { 'content-type': 'application/x-ndjson' };

describe('POST /v1/streams/:name/rows', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
    await engine.execute(`
      CREATE STREAM tx (id STRING NOT NULL, amount DOUBLE, n BIGINT, ts TIMESTAMP(3)) WITH (partitions = 2, key = 'id');
      CREATE TABLE cards (id STRING PRIMARY KEY, owner STRING);
      CREATE MATERIALIZED VIEW totals AS SELECT id, COUNT(*) AS c, SUM(amount) AS s, MAX(n) AS n, MAX(ts) AS ts FROM tx GROUP BY id;
    `);
  });
  afterEach(async () => cleanup());

  const rowsOf = async (sql: string): Promise<unknown[][]> => {
    await engine.checkpointAll();
    const [r] = await engine.execute(sql);
    if (r?.kind !== 'rows') throw new Error(`expected rows, got ${r?.kind}`);
    return r.rows.map((row) => [...row]);
  };

  it('appends NDJSON rows and answers why each rejected row was refused', async () => {
    const app = buildServer(engine);
    const body = [
      '{"id": "a", "amount": 1.5, "n": 9007199254740993, "ts": "2026-12-02T14:00:00.123Z"}',
      '',
      '{"id": "a", "amount": 2.5, "n": 1, "ts": 1796220000000}',
      '{"id": "b", "amount": "lots"}',
      '{"id": "c", "amount": 1',
      '{"amount": 3}',
    ].join('\n');
    const res = await app.inject({ method: 'POST', url: '/v1/streams/tx/rows', headers: NDJSON, payload: body });
    expect(res.statusCode).toBe(200);
    const answer = res.json() as { stream: string; accepted: number; rejected: { index: number; reason: string }[]; deadLetters: string };
    expect(answer.stream).toBe('tx');
    expect(answer.accepted).toBe(2);
    expect(answer.rejected.map((r) => r.index)).toEqual([2, 3, 4]);
    expect(answer.rejected[0]!.reason).toMatch(/amount: expected DOUBLE/);
    expect(answer.rejected[1]!.reason).toMatch(/not valid JSON/);
    expect(answer.rejected[2]!.reason).toMatch(/id: missing or NULL in a NOT NULL column/);
    expect(answer.deadLetters).toBe('tx_dlq');

    // BIGINT kept exact, ISO text and epoch milliseconds both read as TIMESTAMP.
    expect(await rowsOf('SELECT id, c, s, n, ts FROM totals')).toEqual([['a', 2n, 4, 9007199254740993n, Date.parse('2026-12-02T14:00:00.123Z')]]);

    // The rejected rows are in the dead-letter stream with their reasons and text.
    const dead = await take((await engine.execute('SELECT reason, operator, row FROM tx_dlq', { bounded: true }))[0], 3);
    expect(dead.map((r) => r.values[1])).toEqual(['HttpIngest', 'HttpIngest', 'HttpIngest']);
    expect(dead.map((r) => String(r.values[0]))).toEqual(answer.rejected.map((r) => r.reason));
    expect(dead[1]!.values[2]).toBe('{"id": "c", "amount": 1');
    const metrics = await engine.metrics.metrics();
    expect(metrics).toMatch(/sluice_dead_letters_total\{query="tx_ingest"\} 3/);
  });

  it("fills left-out columns with their DEFAULT and sends rows that break a CHECK to the dead letters", async () => {
    await engine.execute(`
      CREATE STREAM pay (id STRING NOT NULL, amount DOUBLE CHECK (amount >= 0), currency STRING DEFAULT 'EUR', fee DOUBLE DEFAULT 0.5, CONSTRAINT fee_below CHECK (fee < amount)) WITH (partitions = 1);
      CREATE MATERIALIZED VIEW pays AS SELECT id, amount, currency, fee FROM pay;
    `);
    const app = buildServer(engine);
    const body = [
      '{"id": "a", "amount": 10}',
      '{"id": "b", "amount": -1}',
      '{"id": "c", "amount": 5, "currency": null, "fee": 1}',
      '{"id": "d", "amount": 0.25}',
      '{"id": "e", "amount": null, "fee": null}',
      '{"id": "f", "amount": "x"}',
      '{"id": "g", "amount": 1, "fee": 2}',
    ].join('\n');
    const res = await app.inject({ method: 'POST', url: '/v1/streams/pay/rows', headers: NDJSON, payload: body });
    expect(res.statusCode).toBe(200);
    const answer = res.json() as { accepted: number; rejected: { index: number; reason: string }[]; deadLetters: string };
    expect(answer.accepted).toBe(3);
    // In the order of the request, whatever refused them: a CHECK, or the type.
    expect(answer.rejected).toEqual([
      { index: 1, reason: 'the row breaks CHECK (amount >= 0) of pay' },
      { index: 3, reason: 'the row breaks CHECK fee_below (fee < amount) of pay' },
      { index: 5, reason: expect.stringMatching(/amount: expected DOUBLE/) },
      { index: 6, reason: 'the row breaks CHECK fee_below (fee < amount) of pay' },
    ]);
    // A NULL passes a CHECK, as in SQL; a column given as null stays NULL, one left out takes its DEFAULT.
    expect((await rowsOf('SELECT id, amount, currency, fee FROM pays')).sort()).toEqual([
      ['a', 10, 'EUR', 0.5],
      ['c', 5, null, 1],
      ['e', null, 'EUR', null],
    ]);
    const dead = await take((await engine.execute('SELECT reason, row FROM pay_dlq', { bounded: true }))[0], 4);
    expect(dead.map((r) => String(r.values[0]))).toEqual(answer.rejected.map((r) => r.reason));
    expect(dead[0]!.values[1]).toBe('{"id":"b","amount":-1}');
  });

  it('takes a JSON array of rows, keeping BIGINT exact', async () => {
    const app = buildServer(engine);
    const payload = '[{"id": "x", "amount": 1, "n": 9223372036854775807}, {"id": "y", "amount": 2}]';
    const res = await app.inject({ method: 'POST', url: '/v1/streams/tx/rows', headers: { 'content-type': 'application/json' }, payload });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ stream: 'tx', accepted: 2, rejected: [] });
    expect(await rowsOf('SELECT id, n FROM totals')).toEqual(expect.arrayContaining([['x', 9223372036854775807n], ['y', null]]));
  });

  it('rejects a row nested deeper than JSON may be, keeping the others, and refuses such a body', async () => {
    const app = buildServer(engine);
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const body = [`{"id": "deep", "amount": ${deep}}`, '{"id": "big", "n": 1e999}', '{"id": "fine", "amount": 2}'].join('\n');
    const res = await app.inject({ method: 'POST', url: '/v1/streams/tx/rows', headers: NDJSON, payload: body });
    expect(res.statusCode).toBe(200);
    const answer = res.json() as { accepted: number; rejected: { index: number; reason: string }[] };
    expect(answer.accepted).toBe(1);
    expect(answer.rejected).toEqual([
      { index: 0, reason: 'not valid JSON: arrays and objects nested deeper than 1000 levels at position 1024' },
      { index: 1, reason: 'n: expected BIGINT (64-bit integer), got Infinity' },
    ]);
    const dead = await take((await engine.execute('SELECT reason, row FROM tx_dlq', { bounded: true }))[0], 2);
    expect(String(dead[0]!.values[1]).startsWith('{"id": "deep", "amount": [[[')).toBe(true);
    const array = await app.inject({ method: 'POST', url: '/v1/streams/tx/rows', headers: { 'content-type': 'application/json' }, payload: `[{"id": "x", "amount": ${deep}}]` });
    expect(array.statusCode).toBe(400);
    expect(array.json()).toMatchObject({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('nested deeper than 1000 levels') } });
  });

  it('refuses what is not a log stream, bad bodies and other media types', async () => {
    const app = buildServer(engine, { limits: { maxIngestBytes: 1024, maxIngestRows: 3 } });
    const post = (url: string, payload: string, headers: Record<string, string> = NDJSON) => app.inject({ method: 'POST', url, headers, payload });
    const code = (r: { json(): unknown }) => (r.json() as { error: { code: string } }).error.code;

    const unknown = await post('/v1/streams/txx/rows', '{"id": "a"}');
    expect([unknown.statusCode, code(unknown)]).toEqual([404, 'UNKNOWN_RELATION']);
    const table = await post('/v1/streams/cards/rows', '{"id": "a"}');
    expect([table.statusCode, code(table)]).toEqual([400, 'INVALID_ARGUMENT']);
    expect((table.json() as { error: { hint: string } }).error.hint).toMatch(/INSERT INTO/);
    const view = await post('/v1/streams/totals/rows', '{"id": "a"}');
    expect([view.statusCode, code(view)]).toEqual([400, 'INVALID_ARGUMENT']);
    const text = await post('/v1/streams/tx/rows', '{"id": "a"}', { 'content-type': 'text/plain' });
    expect([text.statusCode, code(text)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const notJson = await post('/v1/streams/tx/rows', '[{"id": "a"', { 'content-type': 'application/json' });
    expect([notJson.statusCode, code(notJson)]).toEqual([400, 'BAD_REQUEST']);
    const empty = await post('/v1/streams/tx/rows', '\n\n');
    expect([empty.statusCode, code(empty)]).toEqual([400, 'BAD_REQUEST']);
    const big = await post('/v1/streams/tx/rows', `{"id": "${'a'.repeat(2000)}"}`);
    expect([big.statusCode, code(big)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const many = await post('/v1/streams/tx/rows', '{"id": "a"}\n'.repeat(4));
    expect([many.statusCode, code(many)]).toEqual([400, 'LIMIT_EXCEEDED']);
    // Nothing of the refused requests was stored.
    expect(engine.log.highWatermark('tx', 0) + engine.log.highWatermark('tx', 1)).toBe(0);
    // Other routes still parse JSON as before.
    const sql = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'SHOW STREAMS' } });
    expect(sql.statusCode).toBe(200);
    const ndjsonSql = await post('/v1/sql', '{"sql": "SHOW STREAMS"}');
    expect(ndjsonSql.statusCode).toBe(415);
  });

  it('needs the token like every route', async () => {
    const app = buildServer(engine, { token: 's3cret' });
    const denied = await app.inject({ method: 'POST', url: '/v1/streams/tx/rows', headers: NDJSON, payload: '{"id": "a"}' });
    expect(denied.statusCode).toBe(401);
    const ok = await app.inject({ method: 'POST', url: '/v1/streams/tx/rows', headers: { ...NDJSON, authorization: 'Bearer s3cret' }, payload: '{"id": "a"}' });
    expect(ok.statusCode).toBe(200);
  });

  it('refuses rows while the readers lag more than allowed, storing nothing', async () => {
    const session = { catalog: engine.catalog, log: engine.log, store: engine.store, ensureDlq: (n: string) => engine.ensureDlq(n), readerLag: () => 5, countDeadLetters: () => {} };
    await expect(ingestRows(session, 'tx', [{ value: { id: 'a' }, text: '' }], { maxLag: 4 })).rejects.toMatchObject({ code: 'BACKPRESSURE', message: expect.stringMatching(/5 records behind; the limit is 4/) });
    expect((await ingestRows(session, 'tx', [{ value: { id: 'a' }, text: '' }], { maxLag: 5 })).accepted).toBe(1);
    expect(engine.log.highWatermark('tx', 0) + engine.log.highWatermark('tx', 1)).toBe(1);
  });

  it('answers 429 with Retry-After under back-pressure', async () => {
    const fake = createFakeEngine();
    fake.ingest = async () => {
      throw new SluiceError('BACKPRESSURE', 'behind');
    };
    const res = await buildServer(fake).inject({ method: 'POST', url: '/v1/streams/tx/rows', headers: NDJSON, payload: '{"id": "a"}' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect((res.json() as { error: { code: string } }).error.code).toBe('BACKPRESSURE');
  });
});

describe('dead letters of posted rows', () => {
  it('stay readable after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-ingest-'));
    try {
      let engine = await Engine.open({ dataDir: dir });
      await engine.execute('CREATE STREAM s (x INT)');
      const r = await engine.ingest('s', [{ value: { x: 'one' }, text: '' }]);
      expect(r.rejected).toHaveLength(1);
      await engine.close();
      engine = await Engine.open({ dataDir: dir });
      try {
        const dead = await take((await engine.execute('SELECT reason FROM s_dlq', { bounded: true }))[0], 1);
        expect(String(dead[0]?.values[0])).toMatch(/x: expected INT/);
      } finally {
        await engine.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
