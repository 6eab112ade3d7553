import { afterEach, describe, expect, it } from 'vitest';
import { parseByteSize, StateCache, StateTable } from '../../src/state/index.js';
import { TempStores } from './helpers.js';

const temp = new TempStores();
afterEach(() => temp.dispose());

describe('StateCache', () => {
  it('evicts the least recently used entries to stay within its budget', () => {
    const cache = new StateCache(300);
    const a = cache.register();
    cache.set(a, 'x', 1, 100);
    cache.set(a, 'y', 2, 100);
    cache.set(a, 'z', 3, 100);
    expect(cache.get(a, 'x')).toBe(1); // x is now the most recent
    cache.set(a, 'w', 4, 100);
    expect(cache.get(a, 'y')).toBeUndefined();
    expect([cache.get(a, 'x'), cache.get(a, 'z'), cache.get(a, 'w')]).toEqual([1, 3, 4]);
    expect(cache.stats()).toMatchObject({ budget: 300, bytes: 300, entries: 3, evictions: 1, hits: 4, misses: 1 });
    cache.set(a, 'huge', 5, 301);
    expect(cache.get(a, 'huge')).toBeUndefined();
    expect(cache.stats().bytes).toBe(300);
  });

  it('keeps owners apart and releases one owner entirely', () => {
    const cache = new StateCache(1000);
    const a = cache.register();
    const b = cache.register();
    cache.set(a, 'k', 'from a', 10);
    cache.set(b, 'k', 'from b', 10);
    expect([cache.get(a, 'k'), cache.get(b, 'k')]).toEqual(['from a', 'from b']);
    cache.release(a);
    expect([cache.get(a, 'k'), cache.get(b, 'k')]).toEqual([undefined, 'from b']);
    expect(cache.stats()).toMatchObject({ bytes: 10, entries: 1 });
  });

  it('parses sizes with binary units', () => {
    expect(parseByteSize('256MiB')).toBe(256 * 1024 * 1024);
    expect(parseByteSize('2g')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('1.5 kb')).toBe(1536);
    expect(parseByteSize('4096')).toBe(4096);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseByteSize('12 parsecs')).toBeUndefined();
  });
});

describe('StateTable over a small shared cache', () => {
  it('reads evicted entries back from RocksDB, in one batched read, and never evicts unflushed changes', async () => {
    const store = await temp.open();
    const cache = new StateCache(4096);
    const t = new StateTable(store, 'q/agg', 0, { cache });
    const other = new StateTable(store, 'q/other', 0, { cache });
    for (let i = 0; i < 500; i++) t.put(`k${i}`, { n: i });
    other.put('k1', { n: -1 });
    // 500 dirty entries are far beyond 4 KiB, and all stay readable before any flush.
    expect((await t.getMany(['k0', 'k499', 'nope'])).map((v) => v?.['n'])).toEqual([0, 499, undefined]);
    const wb = store.batch();
    t.flush(wb);
    other.flush(wb);
    await wb.write();
    expect(t.dirtyCount).toBe(0);
    const stats = cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(4096);
    expect(stats.evictions).toBeGreaterThan(400);
    // Of those reads only the key no table holds ('nope') went to RocksDB.
    expect(stats.diskReads).toBe(1);
    const keys = Array.from({ length: 500 }, (_, i) => `k${i}`);
    const values = await t.getMany(keys);
    expect(values.map((v) => v?.['n'])).toEqual(keys.map((_, i) => i));
    expect((await other.get('k1'))?.['n']).toBe(-1);
    expect(cache.stats().bytes).toBeLessThanOrEqual(4096);
    // Every key not cached was read from RocksDB, and a scan reads every entry it passes.
    const afterGets = cache.stats();
    expect(afterGets.diskReads).toBe(afterGets.misses);
    expect(afterGets.diskReads).toBeGreaterThan(400);
    let scanned = 0;
    for await (const _entry of t.scan('k1')) scanned++;
    expect(scanned).toBe(111);
    expect(cache.stats().diskReads).toBe(afterGets.diskReads + 111);
  });

  it('a table that starts empty reads nothing from disk until the cache drops one of its entries', async () => {
    const store = await temp.open();
    const cache = new StateCache(2048);
    const t = new StateTable(store, 'q/fresh', 0, { cache, startsEmpty: true });
    const write = async (from: number, to: number) => {
      for (let i = from; i < to; i++) t.put(`k${i}`, { n: i });
      const wb = store.batch();
      t.flush(wb);
      await wb.write();
    };
    await write(0, 4);
    expect((await t.getMany(['k0', 'k3', 'new'])).map((v) => v?.['n'])).toEqual([0, 3, undefined]);
    expect(cache.stats().diskReads).toBe(0);
    expect(cache.holdsAll(1)).toBe(true);
    // A committed delete leaves the cache with the disk, so the cache still holds all there is.
    t.delete('k1');
    await write(0, 0);
    expect(await t.get('k1')).toBeUndefined();
    expect(cache.stats().diskReads).toBe(0);
    // Past the budget entries are evicted: from then on misses go to disk, and find them there.
    await write(4, 200);
    expect(cache.stats().evictions).toBeGreaterThan(0);
    expect(cache.holdsAll(1)).toBe(false);
    expect((await t.getMany(['k0', 'k2', 'k1', 'new'])).map((v) => v?.['n'])).toEqual([0, 2, undefined, undefined]);
    expect(cache.stats().diskReads).toBe(4);
    // Keys found absent are cached as such: read again, they stay on the heap.
    expect((await t.getMany(['k1', 'new'])).map((v) => v?.['n'])).toEqual([undefined, undefined]);
    expect(cache.stats().diskReads).toBe(4);
    // Until one is written: the flushed value replaces the absence.
    t.put('new', { n: -5 });
    await write(0, 0);
    expect((await t.get('new'))?.['n']).toBe(-5);
    expect(cache.stats().diskReads).toBe(4);
    // A table without the promise reads what it does not cache from disk, as before.
    const other = new StateTable(store, 'q/fresh', 0, { cache: new StateCache(1 << 20) });
    expect((await other.get('k5'))?.['n']).toBe(5);
  });
});
