import { readFileSync } from 'node:fs';
import { SLUICE_VERSION } from '../../src/common/version.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseExactJson } from '../../src/common/exact-json.js';
import { buildServer } from '../../src/server/app.js';
import { createFakeEngine, type FakeEngine } from './fake-engine.js';
import { readUntil } from './server-process.js';

let engine: FakeEngine;
let app: FastifyInstance;
let modelsDir: string;

beforeEach(async () => {
  engine = createFakeEngine();
  modelsDir = await mkdtemp(join(tmpdir(), 'sluice-models-'));
  app = buildServer(engine, { bodyLimit: 4096, modelsDir });
});
afterEach(async () => {
  await app.close();
  await rm(modelsDir, { recursive: true, force: true });
});

interface ErrorBody {
  error: { code: string; message: string; position?: { line: number; column: number }; end?: { line: number; column: number }; hint?: string };
}

function expectJsonError(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string): ErrorBody {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/json');
  const body = res.json() as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  return body;
}

describe('POST /v1/sql', () => {
  it('runs statements and returns one result each', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'CREATE STREAM s (x INT); SELECT * FROM scores; EXPLAIN SELECT 1' } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { results: { kind: string }[] };
    expect(body.results.map((r) => r.kind)).toEqual(['ok', 'rows', 'explain']);
    expect(body.results[1]).toMatchObject({ columns: [{ name: 'card_id', type: 'STRING' }, { name: 'score', type: 'DOUBLE' }], rows: [['card-1', 0.25], ['card-2', 0.97]] });
  });

  it('accepts the SQL as text/plain', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/sql', headers: { 'content-type': 'text/plain' }, payload: 'CREATE STREAM t (x INT);' });
    expect(res.statusCode).toBe(200);
  });

  it('refuses a push query before running anything, and points at /v1/query', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'CREATE STREAM s (x INT); SELECT seq FROM ticks' } });
    const body = expectJsonError(res, 400, 'BAD_REQUEST');
    expect(body.error.hint).toContain('POST /v1/query');
    expect(engine.completions()).not.toContain('s');
    expect(engine.queries()).toEqual([]);
  });

  it('answers SQL errors with code, position, span end and hint', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'SELECT *\nFROM scroes' } });
    const body = expectJsonError(res, 404, 'UNKNOWN_RELATION');
    expect(body.error.position).toMatchObject({ line: 2, column: 6 });
    expect(body.error.end).toMatchObject({ line: 2, column: 12 });
    expect(body.error.hint).toBe("did you mean 'scores'?");
  });

  it.each([
    ['not JSON', { 'content-type': 'application/json' }, '{"sql": '],
    ['empty JSON body', { 'content-type': 'application/json' }, ''],
    ['a JSON array', { 'content-type': 'application/json' }, '[1,2]'],
    ['a JSON string', { 'content-type': 'application/json' }, '"SELECT 1"'],
    ['JSON null', { 'content-type': 'application/json' }, 'null'],
    ['missing sql', { 'content-type': 'application/json' }, '{"query": "SELECT 1"}'],
    ['sql not a string', { 'content-type': 'application/json' }, '{"sql": 42}'],
    ['empty sql', { 'content-type': 'application/json' }, '{"sql": "  "}'],
    ['no body at all', {}, undefined],
  ])('answers 400 JSON for %s', async (_what, headers, payload) => {
    const res = await app.inject({ method: 'POST', url: '/v1/sql', headers, ...(payload === undefined ? {} : { payload }) });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    const body = res.json() as ErrorBody;
    expect(body.error.code).toBe('BAD_REQUEST');
  });

  it('answers 415 UNSUPPORTED_MEDIA_TYPE JSON for an unknown content type', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/sql', headers: { 'content-type': 'application/xml' }, payload: '<sql/>' });
    expectJsonError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect((res.json() as ErrorBody).error.message).toBe('POST /v1/sql does not take application/xml');
  });

  it("says what /v1/sql takes when sent curl --data's form encoding", async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/sql?x=1', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, payload: 'SELECT 1' });
    expectJsonError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const { message, hint } = (res.json() as ErrorBody & { error: { hint?: string } }).error;
    expect(message).toBe('POST /v1/sql does not take application/x-www-form-urlencoded');
    expect(hint).toMatch(/text\/plain .*--data-binary.*application\/json/);
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a body over the limit', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: `SELECT '${'x'.repeat(10_000)}' FROM scores` } });
    expectJsonError(res, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('POST /v1/query', () => {
  it('refuses statements that are not a SELECT', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'CREATE STREAM s (x INT)' } });
    const body = expectJsonError(res, 400, 'BAD_REQUEST');
    expect(body.error.hint).toContain('/v1/sql');
  });

  it('refuses a second statement as such, whatever is wrong with it', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT * FROM scores; SELECT * FROM nowhere' } });
    const body = expectJsonError(res, 400, 'BAD_REQUEST');
    expect(body.error.message).toBe('POST /v1/query runs one SELECT and nothing else; this request has 2 statements');
  });

  it('streams a pull query as NDJSON and ends', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT * FROM scores' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ columns: [{ name: 'card_id' }, { name: 'score' }], queryId: null, updating: false });
    expect(lines.slice(1)).toEqual([
      { op: '+I', values: ['card-1', 0.25] },
      { op: '+I', values: ['card-2', 0.97] },
      { end: true, rows: 2 },
    ]);
  });

  it('answers an SQL error before streaming with the JSON error', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELEC 1' } });
    const body = expectJsonError(res, 400, 'SYNTAX_ERROR');
    expect(body.error.position).toMatchObject({ line: 1, column: 1 });
  });
});

