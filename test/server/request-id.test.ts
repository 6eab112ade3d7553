import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import type { PushRow, StatementResult } from '../../src/engine/types.js';
import type { EngineLike } from '../../src/server/engine-like.js';
import { createFakeEngine } from './fake-engine.js';

let app: FastifyInstance;
const logged: string[] = [];

beforeAll(async () => {
  const fake = createFakeEngine();
  // An engine with a defect: one statement makes it throw a plain JavaScript error.
  const engine: EngineLike = Object.create(fake, {
    execute: {
      value: (sql: string, opts: Parameters<EngineLike['execute']>[1]) => {
        if (sql.trim() === 'CREATE TABLE crash') return Promise.reject(new TypeError("Cannot read properties of undefined (reading 'rows')"));
        if (sql.trim() === 'SELECT x FROM breaks') {
          opts?.accept?.([{ text: sql, mode: 'push' }]);
          async function* rows(): AsyncGenerator<PushRow[]> {
            yield [{ op: '+I', values: [1] }];
            throw new RangeError('offset out of bounds while reading a batch');
          }
          const result: StatementResult = { kind: 'push', statement: sql, queryId: 'push_9', columns: [{ name: 'x', type: 'INT' }], updating: false, rows: rows(), batches: (async function* () {})(), cancel: () => undefined };
          return Promise.resolve([result]);
        }
        return fake.execute(sql, opts);
      },
    },
  }) as EngineLike;
  app = buildServer(engine, { errorSink: (entry) => logged.push(entry) });
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

describe('request ids', () => {
  it('every answer carries an x-request-id header, the client\'s own when it sends a plain one', async () => {
    const a = await app.inject({ method: 'GET', url: '/healthz' });
    expect(a.headers['x-request-id']).toMatch(/^r-[0-9a-f]{16}$/);
    const b = await app.inject({ method: 'GET', url: '/healthz' });
    expect(b.headers['x-request-id']).not.toBe(a.headers['x-request-id']);
    const c = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-42' } });
    expect(c.headers['x-request-id']).toBe('trace-42');
    const d = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'has spaces and "quotes"' } });
    expect(d.headers['x-request-id']).toMatch(/^r-/);
  });

  it('a 5xx answer names its request id, and the error is logged with it and its stack', async () => {
    logged.length = 0;
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'CREATE TABLE crash' } });
    expect(res.statusCode).toBe(500);
    const id = res.headers['x-request-id'];
    const body = res.json() as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('INTERNAL');
    expect(body.error.requestId).toBe(id);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`500 INTERNAL request ${String(id)} POST /v1/sql`);
    expect(logged[0]).toContain("TypeError: Cannot read properties of undefined (reading 'rows')");
    expect(logged[0]).toMatch(/\n\s+at /);
  });

  it('a push query that fails part-way with an internal error: its last line names the request id, which is logged', async () => {
    logged.length = 0;
    const res = await app.inject({ method: 'POST', url: '/v1/query', payload: { sql: 'SELECT x FROM breaks' } });
    const id = res.headers['x-request-id'];
    expect(id).toMatch(/^r-/);
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[1]).toEqual({ op: '+I', values: [1] });
    expect(lines.at(-1)).toMatchObject({ error: { code: 'INTERNAL', requestId: id } });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`500 INTERNAL request ${String(id)} POST /v1/query: RangeError: offset out of bounds`);
  });

  it('a 4xx answer is the client\'s mistake: not logged, no request id in the body', async () => {
    logged.length = 0;
    const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'SELEC 1' } });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: Record<string, unknown> }).error['requestId']).toBeUndefined();
    expect(logged).toEqual([]);
  });
});
