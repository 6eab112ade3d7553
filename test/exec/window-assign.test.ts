import { describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { RowKind } from '../../src/exec/message.js';
import { WindowAssignOperator } from '../../src/exec/operators/window-assign.js';
import type { WindowSpec } from '../../src/planner/physical.js';
import { TempStores } from '../state/helpers.js';
import { Harness, TS, data, f } from './harness.js';

const IN = [f('id', T.STRING), f('ts', TS)];
const OUT = [...IN, f('window_start', TS), f('window_end', TS)];
const tumble: WindowSpec = { fn: 'TUMBLE', timeColumn: 1, sizeMs: 10, slideMs: 10, gapMs: 0 };
const hop: WindowSpec = { fn: 'HOP', timeColumn: 1, sizeMs: 10, slideMs: 5, gapMs: 0 };

async function setup(w: WindowSpec) {
  const stores = new TempStores();
  const h = await Harness.create(stores);
  const op = new WindowAssignOperator({ input: IN, window: w, fields: OUT });
  await h.open(op);
  return { h, op, dispose: () => stores.dispose() };
}

describe('WindowAssignOperator', () => {
  it('stamps epoch-aligned TUMBLE windows, negative times included', async () => {
    const { h, op, dispose } = await setup(tumble);
    await op.process(data(IN, [{ id: 'a', ts: 0 }, { id: 'b', ts: 19 }, { id: 'c', ts: -1 }]), 0);
    expect(h.rows(OUT)).toEqual([
      ['a', 0, 0, 10],
      ['b', 19, 10, 20],
      ['c', -1, -10, 0],
    ]);
    await dispose();
  });

  it('repeats a row per HOP window and keeps change kinds with their rows', async () => {
    const { h, op, dispose } = await setup(hop);
    await op.process(data(IN, [{ id: 'a', ts: 7 }, { id: 'b', ts: 10 }], [RowKind.INSERT, RowKind.DELETE]), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['+I', 'a', 7, 0, 10],
      ['+I', 'a', 7, 5, 15],
      ['-D', 'b', 10, 5, 15],
      ['-D', 'b', 10, 10, 20],
    ]);
    await dispose();
  });

  it('HOP: a NULL-time row dropped from a batch whose window count equals its row count shifts no values', async () => {
    const { h, op, dispose } = await setup(hop);
    await op.process(data(IN, [{ id: 'a', ts: null }, { id: 'b', ts: 7 }], [RowKind.DELETE, RowKind.INSERT]), 0);
    expect(h.letters.map((l) => JSON.parse(l.row).id)).toEqual(['a']);
    expect(h.rows(OUT, true)).toEqual([
      ['+I', 'b', 7, 0, 10],
      ['+I', 'b', 7, 5, 15],
    ]);
    await dispose();
  });

  it('sends NULL event times to dead letters; empty input, watermarks, barriers and end pass', async () => {
    const { h, op, dispose } = await setup(tumble);
    await op.process(data(IN, []), 0);
    await op.process(data(IN, [{ id: 'a', ts: null }, { id: 'b', ts: 3 }]), 0);
    await op.process({ kind: 'watermark', time: 3 }, 0);
    await op.process({ kind: 'barrier', epoch: 2 }, 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.letters.map((l) => [l.reason, JSON.parse(l.row)])).toEqual([['event time ts is NULL', { id: 'a', ts: null }]]);
    expect(h.rows(OUT)).toEqual([['b', 3, 0, 10]]);
    expect(h.control()).toEqual([['watermark', 3], ['barrier', 2], ['end']]);
    await dispose();
  });
});
