/** The console's server side: bounded series, the sampler's rates and quantiles, routes, static files, read-only mode. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { QueryInfo } from '../../src/engine/types.js';
import { buildServer } from '../../src/server/app.js';
import { CONSOLE_CSP } from '../../src/server/console-assets.js';
import { ConsoleSampler, histogramQuantile } from '../../src/server/console-metrics.js';
import type { EngineLike } from '../../src/server/engine-like.js';
import { RingSeries, SeriesSet } from '../../src/server/timeseries.js';
import { createFakeEngine } from './fake-engine.js';

describe('RingSeries', () => {
  it('keeps the newest capacity samples, oldest first', () => {
    const s = new RingSeries(3);
    for (let i = 1; i <= 5; i++) s.push(i * 1000, i * 10);
    expect(s.size).toBe(3);
    expect(s.since()).toEqual({ t: [3000, 4000, 5000], v: [30, 40, 50] });
    expect(s.since(4000)).toEqual({ t: [4000, 5000], v: [40, 50] });
    expect(s.lastTime).toBe(5000);
  });

  it('answers a value that was not known (NaN) as null, a gap in the chart', () => {
    const s = new RingSeries(2);
    s.push(1, NaN);
    s.push(2, 7);
    expect(s.since().v).toEqual([null, 7]);
  });

  it('refuses a capacity below one', () => {
    expect(() => new RingSeries(0)).toThrow(/at least 1 sample/);
  });
});

describe('SeriesSet', () => {
  it('sizes each series to the window and forgets series that stopped', () => {
    const set = new SeriesSet(15 * 60_000, 1000);
    expect(set.capacity).toBe(900);
    for (let t = 0; t < 2000; t++) set.record('a', t * 1000, t);
    expect(set.get('a')!.size).toBe(900);
    set.record('b', 0, 1);
    set.prune(1999 * 1000);
    expect(set.names()).toEqual(['a']);
  });
});

describe('histogramQuantile', () => {
  const le = [1, 2, 5, Infinity];
  it('interpolates inside the bucket holding the rank', () => {
    // 10 observations: 4 in (0,1], 4 in (1,2], 2 in (2,5].
    expect(histogramQuantile(le, [4, 8, 10, 10], 0.5)).toBeCloseTo(1.25);
    expect(histogramQuantile(le, [4, 8, 10, 10], 0.99)).toBeCloseTo(2 + 3 * (9.9 - 8) / 2);
  });
  it('is NaN without observations', () => {
    expect(histogramQuantile(le, [0, 0, 0, 0], 0.5)).toBeNaN();
  });
});

function engineWith(queries: () => QueryInfo[], metrics: Registry): EngineLike {
  return { ...createFakeEngine(), queries, metrics };
}

const info = (over: Partial<QueryInfo>): QueryInfo => ({ id: 'view_v', kind: 'view', name: 'v', sql: 'CREATE MATERIALIZED VIEW v AS ...', status: 'running', startedAt: 0, rowsIn: 0, rowsOut: 0, deadLetters: 0, rateIn: 0, rateOut: 0, ...over });

describe('ConsoleSampler', () => {
  it('turns counters into rates per second, operator counters by query id, and latency buckets into p50/p99', async () => {
    const metrics = new Registry();
    const op = new Gauge({ name: 'sluice_operator_records_out_total', help: 'x', labelNames: ['query', 'operator'], registers: [metrics] });
    const latency = new Histogram({ name: 'sluice_end_to_end_latency_seconds', help: 'x', labelNames: ['query'], buckets: [0.01, 0.1, 1], registers: [metrics] });
    const model = new Counter({ name: 'sluice_model_rows_scored_total', help: 'x', labelNames: ['model'], registers: [metrics] });
    const cacheBytes = new Gauge({ name: 'sluice_state_cache_bytes', help: 'x', labelNames: ['query'], registers: [metrics] });
    const hits = new Counter({ name: 'sluice_state_cache_hits_total', help: 'x', registers: [metrics] });
    let q = info({ lag: 5, lastCheckpointEpoch: 1 });
    const sampler = new ConsoleSampler(engineWith(() => [q], metrics));
    await sampler.sample(10_000);
    q = info({ rowsIn: 400, rowsOut: 300, deadLetters: 2, lag: 7, lastCheckpointEpoch: 1 });
    op.set({ query: 'v', operator: '0:ProjectExec' }, 300);
    model.inc({ model: 'fraud' }, 1000);
    for (let i = 0; i < 98; i++) latency.observe({ query: 'v' }, 0.005);
    latency.observe({ query: 'v' }, 0.5);
    latency.observe({ query: 'v' }, 0.5);
    cacheBytes.set({ query: 'a' }, 1000);
    cacheBytes.set({ query: 'b' }, 24);
    hits.inc(50);
    await sampler.sample(12_000);
    const value = (scope: string, id: string, metric: string) => sampler.read({ scope, id }).find((s) => s.metric === metric)?.v.at(-1);
    expect(value('query', 'view_v', 'rows_in_per_s')).toBe(200);
    expect(value('query', 'view_v', 'rows_out_per_s')).toBe(150);
    expect(value('query', 'view_v', 'dead_letters_per_s')).toBe(1);
    expect(value('query', 'view_v', 'lag')).toBe(7);
    // The epoch did not change for 2 s.
    expect(value('query', 'view_v', 'checkpoint_age_s')).toBe(2);
    expect(value('model', 'fraud', 'rows_per_s')).toBe(500);
    expect(sampler.read({ scope: 'operator', id: 'view_v' }).map((s) => s.id)).toEqual(['view_v/0:ProjectExec']);
    expect(value('query', 'view_v', 'latency_p50_ms')).toBeCloseTo(5.1, 1);
    expect(value('query', 'view_v', 'latency_p99_ms')).toBeGreaterThan(100);
    expect(value('engine', '', 'heap_used_bytes')).toBeGreaterThan(0);
    expect(value('engine', '', 'cpu_percent')).toBeGreaterThanOrEqual(0);
    // State store figures: gauges summed over their labels, counters as rates.
    expect(value('engine', '', 'state_cache_bytes')).toBe(1024);
    expect(value('engine', '', 'state_cache_hits_total_per_s')).toBe(25);
  });

  it('keeps at most one sample per interval over the window, however long it runs', async () => {
    const sampler = new ConsoleSampler(engineWith(() => [info({})], new Registry()), { windowMs: 5000, intervalMs: 1000 });
    for (let t = 0; t < 100; t++) await sampler.sample(t * 1000);
    for (const s of sampler.read()) expect(s.t.length).toBeLessThanOrEqual(5);
  });
});

describe('console routes', () => {
  const assets = mkdtempSync(join(tmpdir(), 'sluice-console-'));
  writeFileSync(join(assets, 'index.html'), '<!doctype html><script type="module" src="/console/app.js"></script>');
  writeFileSync(join(assets, 'app.js'), 'export {};');
  const apps: ReturnType<typeof buildServer>[] = [];
  const server = (opts: Parameters<typeof buildServer>[1]) => {
    const app = buildServer(createFakeEngine(), { ...opts, console: { assetsDir: assets, ...opts?.console } });
    apps.push(app);
    return app;
  };
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('serves the page and its files with a strict Content-Security-Policy, and nothing else from disk', async () => {
    const app = server({});
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toMatch(/script-src 'self'/);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    const js = await app.inject({ url: '/console/app.js' });
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    for (const url of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/nope.js']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
  });

  it('says how to build the console when it is not built', async () => {
    const app = server({ console: { assetsDir: join(assets, 'missing') } });
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.hint).toMatch(/npm run build:console/);
  });

  it('with a token, serves the console files without it but no data', async () => {
    const app = server({ token: 's3cret' });
    expect((await app.inject({ url: '/' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/console/app.js' })).statusCode).toBe(200);
    for (const url of ['/v1/console', '/v1/series', '/v1/relations', '/v1/queries/x/plan']) expect((await app.inject({ url })).statusCode, url).toBe(401);
    // A path that only starts like a console file reaches no data route.
    for (const url of ['/console/../v1/queries', '/console/%2e%2e/v1/queries', '/console/..%2fv1%2fqueries', '/index.html/../v1/queries']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).not.toBe(200);
      expect(res.body, url).not.toContain('"queries"');
    }
    const ok = await app.inject({ url: '/v1/console', headers: { authorization: 'Bearer s3cret' } });
    expect(ok.json()).toEqual({ mode: 'read-write', intervalMs: 1000, windowMs: 900_000 });
  });

  it('answers series filtered by scope and id, and refuses an unknown scope', async () => {
    const app = server({});
    await app.ready();
    const res = await app.inject({ url: '/v1/series?scope=engine' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.windowMs).toBe(900_000);
    expect(body.series.map((s: { metric: string }) => s.metric)).toContain('heap_used_bytes');
    expect(body.series.every((s: { scope: string }) => s.scope === 'engine')).toBe(true);
    expect((await app.inject({ url: '/v1/series?scope=planet' })).json().error.code).toBe('BAD_REQUEST');
  });

  it('without an inspector, GET /v1/relations says what to use instead', async () => {
    const res = await server({}).inject({ url: '/v1/relations' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.hint).toMatch(/SHOW STREAMS/);
  });

  it('answers a query plan from EXPLAIN, and UNKNOWN_QUERY for an unknown id', async () => {
    const app = server({});
    expect((await app.inject({ url: '/v1/queries/nope/plan' })).json().error.code).toBe('UNKNOWN_QUERY');
  });

  describe('--console read-only', () => {
    const console = { 'sluice-client': 'console', 'content-type': 'application/json' };
    it('refuses changes sent by the console, before anything runs', async () => {
      const app = server({ console: { mode: 'read-only' } });
      const create = await app.inject({ method: 'POST', url: '/v1/sql', headers: console, payload: { sql: 'CREATE STREAM s (x INT)' } });
      expect(create.statusCode).toBe(403);
      expect(create.json().error.code).toBe('NOT_ALLOWED');
      expect(create.json().error.message).toMatch(/read-only/);
      const cancel = await app.inject({ method: 'DELETE', url: '/v1/queries/q1', headers: { 'sluice-client': 'console' } });
      expect(cancel.statusCode).toBe(403);
      const upload = await app.inject({ method: 'POST', url: '/v1/models?name=m', headers: { 'sluice-client': 'console', 'content-type': 'application/octet-stream' }, payload: Buffer.from('x') });
      expect(upload.statusCode).toBe(403);
      expect((await app.inject({ url: '/v1/console', headers: { 'sluice-client': 'console' } })).json().mode).toBe('read-only');
    });

    it('lets the console read: EXPLAIN through /v1/sql, GET routes', async () => {
      const app = server({ console: { mode: 'read-only' } });
      const explain = await app.inject({ method: 'POST', url: '/v1/sql', headers: console, payload: { sql: 'EXPLAIN SELECT * FROM scores' } });
      expect(explain.statusCode).toBe(200);
      expect((await app.inject({ url: '/v1/queries', headers: console })).statusCode).toBe(200);
    });

    it('does not restrict other clients (the mode is about the console, not authorization)', async () => {
      const app = server({ console: { mode: 'read-only' } });
      const res = await app.inject({ method: 'POST', url: '/v1/sql', payload: { sql: 'CREATE STREAM s (x INT)' } });
      expect(res.statusCode).toBe(200);
    });

    it('in read-write mode the console may change things', async () => {
      const app = server({});
      const res = await app.inject({ method: 'POST', url: '/v1/sql', headers: console, payload: { sql: 'CREATE STREAM s (x INT)' } });
      expect(res.statusCode).toBe(200);
    });
  });
});
