/**
 * Objects that views and sinks read cannot be dropped from under them, and a catalog statement
 * that can no longer run (its model file is gone) does not keep the engine from opening.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sluice-deps-'));
  dirs.push(d);
  return d;
}

async function refusal(engine: Engine, sql: string): Promise<{ code: string; message: string; hint?: string }> {
  try {
    await engine.execute(sql);
  } catch (err) {
    return err as { code: string; message: string; hint?: string };
  }
  throw new Error(`expected ${sql} to be refused`);
}

const SETUP = (modelPath: string) => `
  CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, features ARRAY<FLOAT>(30)) WITH (partitions = 1);
  CREATE TABLE cards (card_id STRING PRIMARY KEY, limit_amount DOUBLE);
  CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = '${modelPath}');
  CREATE FUNCTION ratio(a DOUBLE, b DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'return a / b';
  CREATE MATERIALIZED VIEW scores AS
    SELECT tx.tx_id, predict('fraud', tx.features) AS score, ratio(tx.amount, cards.limit_amount) AS r FROM tx JOIN cards;
  CREATE SINK high AS SELECT tx_id, score FROM scores WHERE score > 0.5;`;

describe('dropping what a view or sink reads', () => {
  it('is refused with the readers named, and allowed once they are gone', async () => {
    const dir = tempDir();
    const engine = await Engine.open({ dataDir: dir });
    try {
      await engine.execute(SETUP('models/fraud.onnx'));
      const model = await refusal(engine, 'DROP MODEL fraud');
      expect(model.code).toBe('IN_USE');
      expect(model.message).toBe("cannot drop model 'fraud': materialized view scores reads it");
      expect(model.hint).toBe('drop it first (DROP MATERIALIZED VIEW scores), or swap its file with ALTER MODEL fraud SET (path = ...)');
      expect((await refusal(engine, 'DROP FUNCTION ratio')).message).toBe("cannot drop function 'ratio': materialized view scores reads it");
      expect((await refusal(engine, 'DROP TABLE cards')).message).toBe("cannot drop table 'cards': materialized view scores reads it");
      expect((await refusal(engine, 'DROP STREAM tx')).message).toBe("cannot drop stream 'tx': materialized view scores reads it");
      expect((await refusal(engine, 'DROP MATERIALIZED VIEW scores')).message).toBe("cannot drop materialized view 'scores': sink high reads it");

      const usedBy = async (): Promise<unknown> => {
        const [d] = await engine.execute('DESCRIBE MODEL fraud');
        return d?.kind === 'rows' ? d.rows.find((r) => r[0] === 'used_by')?.[1] : undefined;
      };
      expect(await usedBy()).toBe('materialized view scores');

      await engine.execute('DROP SINK high; DROP MATERIALIZED VIEW scores');
      expect(await usedBy()).toBe('no view or sink');
      await engine.execute('DROP MODEL fraud; DROP FUNCTION ratio; DROP TABLE cards; DROP STREAM tx');
      const [shown] = await engine.execute('SHOW MODELS');
      expect(shown?.kind === 'rows' ? shown.rows : undefined).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});

describe('restoring the catalog on open', () => {
  it('opens without what can no longer run, says why, and restores it once it can', async () => {
    const dir = tempDir();
    const file = join(dir, 'fraud.onnx');
    copyFileSync('models/fraud.onnx', file);
    let engine = await Engine.open({ dataDir: join(dir, 'data'), allowedPaths: [dir] });
    await engine.execute(SETUP(file));
    await engine.close();

    rmSync(file);
    engine = await Engine.open({ dataDir: join(dir, 'data'), allowedPaths: [dir] });
    try {
      expect(engine.restoreErrors.map((e) => [e.error.code, /^CREATE (MODEL|MATERIALIZED VIEW|SINK) \w+/.exec(e.sql)?.[0]])).toEqual([
        ['MODEL_ERROR', 'CREATE MODEL fraud'],
        ['UNKNOWN_MODEL', 'CREATE MATERIALIZED VIEW scores'],
        ['QUERY_STOPPED', 'CREATE SINK high'],
      ]);
      expect(engine.restoreErrors[0]!.error.render()).toContain('cannot read');
      // Everything else is there and works.
      await engine.execute("INSERT INTO tx VALUES ('t1', 'c1', 5, ARRAY[" + Array(30).fill(0).join(',') + '])');
      const [shown] = await engine.execute('SHOW STREAMS');
      expect(shown?.kind === 'rows' ? shown.rows.map((r) => r[0]) : []).toContain('tx');
    } finally {
      await engine.close();
    }

    copyFileSync('models/fraud.onnx', file);
    engine = await Engine.open({ dataDir: join(dir, 'data'), allowedPaths: [dir] });
    try {
      expect(engine.restoreErrors).toEqual([]);
      expect(engine.queries().map((q) => q.id).sort()).toEqual(['sink_high', 'view_scores']);
    } finally {
      await engine.close();
    }
  });

  it('restores statements recorded before their options were checked, misspelled ones included', async () => {
    const dir = tempDir();
    let engine = await Engine.open({ dataDir: dir });
    // As an older version recorded it: an option no connector takes was accepted then.
    await engine.remember('stream', 'legacy', "CREATE STREAM legacy (id STRING) WITH (partitions = 1, retenton = '1h')");
    await engine.close();
    engine = await Engine.open({ dataDir: dir });
    try {
      expect(engine.restoreErrors).toEqual([]);
      await engine.execute("INSERT INTO legacy VALUES ('a')");
      // A new statement with the same option is refused, pointing at it.
      await expect(engine.execute("CREATE STREAM fresh (id STRING) WITH (partitions = 1, retenton = '1h')")).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: "stream fresh does not take option 'retenton' (connector 'log')",
        hint: "did you mean 'retention'?",
      });
    } finally {
      await engine.close();
    }
  });
});
