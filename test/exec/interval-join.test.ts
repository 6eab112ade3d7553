import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { RowKind } from '../../src/exec/message.js';
import { IntervalJoinOperator } from '../../src/exec/operators/interval-join.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import { TempStores } from '../state/helpers.js';
import { Harness, TS, data, f } from './harness.js';

const L = [f('id', T.STRING), f('k', T.STRING), f('lt', TS), f('v', T.DOUBLE)];
const R = [f('rid', T.STRING), f('k', T.STRING), f('rt', TS)];
const OUT = [...L, ...R];
const S = 1000;
const l = (id: string, k: string | null, sec: number | null, v = 1) => ({ id, k, lt: sec === null ? null : sec * S, v });
const r = (rid: string, k: string | null, sec: number | null) => ({ rid, k, rt: sec === null ? null : sec * S });
// r.rt BETWEEN l.lt AND l.lt + 10 s
const PLAN = { leftKeys: [1], rightKeys: [1], leftTime: 2, rightTime: 2, lowerMs: 0, upperMs: 10 * S, fields: OUT };

const stores = new TempStores();
afterEach(() => stores.dispose());

async function setup(residual?: BoundExpr, h?: Harness) {
  const harness = h ?? (await Harness.create(stores));
  const op = new IntervalJoinOperator({ ...PLAN, residual, left: L, right: R, udfs: () => undefined });
  await harness.open(op);
  return { h: harness, op };
}

const ids = (h: Harness) => h.rows(OUT).map((row) => `${row[0]}-${row[4]}`);

