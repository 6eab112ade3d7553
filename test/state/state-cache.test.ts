import { afterEach, describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, parseByteSize, StateCache, StateTable } from '../../src/state/index.js';
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

  it('charges state an owner holds itself as one used entry, within a share of the budget, until evicted', () => {
    const cache = new StateCache(1000);
    const a = cache.register();
    const b = cache.register();
    expect(cache.chargeLimit).toBe(500);
    for (const k of ['p', 'q', 'r', 's']) cache.set(b, k, k, 100);
    // Room is made as for a value read: the least recently used entries go.
    expect(cache.charge(a, 400)).toBe(true);
    expect(cache.stats()).toMatchObject({ bytes: 800, entries: 5, evictions: 0 });
    expect(cache.charge(a, 700)).toBe(false);
    // Over the share: refused, and what was charged is uncharged.
    expect(cache.stats()).toMatchObject({ bytes: 400, entries: 4 });
    expect(cache.charge(a, 500)).toBe(true);
    expect(cache.stats()).toMatchObject({ bytes: 900, entries: 5 });
    // Values read later push the charged entry out once it is the least recently used...
    for (const k of ['t', 'u', 'v', 'w', 'x', 'y']) cache.set(b, k, k, 100);
    expect(cache.stats()).toMatchObject({ bytes: 600, entries: 6, evictions: 5 });
    // ...and the owner learns it: it must drop what it holds, then may charge again.
    expect(cache.charge(a, 500)).toBe(false);
    expect(cache.charge(a, 0)).toBe(true);
    expect(cache.charge(a, 300)).toBe(true);
    expect(cache.stats()).toMatchObject({ bytes: 900, entries: 7 });
    cache.release(a);
    expect(cache.stats()).toMatchObject({ bytes: 600, entries: 6 });
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

  it('replaces a value through the handle of its entry only while the entry is cached', () => {
    const cache = new StateCache(300);
    const a = cache.register();
    cache.set(a, 'x', 1, 100);
    cache.set(a, 'y', 2, 100);
    const x = cache.entry(a, 'x')!;
    const y = cache.entry(a, 'y')!;
    expect(cache.entry(a, 'nope')).toBeUndefined();
    cache.updateEntry(x, 10, 150);
    expect(cache.stats()).toMatchObject({ bytes: 250, entries: 2, hits: 0, misses: 0 });
    // x was used last, so y goes first; its handle then changes nothing.
    cache.set(a, 'z', 3, 100);
    expect(cache.get(a, 'y')).toBeUndefined();
    cache.updateEntry(y, 20, 50);
    expect(cache.get(a, 'y')).toBeUndefined();
    expect([cache.get(a, 'x'), cache.get(a, 'z')]).toEqual([10, 3]);
    expect(cache.stats()).toMatchObject({ bytes: 250, entries: 2 });
    // Nor does the handle of an entry its owner released, even once the key is cached again.
    cache.release(a);
    cache.set(a, 'x', 30, 100);
    cache.updateEntry(x, 40, 100);
    expect(cache.get(a, 'x')).toBe(30);
  });

  it('parses sizes with binary units', () => {
    expect(parseByteSize('256MiB')).toBe(256 * 1024 * 1024);
    expect(parseByteSize('2g')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('1.5 kb')).toBe(1536);
    expect(parseByteSize('4096')).toBe(4096);
    expect(parseByteSize('1tib')).toBe(1024 ** 4);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseByteSize('12 parsecs')).toBeUndefined();
  });
});

