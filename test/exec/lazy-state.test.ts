/**
 * Keyed operators over a large existing state: open() reads metadata only (no scan), a batch
 * reads the keys it touches in one multi-get per table, and a watermark finds what it retires
 * through a time index, not by scanning the state. State written before the time indexes
 * existed is indexed once on open and then behaves the same. predict()'s record of emitted
 * outputs reads the keys of a batch in one multi-get too.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { T } from '../../src/common/types.js';
import { IntervalJoinOperator } from '../../src/exec/operators/interval-join.js';
import { EmittedScores } from '../../src/exec/operators/emitted-scores.js';
import { SessionWindowAggregateOperator } from '../../src/exec/operators/session-window-aggregate.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import type { WindowSpec } from '../../src/planner/physical.js';
import { StateTable, type Store } from '../../src/state/index.js';
import { TempStores } from '../state/helpers.js';
import { Harness, TS, data, f } from './harness.js';

const KEYS = 3000;
const S = 1000;

const stores = new TempStores();
afterEach(() => {
  vi.restoreAllMocks();
  return stores.dispose();
});

/** Counts the store's reads from now on: iterators opened, multi-get calls and keys read. */
function countReads(store: Store): { iterators: number; getManyCalls: number; keys: number } {
  const n = { iterators: 0, getManyCalls: 0, keys: 0 };
  const iterate = store.iterate.bind(store);
  const getMany = store.getMany.bind(store);
  vi.spyOn(store, 'iterate').mockImplementation((options) => {
    n.iterators++;
    return iterate(options);
  });
  vi.spyOn(store, 'getMany').mockImplementation((keys) => {
    n.getManyCalls++;
    n.keys += keys.length;
    return getMany(keys);
  });
  vi.spyOn(store, 'get').mockImplementation(() => {
    throw new Error('state read one key at a time');
  });
  return n;
}

/** Drops the tables a newer layout added, as state written before them would lack them. */
async function dropTables(store: Store, ...names: string[]): Promise<void> {
  for (const name of names) await new StateTable(store, `q/op0.${name}`, 0).clear();
}

describe('interval join over a large state', () => {
  const L = [f('id', T.STRING), f('k', T.STRING), f('lt', TS)];
  const R = [f('rid', T.STRING), f('k', T.STRING), f('rt', TS)];
  const OUT = [...L, ...R];
  const join = () => new IntervalJoinOperator({ leftKeys: [1], rightKeys: [1], leftTime: 2, rightTime: 2, lowerMs: 0, upperMs: 10 * S, fields: OUT, left: L, right: R, udfs: () => undefined });

  /** KEYS keys, one left row each at k seconds and one right row at k + 1 seconds; committed. */
  async function filled(): Promise<{ h: Harness; store: Store }> {
    const store = await stores.open();
    const h = new Harness(store);
    const op = await h.open(join());
    const ks = Array.from({ length: KEYS }, (_, i) => i);
    await op.process(data(L, ks.map((i) => ({ id: `l${i}`, k: `k${i}`, lt: i * S }))), 0);
    await op.process(data(R, ks.map((i) => ({ rid: `r${i}`, k: `k${i}`, rt: (i + 1) * S }))), 1);
    expect(h.rows(OUT)).toHaveLength(KEYS);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 1);
    await h.commit();
    return { h, store };
  }

  /** After a restart: one batch over two keys, then watermarks that retire the rows of five keys per side. */
  async function continueRun(h: Harness, reads: ReturnType<typeof countReads>): Promise<void> {
    const op = join();
    await h.open(op);
    expect(op.buffered).toEqual([KEYS, KEYS]);
    const opened = { ...reads };
    await op.process(data(L, [{ id: 'x', k: 'k7', lt: 5 * S }, { id: 'y', k: 'k2000', lt: 1995 * S }, { id: 'z', k: 'k7', lt: 6 * S }]), 0);
    expect(h.rows(OUT).map((r) => `${r[0]}-${r[3]}`)).toEqual(['x-r7', 'y-r2000', 'z-r7']);
    // One multi-get of the batch's two keys, from the other side's table: the added rows are
    // held until the barrier, which reads their keys' lists then.
    expect(reads.getManyCalls - opened.getManyCalls).toBe(1);
    expect(reads.keys - opened.keys).toBe(2);
    expect(reads.iterators).toBe(opened.iterators);
    // Left rows retire once t + 10 s < right watermark: at 15 s those of k0..k4 (x at 5 s stays).
    await op.process({ kind: 'watermark', time: 15 * S }, 1);
    expect(op.buffered).toEqual([KEYS + 3 - 5, KEYS]);
    // Right rows retire once t < left watermark: at 5 s those of k0..k3 (r4 at 5 s stays).
    await op.process({ kind: 'watermark', time: 5 * S }, 0);
    expect(op.buffered).toEqual([KEYS + 3 - 5, KEYS - 4]);
    expect(reads.iterators - opened.iterators).toBe(2);
    expect(reads.keys - opened.keys).toBe(2 + 5 + 4);
    h.clear();
    await op.process(data(R, [{ rid: 'late', k: 'k3', rt: 13 * S }, { rid: 'new', k: 'k12', rt: 20 * S }]), 1);
    expect(h.rows(OUT).map((r) => `${r[0]}-${r[3]}`)).toEqual(['l12-new']);
    expect(h.letters.map((l) => l.reason)).toEqual(['late row: event time 1970-01-01 00:00:13.000 is behind the watermark 1970-01-01 00:00:15.000']);
  }

  it('opens reading metadata only, reads per batch what it touches, retires through the time index', async () => {
    const { h, store } = await filled();
    const reads = countReads(store);
    const next = h.restart();
    await next.open(join());
    expect(reads).toEqual({ iterators: 0, getManyCalls: 1, keys: 1 });
    await continueRun(h.restart(), reads);
  });

  it('indexes state written before the time index once, on open, then behaves the same', async () => {
    const { h, store } = await filled();
    await dropTables(store, 'left-time', 'right-time');
    const meta = new StateTable(store, 'q/op0.meta', 0);
    const wm = (await meta.get('wm'))!;
    meta.put('wm', { l: wm['l']!, r: wm['r']!, o: wm['o']! });
    const wb = store.batch();
    meta.flush(wb);
    await wb.write();
    const reads = countReads(store);
    const next = h.restart();
    await continueRun(next, reads);
  });
});

