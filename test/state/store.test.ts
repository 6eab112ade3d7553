import { afterEach, describe, expect, it } from 'vitest';
import { encodeKey, prefixRange } from '../../src/state/index.js';
import { TempStores, collect } from './helpers.js';

const temp = new TempStores();
afterEach(() => temp.dispose());

const k = (...parts: Array<string | number>): Buffer => encodeKey(parts);
const v = (s: string): Buffer => Buffer.from(s);

describe('Store', () => {
  it('puts, gets, deletes and survives close/reopen', async () => {
    const dir = await temp.dir();
    const s = await temp.open(dir);
    await s.put(k('a', 1), v('one'));
    await s.put(k('a', 2), v('two'));
    await s.del(k('a', 2));
    expect(await s.get(k('a', 2))).toBeUndefined();
    await s.close();
    const s2 = await temp.open(dir);
    expect((await s2.get(k('a', 1)))?.toString()).toBe('one');
    expect(await s2.get(k('a', 2))).toBeUndefined();
  });

  it('reads many keys, found and missing, in the order asked, whether read whole or in parts', async () => {
    const s = await temp.open();
    const wb = s.batch();
    for (let i = 0; i < 20_000; i += 2) wb.put(k('m', i), v(`v${i}`));
    await wb.write();
    for (const n of [1, 5, 4095, 4096, 9_999, 20_000]) {
      // Keys in a scattered order; only the even ones were written.
      const keys = Array.from({ length: n }, (_, j) => (j * 7919 + n) % 20_000);
      const got = await s.getMany(keys.map((i) => k('m', i)));
      expect(got.length).toBe(n);
      expect(got.map((b) => b?.toString())).toEqual(keys.map((i) => (i % 2 === 0 ? `v${i}` : undefined)));
    }
  });

  it('iterates ranges forward, reverse and limited, and releases iterators on break', async () => {
    const s = await temp.open();
    for (let i = 0; i < 20; i++) await s.put(k('r', i), v(String(i)));
    await s.put(k('s', 0), v('other'));
    const all = await collect(s.iterate(prefixRange(['r'])));
    expect(all.map(([, val]) => val.toString())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    const rev = await collect(s.iterate({ ...prefixRange(['r']), reverse: true, limit: 3 }));
    expect(rev.map(([, val]) => val.toString())).toEqual(['19', '18', '17']);
    const mid = await collect(s.iterate({ gt: k('r', 5), lte: k('r', 8) }));
    expect(mid.map(([, val]) => val.toString())).toEqual(['6', '7', '8']);
    let seen = 0;
    for await (const _ of s.iterate(prefixRange(['r']))) {
      if (++seen === 2) break;
    }
    const ac = new AbortController();
    const got: string[] = [];
    for await (const [, val] of s.iterate({ ...prefixRange(['r']), signal: ac.signal })) {
      got.push(val.toString());
      if (got.length === 4) ac.abort();
    }
    expect(got).toHaveLength(4);
    await s.close();
  });

  it('iterates in runs: every entry once, in order, across runs, with or without keys, limited and broken off', async () => {
    const s = await temp.open();
    const wb = s.batch();
    for (let i = 0; i < 2_500; i++) wb.put(k('c', i), v(`value-${i}`));
    wb.put(k('d', 0), v('other'));
    await wb.write();
    const expected = Array.from({ length: 2_500 }, (_, i) => `value-${i}`);
    const runs: [Buffer, Buffer][][] = [];
    for await (const run of s.iterateChunks({ ...prefixRange(['c']), chunkEntries: 700 })) runs.push(run);
    expect(runs.map((r) => r.length)).toEqual([700, 700, 700, 400]);
    expect(runs.flat().map(([, val]) => val.toString())).toEqual(expected);
    expect(runs.flat().map(([key]) => key.equals(k('c', 0)))).toEqual(expected.map((_, i) => i === 0));
    // Without keys: the same values, each key empty.
    const valuesOnly = (await collect(s.iterateChunks({ ...prefixRange(['c']), keys: false, fetchBytes: 64 * 1024 }))).flat();
    expect(valuesOnly.map(([, val]) => val.toString())).toEqual(expected);
    expect(valuesOnly.every(([key]) => key.length === 0)).toBe(true);
    // A limit inside a run, and a range ending inside one.
    expect((await collect(s.iterateChunks({ ...prefixRange(['c']), limit: 1_030 }))).flat()).toHaveLength(1_030);
    expect((await collect(s.iterate({ gte: k('c', 1_000), lt: k('c', 1_003) }))).map(([, val]) => val.toString())).toEqual(['value-1000', 'value-1001', 'value-1002']);
    // Broken off after the first run: the iterator is released (close does not hang).
    for await (const run of s.iterateChunks(prefixRange(['c']))) {
      expect(run).toHaveLength(1_024);
      break;
    }
  });

  it('writes batches atomically, runs commit hooks after the write, and refuses reuse', async () => {
    const s = await temp.open();
    const wb = s.batch();
    const events: string[] = [];
    wb.put(k('b', 1), v('x')).put(k('b', 2), v('y')).del(k('b', 3));
    wb.onCommit(() => events.push('commit'));
    wb.onAbort(() => events.push('abort'));
    expect(await s.get(k('b', 1))).toBeUndefined();
    await wb.write();
    expect(events).toEqual(['commit']);
    expect((await s.get(k('b', 2)))?.toString()).toBe('y');
    expect(() => wb.put(k('b', 4), v('z'))).toThrow(/already written/);
    const wb2 = s.batch();
    wb2.onAbort(() => events.push('abort2'));
    wb2.discard();
    expect(events).toEqual(['commit', 'abort2']);
  });

  it('copies what a batch stages, so that the caller may reuse its buffers at once', async () => {
    const s = await temp.open();
    const wb = s.batch({ keepStaged: true });
    const scratch = Buffer.from('first');
    const key = k('c', 1);
    wb.put(key, scratch);
    scratch.write('other');
    key.fill(0);
    wb.put(k('c', 2), scratch);
    expect(wb.staged().map((e) => e.value?.toString())).toEqual(['first', 'other']);
    await wb.write();
    expect((await s.get(k('c', 1)))?.toString()).toBe('first');
    expect((await s.get(k('c', 2)))?.toString()).toBe('other');
  });

  it('reads many keys at once in the order asked, missing and repeated ones included', async () => {
    const s = await temp.open();
    const wb = s.batch();
    for (let i = 0; i < 3000; i += 2) wb.put(k('m', i), v(`v${i}`));
    await wb.write();
    for (const n of [0, 1, 5, 127, 128, 129, 300, 1001, 3000]) {
      // Every other key is missing; the list runs backwards and repeats some keys.
      const keys = Array.from({ length: n }, (_, j) => k('m', (n - j) % 1500));
      const got = await s.getMany(keys);
      expect(got).toHaveLength(n);
      expect(got.map((b) => b?.toString())).toEqual(keys.map((_, j) => ((n - j) % 1500) % 2 === 0 ? `v${(n - j) % 1500}` : undefined));
    }
  });

  it('reports STATE_ERROR on a closed store', async () => {
    const s = await temp.open();
    await s.close();
    await expect(s.get(k('x'))).rejects.toMatchObject({ code: 'STATE_ERROR' });
  });
});
