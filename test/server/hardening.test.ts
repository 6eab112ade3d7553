/**
 * The HTTP API as a hostile client meets it: authentication, request limits, slow clients,
 * wrong methods and media types, malformed URLs and oversized request lines and headers. Every
 * refusal must come in the documented JSON error shape.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/common/errors.js';
import { bearerMatches } from '../../src/server/auth.js';
import { buildServer, type ServerOptions } from '../../src/server/app.js';
import { createFakeEngine, type FakeEngine } from './fake-engine.js';

let engine: FakeEngine;
let app: FastifyInstance | undefined;

function server(opts: ServerOptions = {}): FastifyInstance {
  engine = createFakeEngine();
  app = buildServer(engine, opts);
  return app;
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

interface ErrorJson {
  error: { code: keyof typeof ERROR_CODES; kind: string; message: string; hint?: string };
}

/** Asserts the documented shape: JSON, a catalogue code whose HTTP status is the answer's. */
function expectError(status: number, contentType: unknown, body: string, code: string): ErrorJson {
  expect(String(contentType)).toMatch(/^application\/json/);
  const json = JSON.parse(body) as ErrorJson;
  expect(json.error.code).toBe(code);
  expect(ERROR_CODES[json.error.code].http).toBe(status);
  expect(typeof json.error.message).toBe('string');
  return json;
}

async function listen(a: FastifyInstance): Promise<number> {
  await a.listen({ port: 0, host: '127.0.0.1' });
  const addr = a.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return addr.port;
}

/** Sends raw bytes over TCP and returns the status, content type and body of the answer. */
function raw(port: number, text: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), contentType: /content-type: ([^\r]+)/i.exec(head)?.[1] ?? '', body });
    });
  });
}

describe('bearer token', () => {
  it('refuses an empty token when the server is built', () => {
    expect(() => buildServer(createFakeEngine(), { token: '' })).toThrow(/empty/);
    expect(() => buildServer(createFakeEngine(), { token: '  ' })).toThrow(/empty/);
    expect(() => buildServer(createFakeEngine(), { token: 'two words' })).toThrow(/blanks/);
  });

  it('takes the Bearer scheme in any case and refuses other schemes and near misses', async () => {
    const a = server({ token: 's3cret' });
    const status = async (authorization: string): Promise<number> => (await a.inject({ url: '/v1/queries', headers: { authorization } })).statusCode;
    expect(await status('Bearer s3cret')).toBe(200);
    expect(await status('bearer s3cret')).toBe(200);
    expect(await status('BEARER  s3cret ')).toBe(200);
    for (const wrong of ['Basic s3cret', 's3cret', 'Bearer s3cre', 'Bearer s3cret0', 'Bearer', 'Bearer S3CRET', 'Bearers3cret']) {
      const res = await a.inject({ url: '/v1/queries', headers: { authorization: wrong } });
      expectError(res.statusCode, res.headers['content-type'], res.body, 'UNAUTHORIZED');
    }
  });

  it('never echoes the token, and checks it before routing', async () => {
    const a = server({ token: 'hunter2-token' });
    for (const [method, url] of [['GET', '/v1/nothing'], ['PUT', '/v1/sql'], ['GET', '/v1/views/x/keys/y']] as const) {
      const res = await a.inject({ method, url, headers: { authorization: 'Bearer wrong' } });
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain('hunter2');
    }
  });

  it('compares digests, so a header of any length is handled', () => {
    const expected = createHash('sha256').update('abc').digest();
    expect(bearerMatches('Bearer abc', expected)).toBe(true);
    expect(bearerMatches(`Bearer ${'a'.repeat(10_000)}`, expected)).toBe(false);
    expect(bearerMatches(undefined, expected)).toBe(false);
  });
});

describe('request limits', () => {
  it('refuses SQL over the byte limit before the engine sees it', async () => {
    const a = server({ limits: { maxSqlBytes: 100 } });
    const res = await a.inject({ method: 'POST', url: '/v1/sql', headers: { 'content-type': 'text/plain' }, payload: `CREATE STREAM s (x INT); -- ${'é'.repeat(40)}` });
    const body = expectError(res.statusCode, res.headers['content-type'], res.body, 'LIMIT_EXCEEDED');
    expect(body.error.message).toContain('the limit is 100');
    expect(body.error.hint).toContain('--max-sql-bytes');
    expect(engine.completions()).not.toContain('s');
  });

  it('passes the statement limit to the engine', async () => {
    const a = server({ limits: { maxStatements: 2 } });
    const res = await a.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'CREATE STREAM a (x INT); CREATE STREAM b (x INT); CREATE STREAM c (x INT)' } });
    expectError(res.statusCode, res.headers['content-type'], res.body, 'LIMIT_EXCEEDED');
    expect(engine.completions()).not.toContain('a');
  });

  it('answers 429 beyond the push queries allowed per client and per server, and frees a slot when a stream ends', async () => {
    const a = server({ limits: { maxPushQueries: 3, maxPushQueriesPerClient: 2 } });
    const port = await listen(a);
    const open = async (): Promise<{ status: number; ac: AbortController; text: () => Promise<string> }> => {
      const ac = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT seq FROM ticks' }), signal: ac.signal });
      return { status: res.status, ac, text: () => res.text() };
    };
    const first = await open();
    const second = await open();
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await open();
    expect(third.status).toBe(429);
    expect(JSON.parse(await third.text())).toMatchObject({ error: { code: 'TOO_MANY_QUERIES' } });
    expect(engine.queries()).toHaveLength(2);
    first.ac.abort();
    for (let i = 0; i < 100 && engine.cancelled.size < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    const again = await open();
    expect(again.status).toBe(200);
    second.ac.abort();
    again.ac.abort();
  });

  it('disconnects a push client that stops reading, with a CLIENT_TOO_SLOW line last', async () => {
    const a = server({ limits: { pushStallTimeoutMs: 200 } });
    engine.tickMs = 1;
    engine.tickRows = 2000;
    const port = await listen(a);
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/query', headers: { 'content-type': 'text/plain' } }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.pause();
        res.on('data', (d: string) => (data += d));
        res.on('end', () => resolve(data));
        res.on('error', reject);
        const wait = setInterval(() => {
          if (engine.cancelled.size > 0) {
            clearInterval(wait);
            res.resume();
          }
        }, 20);
      });
      req.on('error', reject);
      req.end('SELECT seq, label FROM ticks');
    });
    const lines = text.trim().split('\n').filter((l) => l !== '');
    const last = JSON.parse(lines[lines.length - 1]!) as ErrorJson;
    expect(last.error.code).toBe('CLIENT_TOO_SLOW');
    expect(engine.queries()).toEqual([]);
  }, 20_000);
});

