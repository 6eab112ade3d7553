/**
 * A table's changelog (TableRows.startChangelog): first every row as an insert, then each write's
 * changes in order with the rows they replace; a start cut short is redone from an empty changelog.
 */
import { afterEach, expect, it } from 'vitest';
import { StateCache, TableRows, type TableChangeKind, type TableChangelogWriter } from '../../src/state/index.js';
import { TempStores } from './helpers.js';

const stores = new TempStores();
afterEach(() => stores.dispose());

type Logged = [TableChangeKind, ...unknown[]];

function recorder(into: Logged[], failAfter = Infinity): TableChangelogWriter {
  let calls = 0;
  return (rows, kinds, wb) => {
    if (++calls > failAfter) throw new Error('crash while seeding');
    rows.forEach((r, i) => into.push([kinds[i]!, ...r]));
    void wb;
  };
}

async function openRows() {
  const store = await stores.open();
  const rows = await TableRows.open(store, 'table:t', ['k', 'v'], new StateCache(1 << 20));
  return { store, rows };
}

it('starts with every row, then logs each change with the row it replaces', async () => {
  const { rows } = await openRows();
  await rows.apply([['a', { k: 'a', v: 1 }], ['b', { k: 'b', v: 2 }], ['c', { k: 'c', v: 3 }]]);
  const log: Logged[] = [];
  let resets = 0;
  await rows.startChangelog(recorder(log), { exists: () => false, reset: async () => void resets++ }, 2);
  expect(resets).toBe(1);
  expect(log).toEqual([[0, 'a', 1], [0, 'b', 2], [0, 'c', 3]]);
  expect(await rows.hasChangelog()).toBe(true);
  log.length = 0;
  // Within one write: an update, a delete, a new key, a key written twice, a delete of a missing key.
  await rows.apply([['a', { k: 'a', v: 10 }], ['b', null], ['d', { k: 'd', v: 4 }], ['d', { k: 'd', v: 5 }], ['zz', null]]);
  expect(log).toEqual([[1, 'a', 1], [2, 'a', 10], [3, 'b', 2], [0, 'd', 4], [1, 'd', 4], [2, 'd', 5]]);
  expect(rows.size).toBe(3);
});

it('redoes a start cut short, and attaches a finished one without seeding it again', async () => {
  const { store, rows } = await openRows();
  await rows.apply([['a', { k: 'a', v: 1 }], ['b', { k: 'b', v: 2 }], ['c', { k: 'c', v: 3 }]]);
  const cut: Logged[] = [];
  await expect(rows.startChangelog(recorder(cut, 1), { exists: () => true, reset: async () => undefined }, 2)).rejects.toThrow('crash while seeding');
  expect(await rows.hasChangelog()).toBe(false);
  expect(rows.changelogAttached).toBe(false);
  // Writes before a start are not logged.
  await rows.apply([['a', { k: 'a', v: 7 }]]);
  expect(cut).toEqual([[0, 'a', 1], [0, 'b', 2]]);

  const log: Logged[] = [];
  let resets = 0;
  await rows.startChangelog(recorder(log), { exists: () => true, reset: async () => void resets++ }, 2);
  expect(resets).toBe(1);
  expect(log).toEqual([[0, 'a', 7], [0, 'b', 2], [0, 'c', 3]]);

  // Started and stored: another start (a restart's) attaches without seeding or resetting.
  const again: Logged[] = [];
  const other = await TableRows.open(store, 'table:t', ['k', 'v'], new StateCache(1 << 20));
  await other.startChangelog(recorder(again), { exists: () => true, reset: async () => void resets++ });
  expect(resets).toBe(1);
  expect(again).toEqual([]);
  await other.apply([['c', null]]);
  expect(again).toEqual([[3, 'c', 3]]);
  // A mark whose changelog is gone counts for none: seeded again.
  const third: Logged[] = [];
  await (await TableRows.open(store, 'table:t', ['k', 'v'], new StateCache(1 << 20))).startChangelog(recorder(third), { exists: () => false, reset: async () => void resets++ });
  expect(resets).toBe(2);
  expect(third).toEqual([[0, 'a', 7], [0, 'b', 2]]);
});
