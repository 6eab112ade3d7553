import { SLUICE_VERSION } from '../../src/common/version.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { txEvent } from '../../src/connectors/datagen.js';
import { freePort, readUntil, startServerProcess, type ServerProcess } from './server-process.js';

let server: ServerProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sluice-e2e-'));
  const port = await freePort();
  server = await startServerProcess(['bin/sluice.js', 'serve', '--port', String(port), '--data', dataDir], port);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function sql(text: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: text }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface QueryJson {
  id: string;
  kind: string;
  status: string;
  rowsIn: number;
}

async function runningQueries(): Promise<QueryJson[]> {
  const body = (await (await fetch(`${server.url}/v1/queries`)).json()) as { queries: QueryJson[] };
  return body.queries.filter((q) => q.status === 'running');
}

async function eventually(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(await cond()).toBe(true);
}

describe('sluice serve end to end', () => {
  it('answers health and runs DDL through POST /v1/sql', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok', version: SLUICE_VERSION });
    const res = await sql(`
      CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE) WITH (key = 'card_id');
      CREATE TABLE cards (card_id STRING PRIMARY KEY, owner STRING);
      INSERT INTO cards VALUES ('c1', 'ann'), ('c2', 'bob');
      CREATE MATERIALIZED VIEW big AS SELECT tx.tx_id, tx.card_id, owner, amount FROM tx JOIN cards WHERE amount > 10;
      INSERT INTO tx VALUES ('t1', 'c1', 50.0), ('t2', 'c2', 5.0);
    `);
    expect(res.status).toBe(200);
    expect((res.body.results as { kind: string }[]).map((r) => r.kind)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('reports SQL errors with code and position', async () => {
    const res = await sql('SELECT *\nFROM nope');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'UNKNOWN_RELATION', position: { line: 2, column: 6 } });
    const bad = await fetch(`${server.url}/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sql":' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
  });

  it('refuses a push query on /v1/sql', async () => {
    const res = await sql('SELECT tx_id FROM tx');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'BAD_REQUEST', hint: expect.stringContaining('/v1/query') });
    await eventually(async () => (await runningQueries()).every((q) => q.kind !== 'push'));
  });

  it('serves materialized views by scan and by key', async () => {
    await eventually(async () => (await fetch(`${server.url}/v1/views/big/keys/c1`)).status === 200);
    const row = (await (await fetch(`${server.url}/v1/views/big/keys/c1`)).json()) as { row: unknown };
    expect(row.row).toEqual({ tx_id: 't1', card_id: 'c1', owner: 'ann', amount: 50 });
    const scan = (await (await fetch(`${server.url}/v1/views/big?limit=10`)).json()) as { rows: unknown[] };
    expect(scan.rows).toEqual([{ tx_id: 't1', card_id: 'c1', owner: 'ann', amount: 50 }]);
    const missing = await fetch(`${server.url}/v1/views/big/keys/c9`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const noView = await fetch(`${server.url}/v1/views/nope`);
    expect(noView.status).toBe(404);
  });

  it('streams a push query as NDJSON, live, and cancels it when the client disconnects', async () => {
    const ac = new AbortController();
    const res = await fetch(`${server.url}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT tx_id, amount FROM tx', from: 'earliest' }), signal: ac.signal });
    expect(res.status).toBe(200);
    const id = res.headers.get('sluice-query-id') ?? '';
    expect(id).not.toBe('');
    if (res.body === null) throw new Error('no body');
    const first = await readUntil(res.body, (t) => t.split('\n').length > 3);
    const lines = first.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ columns: [{ name: 'tx_id', type: 'STRING' }, { name: 'amount', type: 'DOUBLE' }], queryId: id, updating: false });
    expect(lines.slice(1).map((l) => l.values).sort()).toEqual([['t1', 50], ['t2', 5]]);
    expect((await runningQueries()).map((q) => q.id)).toContain(id);

    expect((await sql("INSERT INTO tx VALUES ('t3', 'c2', 70.0)")).status).toBe(200);
    const live = await readUntil(res.body, (t) => t.includes('t3'));
    expect(JSON.parse(live.trim().split('\n').find((l) => l.includes('t3')) ?? '{}')).toEqual({ op: '+I', values: ['t3', 70] });

    ac.abort();
    await eventually(async () => !(await runningQueries()).some((q) => q.id === id));
  });

  it('streams server-sent events with Accept: text/event-stream', async () => {
    const ac = new AbortController();
    const res = await fetch(`${server.url}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ sql: 'SELECT tx_id FROM tx WHERE amount > 10', from: 'earliest' }), signal: ac.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const id = res.headers.get('sluice-query-id') ?? '';
    if (res.body === null) throw new Error('no body');
    const text = await readUntil(res.body, (t) => (t.match(/event: row/g) ?? []).length >= 2);
    expect(text).toMatch(/^event: columns\ndata: \{"columns":\[\{"name":"tx_id","type":"STRING"\}\]/);
    expect(text).toContain('event: row\ndata: {"op":"+I","values":["t1"]}\n\n');
    expect(text).toContain('event: row\ndata: {"op":"+I","values":["t3"]}\n\n');
    ac.abort();
    await eventually(async () => !(await runningQueries()).some((q) => q.id === id));
  });

  it('lists, shows and cancels queries', async () => {
    const list = await runningQueries();
    const view = list.find((q) => q.kind === 'view');
    expect(view).toBeDefined();
    const one = await fetch(`${server.url}/v1/queries/${view?.id ?? ''}`);
    expect(((await one.json()) as { query: QueryJson }).query).toMatchObject({ id: view?.id, kind: 'view' });

    const res = await fetch(`${server.url}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT tx_id FROM tx', from: 'earliest' }) });
    const id = res.headers.get('sluice-query-id') ?? '';
    if (res.body === null) throw new Error('no body');
    await readUntil(res.body, (t) => t.includes('"op"'));
    const del = await fetch(`${server.url}/v1/queries/${id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    await readUntil(res.body, () => false);
    await eventually(async () => !(await runningQueries()).some((q) => q.id === id));
    const gone = await fetch(`${server.url}/v1/queries/no-such-query`);
    expect(gone.status).toBe(404);
  });

  it('serves Prometheus metrics, models, catalog and the OpenAPI document', async () => {
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toMatch(/^# (HELP|TYPE) sluice_/m);
    expect(await (await fetch(`${server.url}/v1/models`)).json()).toHaveProperty('models');
    const catalog = (await (await fetch(`${server.url}/v1/catalog`)).json()) as { names: string[] };
    expect(catalog.names).toEqual(expect.arrayContaining(['tx', 'cards', 'big']));
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { openapi: string };
    expect(doc.openapi).toMatch(/^3\./);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('uploads a new model version over HTTP and lists its versions', async () => {
    expect((await sql("CREATE MODEL up INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx')")).status).toBe(200);
    const bytes = await readFile('models/fraud-mlp.onnx');
    const res = await fetch(`${server.url}/v1/models?name=up`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(res.status).toBeLessThan(300);
    const versions = (await (await fetch(`${server.url}/v1/models/up/versions`)).json()) as { versions: { number: number; registeredBy: string }[] };
    expect(versions.versions.map((v) => [v.number, v.registeredBy])).toEqual([
      [1, 'sql'],
      [2, 'http'],
    ]);
    const one = (await (await fetch(`${server.url}/v1/models/up`)).json()) as { model: { version: number; provider: string; versions: unknown[]; stats: { rows: number } } };
    expect(one.model).toMatchObject({ version: 2, provider: 'cpu', stats: { rows: 0 } });
    expect(one.model.versions).toHaveLength(2);
    const bad = await fetch(`${server.url}/v1/models?name=up`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from('not a model') });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toMatch(/MODEL/);
  });

  it('POST /v1/models/:name/predict answers the scores a direct onnxruntime call gives, row errors per row', async () => {
    expect((await sql("CREATE MODEL inter INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'batch.max_wait' = '2ms')")).status).toBe(200);
    const n = 50;
    const rows: unknown[] = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? { features: txEvent(i).features } : [txEvent(i).features]));
    rows.push({ features: [1, 2] });
    const post = (body: unknown) => fetch(`${server.url}/v1/models/inter/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const t0 = performance.now();
    const res = await post({ rows });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; rows: ({ outputs: { score: number }; version: number } | { error: string })[] };
    const session = await ort.InferenceSession.create('models/fraud.onnx');
    const features = new Float32Array(n * 30);
    for (let i = 0; i < n; i++) features.set(Float32Array.from(txEvent(i).features), i * 30);
    const direct = (await session.run({ features: new ort.Tensor('float32', features, [n, 30]) }))['score']!.data as Float32Array;
    for (let i = 0; i < n; i++) expect(body.rows[i]).toEqual({ outputs: { score: direct[i] }, version: 1 });
    expect(body.rows[n]).toEqual({ error: "input 'features' needs 30 number(s), got 2" });
    // One row alone waits for batch.max_wait at most, not for a full batch.
    const one = await post({ rows: [{ features: txEvent(0).features }] });
    expect(((await one.json()) as { rows: unknown[] }).rows[0]).toEqual({ outputs: { score: direct[0] }, version: 1 });
    expect(performance.now() - t0).toBeLessThan(10_000);
    const pinned = await post({ rows: [{ features: txEvent(0).features }], version: 3 });
    expect(pinned.status).toBe(404);
    expect(((await pinned.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_VERSION');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/sluice_model_rows_by_role_total\{model="inter",role="interactive"\} 51/);
  });

  it('registers a new model from an upload with the signature its file declares (201)', async () => {
    const bytes = await readFile('models/fraud-mlp.onnx');
    const res = await fetch(`${server.url}/v1/models?name=fresh&by=alice`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(res.status).toBe(201);
    const one = (await (await fetch(`${server.url}/v1/models/fresh`)).json()) as { model: { version: number; inputs: unknown; outputs: unknown } };
    expect(one.model).toMatchObject({ version: 1, inputs: [{ name: 'features', type: 'ARRAY<FLOAT>(30)' }], outputs: [{ name: 'score', type: 'FLOAT' }] });
  });

  it('rolls a model out over HTTP: candidate, promote, rollback, with the roles in GET /v1/models', async () => {
    expect((await sql("CREATE MODEL ro INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx')")).status).toBe(200);
    const post = (url: string, body?: unknown) => fetch(`${server.url}${url}`, { method: 'POST', ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
    const set = await post('/v1/models/ro/candidate?by=ci&reason=nightly', { path: 'models/fraud-mlp.onnx', mode: 'canary', share: 0.25, metadata: '{"auc": 0.97}' });
    expect(set.status).toBe(201);
    const summary = async () => ((await (await fetch(`${server.url}/v1/models`)).json()) as { models: { name: string }[] }).models.find((m) => m.name === 'ro');
    expect(await summary()).toMatchObject({ serving: 1, candidate: { version: 2, mode: 'canary', share: 0.25 }, versions: [{ number: 1, role: 'serving' }, { number: 2, role: 'canary' }] });
    expect((await post('/v1/models/ro/promote')).status).toBe(200);
    expect(await summary()).toMatchObject({ serving: 2, candidate: null });
    expect((await post('/v1/models/ro/rollback?version=1')).status).toBe(200);
    expect(await summary()).toMatchObject({ serving: 1, versions: [{ number: 1, role: 'serving' }, { number: 2, role: 'retired' }] });
    const none = await post('/v1/models/ro/promote');
    expect(none.status).toBe(409);
    expect(((await none.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'NO_CANDIDATE', message: "model 'ro' has no candidate to promote" });
    const one = (await (await fetch(`${server.url}/v1/models/ro`)).json()) as { model: { versions: { number: number; metadata: unknown }[]; events: { action: string; by: string; reason: string | null }[] } };
    expect(one.model.versions[1]?.metadata).toEqual({ auc: 0.97 });
    expect(one.model.events.map((e) => [e.action, e.by, e.reason])).toEqual([
      ['create', 'sql', null],
      ['candidate', 'ci', 'nightly'],
      ['promote', 'http', null],
      ['rollback', 'http', null],
    ]);
  });
});
