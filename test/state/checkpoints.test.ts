import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore, EmbeddedLog, KvTable, StateTable } from '../../src/state/index.js';
import { TempStores, collect } from './helpers.js';

const temp = new TempStores();
afterEach(() => temp.dispose());

describe('CheckpointStore', () => {
  it('makes output, state and checkpoint visible together, and none before the write', async () => {
    const dir = await temp.dir();
    const store = await temp.open(dir);
    const log = await EmbeddedLog.open(store);
    await log.createTopic('sink', 1);
    const ckpts = new CheckpointStore(store);
    const state = new StateTable(store, 'q1/agg', 0);
    const view = new KvTable(store, 'totals');

    const wb = store.batch();
    const base = log.append('sink', 0, Buffer.from('rows'), 5, wb);
    state.put('user:1', { total: 10 });
    state.flush(wb);
    view.upsert('user:1', { total: 10 }, wb);
    ckpts.stage(wb, 'q1', { epoch: 1, offsets: { 'orders/0': 42 }, meta: { note: 'first' } });

    expect(await ckpts.latest('q1')).toBeUndefined();
    expect(log.highWatermark('sink', 0)).toBe(0);
    expect(await new StateTable(store, 'q1/agg', 0).get('user:1')).toBeUndefined();
    expect(await view.get('user:1')).toBeUndefined();

    await wb.write();
    expect(log.highWatermark('sink', 0)).toBe(base + 5);
    expect(await view.get('user:1')).toEqual({ total: 10 });
    await store.close();

    const store2 = await temp.open(dir);
    const c = await new CheckpointStore(store2).latest('q1');
    expect(c).toMatchObject({ queryId: 'q1', epoch: 1, offsets: { 'orders/0': 42 }, meta: { note: 'first' } });
    expect(await new StateTable(store2, 'q1/agg', 0).get('user:1')).toEqual({ total: 10 });
    expect((await EmbeddedLog.open(store2)).highWatermark('sink', 0)).toBe(5);
  });

  it('keeps the latest epoch, refuses going back, and drop removes the query state only', async () => {
    const store = await temp.open();
    const ckpts = new CheckpointStore(store);
    for (const epoch of [1, 2, 3]) {
      const wb = store.batch();
      ckpts.stage(wb, 'q1', { epoch, offsets: { 't/0': epoch * 10 } });
      await wb.write();
    }
    expect((await ckpts.latest('q1'))?.offsets).toEqual({ 't/0': 30 });
    expect(() => ckpts.stage(store.batch(), 'q1', { epoch: 3, offsets: {} })).toThrow(/epoch/);

    const mine = new StateTable(store, 'q1/op', 0);
    const other = new StateTable(store, 'q10/op', 0);
    mine.put('k', { v: 1 });
    other.put('k', { v: 2 });
    const wb = store.batch();
    mine.flush(wb);
    other.flush(wb);
    ckpts.stage(wb, 'q10', { epoch: 1, offsets: {} });
    await wb.write();

    await ckpts.drop('q1');
    expect(await ckpts.latest('q1')).toBeUndefined();
    expect(await collect(new StateTable(store, 'q1/op', 0).scan())).toEqual([]);
    expect(await new StateTable(store, 'q10/op', 0).get('k')).toEqual({ v: 2 });
    expect((await ckpts.latest('q10'))?.epoch).toBe(1);
  });
});

describe('KvTable', () => {
  it('upserts, deletes, scans by prefix with a limit, counts and clears', async () => {
    const store = await temp.open();
    const t = new KvTable(store, 'users');
    const other = new KvTable(store, 'users2');
    await other.upsert('a', { x: 0 });
    await t.upsert('b:2', { n: 2 });
    await t.upsert('a:1', { n: 1 });
    await t.upsert('b:1', { n: 1 });
    await t.upsert('b:1', { n: 11 });
    await t.delete('a:1');
    expect(await t.get('b:1')).toEqual({ n: 11 });
    expect(await t.count()).toBe(2);
    expect(await collect(t.scan())).toEqual([
      ['b:1', { n: 11 }],
      ['b:2', { n: 2 }],
    ]);
    expect(await collect(t.scan({ prefix: 'b:', limit: 1 }))).toEqual([['b:1', { n: 11 }]]);
    const wb = store.batch();
    t.delete('b:2', wb);
    t.upsert('c', { n: 3 }, wb);
    expect(await t.count()).toBe(2);
    await wb.write();
    expect((await collect(t.scan())).map(([k]) => k)).toEqual(['b:1', 'c']);
    await t.clear();
    expect(await t.count()).toBe(0);
    expect(await other.count()).toBe(1);
  });
});
