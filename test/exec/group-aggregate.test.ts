import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { RowKind, type Message } from '../../src/exec/message.js';
import { GroupAggregateOperator, MINI_BATCH_ROWS } from '../../src/exec/operators/group-aggregate.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import type { AggregateCall } from '../../src/planner/logical.js';
import { TempStores } from '../state/helpers.js';
import { StateCache } from '../../src/state/index.js';
import { Harness, data, f, random } from './harness.js';

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

/** A data message sent with the source's hint that more input follows. */
const more = (m: Message): Message => (m.kind === 'data' ? { ...m, more: true } : m);

/** Applies a changelog to a table keyed by the group (the first column), as a view does. */
function applied(changes: readonly unknown[][]): unknown[][] {
  const table = new Map<unknown, unknown[]>();
  for (const [op, key, ...rest] of changes) {
    if (op === '-U' || op === '-D') {
      expect(table.get(key)).toEqual([key, ...rest]);
      table.delete(key);
    } else table.set(key, [key, ...rest]);
  }
  return [...table.values()].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

const stores = new TempStores();
afterEach(() => stores.dispose());

async function setup(aggs = AGGS, retractable = true, h?: Harness) {
  const harness = h ?? (await Harness.create(stores));
  // `aggs` are a prefix of AGGS: the fields are the group then one per call.
  const op = new GroupAggregateOperator({ input: IN, groupBy: [card], aggregates: aggs, fields: OUT.slice(0, 1 + aggs.length), retractable, udfs: () => undefined });
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
  it('holds the output of batches sent with the `more` hint and emits one change per group for the mini-batch', async () => {
    const { h, op } = await setup();
    await op.process(data(IN, [r('c1', 5), r('c2', 1)]), 0);
    h.clear();
    await op.process(more(data(IN, [r('c1', 7), r('c3', 2), r(null, 4)])), 0);
    await op.process(more(data(IN, [r('c3', 2), r('c2', 1), r(null, 6)], [D, D, I])), 0);
    expect(h.out).toEqual([]);
    await op.process(data(IN, [r('c4', 1), r('c1', 5)], [I, D]), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['-U', 'c1', 1n, 5, 5, 1n],
      ['+U', 'c1', 1n, 7, 7, 1n],
      ['+I', null, 2n, 10, 6, 2n],
      ['-D', 'c2', 1n, 1, 1, 1n],
      ['+I', 'c4', 1n, 1, 1, 1n],
    ]);
    expect(h.letters).toEqual([]);
  });

  it('emits a held mini-batch before a barrier, watermark or end moves on, and writes its groups at the barrier', async () => {
    for (const control of [{ kind: 'barrier', epoch: 1 }, { kind: 'watermark', time: 9 }, { kind: 'end' }] as const) {
      const { h, op } = await setup();
      await op.process(more(data(IN, [r('c1', 5), r('c1', 2)])), 0);
      expect(h.out).toEqual([]);
      await op.process(control, 0);
      expect(h.out.map((m) => m.kind)).toEqual(['data', control.kind]);
      expect(h.rows(OUT, true)).toEqual([['+I', 'c1', 2n, 7, 5, 2n]]);
      if (control.kind !== 'barrier') continue;
      await h.commit();
      const next = await setup(AGGS, true, h.restart());
      await next.op.process(data(IN, [r('c1', 1)]), 0);
      expect(next.h.rows(OUT, true)).toEqual([
        ['-U', 'c1', 2n, 7, 5, 2n],
        ['+U', 'c1', 3n, 8, 5, 3n],
      ]);
    }
  });

  it('gives the same final table whatever the mini-batches, as the batch answer', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => r(i % 7 === 0 ? null : `c${(i * 13) % 11}`, (i * 37) % 17));
    const kinds = rows.map((_, i) => (i % 5 === 4 ? D : I));
    // A retraction takes back a row inserted earlier: the one four rows before it.
    rows.forEach((row, i) => {
      if (kinds[i] === D) rows[i] = rows[i - 4]!;
    });
    const split = async (size: number, hinted: boolean) => {
      const { h, op } = await setup();
      for (let from = 0; from < rows.length; from += size) {
        const m = data(IN, rows.slice(from, from + size), kinds.slice(from, from + size));
        await op.process(hinted && from + size < rows.length ? more(m) : m, 0);
      }
      expect(h.letters).toEqual([]);
      return { changes: h.rows(OUT, true), table: applied(h.rows(OUT, true)) };
    };
    const batch = new Map<string | null, number[]>();
    rows.forEach((row, i) => {
      const list = batch.get(row.card) ?? [];
      if (kinds[i] === D) list.splice(list.indexOf(row.amount!), 1);
      else list.push(row.amount!);
      batch.set(row.card, list);
    });
    const expected = [...batch]
      .filter(([, list]) => list.length > 0)
      .map(([card, list]) => [card, BigInt(list.length), list.reduce((a, b) => a + b, 0), Math.max(...list), BigInt(new Set(list).size)])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    const one = await split(rows.length, false);
    expect(one.table).toEqual(expected);
    expect(one.changes.every(([op]) => op === '+I')).toBe(true);
    for (const size of [1, 7, 64]) {
      const perBatch = await split(size, false);
      const mini = await split(size, true);
      expect(perBatch.table).toEqual(expected);
      expect(mini.changes).toEqual(one.changes);
    }
  });

  it('with column state, reads the groups of hinted batches while later batches arrive and adds their rows in order', async () => {
    const aggs = AGGS.slice(0, 2);
    const OUT2 = OUT.slice(0, 3);
    const { h, op } = await setup(aggs);
    await op.process(data(IN, [r('c1', 5), r('c2', 1), r('c3', 2)]), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await h.commit();
    const next = await setup(aggs, true, h.restart());
    // c1 and c2 are read from state while the next batches find their slots; c2's retraction
    // comes in the batch after its read started.
    await next.op.process(more(data(IN, [r('c1', 1), r('c4', 3), r('c2', 4)])), 0);
    await next.op.process(more(data(IN, [r('c2', 1), r('c3', 2), r('c4', 3)], [D, I, D])), 0);
    await next.op.process(more(data(IN, [r('c5', 7), r('c2', 4)], [I, D])), 0);
    expect(next.h.out).toEqual([]);
    await next.op.process({ kind: 'barrier', epoch: 2 }, 0);
    expect(next.h.rows(OUT2, true)).toEqual([
      ['-U', 'c1', 1n, 5],
      ['+U', 'c1', 2n, 6],
      ['-D', 'c2', 1n, 1],
      ['-U', 'c3', 1n, 2],
      ['+U', 'c3', 2n, 4],
      ['+I', 'c5', 1n, 7],
    ]);
    expect(next.h.letters).toEqual([]);
    await next.h.commit();
    const last = await setup(aggs, true, next.h.restart());
    await last.op.process(data(IN, [r('c1', 1), r('c2', 1), r('c4', 1)]), 0);
    expect(last.h.rows(OUT2, true)).toEqual([
      ['-U', 'c1', 2n, 6],
      ['+U', 'c1', 3n, 7],
      ['+I', 'c2', 1n, 1],
      ['+I', 'c4', 1n, 1],
    ]);
  });

  it('with column state, a failed read of a hinted batch fails the message after it and adds nothing', async () => {
    // Append-only: a retracting input sums doubles exactly, in accumulator objects.
    const aggs = AGGS.slice(0, 2);
    const { h, op } = await setup(aggs, false);
    await op.process(data(IN, [r('c1', 5)]), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await h.commit();
    const store = await stores.open();
    const next = await setup(aggs, false, new Harness(store));
    await store.close();
    await next.op.process(more(data(IN, [r('c1', 1)])), 0);
    await expect(next.op.process({ kind: 'barrier', epoch: 2 }, 0)).rejects.toThrow(/closed/);
    expect(next.h.out).toEqual([]);
  });

  it('ends a mini-batch at MINI_BATCH_ROWS input rows even while the source holds more', async () => {
    const { h, op } = await setup([{ fn: 'count', args: [], name: 'count_0' }]);
    const OUT1 = OUT.slice(0, 2);
    const rows = Array.from({ length: MINI_BATCH_ROWS / 4 }, () => r('c1', 1));
    for (let b = 0; b < 4; b++) {
      await op.process(more(data(IN, rows)), 0);
      expect(h.out.length).toBe(b < 3 ? 0 : 1);
    }
    expect(h.rows(OUT1, true)).toEqual([['+I', 'c1', BigInt(MINI_BATCH_ROWS)]]);
    h.clear();
    await op.process(more(data(IN, [r('c1', 1)])), 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.rows(OUT1, true)).toEqual([
      ['-U', 'c1', BigInt(MINI_BATCH_ROWS)],
      ['+U', 'c1', BigInt(MINI_BATCH_ROWS + 1)],
    ]);
  });

  describe('with column state, keeps its groups between barriers', () => {
    // A cache of 64 KiB lets one table charge 32 KiB: about a hundred held groups.
    const CACHE = 64 * 1024;
    const hot = (rnd: (n: number) => number) => (rnd(10) < 6 ? `h${rnd(20)}` : `t${rnd(600)}`);

    /**
     * Runs `epochs` epochs of three batches (rows from `next`, with their kinds) over a cache of
     * CACHE bytes, committing at each barrier and restarting from the state after `restartAt`;
     * returns the whole changelog and the held group counts seen after each barrier.
     */
    async function run(aggs: AggregateCall[], retractable: boolean, next: () => { rows: ReturnType<typeof r>[]; kinds: number[] }, epochs: number, restartAt: number) {
      const cache = new StateCache(CACHE);
      const fields = OUT.slice(0, 1 + aggs.length);
      let { h, op } = await setup(aggs, retractable, await Harness.create(stores, cache));
      const changes: unknown[][] = [];
      const held: number[] = [];
      for (let epoch = 1; epoch <= epochs; epoch++) {
        for (let b = 0; b < 3; b++) {
          const { rows, kinds } = next();
          await op.process(data(IN, rows, kinds), 0);
        }
        await op.process({ kind: 'barrier', epoch }, 0);
        await h.commit();
        held.push(op.size);
        expect(cache.stats().bytes).toBeLessThanOrEqual(CACHE);
        if (epoch === restartAt) {
          changes.push(...h.rows(fields, true));
          ({ h, op } = await setup(aggs, retractable, h.restart()));
        }
      }
      changes.push(...h.rows(fields, true));
      return { changes, held, stats: cache.stats() };
    }

    it('the most recently used where they outgrow the cache, and answers as the batch query', async () => {
      const rnd = random(41);
      const expected = new Map<string, [bigint, number]>();
      const next = () => {
        const rows = Array.from({ length: 50 }, () => r(hot(rnd), rnd(100_000) / 100));
        // In row order, as the sum adds them: the same doubles.
        for (const { card: c, amount: a } of rows) {
          const [n, sum] = expected.get(c!) ?? [0n, 0];
          expected.set(c!, [n + 1n, sum + a!]);
        }
        return { rows, kinds: rows.map(() => I) };
      };
      const { changes, held, stats } = await run(AGGS.slice(0, 2), false, next, 40, 25);
      const want = [...expected].map(([c, [n, sum]]) => [c, n, sum]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      expect(applied(changes)).toEqual(want);
      // Groups are held between barriers, never more than the cache lets the table charge.
      expect(Math.min(...held.slice(1))).toBeGreaterThan(0);
      expect(Math.max(...held)).toBeLessThanOrEqual(CACHE / 2 / 320);
      // Groups it stopped keeping came back from the shared cache.
      expect(stats.hits).toBeGreaterThan(0);
    });

    it('numbered by value (one key that is not a string) or by key text (several keys)', async () => {
      for (const groupBy of [[amount], [card, amount]]) {
        const cache = new StateCache(CACHE);
        const fields = [...groupBy.map((g) => f(g.kind === 'Column' ? g.name : '?', g.type)), f('n', T.BIGINT)];
        const open = async (h: Harness) => {
          const op = new GroupAggregateOperator({ input: IN, groupBy, aggregates: [{ fn: 'count', args: [], name: 'n' }], fields, retractable: false, udfs: () => undefined });
          await h.open(op);
          return op;
        };
        let h = await Harness.create(stores, cache);
        let op = await open(h);
        const rnd = random(43);
        const expected = new Map<string, unknown[]>();
        const changes: unknown[][] = [];
        for (let epoch = 1; epoch <= 30; epoch++) {
          const rows = Array.from({ length: 150 }, () => r(`c${rnd(3)}`, rnd(10) < 6 ? rnd(30) : 100 + rnd(500)));
          for (const row of rows) {
            const key = groupBy.length === 1 ? [row.amount] : [row.card, row.amount];
            const k = JSON.stringify(key);
            expected.set(k, [...key, ((expected.get(k)?.at(-1) as bigint | undefined) ?? 0n) + 1n]);
          }
          await op.process(data(IN, rows), 0);
          await op.process({ kind: 'barrier', epoch }, 0);
          await h.commit();
          expect(op.size).toBeLessThanOrEqual(CACHE / 2 / 320);
          if (epoch === 20) {
            changes.push(...h.rows(fields, true));
            h = h.restart();
            op = await open(h);
          }
        }
        changes.push(...h.rows(fields, true));
        // Applied as a view keyed by the group columns.
        const table = new Map<string, unknown[]>();
        for (const [kind, ...row] of changes) {
          const k = JSON.stringify(row.slice(0, groupBy.length));
          if (kind === '-U' || kind === '-D') table.delete(k);
          else table.set(k, row);
        }
        expect(new Map([...table].sort())).toEqual(new Map([...expected].sort()));
      }
    });

    it('none where the groups of an interval are all new', async () => {
      let n = 0;
      const next = () => {
        const rows = Array.from({ length: 50 }, () => r(`k${n++}`, 1));
        return { rows, kinds: rows.map(() => I) };
      };
      const { changes, held } = await run(AGGS.slice(0, 2), false, next, 6, 0);
      expect(held).toEqual([0, 0, 0, 0, 0, 0]);
      expect(applied(changes)).toHaveLength(n);
    });

    it('with retractions: groups deleted and made again across barriers', async () => {
      const rnd = random(42);
      const counts = new Map<string, number>();
      const next = () => {
        const rows: ReturnType<typeof r>[] = [];
        const kinds: number[] = [];
        for (let i = 0; i < 60; i++) {
          const c = hot(rnd);
          const n = counts.get(c) ?? 0;
          const del = n > 0 && rnd(10) < 4;
          counts.set(c, n + (del ? -1 : 1));
          rows.push(r(c, 1));
          kinds.push(del ? D : I);
        }
        return { rows, kinds };
      };
      const { changes } = await run(AGGS.slice(0, 1), true, next, 40, 17);
      const want = [...counts].filter(([, n]) => n > 0).map(([c, n]) => [c, BigInt(n)]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      expect(applied(changes)).toEqual(want);
    });
  });
});
