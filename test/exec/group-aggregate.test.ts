import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { RowKind } from '../../src/exec/message.js';
import { GroupAggregateOperator } from '../../src/exec/operators/group-aggregate.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import type { AggregateCall } from '../../src/planner/logical.js';
import { TempStores } from '../state/helpers.js';
import { Harness, data, f } from './harness.js';

const IN = [f('card', T.STRING), f('amount', T.DOUBLE)];
const card: BoundExpr = { kind: 'Column', index: 0, name: 'card', type: T.STRING };
const amount: BoundExpr = { kind: 'Column', index: 1, name: 'amount', type: T.DOUBLE };
const AGGS: AggregateCall[] = [
  { fn: 'count', args: [], name: 'count_0' },
  { fn: 'sum', args: [amount], name: 'sum_1' },
  { fn: 'max', args: [amount], name: 'max_2' },
  { fn: 'count_distinct', args: [amount], name: 'count_distinct_3' },
];
const OUT = [f('card', T.STRING), f('count_0', T.BIGINT), f('sum_1', T.DOUBLE), f('max_2', T.DOUBLE), f('count_distinct_3', T.BIGINT)];
const { INSERT: I, UPDATE_BEFORE: UB, UPDATE_AFTER: UA, DELETE: D } = RowKind;
const r = (c: string | null, a: number | null) => ({ card: c, amount: a });

const stores = new TempStores();
afterEach(() => stores.dispose());

async function setup(aggs = AGGS, retractable = true, h?: Harness) {
  const harness = h ?? (await Harness.create(stores));
  const op = new GroupAggregateOperator({ input: IN, groupBy: [card], aggregates: aggs, fields: OUT, retractable, udfs: () => undefined });
  await harness.open(op);
  return { h: harness, op };
}

