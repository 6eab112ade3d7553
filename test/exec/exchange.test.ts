import { afterEach, describe, expect, it } from 'vitest';
import { partitionOf } from '../../src/common/hash.js';
import { T } from '../../src/common/types.js';
import { ExchangeOperator } from '../../src/exec/operators/exchange.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import { TempStores } from '../state/helpers.js';
import { Harness, data, f } from './harness.js';

const IN = [f('card', T.STRING), f('amount', T.DOUBLE)];
const card: BoundExpr = { kind: 'Column', index: 0, name: 'card', type: T.STRING };
const stores = new TempStores();
afterEach(() => stores.dispose());

async function setup(partitions: number, key: readonly BoundExpr[] = [card]) {
  const h = await Harness.create(stores);
  const op = await h.open(new ExchangeOperator({ input: IN, key, partitions, udfs: () => undefined }));
  return { h, op };
}

/** Rows per partition as [partition, card, amount, kind]. */
function routed(h: Harness): unknown[][] {
  return h.out.flatMap((m) => {
    if (m.kind !== 'data') return [];
    const one = new Harness(null as never);
    one.out.push(m);
    return one.rows(IN, true).map((r) => [m.partition, ...r]);
  });
}

describe('ExchangeOperator', () => {
  it('sends every row once, to partition hash(key) mod N, keeping order and change kinds within a partition', async () => {
    const { h, op } = await setup(3);
    const rows = ['a', 'b', 'c', 'd', 'a', 'e', 'b'].map((c, i) => ({ card: c, amount: i }));
    const kinds = [0, 0, 0, 3, 0, 0, 0];
    await op.process(data(IN, rows, kinds), 0);
    const got = routed(h);
    expect(got).toHaveLength(rows.length);
    const expected = rows.map((r, i) => [partitionOf([r.card], 3), ['+I', '-U', '+U', '-D'][kinds[i]!], r.card, r.amount]);
    // Grouped by partition in partition order, input order inside each.
    expected.sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(got.map((r) => [r[0], r[1], r[2], r[3]])).toEqual(expected);
    // Equal keys always meet in one partition.
    const byCard = new Map<unknown, Set<unknown>>();
    for (const r of got) byCard.set(r[2], (byCard.get(r[2]) ?? new Set()).add(r[0]));
    for (const parts of byCard.values()) expect(parts.size).toBe(1);
  });

  it('passes a batch unchanged to partition 0 when there is one partition', async () => {
    const { h, op } = await setup(1);
    const msg = data(IN, [{ card: 'a', amount: 1 }, { card: 'b', amount: 2 }]);
    await op.process(msg, 0);
    expect(h.out).toHaveLength(1);
    expect(h.out[0]).toMatchObject({ kind: 'data', partition: 0 });
    expect(h.out[0]!.kind === 'data' && h.out[0]!.batch).toBe(msg.kind === 'data' && msg.batch);
  });

  it('routes rows whose key fails as NULL keys, to one partition, leaving the dead letter to the keyed operator', async () => {
    const boom: BoundExpr = { kind: 'Udf', name: 'boom', args: [card], type: T.STRING };
    const h = await Harness.create(stores);
    const fails = (_args: readonly unknown[][], n: number) => ({ values: new Array<unknown>(n).fill(null), errors: new Array<string>(n).fill('boom failed') });
    const op = await h.open(new ExchangeOperator({ input: IN, key: [boom], partitions: 4, udfs: () => fails }));
    await op.process(data(IN, [{ card: 'a', amount: 1 }, { card: 'b', amount: 2 }, { card: 'c', amount: 3 }]), 0);
    expect(h.letters).toEqual([]);
    expect(h.out.map((m) => m.kind === 'data' && [m.partition, m.batch.numRows])).toEqual([[partitionOf([null], 4), 3]]);
  });

  it('passes watermarks, barriers and end through in order', async () => {
    const { h, op } = await setup(2);
    await op.process({ kind: 'watermark', time: 5 }, 0);
    await op.process(data(IN, []), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.control()).toEqual([['watermark', 5], ['barrier', 1], ['end']]);
    expect(h.out.filter((m) => m.kind === 'data')).toEqual([]);
  });
});
