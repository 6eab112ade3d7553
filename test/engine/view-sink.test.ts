/**
 * A multiset view's sink counts the copies of each row, reading the stored rows of a batch in one
 * multi-get; a view's changelog gets an epoch's changes in one chunk.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { T } from '../../src/common/types.js';
import { changelogFields, VIEW_RECENT_ROWS, ViewSink, viewRowCopies } from '../../src/engine/sinks.js';
import { batchFromRows, batchToRows } from '../../src/exec/columns.js';
import { decodeBatches } from '../../src/exec/ipc.js';
import { RowKind } from '../../src/exec/message.js';
import { EmbeddedLog, KvTable } from '../../src/state/index.js';
import { collect, TempStores } from '../state/helpers.js';

const FIELDS = [
  { name: 'g', type: T.STRING, nullable: false },
  { name: 'n', type: T.INT, nullable: false },
];
const { INSERT: I, DELETE: D } = RowKind;

const stores = new TempStores();

/** Writes the batches (rows with their kinds) to `sink` and commits them as one epoch. */
async function writeEpoch(store: Awaited<ReturnType<TempStores['open']>>, sink: ViewSink, batches: [Record<string, unknown>[], number[]][]): Promise<void> {
  for (const [rows, kinds] of batches) await sink.write(batchFromRows(FIELDS, rows), Uint8Array.from(kinds));
  const wb = store.batch();
  sink.stage(wb);
  await wb.write();
  sink.committed();
}
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
    const epoch = (batches: [Record<string, unknown>[], number[]][]) => writeEpoch(store, sink, batches);
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
    // Keys this epoch already wrote are not read again, nor those an earlier epoch wrote (the sink
    // keeps the rows it committed): only c is read.
    expect(getMany.mock.calls.map(([keys]) => keys.length)).toEqual([2, 1]);
    expect(get).not.toHaveBeenCalled();
    // A new sink over the same view (a restarted query) reads what the disk holds.
    const again = new ViewSink(FIELDS, [0, 1], kv, undefined, 'multiset');
    await again.write(batchFromRows(FIELDS, [a, b]), Uint8Array.from([D, I]));
    const wb = store.batch();
    again.stage(wb);
    await wb.write();
    again.committed();
    expect(await contents()).toEqual(['a:1x2', 'b:2x2', 'c:3x1']);
    expect(getMany.mock.calls.map(([keys]) => keys.length)).toEqual([2, 1, 2]);
  });
});

describe('ViewSink (rows kept in memory)', () => {
  it(`keeps the latest ${VIEW_RECENT_ROWS} committed rows; older ones are read from disk again`, async () => {
    const store = await stores.open();
    const kv = new KvTable(store, 'v');
    const sink = new ViewSink(FIELDS, [0, 1], kv, undefined, 'multiset');
    const epoch = async (rows: Record<string, unknown>[]) => {
      await sink.write(batchFromRows(FIELDS, rows), new Uint8Array(rows.length).fill(I));
      const wb = store.batch();
      sink.stage(wb);
      await wb.write();
      sink.committed();
    };
    const row = (n: number) => ({ g: `k${n}`, n });
    await epoch(Array.from({ length: VIEW_RECENT_ROWS + 2 }, (_, n) => row(n)));
    const getMany = vi.spyOn(store, 'getMany');
    await epoch([row(0), row(1), row(2), row(VIEW_RECENT_ROWS + 1)]);
    expect(getMany.mock.calls.map(([keys]) => keys.length)).toEqual([2]);
    expect((await collect(kv.scan())).filter(([, r]) => Number(r['n']) <= 2 || Number(r['n']) === VIEW_RECENT_ROWS + 1).map(([, r]) => viewRowCopies(r))).toEqual([2, 2, 2, 2]);
  });
});

describe('ViewSink changelog', () => {
  it("writes an epoch's changes as one chunk holding every row in order with its kind", async () => {
    const store = await stores.open();
    const log = await EmbeddedLog.open(store);
    await log.createTopic('v_changes', 1);
    const sink = new ViewSink(FIELDS, [0], new KvTable(store, 'v'), { log, topic: 'v_changes' }, 'changes');
    const batches: [Record<string, unknown>[], number[]][] = [
      [[{ g: 'a', n: 1 }, { g: 'b', n: 2 }], [I, I]],
      [[{ g: 'a', n: 1 }], [D]],
      [[{ g: 'ü', n: 3 }, { g: 'b', n: 4 }, { g: 'c', n: 5 }], [I, I, I]],
    ];
    for (const [rows, kinds] of batches) await sink.write(batchFromRows(FIELDS, rows), Uint8Array.from(kinds));
    const wb = store.batch();
    sink.stage(wb);
    await wb.write();
    sink.committed();
    const chunks = await collect(log.scan('v_changes', 0, 0, log.highWatermark('v_changes', 0)));
    expect(chunks.map((c) => [c.baseOffset, c.count])).toEqual([[0, 6]]);
    const fields = changelogFields(FIELDS);
    const rows = decodeBatches(chunks[0]!.payload).flatMap((b) => batchToRows(b, fields));
    expect(rows).toEqual([
      ['a', 1, I],
      ['b', 2, I],
      ['a', 1, D],
      ['ü', 3, I],
      ['b', 4, I],
      ['c', 5, I],
    ]);
  });
});

