/** A multiset view's sink counts the copies of each row, reading the stored rows of a batch in one multi-get. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { T } from '../../src/common/types.js';
import { ViewSink, viewRowCopies } from '../../src/engine/sinks.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { RowKind } from '../../src/exec/message.js';
import { KvTable } from '../../src/state/index.js';
import { collect, TempStores } from '../state/helpers.js';

const FIELDS = [
  { name: 'g', type: T.STRING, nullable: false },
  { name: 'n', type: T.INT, nullable: false },
];
const { INSERT: I, DELETE: D } = RowKind;

const stores = new TempStores();
afterEach(() => {
  vi.restoreAllMocks();
  return stores.dispose();
});

describe('ViewSink (multiset)', () => {
  it('counts copies across batches and epochs with one batched read per batch', async () => {
    const store = await stores.open();
    const kv = new KvTable(store, 'v');
    const sink = new ViewSink(FIELDS, [0, 1], kv, undefined, 'multiset');
    const getMany = vi.spyOn(store, 'getMany');
    const get = vi.spyOn(store, 'get');
    const epoch = async (batches: [Record<string, unknown>[], number[]][]) => {
      for (const [rows, kinds] of batches) await sink.write(batchFromRows(FIELDS, rows), Uint8Array.from(kinds));
      const wb = store.batch();
      sink.stage(wb);
      await wb.write();
      sink.committed();
    };
    const contents = async () => (await collect(kv.scan())).map(([, r]) => `${String(r['g'])}:${String(r['n'])}x${viewRowCopies(r)}`);
    const a = { g: 'a', n: 1 };
    const b = { g: 'b', n: 2 };
    await epoch([[[a, a, b, a], [I, I, I, D]]]);
    expect(await contents()).toEqual(['a:1x1', 'b:2x1']);
    expect(getMany).toHaveBeenCalledTimes(1);
    await epoch([
      [[a, b, { g: 'c', n: 3 }], [I, D, I]],
      [[a, b], [I, I]],
    ]);
    expect(await contents()).toEqual(['a:1x3', 'b:2x1', 'c:3x1']);
    // Keys this epoch already wrote are not read again.
    expect(getMany.mock.calls.map(([keys]) => keys.length)).toEqual([2, 3]);
    expect(get).not.toHaveBeenCalled();
  });
});
