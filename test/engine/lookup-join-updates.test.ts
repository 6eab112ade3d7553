/**
 * A running query's lookup join reads the table as it is when each row is processed: rows
 * written to the table (INSERT, an upsert of a key, a key a row already looked up and missed)
 * are seen by the stream rows that come after them, for a STRING key and a key of another type.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { tempEngine } from './helpers.js';

const numbers = (rows: readonly (readonly unknown[])[]): unknown[][] => rows.map((r) => r.map((x) => (typeof x === 'bigint' ? Number(x) : x)));

describe('a lookup join in a running view', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
  });
  afterEach(async () => cleanup());

  for (const [what, type, k1, k2] of [
    ['a STRING key', 'STRING', "'c1'", "'c2'"],
    ['a BIGINT key', 'BIGINT', '1', '2'],
  ] as const) {
    it(`sees each table write in the rows after it (${what})`, async () => {
      await engine.execute(`CREATE TABLE cards (card_id ${type} PRIMARY KEY, owner STRING); CREATE STREAM tx (id INT, card_id ${type}) WITH (partitions = 1)`);
      await engine.execute('CREATE MATERIALIZED VIEW joined AS SELECT tx.id, tx.card_id, cards.owner FROM tx LEFT JOIN cards ON tx.card_id = cards.card_id');
      const step = async (sql: string): Promise<void> => {
        await engine.execute(sql);
        await engine.checkpointAll();
      };
      await step(`INSERT INTO cards VALUES (${k1}, 'ann')`);
      await step(`INSERT INTO tx VALUES (1, ${k1}), (2, ${k2}), (3, ${k1})`);
      await step(`INSERT INTO cards VALUES (${k2}, 'bob')`);
      await step(`INSERT INTO tx VALUES (4, ${k2}), (5, ${k1})`);
      await step(`INSERT INTO cards VALUES (${k1}, 'anna')`);
      await step(`INSERT INTO tx VALUES (6, ${k1}), (7, ${k2}), (8, NULL)`);
      const rows = numbers((await engine.viewScan('joined')).map((r) => [r['id'], r['owner']])).sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(rows).toEqual([
        [1, 'ann'],
        [2, null],
        [3, 'ann'],
        [4, 'bob'],
        [5, 'ann'],
        [6, 'anna'],
        [7, 'bob'],
        [8, null],
      ]);
    });
  }
});
