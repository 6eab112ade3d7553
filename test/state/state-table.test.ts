import { afterEach, describe, expect, it } from 'vitest';
import { encodeValue, StateCache, StateTable } from '../../src/state/index.js';
import { TempStores, collect } from './helpers.js';
import { Rng } from '../../src/connectors/rng.js';
import { compareKeys } from '../../src/state/sorted-keys.js';

const temp = new TempStores();
afterEach(() => temp.dispose());

describe('StateTable', () => {
  it('an ephemeral table (a push query\'s) forgets deleted keys, reads no disk and refuses a flush', async () => {
    const store = await temp.open();
    const t = new StateTable<{ n: number }>(store, 'push_1/op1', 0, { ephemeral: true });
    for (let i = 0; i < 1000; i++) t.put(`k${i}`, { n: i });
    for (let i = 0; i < 1000; i += 2) t.delete(`k${i}`);
    expect(t.dirtyCount).toBe(500);
    expect(await t.getMany(['k0', 'k1', 'k998', 'k999'])).toEqual([undefined, { n: 1 }, undefined, { n: 999 }]);
    expect((await collect(t.range({ gte: 'k990' }))).map(([k]) => k)).toEqual(['k991', 'k993', 'k995', 'k997', 'k999']);
    const wb = store.batch();
    expect(() => t.flush(wb)).toThrow(/never flushed/);
    wb.discard();
  });

  it('reads its own writes, flushes on commit and survives reopen', async () => {
    const dir = await temp.dir();
    const store = await temp.open(dir);
    const t = new StateTable(store, 'q/op1', 0);
    expect(await t.get('a')).toBeUndefined();
    t.put('a', { sum: 1 });
    t.put('b', { sum: 2 });
    expect(await t.get('a')).toEqual({ sum: 1 });
    const wb = store.batch();
    t.flush(wb);
    t.put('b', { sum: 3 });
    await wb.write();
    expect(t.dirtyCount).toBe(1);
    expect(await t.get('b')).toEqual({ sum: 3 });
    const wb2 = store.batch();
    t.delete('a');
    t.flush(wb2);
    await wb2.write();
    await store.close();
    const t2 = new StateTable(await temp.open(dir), 'q/op1', 0);
    expect(await t2.get('a')).toBeUndefined();
    expect(await t2.get('b')).toEqual({ sum: 3 });
  });

  it('a value put already encoded reads, scans, flushes and caches as the same value put as it is', async () => {
    const store = await temp.open();
    const cache = new StateCache(1 << 20);
    const plain = new StateTable(store, 'q/plain', 0, { cache });
    const encoded = new StateTable(store, 'q/encoded', 0, { cache });
    const rows = [{ g: ['a'], c: 1, a: [1, [2.5, 1]] }, { g: ['b'], c: 2, a: [2, [-0, 2]] }];
    rows.forEach((r, i) => {
      plain.put(`k${i}`, r);
      encoded.putEncoded(`k${i}`, encodeValue(r));
    });
    for (const t of [plain, encoded]) {
      expect(await t.getMany(['k0', 'k1', 'k2'])).toEqual([rows[0], rows[1], undefined]);
      expect(await collect(t.scan())).toEqual([['k0', rows[0]], ['k1', rows[1]]]);
      const wb = store.batch();
      t.flush(wb);
      await wb.write();
      expect(t.dirtyCount).toBe(0);
      // Read from disk (and cached), then rewritten: the cached entry takes the new bytes.
      expect(await t.getMany(['k0', 'k1'])).toEqual(rows);
    }
    const next = { g: ['a'], c: 3, a: [3, [7, 3]] };
    plain.put('k0', next);
    encoded.putEncoded('k0', encodeValue(next));
    for (const t of [plain, encoded]) {
      const wb = store.batch();
      t.flush(wb);
      await wb.write();
      expect(await t.get('k0')).toEqual(next);
    }
    const onDisk = async (ns: string) => (await collect(store.iterate({ gte: Buffer.from([0]), lt: Buffer.from([0xff]) }))).filter(([k]) => k.includes(Buffer.from(ns))).map(([, v]) => v.toString('hex'));
    const written = await onDisk('encoded');
    expect(written).toHaveLength(2);
    expect(written).toEqual(await onDisk('plain'));
  });

  it('isolates namespaces and partitions', async () => {
    const store = await temp.open();
    const a = new StateTable(store, 'q/op1', 0);
    const b = new StateTable(store, 'q/op1', 1);
    const c = new StateTable(store, 'q/op2', 0);
    a.put('k', { v: 'a' });
    b.put('k', { v: 'b' });
    c.put('k', { v: 'c' });
    const wb = store.batch();
    for (const t of [a, b, c]) t.flush(wb);
    await wb.write();
    expect(await collect(new StateTable(store, 'q/op1', 0).scan())).toEqual([['k', { v: 'a' }]]);
    await b.clear();
    expect(await collect(new StateTable(store, 'q/op1', 1).scan())).toEqual([]);
    expect(await new StateTable(store, 'q/op2', 0).get('k')).toEqual({ v: 'c' });
  });

  it('scans disk merged with dirty entries, in key order, hiding deletes', async () => {
    const store = await temp.open();
    const t = new StateTable(store, 'q/op', 2);
    for (const k of ['user:1', 'user:3', 'user:5', 'item:1']) t.put(k, { k });
    const wb = store.batch();
    t.flush(wb);
    await wb.write();
    t.put('user:2', { k: 'user:2*' });
    t.put('user:3', { k: 'user:3*' });
    t.delete('user:5');
    t.put('user:9', { k: 'user:9' });
    const got = await collect(t.scan('user:'));
    expect(got.map(([k, v]) => `${k}=${String(v['k'])}`)).toEqual(['user:1=user:1', 'user:2=user:2*', 'user:3=user:3*', 'user:9=user:9']);
    expect((await collect(t.scan())).map(([k]) => k)).toEqual(['item:1', 'user:1', 'user:2', 'user:3', 'user:9']);
  });

  it('reads a key range in UTF-8 byte order, unflushed keys beyond the surrogates included', async () => {
    const store = await temp.open();
    const t = new StateTable(store, 'q/op', 0);
    for (const k of ['a', 'é', '\u{1F600}']) t.put(k, { k });
    const wb = store.batch();
    t.flush(wb);
    await wb.write();
    for (const k of ['ab', 'b', '\uffff', '\u{1F600}x']) t.put(k, { k });
    const keys = async (bounds: { gte?: string; lt?: string }) => (await collect(t.range(bounds))).map(([k]) => k);
    expect(await keys({ gte: 'b', lt: '\u{1F600}' })).toEqual(['b', 'é', '\uffff']);
    expect(await keys({ gte: '\uffff' })).toEqual(['\uffff', '\u{1F600}', '\u{1F600}x']);
    expect(await keys({ lt: 'b' })).toEqual(['a', 'ab']);
  });

  for (const ephemeral of [false, true]) {
    it(`ordered reads match a model across writes, reads, flushes and commits${ephemeral ? ' (ephemeral)' : ''}`, async () => {
      const store = await temp.open();
      const t = new StateTable<{ v: number }>(store, 'q/op', 0, { ephemeral });
      const model = new Map<string, number>();
      const rng = new Rng(ephemeral ? 17 : 19);
      const key = () => `${String(rng.nextInt(300)).padStart(3, '0')}${['', 'x', '\u{1F600}'][rng.nextInt(3)]}`;
      for (let step = 0; step < 60; step++) {
        for (let i = rng.nextInt(50); i > 0; i--) {
          const k = key();
          if (rng.nextInt(3) === 0) {
            t.delete(k);
            model.delete(k);
          } else {
            t.put(k, { v: step });
            model.set(k, step);
          }
        }
        const gte = key();
        const lt = key();
        const want = [...model.entries()].filter(([k]) => compareKeys(k, gte) >= 0 && compareKeys(k, lt) < 0).sort(([a], [b]) => compareKeys(a, b));
        expect(await collect(t.range({ gte, lt }))).toEqual(want.map(([k, v]) => [k, { v }]));
        const prefix = key().slice(0, 2);
        expect((await collect(t.scan(prefix))).map(([k]) => k)).toEqual([...model.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys));
        if (!ephemeral && step % 7 === 3) {
          const wb = store.batch();
          t.flush(wb);
          t.put('late', { v: step });
          model.set('late', step);
          await wb.write();
        }
      }
    });
  }
});