describe('SESSION windows over a large state', () => {
  const IN = [f('card', T.STRING), f('amount', T.DOUBLE), f('ts', TS)];
  const col = (index: number, name: string, type = IN[index]?.type ?? TS): BoundExpr => ({ kind: 'Column', index, name, type });
  const OUT = [f('window_start', TS), f('window_end', TS), f('card', T.STRING), f('n', T.BIGINT), f('total', T.DOUBLE)];
  const session: WindowSpec = { fn: 'SESSION', timeColumn: 2, sizeMs: 0, slideMs: 0, gapMs: 10 * S };
  const windows = () =>
    new SessionWindowAggregateOperator({
      input: IN,
      window: session,
      groupBy: [col(3, 'window_start'), col(4, 'window_end'), col(0, 'card')],
      aggregates: [
        { fn: 'count', args: [], name: 'n' },
        { fn: 'sum', args: [col(1, 'amount')], name: 'total' },
      ],
      fields: OUT,
      udfs: () => undefined,
    });

  /** KEYS cards, each with one session started at its index in seconds; committed. */
  async function filled(): Promise<{ h: Harness; store: Store }> {
    const store = await stores.open();
    const h = new Harness(store);
    const op = await h.open(windows());
    await op.process(data(IN, Array.from({ length: KEYS }, (_, i) => ({ card: `c${i}`, amount: i, ts: i * S }))), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await h.commit();
    return { h, store };
  }

  async function continueRun(h: Harness, reads: ReturnType<typeof countReads>): Promise<void> {
    const op = windows();
    await h.open(op);
    expect(op.openWindows).toBe(KEYS);
    const opened = { ...reads };
    await op.process(data(IN, [{ card: 'c1', amount: 100, ts: 8 * S }, { card: 'c2999', amount: 1, ts: 2999 * S }, { card: 'c1', amount: 1000, ts: 30 * S }]), 0);
    // c1's session grows to [1 s, 18 s); a second opens at 30 s.
    expect(op.openWindows).toBe(KEYS + 1);
    expect(reads.getManyCalls - opened.getManyCalls).toBe(1);
    expect(reads.keys - opened.keys).toBe(2);
    expect(reads.iterators).toBe(opened.iterators);
    await op.process({ kind: 'watermark', time: 14 * S }, 0);
    expect(h.rows(OUT)).toEqual([
      [0, 10 * S, 'c0', 1n, 0],
      [2 * S, 12 * S, 'c2', 1n, 2],
      [3 * S, 13 * S, 'c3', 1n, 3],
      [4 * S, 14 * S, 'c4', 1n, 4],
    ]);
    expect(reads.iterators - opened.iterators).toBe(1);
    expect(reads.keys - opened.keys).toBe(2 + 4);
    expect(op.openWindows).toBe(KEYS - 3);
    h.clear();
    await op.process({ kind: 'watermark', time: 18 * S }, 0);
    expect(h.rows(OUT)).toEqual([
      [5 * S, 15 * S, 'c5', 1n, 5],
      [6 * S, 16 * S, 'c6', 1n, 6],
      [7 * S, 17 * S, 'c7', 1n, 7],
      [1 * S, 18 * S, 'c1', 2n, 101],
      [8 * S, 18 * S, 'c8', 1n, 8],
    ]);
  }

  it('opens reading metadata only, reads per batch what it touches, closes sessions through the time index', async () => {
    const { h, store } = await filled();
    const reads = countReads(store);
    await h.restart().open(windows());
    expect(reads).toEqual({ iterators: 0, getManyCalls: 2, keys: 2 });
    await continueRun(h.restart(), reads);
  });

  it('indexes sessions written before the time index once, on open, then behaves the same', async () => {
    const { h, store } = await filled();
    await dropTables(store, 'session-ends', 'session-count');
    const reads = countReads(store);
    await continueRun(h.restart(), reads);
  });
});

describe('emitted predict() outputs', () => {
  it('are recorded and taken back in row order with one multi-get per batch', async () => {
    const store = await stores.open();
    const h = new Harness(store);
    const emitted = new EmittedScores(h.ctx().state, [f('id', T.STRING)], [0]);
    const reads = countReads(store);
    const score = (output: number) => ({ output, version: 1, role: 'serving' });
    expect(await emitted.apply([{ key: 'a', record: score(1) }, { key: 'a', record: score(2) }, { key: 'b', record: score(3) }, { key: 'a' }])).toEqual([undefined, undefined, undefined, score(1)]);
    await h.commit();
    expect(await h.restart().ctx().state.table('emitted').get('a')).toEqual({ list: [[2, 1, 'serving']] });
    const next = new EmittedScores(h.restart().ctx().state, [f('id', T.STRING)], [0]);
    expect(await next.apply([{ key: 'b' }, { key: 'a' }, { key: 'a' }, { key: 'c' }])).toEqual([score(3), score(2), undefined, undefined]);
    expect(reads.getManyCalls).toBe(3);
  });
});
