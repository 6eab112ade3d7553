import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

describe('materialized views across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays DDL, resumes from the checkpoint, and neither loses nor repeats rows', async () => {
    let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`
      CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE) WITH (key = 'card_id', partitions = 2);
      CREATE TABLE cards (card_id STRING PRIMARY KEY, owner STRING);
      INSERT INTO cards VALUES ('c1', 'ann'), ('c2', 'bob');
      CREATE MATERIALIZED VIEW big AS SELECT tx.tx_id, tx.card_id, owner, amount FROM tx JOIN cards WHERE amount > 10;
      CREATE SINK big_log WITH (connector = 'log', topic = 'big_out') AS SELECT tx_id, amount FROM tx WHERE amount > 10;
      INSERT INTO tx VALUES ('t1', 'c1', 50.0), ('t2', 'c2', 5.0), ('t3', 'c2', 70.0);
    `);
    await engine.checkpointAll();
    expect(await engine.viewRow('big', 'c2')).toEqual({ tx_id: 't3', card_id: 'c2', owner: 'bob', amount: 70 });
    await engine.close();

    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`INSERT INTO tx VALUES ('t4', 'c1', 99.0)`);
    await engine.checkpointAll();
    expect(await engine.viewRow('big', 'c1')).toEqual({ tx_id: 't4', card_id: 'c1', owner: 'ann', amount: 99 });
    const [res] = await engine.execute('SELECT * FROM big_out', { bounded: true });
    const rows: unknown[][] = [];
    if (res?.kind === 'push') for await (const b of res.rows) rows.push(...b.map((r) => [...r.values]));
    expect(rows.sort()).toEqual([
      ['t1', 50],
      ['t3', 70],
      ['t4', 99],
    ]);
    // A pull query reads every row of the view (the lookup by key above, the latest of its key).
    const [pull] = await engine.execute("SELECT tx_id, owner FROM big WHERE card_id = 'c1' ORDER BY tx_id");
    expect(pull?.kind === 'rows' && pull.rows).toEqual([
      ['t1', 'ann'],
      ['t4', 'ann'],
    ]);
    await engine.close();
  });

  it('keeps views that are not materialized, replaced or dropped, and the materialized views that read them', async () => {
    let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.execute(`
      CREATE TABLE cards (card_id STRING PRIMARY KEY, owner STRING, risk INT);
      INSERT INTO cards VALUES ('c1', 'ann', 3), ('c2', 'bob', 9), ('c3', 'cy', 7);
      CREATE VIEW risky AS SELECT card_id, owner FROM cards WHERE risk > 5;
      CREATE VIEW names AS SELECT owner FROM risky;
      CREATE VIEW gone AS SELECT 1 AS one;
      CREATE STREAM tx (tx_id STRING, card_id STRING) WITH (partitions = 1);
      CREATE MATERIALIZED VIEW risky_tx AS SELECT tx.tx_id, r.owner FROM tx JOIN risky r ON tx.card_id = r.card_id;
      INSERT INTO tx VALUES ('t1', 'c2'), ('t2', 'c1');
      CREATE OR REPLACE VIEW risky AS SELECT card_id, owner FROM cards WHERE risk > 8;
      DROP VIEW gone;
    `);
    await engine.checkpointAll();
    await engine.close();

    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    const rows = async (sql: string) => {
      const [r] = await engine.execute(sql);
      return r?.kind === 'rows' ? r.rows : r;
    };
    expect(await rows('SELECT owner FROM names ORDER BY owner')).toEqual([['bob']]);
    expect(await rows('SELECT tx_id, owner FROM risky_tx')).toEqual([['t1', 'bob']]);
    await expect(engine.execute('SELECT * FROM gone')).rejects.toThrow(/unknown stream, table or view 'gone'/);
    await engine.close();
  });
});
