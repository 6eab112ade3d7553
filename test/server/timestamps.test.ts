/** TIMESTAMP values are ISO-8601 text in every HTTP answer unless a request asks for epoch milliseconds. */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTypeText } from '../../src/common/type-text.js';
import type { Engine } from '../../src/engine/engine.js';
import { buildServer } from '../../src/server/app.js';
import { streamRows } from '../../src/server/push-stream.js';
import { renderTable } from '../../src/shell/render.js';
import { tempEngine } from '../engine/helpers.js';
import { collectRows } from '../sql/collect.js';

const T1 = Date.parse('2026-12-02T14:00:00.123Z');
const T2 = Date.parse('2026-12-02T14:00:00Z');

describe('TIMESTAMP values over HTTP', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
    await engine.execute(`
      CREATE TABLE t (k STRING PRIMARY KEY, ts TIMESTAMP(3), a ARRAY<TIMESTAMP(3)>, s STRUCT<x INT, at TIMESTAMP(3)>);
      INSERT INTO t VALUES ('a', TIMESTAMP '2026-12-02 14:00:00.123', '[${T2}]', '{"x": 1, "at": "2026-12-02T14:00:00Z"}');
      INSERT INTO t VALUES ('b', ${T2}, NULL, NULL);
      INSERT INTO t VALUES ('c', '2026-12-02T15:00:00.123+01:00', NULL, NULL);
      CREATE STREAM ev (id STRING, ts TIMESTAMP(3)) WITH (partitions = 1);
      INSERT INTO ev VALUES ('e1', '2026-12-02T14:00:00.123Z');
    `);
  });
  afterEach(async () => cleanup());

  const ISO_ROWS = [
    ['a', '2026-12-02T14:00:00.123Z', ['2026-12-02T14:00:00.000Z'], { x: 1, at: '2026-12-02T14:00:00.000Z' }],
    ['b', '2026-12-02T14:00:00.000Z', null, null],
    ['c', '2026-12-02T14:00:00.123Z', null, null],
  ];
  const EPOCH_ROWS = [
    ['a', T1, [T2], { x: 1, at: T2 }],
    ['b', T2, null, null],
    ['c', T1, null, null],
  ];

  it('writes ISO-8601 text in /v1/sql by default and epoch milliseconds on request (INSERT took both forms)', async () => {
    const app = buildServer(engine);
    const rows = async (payload: Record<string, unknown>, url = '/v1/sql') => {
      const res = await app.inject({ method: 'POST', url, payload });
      expect(res.statusCode).toBe(200);
      return (res.json() as { results: { rows: unknown[][] }[] }).results[0]!.rows;
    };
    expect(await rows({ sql: 'SELECT * FROM t' })).toEqual(ISO_ROWS);
    expect(await rows({ sql: 'SELECT * FROM t', timestamps: 'iso' })).toEqual(ISO_ROWS);
    expect(await rows({ sql: 'SELECT * FROM t', timestamps: 'epoch_ms' })).toEqual(EPOCH_ROWS);
    expect(await rows({ sql: 'SELECT * FROM t' }, '/v1/sql?timestamps=epoch_ms')).toEqual(EPOCH_ROWS);
    const text = await app.inject({ method: 'POST', url: '/v1/sql?timestamps=epoch_ms', headers: { 'content-type': 'text/plain' }, payload: 'SELECT k, ts FROM t' });
    expect((text.json() as { results: { rows: unknown[][] }[] }).results[0]!.rows[0]).toEqual(['a', T1]);
  });

  it('refuses an unknown format', async () => {
    const res = await buildServer(engine).inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'SELECT * FROM t', timestamps: 'unix' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'BAD_REQUEST', message: expect.stringMatching(/'timestamps' must be one of 'iso', 'epoch_ms'/) } });
  });

  it('writes view reads the same way', async () => {
    const app = buildServer(engine);
    expect((await app.inject({ url: '/v1/views/t/keys/a' })).json()).toMatchObject({ row: { ts: '2026-12-02T14:00:00.123Z', a: ['2026-12-02T14:00:00.000Z'], s: { at: '2026-12-02T14:00:00.000Z' } } });
    expect((await app.inject({ url: '/v1/views/t/keys/a?timestamps=epoch_ms' })).json()).toMatchObject({ row: { ts: T1, a: [T2], s: { at: T2 } } });
    const scan = (await app.inject({ url: '/v1/views/t' })).json() as { rows: { ts: unknown }[] };
    expect(scan.rows.map((r) => r.ts)).toEqual(['2026-12-02T14:00:00.123Z', '2026-12-02T14:00:00.000Z', '2026-12-02T14:00:00.123Z']);
    const lookup = await app.inject({ method: 'POST', url: '/v1/views/t/lookup', payload: { key: 'b', timestamps: 'epoch_ms' } });
    expect(lookup.json()).toMatchObject({ row: { ts: T2 } });
  });

  it('writes pulled and pushed rows of /v1/query in NDJSON and SSE', async () => {
    const app = buildServer(engine);
    const pulled = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT k, ts FROM t' } });
    const lines = pulled.body.trim().split('\n').map((l) => JSON.parse(l) as { values?: unknown[] });
    expect(lines.filter((l) => l.values).map((l) => l.values)).toEqual([['a', '2026-12-02T14:00:00.123Z'], ['b', '2026-12-02T14:00:00.000Z'], ['c', '2026-12-02T14:00:00.123Z']]);

    const sse = await app.inject({ method: 'POST', url: '/v1/query', headers: { accept: 'text/event-stream' }, payload: { sql: 'SELECT k, ts FROM t', timestamps: 'epoch_ms' } });
    expect(sse.body).toContain(`data: {"op":"+I","values":["a",${T1}]}`);

    // A push query over a stream, read to its end from the earliest record.
    const [push] = await engine.execute('SELECT id, ts FROM ev', { bounded: true });
    if (push?.kind !== 'push') throw new Error('expected a push result');
    const chunks: string[] = [];
    const res = fakeResponse(chunks);
    await streamRows(res, { queryId: push.queryId, columns: push.columns, updating: push.updating, rows: push.rows, cancel: () => push.cancel() }, 'ndjson', { stallTimeoutMs: 1000 });
    expect(chunks.join('')).toContain('{"op":"+I","values":["e1","2026-12-02T14:00:00.123Z"]}');
  });
});