describe('StateTable over a small shared cache', () => {
  it('reads what it does not cache from RocksDB, in one batched read, and never evicts unflushed changes', async () => {
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
    // Of those reads only the key no table holds ('nope') went to RocksDB, and its absence is
    // all the cache holds: a flush adds nothing it wrote.
    expect(cache.stats()).toMatchObject({ diskReads: 1, entries: 1 });
    const keys = Array.from({ length: 500 }, (_, i) => `k${i}`);
    const values = await t.getMany(keys);
    expect(values.map((v) => v?.['n'])).toEqual(keys.map((_, i) => i));
    expect((await other.get('k1'))?.['n']).toBe(-1);
    // What was read filled the cache up to its budget, the least recently used evicted.
    expect(cache.stats().bytes).toBeLessThanOrEqual(4096);
    expect(cache.stats().evictions).toBeGreaterThan(400);
    // Every key not cached was read from RocksDB, and a scan reads every entry it passes.
    const afterGets = cache.stats();
    expect(afterGets.diskReads).toBe(afterGets.misses);
    expect(afterGets.diskReads).toBeGreaterThan(400);
    let scanned = 0;
    for await (const _entry of t.scan('k1')) scanned++;
    expect(scanned).toBe(111);
    expect(cache.stats().diskReads).toBe(afterGets.diskReads + 111);
  });

  it('a table that starts empty reads from disk only keys it wrote; a flush updates cached keys and adds none', async () => {
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
    // Written and never read: on disk only, and the cache holds none of it.
    expect(cache.stats().entries).toBe(0);
    expect((await t.getMany(['k0', 'k3', 'new'])).map((v) => v?.['n'])).toEqual([0, 3, undefined]);
    // k0 and k3 were read from disk; 'new' was never written, so it was not.
    expect(cache.stats().diskReads).toBe(2);
    expect(cache.stats().entries).toBe(2);
    // Read once, a key stays cached across flushes: the flush updates it.
    t.put('k0', { n: 10 });
    await write(0, 0);
    expect((await t.getMany(['k0', 'k3'])).map((v) => v?.['n'])).toEqual([10, 3]);
    expect(cache.stats().diskReads).toBe(2);
    // A committed delete leaves the cache with the disk.
    t.delete('k3');
    await write(0, 0);
    expect(await t.get('k3')).toBeUndefined();
    expect(cache.stats().diskReads).toBe(3);
    // Many keys written: none is read back but those asked for, and none fills the cache.
    await write(4, 5000);
    expect(cache.stats().entries).toBeLessThanOrEqual(3);
    const keys = Array.from({ length: 5000 }, (_, i) => `absent${i}`);
    expect((await t.getMany(keys)).every((v) => v === undefined)).toBe(true);
    // Only the filter's false positives (about 1%) went to disk.
    expect(cache.stats().diskReads).toBeLessThan(3 + 150);
    expect((await t.getMany(['k4', 'k4999'])).map((v) => v?.['n'])).toEqual([4, 4999]);
    // A table without the promise reads what it does not cache from disk, as before.
    const other = new StateTable(store, 'q/fresh', 0, { cache: new StateCache(1 << 20) });
    expect((await other.get('k5'))?.['n']).toBe(5);
  });

  it('caches what a flush writes once keys written before are being read again', async () => {
    const store = await temp.open();
    const cache = new StateCache(1 << 20);
    const t = new StateTable(store, 'q/again', 0, { cache, startsEmpty: true });
    const write = async (from: number, to: number) => {
      for (let i = from; i < to; i++) t.put(`k${i}`, { n: i });
      const wb = store.batch();
      t.flush(wb);
      await wb.write();
    };
    await write(0, 100);
    expect(cache.stats().entries).toBe(0);
    // Keys come back: 10 of the 100 written are read (from disk) before the next flush.
    expect((await t.getMany(Array.from({ length: 10 }, (_, i) => `k${i}`))).map((v) => v?.['n'])).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(cache.stats()).toMatchObject({ diskReads: 10, entries: 10 });
    // So this flush caches the keys it writes, and reading them back reads nothing from disk.
    await write(100, 200);
    expect(cache.stats().entries).toBe(110);
    expect((await t.getMany(['k150', 'k199'])).map((v) => v?.['n'])).toEqual([150, 199]);
    expect(cache.stats().diskReads).toBe(10);
    // A flush after an interval without such reads caches nothing new.
    await write(200, 300);
    expect(cache.stats().entries).toBe(110);
    expect((await t.get('k250'))?.['n']).toBe(250);
    expect(cache.stats().diskReads).toBe(11);
  });

  it('caches a value put encoded as the caller says: never while it holds it, always once it stops', async () => {
    const store = await temp.open();
    const cache = new StateCache(1 << 20);
    const t = new StateTable(store, 'q/held', 0, { cache });
    const bytes = (n: number) => encodeValue({ n });
    const flush = async () => {
      const wb = store.batch();
      t.flush(wb);
      await wb.write();
    };
    // Read (cached), then written held: the flush drops the older cached value.
    t.put('a', { n: 1 });
    await flush();
    expect((await t.get('a'))?.['n']).toBe(1);
    expect(cache.stats().entries).toBe(1);
    t.putEncoded('a', bytes(2), 'held');
    t.putEncoded('b', bytes(3), 'held');
    await flush();
    expect(cache.stats().entries).toBe(0);
    // Read without filling the cache, as a caller that holds what it reads.
    expect((await t.getManyEncoded(['a', 'b'], false)).map((v) => (v ? decodeValue<{ n: number }>(v as Buffer).n : v))).toEqual([2, 3]);
    expect(cache.stats().entries).toBe(0);
    // 'cache': cached by the flush whatever the table's own policy.
    t.putEncoded('a', bytes(4), 'cache');
    await flush();
    expect(cache.stats().entries).toBe(1);
    // A clean value the caller stops holding: cached as given; not while a change is unflushed.
    t.cacheValue('b', bytes(3));
    t.putEncoded('c', bytes(5), 'held');
    t.cacheValue('c', bytes(5));
    expect(cache.stats().entries).toBe(2);
    const reads = cache.stats().diskReads;
    expect((await t.getMany(['a', 'b', 'c'])).map((v) => v?.['n'])).toEqual([4, 3, 5]);
    expect(cache.stats().diskReads).toBe(reads);
  });

  it('a table that starts empty answers its unflushed writes and deletes while a flush is being written', async () => {
    const store = await temp.open();
    const cache = new StateCache(1 << 20);
    const t = new StateTable(store, 'q/fresh', 0, { cache, startsEmpty: true });
    for (let i = 0; i < 1000; i++) t.put(`k${i}`, { n: i });
    t.delete('never');
    const wb = store.batch();
    t.flush(wb);
    // Staged, not committed: the entries are still dirty.
    expect(t.dirtyCount).toBe(1001);
    const keys = ['k0', 'k999', 'never', 'new', ...Array.from({ length: 1000 }, (_, i) => `other${i}`)];
    const got = await t.getMany(keys);
    expect(got.slice(0, 4).map((v) => v?.['n'])).toEqual([0, 999, undefined, undefined]);
    expect(got.every((v, i) => i < 2 || v === undefined)).toBe(true);
    expect(cache.stats().diskReads).toBeLessThan(50);
    await wb.write();
    expect(t.dirtyCount).toBe(0);
    expect((await t.getMany(['k0', 'k999', 'never'])).map((v) => v?.['n'])).toEqual([0, 999, undefined]);
  });
});
