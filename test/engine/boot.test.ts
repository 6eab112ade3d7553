/**
 * A data folder always boots: a view or sink that fails to restore is listed as failed with its
 * reason while the others run, and `startQueries: false` opens the catalog without running any,
 * so the bad one can be dropped.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A data folder with two views: `good` (inline function) and `bad` (a trusted module function). */
async function dataFolder(): Promise<{ dataDir: string; udfs: string }> {
  const root = mkdtempSync(join(tmpdir(), 'sluice-boot-'));
  dirs.push(root);
  const udfs = join(root, 'udfs');
  mkdirSync(udfs);
  writeFileSync(join(udfs, 'f.mjs'), 'export default (x) => x * 10;\n');
  const dataDir = join(root, 'data');
  const engine = await Engine.open({ dataDir, trustedFunctionsDir: udfs });
  await engine.execute(`
    CREATE STREAM s (id STRING, v DOUBLE) WITH (partitions = 1);
    CREATE FUNCTION twice(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'return x * 2';
    CREATE FUNCTION tenfold(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript WITH (module = 'f.mjs');
    CREATE FUNCTION quit(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'process.exit(7)';
    CREATE MATERIALIZED VIEW good AS SELECT id, twice(v) AS w FROM s;
    CREATE MATERIALIZED VIEW bad AS SELECT id, tenfold(v) AS t FROM s;
    CREATE MATERIALIZED VIEW exits AS SELECT id, quit(v) AS q FROM s;`);
  await engine.close();
  return { dataDir, udfs };
}

function statuses(engine: Engine): Record<string, string> {
  return Object.fromEntries(engine.queries().map((q) => [q.id, q.status]));
}

describe('opening a data folder', () => {
  it('starts the views that can run and lists the one that cannot as failed, with its reason', async () => {
    const { dataDir } = await dataFolder();
    // Without the trusted folder the module function cannot be restored, nor the view over it.
    const engine = await Engine.open({ dataDir });
    try {
      expect(statuses(engine)).toEqual({ view_good: 'running', view_exits: 'running', view_bad: 'failed' });
      const bad = engine.query('view_bad')!;
      expect(bad.error).toEqual({ code: 'UNKNOWN_FUNCTION', message: expect.stringContaining('tenfold') });
      expect(engine.restoreErrors.map((e) => e.error.code)).toEqual(['UNSUPPORTED', 'UNKNOWN_FUNCTION']);
      await engine.execute("INSERT INTO s VALUES ('a', 1.5)");
      await engine.checkpointAll();
      expect(await engine.viewScan('good')).toEqual([{ id: 'a', w: 3 }]);
      // The function that tried to end the process only fails its rows.
      expect(engine.query('view_exits')).toMatchObject({ status: 'running', deadLetters: 1 });

      await engine.execute('DROP MATERIALIZED VIEW bad; DROP FUNCTION tenfold');
      expect(statuses(engine)).toEqual({ view_good: 'running', view_exits: 'running' });
    } finally {
      await engine.close();
    }
    const again = await Engine.open({ dataDir });
    try {
      expect(again.restoreErrors).toEqual([]);
      expect(statuses(again)).toEqual({ view_good: 'running', view_exits: 'running' });
    } finally {
      await again.close();
    }
  });

  it('with startQueries off runs nothing, and DROP still works', async () => {
    const { dataDir, udfs } = await dataFolder();
    const engine = await Engine.open({ dataDir, trustedFunctionsDir: udfs, startQueries: false });
    try {
      expect(statuses(engine)).toEqual({ view_good: 'not_started', view_bad: 'not_started', view_exits: 'not_started' });
      expect(engine.running.size).toBe(0);
      const [shown] = await engine.execute('SHOW QUERIES');
      expect(shown?.kind === 'rows' ? shown.rows.map((r) => [r[0], r[3]]) : []).toContainEqual(['view_exits', 'not_started']);
      // Other statements work: the catalog is open.
      await engine.execute("INSERT INTO s VALUES ('b', 2)");
      expect((await engine.execute('DROP MATERIALIZED VIEW exits'))[0]).toMatchObject({ message: expect.stringContaining('dropped') });
      await expect(engine.execute('DROP MATERIALIZED VIEW exits')).rejects.toMatchObject({ code: 'UNKNOWN_RELATION' });
    } finally {
      await engine.close();
    }
    const again = await Engine.open({ dataDir, trustedFunctionsDir: udfs });
    try {
      expect(statuses(again)).toEqual({ view_good: 'running', view_bad: 'running' });
      await again.checkpointAll();
      expect(await again.viewScan('bad')).toEqual([{ id: 'b', t: 20 }]);
    } finally {
      await again.close();
    }
  });
});

describe('CREATE OR REPLACE FUNCTION', () => {
  it('is refused while a view reads the function, which keeps running', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-replace-'));
    dirs.push(root);
    const engine = await Engine.open({ dataDir: root });
    try {
      await engine.execute(`
        CREATE STREAM s (id STRING, v DOUBLE) WITH (partitions = 1);
        CREATE FUNCTION twice(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'return x * 2';
        CREATE MATERIALIZED VIEW w AS SELECT id, twice(v) AS t FROM s;`);
      await expect(engine.execute("CREATE OR REPLACE FUNCTION twice(x DOUBLE) RETURNS STRING LANGUAGE javascript AS 'return String(x)'")).rejects.toMatchObject({
        code: 'IN_USE',
        message: "cannot replace function 'twice': materialized view w reads it",
        hint: 'drop it first (DROP MATERIALIZED VIEW w), or create the new version under another name',
      });
      await engine.execute("INSERT INTO s VALUES ('a', 2)");
      await engine.checkpointAll();
      expect(await engine.viewScan('w')).toEqual([{ id: 'a', t: 4 }]);
    } finally {
      await engine.close();
    }
  });
});
