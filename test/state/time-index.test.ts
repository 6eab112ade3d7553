import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeKey, StateTable, TimeIndex, type StateRow } from '../../src/state/index.js';
import { collect, TempStores } from './helpers.js';
import { Rng } from '../../src/connectors/rng.js';
import { compareKeys } from '../../src/state/sorted-keys.js';

const stores = new TempStores();
afterEach(() => stores.dispose());

async function commit(store: Awaited<ReturnType<TempStores['open']>>, ...tables: StateTable<StateRow>[]): Promise<void> {
  const wb = store.batch();
  for (const t of tables) t.flush(wb);
  await wb.write();
}

describe('StateTable.range', () => {
  it('reads the keys in [gte, lt), disk merged with dirty entries, deletes hidden', async () => {
    const store = await stores.open();
    const t = new StateTable(store, 'q/op0.x', 0);
    for (const k of ['a', 'ab', 'b', 'b\u0000', 'ba', 'c', '\u{1F600}']) t.put(k, { k });
    await commit(store, t);
    t.put('bb', { k: 'bb' });
    t.delete('ba');
    t.put('a', { k: 'a2' });
    expect((await collect(t.range({ gte: 'ab', lt: 'c' }))).map(([k]) => k)).toEqual(['ab', 'b', 'b\u0000', 'bb']);
    expect((await collect(t.range({ lt: 'b' }))).map(([k, v]) => `${k}=${String(v['k'])}`)).toEqual(['a=a2', 'ab=ab']);
    expect((await collect(t.range({ gte: 'c' }))).map(([k]) => k)).toEqual(['c', '\u{1F600}']);
    expect((await collect(t.range({}))).length).toBe(7);
  });
});