describe('DATE values over HTTP and Kafka JSON', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
    await engine.execute(`
      CREATE TABLE days (d DATE PRIMARY KEY, note STRING, ds ARRAY<DATE>);
      INSERT INTO days VALUES (DATE '2024-02-29', 'leap', NULL), ('2026-12-02', 'today', '["2026-12-01", "2026-12-02"]');
    `);
  });
  afterEach(async () => cleanup());

  it('writes DATE as YYYY-MM-DD text, whichever form TIMESTAMP values take', async () => {
    const app = buildServer(engine);
    for (const timestamps of ['iso', 'epoch_ms']) {
      const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'SELECT d, d + 1 AS next, ds FROM days ORDER BY d', timestamps } });
      expect((res.json() as { results: { rows: unknown[][] }[] }).results[0]!.rows).toEqual([
        ['2024-02-29', '2024-03-01', null],
        ['2026-12-02', '2026-12-03', ['2026-12-01', '2026-12-02']],
      ]);
    }
    const table = renderTable([{ name: 'd', type: 'DATE' }], [[Date.parse('2024-02-29T00:00:00Z')]]);
    expect(table.split('\n')[2]!.trim()).toBe('2024-02-29');
  });

  it('reads DATE from JSON text and refuses a number, naming the field', async () => {
    await engine.execute("CREATE STREAM ev (id STRING, d DATE) WITH (partitions = 1)");
    const app = buildServer(engine);
    const ok = await app.inject({ method: 'POST', url: '/v1/streams/ev/rows', headers: { 'content-type': 'application/x-ndjson' }, payload: '{"id":"a","d":"2024-01-05"}\n{"id":"b","d":"2024-1-6 10:00:00"}\n' });
    expect(ok.statusCode).toBe(200);
    const bad = await app.inject({ method: 'POST', url: '/v1/streams/ev/rows', headers: { 'content-type': 'application/x-ndjson' }, payload: '{"id":"c","d":19000}\n' });
    expect(JSON.stringify(bad.json())).toMatch(/expected DATE \('YYYY-MM-DD' text\), got 19000/);
    const { rows } = await collectRows(engine, 'SELECT id, CAST(d AS STRING) AS d FROM ev');
    expect(rows).toEqual([['a', '2024-01-05'], ['b', '2024-01-06']]);
  });
});