describe('push queries over a socket', () => {
  async function listen(): Promise<string> {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    return `http://127.0.0.1:${addr.port}`;
  }

  async function waitFor(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(cond()).toBe(true);
  }

  it('streams NDJSON rows and cancels the query when the client disconnects', async () => {
    const base = await listen();
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT seq, label FROM ticks' }), signal: ac.signal });
    expect(res.status).toBe(200);
    const id = res.headers.get('sluice-query-id');
    expect(id).toBe('q1');
    if (res.body === null) throw new Error('no body');
    const text = await readUntil(res.body, (t) => t.split('\n').length > 4);
    const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ columns: [{ name: 'seq', type: 'INT' }, { name: 'label', type: 'STRING' }], queryId: 'q1', updating: false });
    expect(lines[1]).toEqual({ op: '+I', values: [1, 'tick-1'] });
    expect(lines[2]).toEqual({ op: '+I', values: [2, 'tick-2'] });
    expect(engine.queries().map((q) => q.id)).toEqual(['q1']);
    ac.abort();
    await waitFor(() => engine.cancelled.has('q1'));
    const list = await (await fetch(`${base}/v1/queries`)).json() as { queries: unknown[] };
    expect(list.queries).toEqual([]);
  });

  it('streams server-sent events with op markers for updating queries', async () => {
    const base = await listen();
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ sql: 'SELECT k, n FROM counts' }), signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    if (res.body === null) throw new Error('no body');
    const text = await readUntil(res.body, (t) => (t.match(/event: row/g) ?? []).length >= 3);
    expect(text).toContain('event: columns\ndata: {"columns":[{"name":"k","type":"STRING"},{"name":"n","type":"BIGINT"}],"queryId":"q1","updating":true}\n\n');
    expect(text).toContain('event: row\ndata: {"op":"+I","values":["a",1]}\n\n');
    expect(text).toContain('event: row\ndata: {"op":"-U","values":["a",1]}\n\n');
    expect(text).toContain('event: row\ndata: {"op":"+U","values":["a",2]}\n\n');
    ac.abort();
    await waitFor(() => engine.cancelled.has('q1'));
  });

  it('ends the stream when the query is cancelled with DELETE /v1/queries/:id', async () => {
    const base = await listen();
    const res = await fetch(`${base}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT seq FROM ticks' }) });
    if (res.body === null) throw new Error('no body');
    await readUntil(res.body, (t) => t.includes('"op"'));
    const del = await fetch(`${base}/v1/queries/q1`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const rest = await readUntil(res.body, () => false);
    expect(rest).toMatch(/"end":true/);
  });
});

describe('views, queries, catalog', () => {
  it('scans a view with limit and prefix, writing BIGINT as exact JSON numbers', async () => {
    const all = await app.inject({ url: '/v1/views/scores' });
    // A JSON number with every digit: not a string, not rounded to 9007199254740992.
    expect(all.body).toContain('"n":9007199254740993}');
    expect(parseExactJson(all.body)).toEqual({ view: 'scores', rows: [{ card_id: 'card-1', score: 0.25, n: 3 }, { card_id: 'card-2', score: 0.97, n: 9007199254740993n }] });
    const one = await app.inject({ url: '/v1/views/scores?limit=1' });
    expect((one.json() as { rows: unknown[] }).rows).toHaveLength(1);
    const pre = await app.inject({ url: '/v1/views/scores?prefix=card-2' });
    expect((pre.json() as { rows: { card_id: string }[] }).rows.map((r) => r.card_id)).toEqual(['card-2']);
    expectJsonError(await app.inject({ url: '/v1/views/scores?limit=0' }), 400, 'BAD_REQUEST');
    expectJsonError(await app.inject({ url: '/v1/views/scores?limit=abc' }), 400, 'BAD_REQUEST');
    expectJsonError(await app.inject({ url: '/v1/views/nope' }), 404, 'UNKNOWN_RELATION');
  });

  it('looks up a key and answers 404 JSON when missing', async () => {
    const hit = await app.inject({ url: '/v1/views/scores/keys/card-1' });
    expect(hit.json()).toEqual({ view: 'scores', key: 'card-1', row: { card_id: 'card-1', score: 0.25, n: 3 } });
    expectJsonError(await app.inject({ url: '/v1/views/scores/keys/card-9' }), 404, 'NOT_FOUND');
    expectJsonError(await app.inject({ url: '/v1/views/nope/keys/card-1' }), 404, 'UNKNOWN_RELATION');
  });

  it('lists, shows and cancels queries', async () => {
    const [r] = await engine.execute('SELECT seq FROM ticks');
    if (r?.kind !== 'push') throw new Error('expected a push result');
    expect((await app.inject({ url: '/v1/queries' })).json()).toMatchObject({ queries: [{ id: 'q1', kind: 'push', status: 'running' }] });
    expect((await app.inject({ url: '/v1/queries/q1' })).json()).toMatchObject({ query: { id: 'q1', rowsIn: 0 } });
    expect((await app.inject({ method: 'DELETE', url: '/v1/queries/q1' })).json()).toEqual({ id: 'q1', cancelled: true });
    expectJsonError(await app.inject({ url: '/v1/queries/q1' }), 404, 'UNKNOWN_QUERY');
    expectJsonError(await app.inject({ method: 'DELETE', url: '/v1/queries/q1' }), 404, 'UNKNOWN_QUERY');
  });

  it('returns catalog names, relations with kinds and columns, models and option keys', async () => {
    const body = (await app.inject({ url: '/v1/catalog' })).json() as { names: string[]; relations: { name: string; kind: string; columns: unknown[] }[]; models: string[]; options: string[] };
    expect(body.names).toEqual(['ticks', 'counts', 'scores', 'fraud']);
    expect(body.relations).toContainEqual({ name: 'scores', kind: 'view', columns: [{ name: 'card_id', type: 'STRING' }, { name: 'score', type: 'DOUBLE' }, { name: 'n', type: 'BIGINT' }] });
    expect(body.models).toEqual(['fraud']);
    expect(body.options).toContain('connector');
  });
});

describe('models', () => {
  it('lists models and versions', async () => {
    expect((await app.inject({ url: '/v1/models' })).json()).toEqual({ models: [{ name: 'fraud', serving: 1, candidate: null, versions: [{ number: 1, role: 'serving' }] }] });
    expect((await app.inject({ url: '/v1/models/fraud/versions' })).json()).toEqual({ model: 'fraud', versions: [{ version: 1, by: 'test' }] });
    expectJsonError(await app.inject({ url: '/v1/models/nope/versions' }), 404, 'UNKNOWN_MODEL');
    expect((await app.inject({ url: '/v1/models/fraud' })).json()).toEqual({ model: { name: 'fraud', version: 1, provider: 'cpu', stats: { rows: 3 } } });
    expectJsonError(await app.inject({ url: '/v1/models/nope' }), 404, 'UNKNOWN_MODEL');
  });

  it('sets, promotes, rolls back and drops candidates, with who and why', async () => {
    const set = await app.inject({ method: 'POST', url: '/v1/models/fraud/candidate?by=ci&reason=offline%20auc%200.97', payload: { path: 'models/fraud-mlp.onnx', mode: 'canary', share: 0.1 } });
    expect(set.statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/v1/models/fraud/promote' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/models/fraud/rollback', payload: { version: 1 } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/v1/models/fraud/candidate?reason=worse' })).statusCode).toBe(200);
    expect(engine.changes).toEqual([
      { name: 'fraud', change: { kind: 'candidate', options: { path: 'models/fraud-mlp.onnx', mode: 'canary', share: 0.1 } }, origin: { by: 'ci', reason: 'offline auc 0.97' } },
      { name: 'fraud', change: { kind: 'promote' }, origin: { by: 'http' } },
      { name: 'fraud', change: { kind: 'rollback', version: 1 }, origin: { by: 'http' } },
      { name: 'fraud', change: { kind: 'drop candidate' }, origin: { by: 'http', reason: 'worse' } },
    ]);
    expectJsonError(await app.inject({ method: 'POST', url: '/v1/models/fraud/rollback' }), 400, 'BAD_REQUEST');
    expectJsonError(await app.inject({ method: 'POST', url: '/v1/models/fraud/candidate', payload: { path: ['x'] } }), 400, 'BAD_REQUEST');
    expectJsonError(await app.inject({ method: 'POST', url: '/v1/models/nope/promote' }), 404, 'UNKNOWN_MODEL');
  });

  it('stores an uploaded ONNX file and registers it', async () => {
    const bytes = Buffer.from([8, 7, 18, 4, 116, 101, 115, 116]);
    const res = await app.inject({ method: 'POST', url: '/v1/models?name=fraud&by=alice', headers: { 'content-type': 'application/octet-stream' }, payload: bytes });
    expect(res.statusCode).toBe(201);
    const reg = engine.registered[0];
    expect(reg).toMatchObject({ name: 'fraud', by: 'alice' });
    expect(reg?.path.startsWith(modelsDir)).toBe(true);
    expect(await readFile(reg?.path ?? '')).toEqual(bytes);
  });

  it('refuses uploads without a name, with a bad name, or empty', async () => {
    const headers = { 'content-type': 'application/octet-stream' };
    expectJsonError(await app.inject({ method: 'POST', url: '/v1/models', headers, payload: Buffer.from([1]) }), 400, 'BAD_REQUEST');
    expectJsonError(await app.inject({ method: 'POST', url: '/v1/models?name=../x', headers, payload: Buffer.from([1]) }), 400, 'BAD_REQUEST');
    expectJsonError(await app.inject({ method: 'POST', url: '/v1/models?name=m', headers, payload: Buffer.alloc(0) }), 400, 'BAD_REQUEST');
    expectJsonError(await app.inject({ method: 'POST', url: '/v1/models?name=m', payload: { sql: 'x' } }), 400, 'BAD_REQUEST');
    expect(engine.registered).toEqual([]);
  });
});

describe('metrics, health, openapi, 404', () => {
  it('serves Prometheus text', async () => {
    await engine.execute('CREATE STREAM s (x INT)');
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('sluice_statements_total 1');
  });

  it('answers health with the version package.json states', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok', version: SLUICE_VERSION });
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SLUICE_VERSION).toBe(pkg.version);
  });

  it('describes every route in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/v1/openapi.json' })).json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/',
        '/healthz',
        '/metrics',
        '/v1/catalog',
        '/v1/console',
        '/v1/models',
        '/v1/models/{name}',
        '/v1/models/{name}/candidate',
        '/v1/models/{name}/predict',
        '/v1/models/{name}/promote',
        '/v1/models/{name}/quality',
        '/v1/models/{name}/rollback',
        '/v1/models/{name}/versions',
        '/v1/openapi.json',
        '/v1/query',
        '/v1/queries',
        '/v1/queries/{id}',
        '/v1/queries/{id}/plan',
        '/v1/queries/{id}/start',
        '/v1/queries/{id}/stop',
        '/v1/relations',
        '/v1/relations/{name}/rows',
        '/v1/series',
        '/v1/sql',
        '/v1/streams/{name}/rows',
        '/v1/views/{name}',
        '/v1/views/{name}/keys/{key}',
        '/v1/views/{name}/lookup',
      ].sort(),
    );
  });

  it('answers unknown routes with 404 JSON', async () => {
    expectJsonError(await app.inject({ url: '/v2/nothing' }), 404, 'NOT_FOUND');
    expectJsonError(await app.inject({ method: 'PUT', url: '/v1/nothing' }), 404, 'NOT_FOUND');
  });
});

describe('bearer token', () => {
  let secured: FastifyInstance;
  beforeEach(() => {
    secured = buildServer(engine, { token: 's3cret' });
  });
  afterEach(async () => {
    await secured.close();
  });

  it('refuses requests without the token with 401 JSON', async () => {
    expectJsonError(await secured.inject({ url: '/v1/queries' }), 401, 'UNAUTHORIZED');
    expectJsonError(await secured.inject({ url: '/metrics' }), 401, 'UNAUTHORIZED');
    expectJsonError(await secured.inject({ url: '/v1/queries', headers: { authorization: 'Bearer wrong!' } }), 401, 'UNAUTHORIZED');
    expectJsonError(await secured.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'CREATE STREAM s (x INT)' } }), 401, 'UNAUTHORIZED');
  });

  it('accepts the token and leaves /healthz open', async () => {
    expect((await secured.inject({ url: '/v1/queries', headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(200);
    expect((await secured.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await secured.inject({ url: '/healthz?x=1' })).statusCode).toBe(200);
  });
});