describe('TimeIndex', () => {
  it('yields the entries due by a limit in time order, exclusive or inclusive, across commits', async () => {
    const store = await stores.open();
    const table = new StateTable(store, 'q/op0.ends', 0);
    const index = new TimeIndex(table);
    const times = [5, -3.5, 0, -0, 1e15, -1e15, 2.25, 5, -Infinity, 1_700_000_000_123];
    times.forEach((t, i) => index.add(t, `k${i}`));
    index.stage();
    await commit(store, table);
    index.add(4, 'dirty');
    index.delete(2.25, 'k6');
    index.delete(99, 'absent');
    index.add(5, 'k0');
    expect(await collect(index.due(5))).toEqual([
      [-Infinity, 'k8'],
      [-1e15, 'k5'],
      [-3.5, 'k1'],
      [0, 'k2'],
      [0, 'k3'],
      [4, 'dirty'],
    ]);
    expect((await collect(index.due(5, true))).slice(-2)).toEqual([
      [5, 'k0'],
      [5, 'k7'],
    ]);
    expect((await collect(index.due(Infinity, true))).map(([, k]) => k)).toEqual(['k8', 'k5', 'k1', 'k2', 'k3', 'dirty', 'k0', 'k7', 'k9', 'k4']);
    expect(await collect(index.due(-Infinity))).toEqual([]);
    const chunks = await collect(index.take(Infinity, true, 4));
    expect(chunks.map((c) => c.length)).toEqual([4, 4, 2]);
    expect(await collect(index.due(Infinity, true))).toEqual([]);
  });

  it('take deletes what it yields, and the next read starts where the last complete take ended', async () => {
    const store = await stores.open();
    const table = new StateTable(store, 'q/op0.ends', 0);
    const index = new TimeIndex(table);
    for (let i = 0; i < 100; i++) index.add(i, `k${i}`);
    index.stage();
    await commit(store, table);
    for (let i = 100; i < 200; i++) index.add(i, `k${i}`);
    const taken = (await collect(index.take(150, false, 16))).flat();
    expect(taken.map(([t]) => t)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    index.stage();
    await commit(store, table);
    const range = vi.spyOn(table, 'range');
    expect((await collect(index.due(160))).map(([t]) => t)).toEqual(Array.from({ length: 10 }, (_, i) => 150 + i));
    expect(range.mock.calls[0]![0].gte).toBeDefined();
    // An entry added behind the last take is still found.
    index.add(3, 'late');
    expect((await collect(index.due(152))).map(([t, k]) => `${t}:${k}`)).toEqual(['3:late', '150:k150', '151:k151']);
    range.mockRestore();
  });

  it('a take left part-way keeps the untaken entries and the old floor', async () => {
    const table = new StateTable(await stores.open(), 'q/op0.ends', 0, { ephemeral: true });
    const index = new TimeIndex(table);
    for (let i = 0; i < 10; i++) index.add(i, `k${i}`);
    for await (const chunk of index.take(8, false, 4)) {
      expect(chunk.map(([t]) => t)).toEqual([0, 1, 2, 3]);
      break;
    }
    expect((await collect(index.due(Infinity))).map(([t]) => t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for await (const chunk of index.take(8, false, 4)) void chunk;
    expect((await collect(index.due(Infinity))).map(([t]) => t)).toEqual([8, 9]);
  });

  it('reads only the due range of its table, not the entries after it', async () => {
    const store = await stores.open();
    const table = new StateTable(store, 'q/op0.ends', 0);
    const index = new TimeIndex(table);
    for (let i = 0; i < 2000; i++) index.add(i * 1000, `key-${i}`);
    index.stage();
    await commit(store, table);
    const iterate = vi.spyOn(store, 'iterate');
    let read = 0;
    const got = await collect(index.due(10_000));
    expect(got.map(([t]) => t)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]);
    expect(iterate).toHaveBeenCalledTimes(1);
    const range = iterate.mock.calls[0]![0]!;
    for await (const [k] of store.iterate({ ...range, values: false })) {
      expect(decodeKey(k).at(-1)).toMatch(/key-\d$/);
      read++;
    }
    expect(read).toBe(10);
    iterate.mockRestore();
  });

  it('refuses a NaN time with a state error', async () => {
    const index = new TimeIndex(new StateTable(await stores.open(), 'q/op0.ends', 0));
    expect(() => index.add(NaN, 'k')).toThrow(/NaN time/);
  });

  for (const ephemeral of [false, true]) {
    it(`matches a model over adds out of order, deletes, takes (some left part-way), stages and commits${ephemeral ? ' (never staged)' : ''}`, async () => {
      const store = await stores.open();
      const table = new StateTable(store, 'q/op0.ends', 0, { ephemeral });
      const index = new TimeIndex(table);
      const model = new Set<string>();
      const rng = new Rng(ephemeral ? 23 : 29);
      const entry = (t: number, k: string) => `${t}|${k}`;
      const sorted = (limit: number, inclusive: boolean) =>
        [...model]
          .map((e): [number, string] => [Number(e.slice(0, e.indexOf('|'))), e.slice(e.indexOf('|') + 1)])
          .filter(([t]) => (inclusive ? t <= limit : t < limit))
          .sort((a, b) => a[0] - b[0] || compareKeys(a[1], b[1]));
      let clock = 0;
      for (let step = 0; step < 150; step++) {
        for (let i = rng.nextInt(30); i > 0; i--) {
          const t = clock + rng.nextInt(40) - 10;
          const k = `k${rng.nextInt(8)}`;
          if (rng.nextInt(5) === 0 && model.size > 0) {
            const [dt, dk] = sorted(Infinity, true)[rng.nextInt(model.size)]!;
            index.delete(dt, dk);
            model.delete(entry(dt, dk));
          } else {
            index.add(t, k);
            model.add(entry(t, k));
          }
        }
        clock += rng.nextInt(10);
        const limit = clock - 20 + rng.nextInt(10);
        const inclusive = rng.nextInt(2) === 0;
        expect(await collect(index.due(limit, inclusive))).toEqual(sorted(limit, inclusive));
        const due = sorted(limit, inclusive);
        if (rng.nextInt(4) === 0) {
          // Taken part-way: the first chunk is deleted once the second is asked for.
          let chunks = 0;
          for await (const chunk of index.take(limit, inclusive, 3)) {
            if (++chunks === 2) {
              expect(chunk).toEqual(due.slice(3, 6));
              break;
            }
          }
          for (const [t, k] of chunks === 2 ? due.slice(0, 3) : due) model.delete(entry(t, k));
        } else {
          const got = (await collect(index.take(limit, inclusive, 4))).flat();
          expect(got).toEqual(due);
          for (const [t, k] of got) model.delete(entry(t, k));
        }
        expect(await collect(index.due(Infinity, true))).toEqual(sorted(Infinity, true));
        if (!ephemeral && rng.nextInt(3) === 0) {
          index.stage();
          await commit(store, table);
        }
      }
    });
  }
});
