/**
 * A view that reads a table whole (its changelog) follows the table's changes across restarts:
 * the changelog goes on from the first write after the engine reopens (INSERT, UPDATE, DELETE),
 * and the view resumes at its checkpoint without reading a change twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { collectRows } from '../sql/collect.js';

const dirs: string[] = [];
/** A view shows a change once its query has read it: a checkpoint need not wait for that. */
const POLL = { timeout: 10_000, interval: 50 };
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('keeps a view over a table current across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-table-log-'));
  dirs.push(dir);
  const open = () => Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  let engine = await open();
  const rows = async (view: string) =>
    (await engine.viewScan(view)).map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))).sort();
  await engine.execute(`
    CREATE STREAM ev (k STRING, n INT) WITH (partitions = 2);
    CREATE TABLE cat (k STRING PRIMARY KEY, w INT);
    INSERT INTO cat VALUES ('a', 1), ('b', 2);
    INSERT INTO ev VALUES ('a', 1), ('b', 2), ('c', 3);
    CREATE MATERIALIZED VIEW per_key AS SELECT cat.k, cat.w, COUNT(ev.n) AS events FROM cat LEFT JOIN ev ON cat.k = ev.k GROUP BY cat.k, cat.w;
    CREATE MATERIALIZED VIEW weights AS SELECT w, COUNT(*) AS keys FROM cat GROUP BY w;
  `);
  await engine.checkpointAll();
  await expect.poll(() => rows('per_key'), POLL).toEqual(['{"k":"a","w":1,"events":1}', '{"k":"b","w":2,"events":1}']);
  await engine.close();

  engine = await open();
  await engine.execute("UPDATE cat SET w = 2 WHERE k = 'a'; INSERT INTO cat VALUES ('c', 5); DELETE FROM cat WHERE k = 'b'; INSERT INTO ev VALUES ('c', 4)");
  await engine.checkpointAll();
  await expect.poll(() => rows('per_key'), POLL).toEqual(['{"k":"a","w":2,"events":1}', '{"k":"c","w":5,"events":2}']);
  await expect.poll(() => rows('weights'), POLL).toEqual(['{"w":2,"keys":1}', '{"w":5,"keys":1}']);
  await engine.close();

  // Reopened with no change since: nothing is read twice.
  engine = await open();
  await engine.execute("INSERT INTO cat VALUES ('d', 5)");
  await engine.checkpointAll();
  await expect.poll(() => rows('weights'), POLL).toEqual(['{"w":2,"keys":1}', '{"w":5,"keys":2}']);
  await expect.poll(() => rows('per_key'), POLL).toEqual(['{"k":"a","w":2,"events":1}', '{"k":"c","w":5,"events":2}', '{"k":"d","w":5,"events":0}']);
  // And stays so: no change is read a second time later.
  await engine.checkpointAll();
  expect(await rows('weights')).toEqual(['{"w":2,"keys":1}', '{"w":5,"keys":2}']);
  await engine.close();
});

it('logs the writes after a restart that come before any query reads the table again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-table-log-'));
  dirs.push(dir);
  const open = () => Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
  let engine = await open();
  await engine.execute(`
    CREATE STREAM ev (k STRING) WITH (partitions = 1);
    CREATE TABLE cat (k STRING PRIMARY KEY, w INT);
    INSERT INTO cat VALUES ('a', 1), ('b', 2);
  `);
  // A query that reads the table whole starts its changelog, and ends.
  const first = await collectRows(engine, 'SELECT k FROM ev UNION ALL SELECT k FROM cat');
  expect(first.rows.map((r) => r[0]).sort()).toEqual(['a', 'b']);
  await engine.close();

  engine = await open();
  await engine.execute("UPDATE cat SET w = 3 WHERE k = 'a'; DELETE FROM cat WHERE k = 'b'; INSERT INTO cat VALUES ('c', 4)");
  await engine.execute('CREATE MATERIALIZED VIEW copy AS SELECT k, w FROM cat');
  await engine.checkpointAll();
  const copy = async () => (await engine.viewScan('copy')).map((r) => `${String(r['k'])}=${String(r['w'])}`).sort();
  await expect.poll(copy, POLL).toEqual(['a=3', 'c=4']);
  await engine.close();
});
