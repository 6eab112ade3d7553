/** What the console lists of relations, and the bounded newest-first peek that pages dead letters. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { relationInspector, type RelationInspector } from '../../src/engine/relation-info.js';
import { tempEngine } from './helpers.js';

let engine: Engine;
let inspect: RelationInspector;
let cleanup: () => Promise<void>;

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  ({ engine, cleanup } = await tempEngine());
  inspect = relationInspector(engine);
  const values = Array.from({ length: 25 }, (_, i) => `('k${i}', ${i}, ${i % 5})`).join(', ');
  await engine.execute(`
    CREATE STREAM pay (id STRING, n INT, d INT) WITH (partitions = 1, retention = '2h');
    CREATE STREAM wide (id STRING) WITH (partitions = 3);
    CREATE TABLE cards (card_id STRING PRIMARY KEY, lim DOUBLE);
    INSERT INTO cards VALUES ('c1', 10.0), ('c2', 20.0);
    CREATE MATERIALIZED VIEW ratio AS SELECT id, n / d AS r FROM pay;
    INSERT INTO pay VALUES ${values};
    INSERT INTO wide VALUES ('a'), ('b'), ('c'), ('d');`);
  // d = 0 in 5 of the 25 rows; they are counted, then written to ratio_dlq with the checkpoint.
  await until(() => inspect.list().find((r) => r.name === 'ratio_dlq')?.records === 5, 'five dead letters in ratio_dlq');
});
afterAll(async () => cleanup());

describe('relationInspector', () => {
  it('lists every relation with schema, key, partitions, retention and size', () => {
    const byName = new Map(inspect.list().map((r) => [r.name, r]));
    expect([...byName.keys()]).toEqual(['cards', 'pay', 'ratio', 'ratio_dlq', 'wide']);
    expect(byName.get('pay')).toMatchObject({ kind: 'stream', partitions: 1, retentionMs: 7_200_000, records: 25, deadLetters: false, columns: [{ name: 'id', type: 'STRING' }, { name: 'n', type: 'INT' }, { name: 'd', type: 'INT' }] });
    expect(byName.get('wide')).toMatchObject({ partitions: 3, records: 4 });
    expect(byName.get('cards')).toMatchObject({ kind: 'table', key: ['card_id'], rows: 2 });
    expect(byName.get('ratio')).toMatchObject({ kind: 'view', queryId: 'view_ratio' });
    expect(byName.get('ratio_dlq')).toMatchObject({ deadLetters: true, records: 5 });
  });

  it('peeks at the newest rows first, with partition and offset, and pages back with before/next', async () => {
    const first = await inspect.peek('pay', { limit: 10, partition: 0 });
    expect(first.rows.map((r) => r.offset)).toEqual([24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
    expect(first.rows[0]!.values).toEqual(['k24', 24, 4]);
    expect(first.next).toBe(15);
    const second = await inspect.peek('pay', { limit: 10, partition: 0, before: first.next! });
    expect(second.rows.map((r) => r.offset)).toEqual([14, 13, 12, 11, 10, 9, 8, 7, 6, 5]);
    const last = await inspect.peek('pay', { limit: 10, partition: 0, before: 5 });
    expect(last.rows.map((r) => r.offset)).toEqual([4, 3, 2, 1, 0]);
    expect(last.next).toBeUndefined();
  });

  it("pages a view's dead letters with their reason and the row", async () => {
    const page = await inspect.peek('ratio_dlq', { limit: 3, partition: 0 });
    const col = (name: string) => page.columns.findIndex((c) => c.name === name);
    expect(page.rows).toHaveLength(3);
    for (const r of page.rows) expect(r.values[col('reason')]).toBe('SELECT r := n / d: division by zero');
    expect(page.rows.map((r) => JSON.parse(String(r.values[col('row')])).id)).toEqual(['k20', 'k15', 'k10']);
  });

  it('peeks across partitions, and tables and views by their rows', async () => {
    expect((await inspect.peek('wide', { limit: 10 })).rows.map((r) => r.values[0]).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect((await inspect.peek('cards', { limit: 10 })).rows.map((r) => r.values)).toEqual([['c1', 10], ['c2', 20]]);
    expect((await inspect.peek('ratio', { limit: 100 })).rows).toHaveLength(20);
  });

  it('refuses what it cannot answer, saying why', async () => {
    await expect(inspect.peek('wide', { limit: 5, before: 3 })).rejects.toThrow(/needs one partition: stream 'wide' has 3/);
    await expect(inspect.peek('wide', { limit: 5, partition: 7 })).rejects.toThrow(/partitions 0 to 2, not 7/);
    await expect(inspect.peek('nope', { limit: 5 })).rejects.toMatchObject({ code: 'UNKNOWN_RELATION' });
  });
});
