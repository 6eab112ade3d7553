import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { buildServer } from '../../src/server/app.js';

let dir: string;
let engine: Engine | undefined;

async function open(): Promise<Engine> {
  engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  return engine;
}

async function createPerKey(e: Engine): Promise<void> {
  await e.execute(`
    CREATE STREAM s (k STRING, v INT) WITH (partitions = 1);
    CREATE MATERIALIZED VIEW per_key AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;`);
}

async function rows(e: Engine, sql: string): Promise<unknown[][]> {
  const [r] = await e.execute(sql);
  if (r?.kind !== 'rows') throw new Error(`expected rows, got ${r?.kind}`);
  return r.rows.map((row) => [...row]);
}

async function counts(e: Engine): Promise<Record<string, number>> {
  await e.checkpointAll();
  const out: Record<string, number> = {};
  for (const r of await e.viewScan('per_key')) out[String(r['k'])] = Number(r['n']);
  return out;
}

afterEach(async () => {
  await engine?.close();
  engine = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('stopping and starting a persistent query', () => {
  it('a stopped view is stopped everywhere, reads as stopped, and resumes without losing or repeating a row', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-stop-'));
    const e = await open();
    await createPerKey(e);
    await e.execute("INSERT INTO s VALUES ('a', 1), ('b', 2), ('a', 3)");
    expect(await counts(e)).toEqual({ a: 2, b: 1 });

    const stopped = await e.stopQuery('view_per_key');
    expect(stopped?.status).toBe('stopped');
    expect(e.query('view_per_key')?.status).toBe('stopped');
    expect(await rows(e, 'SHOW QUERIES')).toContainEqual(['view_per_key', 'view', 'per_key', 'stopped', 0, 0, 0, null]);
    expect(await rows(e, 'SHOW VIEWS')).toEqual([['per_key', null, 'view_per_key', 'stopped']]);
    await expect(e.viewScan('per_key')).rejects.toMatchObject({ code: 'QUERY_STOPPED', hint: expect.stringContaining('POST /v1/queries/view_per_key/start') });
    await expect(e.execute('SELECT k, n FROM per_key')).rejects.toMatchObject({ code: 'QUERY_STOPPED', span: { start: { line: 1, column: 18 } } });

    await e.execute("INSERT INTO s VALUES ('b', 4), ('c', 5)");
    const started = await e.startQuery('view_per_key');
    expect(started?.status).toBe('running');
    expect(await rows(e, 'SHOW VIEWS')).toEqual([['per_key', 'k', 'view_per_key', 'running']]);
    expect(await counts(e)).toEqual({ a: 2, b: 2, c: 1 });
  });

  it('stays stopped across a restart until started', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-stop-'));
    let e = await open();
    await createPerKey(e);
    await e.execute("INSERT INTO s VALUES ('a', 1)");
    expect(await counts(e)).toEqual({ a: 1 });
    await e.stopQuery('view_per_key');
    await e.close();

    e = await open();
    expect(e.query('view_per_key')?.status).toBe('stopped');
    expect(e.restoreErrors).toEqual([]);
    await e.execute("INSERT INTO s VALUES ('a', 2)");
    await e.startQuery('view_per_key');
    expect(await counts(e)).toEqual({ a: 2 });
    await e.close();

    e = await open();
    expect(e.query('view_per_key')?.status).toBe('running');
    expect(await counts(e)).toEqual({ a: 2 });
  });

  it('over HTTP: POST .../stop and .../start, DELETE stops a view, and /v1/queries agrees with SHOW', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-stop-'));
    const e = await open();
    const app = buildServer(e, { errorSink: () => undefined });
    try {
      await createPerKey(e);
      const status = async () => ((await app.inject({ url: '/v1/queries' })).json() as { queries: { id: string; status: string }[] }).queries.find((q) => q.id === 'view_per_key')?.status;

      const stop = await app.inject({ method: 'POST', url: '/v1/queries/view_per_key/stop' });
      expect(stop.statusCode).toBe(200);
      expect(stop.json()).toMatchObject({ query: { id: 'view_per_key', status: 'stopped' } });
      expect(await status()).toBe('stopped');
      const read = await app.inject({ url: '/v1/views/per_key' });
      expect(read.statusCode).toBe(409);
      expect(read.json()).toMatchObject({ error: { code: 'QUERY_STOPPED' } });

      const start = await app.inject({ method: 'POST', url: '/v1/queries/view_per_key/start' });
      expect(start.json()).toMatchObject({ query: { id: 'view_per_key', status: 'running' } });
      expect(await status()).toBe('running');

      const del = await app.inject({ method: 'DELETE', url: '/v1/queries/view_per_key' });
      expect(del.json()).toMatchObject({ id: 'view_per_key', cancelled: true, query: { status: 'stopped' } });
      expect(await status()).toBe('stopped');
      expect(await rows(e, 'SHOW VIEWS')).toEqual([['per_key', null, 'view_per_key', 'stopped']]);

      const unknown = await app.inject({ method: 'POST', url: '/v1/queries/nope/start' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ error: { code: 'UNKNOWN_QUERY' } });
    } finally {
      await app.close();
    }
  });

  it('refuses to stop a view that another view or sink reads, naming them', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-stop-'));
    const e = await open();
    await createPerKey(e);
    await e.execute('CREATE SINK busy WITH (connector = \'log\') AS SELECT k, n FROM per_key');
    await expect(e.stopQuery('view_per_key')).rejects.toMatchObject({
      code: 'IN_USE',
      message: "cannot stop materialized view 'per_key': sink busy reads it",
      hint: 'stop it first (POST /v1/queries/sink_busy/stop)',
    });
    expect(e.query('view_per_key')?.status).toBe('running');
    expect((await e.stopQuery('sink_busy'))?.status).toBe('stopped');
    expect((await e.stopQuery('view_per_key'))?.status).toBe('stopped');
    await e.execute('DROP SINK busy');
    await e.execute('DROP MATERIALIZED VIEW per_key');
    expect(e.queries()).toEqual([]);
  });
});
