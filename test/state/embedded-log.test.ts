import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedLog, LOG_CHUNK_HEADER_BYTES, StateTable, type LogChunk } from '../../src/state/index.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { decodeBatches, encodeBatch, encodeBatchView } from '../../src/exec/ipc.js';
import { encodeKey } from '../../src/state/keys.js';
import { TempStores, collect, waitFor } from './helpers.js';

const temp = new TempStores();
afterEach(() => temp.dispose());

const payload = (s: string): Buffer => Buffer.from(s);

describe('EmbeddedLog', () => {
  it('creates topics idempotently and persists them', async () => {
    const dir = await temp.dir();
    const store = await temp.open(dir);
    const log = await EmbeddedLog.open(store);
    expect(await EmbeddedLog.open(store)).toBe(log);
    await log.createTopic('orders', 3);
    await log.createTopic('orders', 3);
    await expect(log.createTopic('orders', 2)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await log.createTopic('clicks', 1);
    await store.close();
    const log2 = await EmbeddedLog.open(await temp.open(dir));
    expect(log2.topics()).toEqual(['clicks', 'orders']);
    expect(log2.partitions('orders')).toBe(3);
    expect(() => log2.partitions('nope')).toThrow(/does not exist/);
    await log2.dropTopic('clicks');
    expect(log2.topics()).toEqual(['orders']);
  });

  it('assigns dense per-record offsets and reads from the chunk holding an offset', async () => {
    const dir = await temp.dir();
    const store = await temp.open(dir);
    const log = await EmbeddedLog.open(store);
    await log.createTopic('t', 2);
    expect(await log.append('t', 0, payload('a'), 3)).toBe(0);
    expect(await log.append('t', 0, payload('b'), 2)).toBe(3);
    expect(await log.append('t', 1, payload('c'), 1)).toBe(0);
    expect(await log.append('t', 0, payload('d'), 4)).toBe(5);
    expect(log.highWatermark('t', 0)).toBe(9);
    const fromFour = await log.read('t', 0, 4);
    expect(fromFour.map((c) => [c.baseOffset, c.count, c.payload.toString()])).toEqual([
      [3, 2, 'b'],
      [5, 4, 'd'],
    ]);
    expect((await log.read('t', 0, 0, 1)).map((c) => c.baseOffset)).toEqual([0]);
    expect(await log.read('t', 0, 9)).toEqual([]);
    await store.close();
    const log2 = await EmbeddedLog.open(await temp.open(dir));
    expect(log2.highWatermark('t', 0)).toBe(9);
    expect(await log2.append('t', 0, payload('e'), 1)).toBe(9);
  });

  it('keeps staged appends, state and checkpoint-like writes invisible until the batch is written', async () => {
    const store = await temp.open();
    const log = await EmbeddedLog.open(store);
    await log.createTopic('out', 1);
    const state = new StateTable(store, 'q1/agg', 0);
    state.put('k', { n: 1 });
    const wb = store.batch();
    expect(log.append('out', 0, payload('x'), 2, wb)).toBe(0);
    expect(log.append('out', 0, payload('y'), 1, wb)).toBe(2);
    state.flush(wb);
    expect(log.highWatermark('out', 0)).toBe(0);
    expect(await log.read('out', 0, 0)).toEqual([]);
    // A reader of its own each time: a table caches what it read, absences too.
    expect(await new StateTable(store, 'q1/agg', 0).get('k')).toBeUndefined();
    await wb.write();
    expect(log.highWatermark('out', 0)).toBe(3);
    expect((await log.read('out', 0, 0)).map((c) => c.payload.toString())).toEqual(['x', 'y']);
    expect(await new StateTable(store, 'q1/agg', 0).get('k')).toEqual({ n: 1 });
    expect(state.dirtyCount).toBe(0);
  });

  it('moves the high watermark only over contiguous committed batches', async () => {
    const store = await temp.open();
    const log = await EmbeddedLog.open(store);
    await log.createTopic('t', 1);
    const wb1 = store.batch();
    const wb2 = store.batch();
    log.append('t', 0, payload('1'), 1, wb1);
    log.append('t', 0, payload('2'), 1, wb2);
    await wb2.write();
    expect(log.highWatermark('t', 0)).toBe(0);
    await wb1.write();
    expect(log.highWatermark('t', 0)).toBe(2);
    const wb3 = store.batch();
    expect(log.append('t', 0, payload('3'), 5, wb3)).toBe(2);
    wb3.discard();
    expect(await log.append('t', 0, payload('4'), 1)).toBe(2);
  });

  it('reuses reserved offsets after reopening when a staged batch was never written', async () => {
    const dir = await temp.dir();
    const store = await temp.open(dir);
    const log = await EmbeddedLog.open(store);
    await log.createTopic('t', 1);
    await log.append('t', 0, payload('a'), 4);
    const lost = store.batch();
    expect(log.append('t', 0, payload('lost'), 10, lost)).toBe(4);
    await store.close();
    const store2 = await temp.open(dir);
    const log2 = await EmbeddedLog.open(store2);
    expect(log2.highWatermark('t', 0)).toBe(4);
    expect(await log2.append('t', 0, payload('b'), 1)).toBe(4);
    expect((await log2.read('t', 0, 0)).map((c) => c.payload.toString())).toEqual(['a', 'b']);
  });

  it('tail yields existing chunks, wakes on appends and stops on abort', async () => {
    const store = await temp.open();
    const log = await EmbeddedLog.open(store);
    await log.createTopic('t', 1);
    await log.append('t', 0, payload('a'), 2);
    const ac = new AbortController();
    const seen: LogChunk[] = [];
    const done = (async () => {
      for await (const c of log.tail('t', 0, 1, ac.signal)) {
        seen.push(c);
        if (seen.length === 3) ac.abort();
      }
    })();
    await waitFor(() => seen.length === 1);
    expect(seen.map((c) => c.payload.toString())).toEqual(['a']);
    const wb = store.batch();
    log.append('t', 0, payload('b'), 1, wb);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(1);
    await wb.write();
    await log.append('t', 0, payload('c'), 1);
    await done;
    expect(seen.map((c) => [c.baseOffset, c.payload.toString()])).toEqual([
      [0, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    const idle = new AbortController();
    const waiting = collect(log.tail('t', 0, 4, idle.signal));
    setTimeout(() => idle.abort(), 10);
    expect(await waiting).toEqual([]);
  });

  it('ends tails on a dropped topic with STATE_ERROR', async () => {
    const store = await temp.open();
    const log = await EmbeddedLog.open(store);
    await log.createTopic('gone', 1);
    const waiting = expect(collect(log.tail('gone', 0, 0, new AbortController().signal))).rejects.toMatchObject({ code: 'STATE_ERROR' });
    await new Promise((r) => setTimeout(r, 5));
    await log.dropTopic('gone');
    await waiting;
  });

  it('expires whole chunks older than the retention, keeps offsets, and remembers the log start', async () => {
    const dir = await temp.dir();
    const store = await temp.open(dir);
    const log = await EmbeddedLog.open(store);
    await log.createTopic('kept', 1);
    await log.createTopic('dlq', 2, { retentionMs: 1000 });
    await log.append('kept', 0, payload('k'), 5);
    await log.append('dlq', 0, payload('a'), 3);
    await log.append('dlq', 0, payload('b'), 2);
    const t0 = Date.now();
    // Nothing is old enough yet.
    expect(await log.expire(t0)).toEqual(new Map());
    await new Promise((r) => setTimeout(r, 30));
    const later = Date.now();
    await log.append('dlq', 0, payload('c'), 4);
    await log.append('dlq', 1, payload('d'), 1);
    // Chunks appended before `later` are past a retention of 1 s at later + 1000.
    expect(await log.expire(later + 999)).toEqual(new Map([['dlq', 5]]));
    expect(log.logStart('dlq', 0)).toBe(5);
    expect(log.logStart('dlq', 1)).toBe(0);
    expect(log.highWatermark('dlq', 0)).toBe(9);
    // A read below the log start begins at the first chunk still stored.
    expect((await log.read('dlq', 0, 0)).map((c) => [c.baseOffset, c.payload.toString()])).toEqual([[5, 'c']]);
    // New appends continue the offsets; a topic without retention keeps everything.
    expect(await log.append('dlq', 0, payload('e'), 1)).toBe(9);
    // The last chunk of a partition stays, however old (it carries the next offset).
    expect(await log.expire(later + 10 * 86_400_000)).toEqual(new Map([['dlq', 4]]));
    expect(log.logStart('kept', 0)).toBe(0);
    expect(log.logStart('dlq', 0)).toBe(9);
    expect(log.logStart('dlq', 1)).toBe(0);
    await store.close();
    const log2 = await EmbeddedLog.open(await temp.open(dir));
    expect(log2.logStart('dlq', 0)).toBe(9);
    expect(log2.highWatermark('dlq', 0)).toBe(10);
    expect(log2.retention('dlq')).toBe(1000);
    expect(log2.retention('kept')).toBeUndefined();
    expect(await log2.append('dlq', 0, payload('f'), 1)).toBe(10);
  });

  it('reads an Arrow payload in place (8-byte aligned) and still reads chunks written with the older 4-byte header', async () => {
    const dir = await temp.dir();
    const store = await temp.open(dir);
    const log = await EmbeddedLog.open(store);
    await log.createTopic('a', 1);
    const fields = [{ name: 'x', type: { kind: 'DOUBLE' as const }, nullable: false }];
    const batch = (xs: number[]) => encodeBatch(batchFromRows(fields, xs.map((x) => ({ x }))));
    await log.append('a', 0, batch([1, 2, 3]), 3);
    await log.append('a', 0, batch([4, 5]), 2);
    // The second chunk as an older version wrote it: count, then the payload right after.
    const old = batch([4, 5]);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(2, 0);
    await store.put(encodeKey(['log-data', 'a', 0, 3]), Buffer.concat([header, old]));
    await store.close();

    const log2 = await EmbeddedLog.open(await temp.open(dir));
    expect(log2.highWatermark('a', 0)).toBe(5);
    const chunks = await log2.read('a', 0, 0);
    expect(chunks.map((c) => [c.baseOffset, c.count])).toEqual([[0, 3], [3, 2]]);
    expect(chunks[0]!.payload.byteOffset % 8).toBe(0);
    const xs = chunks.flatMap((c) => decodeBatches(c.payload).flatMap((b) => Array.from(b.getChild('x')!.toArray() as Float64Array)));
    expect(xs).toEqual([1, 2, 3, 4, 5]);
  });

  it('appends a chunk encoded with room for its header as append does, and the caller may reuse it at once', async () => {
    const store = await temp.open();
    const log = await EmbeddedLog.open(store);
    await log.createTopic('a', 1);
    const fields = [{ name: 'x', type: { kind: 'DOUBLE' as const }, nullable: false }];
    const batch = (xs: number[]) => batchFromRows(fields, xs.map((x) => ({ x })));
    const wb = store.batch();
    expect(log.appendFramed('a', 0, encodeBatchView(batch([1, 2, 3]), LOG_CHUNK_HEADER_BYTES), 3, wb)).toBe(0);
    // The scratch buffer is written again by the next chunk; the batch holds its own copy.
    expect(log.appendFramed('a', 0, encodeBatchView(batch([4, 5]), LOG_CHUNK_HEADER_BYTES), 2, wb)).toBe(3);
    expect(log.append('a', 0, encodeBatch(batch([6])), 1, wb)).toBe(5);
    await wb.write();
    const chunks = await log.read('a', 0, 0);
    expect(chunks.map((c) => [c.baseOffset, c.count])).toEqual([[0, 3], [3, 2], [5, 1]]);
    expect(chunks.map((c) => c.payload.equals(encodeBatch(batch(c.baseOffset === 0 ? [1, 2, 3] : c.baseOffset === 3 ? [4, 5] : [6]))))).toEqual([true, true, true]);
    const xs = chunks.flatMap((c) => decodeBatches(c.payload).flatMap((b) => Array.from(b.getChild('x')!.toArray() as Float64Array)));
    expect(xs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('scans a range in order with several reads ahead, each chunk once, across read spans', async () => {
    const store = await temp.open(await temp.dir());
    const log = await EmbeddedLog.open(store);
    await log.createTopic('big', 1);
    // 60 chunks of 1000 records: a scan over most of them spans several 16,384-record reads,
    // whose boundaries fall inside chunks.
    for (let i = 0; i < 60; i++) await log.append('big', 0, payload(`c${i}`), 1000);
    const got: LogChunk[] = [];
    for await (const c of log.scan('big', 0, 12_345, 53_001)) got.push(c);
    expect(got.map((c) => c.baseOffset)).toEqual(Array.from({ length: 42 }, (_, i) => 12_000 + i * 1000));
    expect(got.map((c) => c.payload.toString())).toEqual(Array.from({ length: 42 }, (_, i) => `c${12 + i}`));
    // Past the high watermark it stops at the last chunk; an empty range yields nothing.
    const tail: number[] = [];
    for await (const c of log.scan('big', 0, 59_500, 1_000_000)) tail.push(c.baseOffset);
    expect(tail).toEqual([59_000]);
    const none: LogChunk[] = [];
    for await (const c of log.scan('big', 0, 60_000, 70_000)) none.push(c);
    expect(none).toEqual([]);
  });
});