describe('GroupAggregateOperator', () => {
  it('emits one coalesced change per changed group and batch', async () => {
    const { h, op } = await setup();
    await op.process(data(IN, [r('c1', 5), r('c1', 7), r('c2', 1)]), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['+I', 'c1', 2n, 12, 7, 2n],
      ['+I', 'c2', 1n, 1, 1, 1n],
    ]);
    h.clear();
    await op.process(data(IN, [r('c1', 7), r('c3', null)]), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['-U', 'c1', 2n, 12, 7, 2n],
      ['+U', 'c1', 3n, 19, 7, 2n],
      ['+I', 'c3', 1n, null, null, 0n],
    ]);
    expect(op.size).toBe(3);
  });

  it('emits a change between non-finite results (Infinity to NaN) and none while a result stays NaN', async () => {
    const SUMS = [f('card', T.STRING), f('sum_1', T.DOUBLE)];
    const h = await Harness.create(stores);
    const op = new GroupAggregateOperator({ input: IN, groupBy: [card], aggregates: [AGGS[1]!], fields: SUMS, retractable: false, udfs: () => undefined });
    await h.open(op);
    const step = async (amount: number) => {
      h.clear();
      await op.process(data(IN, [r('c1', amount)]), 0);
      return h.rows(SUMS, true);
    };
    expect(await step(1)).toEqual([['+I', 'c1', 1]]);
    expect(await step(Infinity)).toEqual([
      ['-U', 'c1', 1],
      ['+U', 'c1', Infinity],
    ]);
    expect(await step(-Infinity)).toEqual([
      ['-U', 'c1', Infinity],
      ['+U', 'c1', NaN],
    ]);
    expect(await step(5)).toEqual([]);
  });

  it('retracts on UPDATE_BEFORE and DELETE, and deletes a group whose count drops to zero', async () => {
    const { h, op } = await setup();
    await op.process(data(IN, [r('c1', 5), r('c1', 9), r('c2', 1)]), 0);
    h.clear();
    await op.process(data(IN, [r('c1', 9), r('c1', 4), r('c2', 1)], [UB, UA, D]), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['-U', 'c1', 2n, 14, 9, 2n],
      ['+U', 'c1', 2n, 9, 5, 2n],
      ['-D', 'c2', 1n, 1, 1, 1n],
    ]);
    h.clear();
    await op.process(data(IN, [r('c4', 1), r('c4', 1)], [I, D]), 0);
    expect(h.out).toEqual([]);
    expect(op.size).toBe(1);
  });

  it('keeps the one row of an aggregate without GROUP BY: the results of no rows first, never deleted', async () => {
    const h = await Harness.create(stores);
    const GOUT = OUT.slice(1);
    const op = new GroupAggregateOperator({ input: IN, groupBy: [], aggregates: AGGS, fields: GOUT, retractable: true, udfs: () => undefined });
    await h.open(op);
    await op.process({ kind: 'watermark', time: 0 }, 0);
    expect(h.rows(GOUT, true)).toEqual([['+I', 0n, null, null, 0n]]);
    h.clear();
    await op.process(data(IN, [r('c1', 5), r('c2', 7)]), 0);
    expect(h.rows(GOUT, true)).toEqual([
      ['-U', 0n, null, null, 0n],
      ['+U', 2n, 12, 7, 2n],
    ]);
    h.clear();
    await op.process(data(IN, [r('c1', 5), r('c2', 7)], [D, D]), 0);
    expect(h.rows(GOUT, true)).toEqual([
      ['-U', 2n, 12, 7, 2n],
      ['+U', 0n, null, null, 0n],
    ]);
    expect(op.size).toBe(1);
  });

  it('sends bad rows to dead letters: unknown retractions and throwing arguments', async () => {
    const div: BoundExpr = { kind: 'Binary', op: '/', left: { kind: 'Literal', value: 10, type: T.DOUBLE }, right: amount, type: T.DOUBLE };
    const { h, op } = await setup([{ fn: 'count', args: [], name: 'count_0' }, { fn: 'sum', args: [div], name: 'sum_1' }]);
    await op.process(data(IN, [r('c1', 5), r('c1', 0), r('c9', 1)], [I, I, D]), 0);
    expect(h.letters.map((l) => l.reason)).toEqual([expect.stringMatching(/^aggregate SUM\(10 \/ amount\): .*zero/i), 'retraction of a row in a group that does not exist']);
    expect(JSON.parse(h.letters[0]!.row)).toEqual({ card: 'c1', amount: 0 });
    const OUT2 = OUT.slice(0, 3);
    expect(h.rows(OUT2, true)).toEqual([['+I', 'c1', 1n, 2]]);
  });

  it('refuses retractions of append-only MIN/MAX instead of answering wrongly', async () => {
    const { h, op } = await setup(AGGS, false);
    await op.process(data(IN, [r('c1', 5), r('c1', 5)], [I, D]), 0);
    expect(h.letters.map((l) => l.reason)).toEqual(['MAX over an append-only input cannot retract a row']);
    expect(h.rows(OUT, true)).toEqual([['+I', 'c1', 1n, 5, 5, 1n]]);
  });

  it('passes empty input, watermarks, barriers and end through', async () => {
    const { h, op } = await setup();
    await op.process(data(IN, []), 0);
    await op.process({ kind: 'watermark', time: 7 }, 0);
    await op.process({ kind: 'barrier', epoch: 3 }, 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.control()).toEqual([['watermark', 7], ['barrier', 3], ['end']]);
    expect(h.rows(OUT)).toEqual([]);
  });

  it('continues exactly after a restart from the state written at a barrier', async () => {
    const { h, op } = await setup();
    await op.process(data(IN, [r('c1', 5), r('c1', 9), r('c2', 1), r('c3', 2)]), 0);
    await op.process(data(IN, [r('c3', 2)], [D]), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await h.commit();
    await op.process(data(IN, [r('c2', 100)]), 0); // not committed
    const next = await setup(AGGS, true, h.restart());
    // Open reads no groups: they are read from state as batches need them.
    expect(next.op.size).toBe(0);
    await next.op.process(data(IN, [r('c1', 9), r('c2', 3), r('c3', 1)], [D, I, I]), 0);
    expect(next.h.rows(OUT, true)).toEqual([
      ['-U', 'c1', 2n, 14, 9, 2n],
      ['+U', 'c1', 1n, 5, 5, 1n],
      ['-U', 'c2', 1n, 1, 1, 1n],
      ['+U', 'c2', 2n, 4, 3, 2n],
      ['+I', 'c3', 1n, 1, 1, 1n],
    ]);
  });
});