describe('honest multi-statement answers', () => {
  it('lists the results that ran before a run-time failure, with the status of the failure', async () => {
    const a = server();
    const res = await a.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'CREATE STREAM a (x INT); CREATE MODEL broken; CREATE STREAM c (x INT)' } });
    expect(res.statusCode).toBe(500);
    const body = res.json() as ErrorJson & { results: unknown[] };
    expect(body.error.code).toBe('MODEL_ERROR');
    expect(body.results).toEqual([{ kind: 'ok', statement: 'CREATE', message: 'created a' }]);
    expect(engine.completions()).not.toContain('c');
  });
});

describe('fastify and Node errors in the JSON shape', () => {
  it('answers 405 with an Allow header for a wrong method on a known route', async () => {
    const a = server();
    for (const [method, url, allow] of [
      ['GET', '/v1/sql', 'POST'],
      ['PUT', '/v1/sql', 'POST'],
      ['POST', '/v1/queries/q1', 'GET, HEAD, DELETE'],
      ['DELETE', '/v1/views/v', 'GET, HEAD'],
      ['PATCH', '/healthz', 'GET, HEAD'],
    ] as const) {
      const res = await a.inject({ method, url });
      expectError(res.statusCode, res.headers['content-type'], res.body, 'METHOD_NOT_ALLOWED');
      expect(res.headers['allow']).toBe(allow);
    }
  });

  it('answers a URL whose escapes do not decode with 400 JSON', async () => {
    const a = server();
    const res = await a.inject({ url: '/v1/views/%E0%A4%A/keys/x' });
    expectError(res.statusCode, res.headers['content-type'], res.body, 'BAD_REQUEST');
  });

  it('compares media types without regard to case and with parameters', async () => {
    const a = server();
    for (const type of ['TEXT/PLAIN', 'text/plain; charset=UTF-8', 'Text/Plain;charset=utf-8']) {
      const res = await a.inject({ method: 'POST', url: '/v1/sql', headers: { 'content-type': type }, payload: 'CREATE STREAM t (x INT)' });
      expect(res.statusCode).toBe(200);
    }
    const json = await a.inject({ method: 'POST', url: '/v1/sql', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, payload: '{"sql": "CREATE STREAM u (x INT)"}' });
    expect(json.statusCode).toBe(200);
  });

  it('answers a malformed JSON body and an unknown media type in the shape', async () => {
    const a = server();
    const bad = await a.inject({ method: 'POST', url: '/v1/sql', headers: { 'content-type': 'application/json' }, payload: '{"sql": ' });
    expectError(bad.statusCode, bad.headers['content-type'], bad.body, 'BAD_REQUEST');
    const media = await a.inject({ method: 'POST', url: '/v1/sql', headers: { 'content-type': 'image/png' }, payload: 'x' });
    expectError(media.statusCode, media.headers['content-type'], media.body, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a request line over the limit with 414 and oversized headers with 431, over TCP', async () => {
    const port = await listen(server());
    const longLine = await raw(port, `GET /v1/views/v/keys/${'k'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(longLine.status).toBe(414);
    expectError(longLine.status, longLine.contentType, longLine.body, 'URI_TOO_LONG');
    const bigHeaders = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`);
    expect(bigHeaders.status).toBe(431);
    expectError(bigHeaders.status, bigHeaders.contentType, bigHeaders.body, 'HEADERS_TOO_LARGE');
    const garbage = await raw(port, 'NOT HTTP AT ALL\r\n\r\n');
    expectError(garbage.status, garbage.contentType, garbage.body, 'BAD_REQUEST');
  });

  it('answers the lookup route with 400 for a body without a usable key', async () => {
    const a = server();
    for (const payload of [{}, { key: {} }, { key: [] }, { key: [{ a: 1 }] }, []]) {
      const res = await a.inject({ method: 'POST', url: '/v1/views/scores/lookup', payload });
      expectError(res.statusCode, res.headers['content-type'], res.body, 'BAD_REQUEST');
    }
    const found = await a.inject({ method: 'POST', url: '/v1/views/scores/lookup', payload: { key: 'card-1' } });
    expect(found.json()).toMatchObject({ view: 'scores', key: 'card-1', row: { score: 0.25 } });
  });
});