describe('TIME values over HTTP and Kafka JSON', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
    await engine.execute(`
      CREATE TABLE opens (id INT PRIMARY KEY, t TIME, ts ARRAY<TIME>);
      INSERT INTO opens VALUES (1, TIME '08:30:00', NULL), (2, '23:59:59.5', '["07:00:00", "12:00:00.25"]');
    `);
  });
  afterEach(async () => cleanup());

  it('writes TIME as HH:MM:SS text, whichever form TIMESTAMP values take', async () => {
    const app = buildServer(engine);
    for (const timestamps of ['iso', 'epoch_ms']) {
      const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: "SELECT t, t + INTERVAL '1' HOUR AS later, ts FROM opens ORDER BY id", timestamps } });
      expect((res.json() as { results: { rows: unknown[][] }[] }).results[0]!.rows).toEqual([
        ['08:30:00', '09:30:00', null],
        ['23:59:59.5', '00:59:59.5', ['07:00:00', '12:00:00.25']],
      ]);
    }
    const table = renderTable([{ name: 't', type: 'TIME' }], [[30_600_000]]);
    expect(table.split('\n')[2]!.trim()).toBe('08:30:00');
  });

  it('reads TIME from JSON text and refuses a number, naming the field', async () => {
    await engine.execute('CREATE STREAM ev (id STRING, t TIME) WITH (partitions = 1)');
    const app = buildServer(engine);
    const ok = await app.inject({ method: 'POST', url: '/v1/streams/ev/rows', headers: { 'content-type': 'application/x-ndjson' }, payload: '{"id":"a","t":"08:05"}\n{"id":"b","t":"2024-01-06 10:00:00.123"}\n' });
    expect(ok.statusCode).toBe(200);
    const bad = await app.inject({ method: 'POST', url: '/v1/streams/ev/rows', headers: { 'content-type': 'application/x-ndjson' }, payload: '{"id":"c","t":3600}\n{"id":"d","t":"24:00:01"}\n' });
    expect(JSON.stringify(bad.json())).toMatch(/expected TIME \('HH:MM:SS\[.fff\]' text\), got 3600/);
    expect((bad.json() as { accepted: number }).accepted).toBe(0);
    const { rows } = await collectRows(engine, 'SELECT id, CAST(t AS STRING) AS t FROM ev');
    expect(rows).toEqual([['a', '08:05:00'], ['b', '10:00:00.123']]);
  });
});

/** The parts of a ServerResponse that streamRows uses, collecting what is written. */
function fakeResponse(chunks: string[]): ServerResponse {
  const res = new EventEmitter() as unknown as Record<string, unknown>;
  Object.assign(res, {
    writeHead: () => res,
    write: (s: string) => chunks.push(s) > 0,
    end: (s?: string) => {
      if (s) chunks.push(s);
    },
  });
  return res as unknown as ServerResponse;
}

describe('type text and the shell', () => {
  it('reads back the type text that results carry', () => {
    expect(parseTypeText('TIMESTAMP(3)')).toEqual({ kind: 'TIMESTAMP', precision: 3 });
    expect(parseTypeText('ARRAY<TIMESTAMP(3)>(2)')).toEqual({ kind: 'ARRAY', element: { kind: 'TIMESTAMP', precision: 3 }, size: 2 });
    expect(parseTypeText('STRUCT<x INT, at ARRAY<STRING>>')).toEqual({
      kind: 'STRUCT',
      fields: [
        { name: 'x', type: { kind: 'INT' }, nullable: true },
        { name: 'at', type: { kind: 'ARRAY', element: { kind: 'STRING' } }, nullable: true },
      ],
    });
    expect(parseTypeText('STRUCT<x INT')).toBeUndefined();
    expect(parseTypeText('DECIMAL(10, 2)')).toBeUndefined();
  });

  it('prints engine timestamps (sluice run) as ISO text and keeps API text as it came', () => {
    const table = renderTable([{ name: 'ts', type: 'TIMESTAMP(3)' }, { name: 'n', type: 'BIGINT' }], [[T1, 5n], ['2026-12-02T14:00:00.000Z', 6n], [null, 7n]]);
    expect(table.split('\n').slice(2, 5).map((l) => l.trim())).toEqual(['2026-12-02T14:00:00.123Z | 5', '2026-12-02T14:00:00.000Z | 6', 'NULL                     | 7']);
  });
});