describe('ViewSink (changes)', () => {
  it('keeps the last row of each key, within a batch and across batches of an epoch', async () => {
    const store = await stores.open();
    const kv = new KvTable(store, 'v');
    const sink = new ViewSink(FIELDS, [0], kv, undefined, 'changes');
    const { UPDATE_BEFORE: UB, UPDATE_AFTER: UA } = RowKind;
    const epoch = (batches: [Record<string, unknown>[], number[]][]) => writeEpoch(store, sink, batches);
    const contents = async () => (await collect(kv.scan())).map(([, r]) => `${String(r['g'])}:${String(r['n'])}`);
    await epoch([
      [
        [{ g: 'a', n: 1 }, { g: 'b', n: 2 }, { g: 'a', n: 3 }, { g: 'c', n: 4 }, { g: 'c', n: 4 }],
        [I, I, I, I, D],
      ],
    ]);
    expect(await contents()).toEqual(['a:3', 'b:2']);
    await epoch([
      [[{ g: 'b', n: 2 }, { g: 'd', n: 5 }, { g: 'a', n: 3 }, { g: 'a', n: 6 }], [UB, UA, UB, UA]],
      [[{ g: 'd', n: 5 }, { g: 'd', n: 7 }], [D, I]],
    ]);
    expect(await contents()).toEqual(['a:6', 'd:7']);
    await epoch([
      [[{ g: 'e', n: 8 }, { g: 'a', n: 6 }], [I, D]],
      [[{ g: 'f', n: 9 }], [I]],
      [[{ g: 'e', n: 8 }, { g: 'a', n: 10 }, { g: 'f', n: 9 }, { g: 'f', n: 11 }], [D, I, UB, UA]],
    ]);
    expect(await contents()).toEqual(['a:10', 'd:7', 'f:11']);
  });

  it('writes each key its last row of the epoch, reading only those rows (NULLs, non-ASCII text, a key of two columns)', async () => {
    const store = await stores.open();
    const kv = new KvTable(store, 'v');
    const fields = [
      { name: 'g', type: T.STRING, nullable: false },
      { name: 'h', type: T.INT, nullable: false },
      { name: 's', type: T.STRING, nullable: true },
      { name: 'xs', type: { kind: 'ARRAY', element: T.DOUBLE }, nullable: true },
    ] as const;
    const sink = new ViewSink(fields, [0, 1], kv, undefined, 'changes');
    const row = (g: string, h: number, s: string | null, xs: number[] | null) => ({ g, h, s, xs });
    const batches: [Record<string, unknown>[], number[]][] = [
      [[row('a', 1, 'é', [1]), row('b\u0000', 1, null, null), row('a', 2, 'x', [2, 3])], [I, I, I]],
      [[row('a', 1, null, [4]), row('c', 1, '日本', []), row('b\u0000', 1, 'gone', null)], [I, I, D]],
      [[row('c', 1, '🙂', [5.5]), row('d', 1, 'last', null)], [I, I]],
    ];
    for (const [rows, kinds] of batches) await sink.write(batchFromRows(fields, rows), Uint8Array.from(kinds));
    const wb = store.batch();
    sink.stage(wb);
    expect(wb.size).toBe(5);
    await wb.write();
    sink.committed();
    expect((await collect(kv.scan())).map(([, r]) => r)).toEqual([row('a', 1, null, [4]), row('a', 2, 'x', [2, 3]), row('c', 1, '🙂', [5.5]), row('d', 1, 'last', null)]);
  });

  it('tells a single STRING key apart by its text over many keys and epochs (NULL, non-ASCII, a key that is a prefix of another)', async () => {
    const store = await stores.open();
    const kv = new KvTable(store, 'v');
    const fields = [
      { name: 'g', type: T.STRING, nullable: true },
      { name: 'n', type: T.INT, nullable: false },
    ] as const;
    const sink = new ViewSink(fields, [0], kv, undefined, 'changes');
    const texts = [null, '', 'a', 'ab', 'é', 'e\u0301', '日本', '🙂'];
    for (let i = 0; i < 3000; i++) texts.push(`k${i}`);
    const held = new Map<string | null, number>();
    for (let epoch = 0; epoch < 3; epoch++) {
      for (let b = 0; b < 4; b++) {
        const rows = texts.map((g, i) => ({ g, n: epoch * 100 + b * 10 + (i % 7) }));
        const kinds = texts.map((_, i) => (b === 3 && i % 5 === epoch ? D : I));
        await sink.write(batchFromRows(fields, rows), Uint8Array.from(kinds));
        rows.forEach((r, i) => (kinds[i] === D ? held.delete(r.g) : held.set(r.g, r.n)));
      }
      const wb = store.batch();
      sink.stage(wb);
      expect(wb.size).toBe(texts.length);
      await wb.write();
      sink.committed();
      const stored = new Map((await collect(kv.scan())).map(([, r]) => [r['g'] as string | null, r['n'] as number]));
      expect(stored).toEqual(held);
    }
  });

  it('stages one write per key an epoch touched, however many batches wrote it', async () => {
    const store = await stores.open();
    const sink = new ViewSink(FIELDS, [0], new KvTable(store, 'v'), undefined, 'changes');
    for (let n = 0; n < 3; n++) await sink.write(batchFromRows(FIELDS, [{ g: 'a', n }, { g: `b${n}`, n }, { g: 'a', n: n + 10 }]), undefined);
    const wb = store.batch();
    sink.stage(wb);
    expect(wb.size).toBe(4);
    wb.discard();
  });
});