describe('IntervalJoinOperator', () => {
  it('emits each match once, whichever side arrives first', async () => {
    const { h, op } = await setup();
    await op.process(data(L, [l('a', 'k1', 0), l('x', 'k2', 0), l('n', null, 0)]), 0);
    await op.process(data(R, [r('r1', 'k1', 5), r('r2', 'k1', 20), r('r3', 'k1', -1), r('r4', 'k2', 10), r('r5', null, 5)]), 1);
    await op.process(data(L, [l('b', 'k1', 15), l('c', 'k1', 10)]), 0);
    expect(ids(h)).toEqual(['a-r1', 'x-r4', 'b-r2', 'c-r2']);
    expect(h.letters).toEqual([]);
  });

  it('forwards the bounded min of both watermarks and retires buffered rows', async () => {
    const { h, op } = await setup();
    await op.process(data(L, [l('a', 'k1', 0), l('b', 'k1', 50)]), 0);
    await op.process(data(R, [r('r1', 'k1', 30), r('r2', 'k1', 100)]), 1);
    expect(op.buffered).toEqual([2, 2]);
    await op.process({ kind: 'watermark', time: 100 * S }, 0);
    expect(h.control()).toEqual([]);
    expect(op.buffered).toEqual([2, 1]); // r1 can no longer meet a left row at or after 100 s
    await op.process({ kind: 'watermark', time: 50 * S }, 1);
    expect(h.control()).toEqual([['watermark', 40 * S]]);
    expect(op.buffered).toEqual([1, 1]); // a (0 s + 10 s < 50 s) is gone, b stays
    await op.process({ kind: 'watermark', time: 40 * S }, 1);
    expect(h.control()).toHaveLength(1);
  });

  it('sends NULL times and rows behind their input watermark to dead letters', async () => {
    const { h, op } = await setup();
    await op.process({ kind: 'watermark', time: 5 * S }, 0);
    await op.process(data(L, [l('a', 'k1', null), l('b', 'k1', 4), l('c', 'k1', 5)]), 0);
    await op.process(data(R, [r('r1', 'k1', null), r('r2', 'k1', 6)]), 1);
    expect(h.letters.map((x) => x.reason)).toEqual([
      'event time lt is NULL',
      'late row: event time 1970-01-01 00:00:04.000 is behind the watermark 1970-01-01 00:00:05.000',
      'event time rt is NULL',
    ]);
    expect(ids(h)).toEqual(['c-r2']);
  });

  it('applies the residual condition and dead-letters joined rows where it throws', async () => {
    const v: BoundExpr = { kind: 'Column', index: 3, name: 'v', type: T.DOUBLE };
    const residual: BoundExpr = { kind: 'Binary', op: '>', left: { kind: 'Binary', op: '/', left: { kind: 'Literal', value: 10, type: T.DOUBLE }, right: v, type: T.DOUBLE }, right: { kind: 'Literal', value: 1, type: T.DOUBLE }, type: T.BOOLEAN };
    const { h, op } = await setup(residual);
    await op.process(data(L, [l('a', 'k1', 0, 1), l('b', 'k1', 0, 0), l('c', 'k1', 0, 100)]), 0);
    await op.process(data(R, [r('r1', 'k1', 1)]), 1);
    expect(ids(h)).toEqual(['a-r1']);
    expect(h.letters).toHaveLength(1);
    expect(h.letters[0]!.reason).toMatch(/^join condition \(10 \/ v\) > 1: .*zero/i);
    expect(JSON.parse(h.letters[0]!.row)).toMatchObject({ id: 'b', rid: 'r1' });
  });

  it('forwards a barrier once both inputs delivered it, and end once; empty input passes', async () => {
    const { h, op } = await setup();
    await op.process(data(L, []), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    expect(h.control()).toEqual([]);
    await op.process({ kind: 'barrier', epoch: 1 }, 1);
    await op.process({ kind: 'end' }, 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.control()).toEqual([['barrier', 1]]);
    await op.process({ kind: 'end' }, 1);
    expect(h.control()).toEqual([['barrier', 1], ['end']]);
    expect(h.rows(OUT)).toEqual([]);
  });

  it('continues exactly after a restart from the state written at a barrier', async () => {
    const { h, op } = await setup();
    await op.process(data(L, [l('a', 'k1', 0), l('b', 'k1', 3)]), 0);
    await op.process(data(R, [r('r1', 'k1', 12)]), 1);
    await op.process({ kind: 'watermark', time: 8 * S }, 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 1);
    await h.commit();
    await op.process(data(L, [l('zz', 'k1', 9)]), 0); // not committed
    const next = await setup(undefined, h.restart());
    expect(next.op.buffered).toEqual([2, 1]);
    await next.op.process(data(L, [l('c', 'k1', 8), l('d', 'k1', 11)]), 0);
    await next.op.process(data(R, [r('r2', 'k1', 9)]), 1);
    expect(ids(next.h)).toEqual(['c-r1', 'd-r1', 'a-r2', 'b-r2', 'c-r2']);
    expect(next.h.letters).toEqual([]);
    await next.op.process(data(L, [l('old', 'k1', 2)]), 0);
    expect(next.h.letters).toHaveLength(1);
  });

  it('takes back the pairs of a retracted row, as -D, and keeps the rest', async () => {
    const { h, op } = await setup();
    const { UPDATE_BEFORE: UB, UPDATE_AFTER: UA, DELETE: D } = RowKind;
    await op.process(data(R, [r('r1', 'k1', 5), r('r2', 'k1', 12)]), 1);
    await op.process(data(L, [l('a', 'k1', 0, 1), l('b', 'k1', 4, 1)]), 0);
    expect(h.rows(OUT, true).map((x) => `${x[0]} ${x[1]}-${x[5]}`)).toEqual(['+I a-r1', '+I b-r1', '+I b-r2']);
    h.clear();
    // b is updated: its old version's pairs go; the new version (at 6 s) pairs with r2 only.
    await op.process(data(L, [l('b', 'k1', 4, 1), l('b', 'k1', 6, 2)], [UB, UA]), 0);
    expect(h.rows(OUT, true).map((x) => `${x[0]} ${x[1]}-${x[5]} ${x[4]}`)).toEqual(['-D b-r1 1', '-D b-r2 1', '+I b-r2 2']);
    h.clear();
    await op.process(data(R, [r('r1', 'k1', 5)], [D]), 1);
    expect(h.rows(OUT, true).map((x) => `${x[0]} ${x[1]}-${x[5]} ${x[4]}`)).toEqual(['-D a-r1 1']);
    expect(op.buffered).toEqual([2, 1]);
    h.clear();
    await op.process(data(L, [l('never', 'k1', 1)], [D]), 0);
    expect(h.out).toEqual([]);
    expect(h.letters.map((x) => x.reason)).toEqual(['retraction of a row the join does not hold (never seen, or already retired by the watermark)']);
  });
});
