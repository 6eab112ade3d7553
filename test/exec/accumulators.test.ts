import { describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { accumulatorFactory } from '../../src/exec/operators/accumulators.js';
import { AggregateList } from '../../src/exec/operators/aggregate-list.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import type { AggregateCall } from '../../src/planner/logical.js';
import { decodeValue, encodeValue } from '../../src/state/index.js';

const x: BoundExpr = { kind: 'Column', index: 0, name: 'x', type: T.DOUBLE };
const call = (fn: AggregateCall['fn'], n = 1): AggregateCall => ({ fn, args: n === 0 ? [] : n === 1 ? [x] : [x, x], name: fn });

function run(fn: AggregateCall['fn'], rows: [unknown, unknown?][], retractable = true, n = 1) {
  const fac = accumulatorFactory(call(fn, n), retractable);
  const acc = fac.create();
  for (const [a, b] of rows) expect(acc.add(a, b ?? null, 1)).toBeUndefined();
  return { fac, acc };
}

/** Brute-force ROC AUC over (score, positive) pairs. */
function bruteAuc(pairs: [number, boolean][]): number | null {
  const pos = pairs.filter((p) => p[1]).map((p) => p[0]);
  const neg = pairs.filter((p) => !p[1]).map((p) => p[0]);
  if (!pos.length || !neg.length) return null;
  let s = 0;
  for (const p of pos) for (const q of neg) s += p > q ? 1 : p === q ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

describe('accumulators', () => {
  it('compute VAR/STDDEV that retract and merge to what a fresh pass over the remaining values gives', () => {
    const values = [3.5, -1, 1e6, 0.25, 7, 7, -2.5e3, 42];
    const variance = (xs: number[], sample: boolean) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - (sample ? 1 : 0));
    };
    for (const fn of ['var_samp', 'var_pop', 'stddev_samp', 'stddev_pop'] as const) {
      const sample = fn.endsWith('samp');
      const want = (xs: number[]) => (xs.length < (sample ? 2 : 1) ? null : fn.startsWith('var') ? variance(xs, sample) : Math.sqrt(variance(xs, sample)));
      // Relative: a retraction leaves rounding of the order of the largest value removed.
      const close = (got: unknown, w: number) => expect(Math.abs((got as number) - w) / Math.abs(w)).toBeLessThan(1e-9);
      const { fac, acc } = run(fn, values.map((v) => [v]));
      close(acc.result(), want(values)!);
      // Retract all but the last two, in another order than they came.
      for (const v of [7, 3.5, 1e6, -1, 0.25, 7]) acc.add(v, null, -1);
      close(acc.result(), want([-2.5e3, 42])!);
      acc.add(42, null, -1);
      expect(acc.result()).toBe(want([-2.5e3]));
      acc.add(-2.5e3, null, -1);
      expect(acc.result()).toBeNull();
      // Two halves merged, and restored from saved state, give the whole.
      const a = run(fn, values.slice(0, 3).map((v) => [v])).acc;
      a.merge(fac.restore(decodeValue(encodeValue(run(fn, values.slice(3).map((v) => [v])).acc.save()))));
      expect(a.result() as number).toBeCloseTo(want(values)!, 6);
    }
    expect(run('var_samp', [[5], [null]]).acc.result()).toBeNull();
    expect(run('var_pop', [[5], [null]]).acc.result()).toBe(0);
    // One value has no spread, also an infinite one (DuckDB: 0); several with one infinite are NaN.
    for (const v of [Infinity, -Infinity, NaN]) {
      expect(run('var_pop', [[v]]).acc.result()).toBe(0);
      expect(run('stddev_pop', [[v]]).acc.result()).toBe(0);
      const fac = accumulatorFactory(call('var_pop'), true);
      const merged = fac.create();
      merged.merge(run('var_pop', [[v]]).acc);
      expect(merged.result()).toBe(0);
    }
    expect(run('var_pop', [[Infinity], [1]]).acc.result()).toBeNaN();
  });

  it('compute VAR/STDDEV of integers exactly, so that large values retracted leave no rounding behind', () => {
    const small = [3, 5, 8, 13];
    const mean = small.reduce((a, b) => a + b, 0) / small.length;
    const exact = small.reduce((a, b) => a + (b - mean) ** 2, 0) / (small.length - 1);
    const { fac, acc } = run('var_samp', [[10_000_000_000], ...small.map((v): [number] => [v]), [-20_000_000_000n]]);
    acc.add(10_000_000_000, null, -1);
    acc.add(-20_000_000_000n, null, -1);
    expect(acc.result()).toBe(exact);
    // The exact sums survive a save and restore, and a merge.
    const restored = fac.restore(decodeValue(encodeValue(acc.save())));
    expect(restored.result()).toBe(exact);
    const other = run('var_samp', [[21]]).acc;
    restored.merge(other);
    const all = [...small, 21];
    const m2 = all.reduce((a, b) => a + b, 0) / all.length;
    expect(restored.result()).toBe(all.reduce((a, b) => a + (b - m2) ** 2, 0) / (all.length - 1));
    // One non-integer value and the running form takes over.
    expect(run('var_pop', [[1], [2.5]]).acc.result()).toBe(0.5625);
  });

  it('compute REGR_AVGX and REGR_AVGY as sum over count, as DuckDB (Infinity stays Infinity)', () => {
    expect(run('regr_avgx', [[1, Infinity], [2, Infinity], [3, 5]], true, 2).acc.result()).toBe(Infinity);
    expect(run('regr_avgy', [[Infinity, 1], [Infinity, 2]], true, 2).acc.result()).toBe(Infinity);
    expect(run('regr_avgx', [[1, 2], [2, 4], [3, null]], true, 2).acc.result()).toBe(3);
  });

  it('refuse a row whose new distinct BIGINT value would take SUM(DISTINCT) out of range, as SUM does', () => {
    const big = 2n ** 62n;
    const acc = accumulatorFactory(call('sum_distinct'), true).create();
    expect(acc.add(big, null, 1)).toBeUndefined();
    expect(acc.add(big, null, 1)).toBeUndefined(); // the same value again: summed once
    expect(acc.add(big - 1n, null, 1)).toBeUndefined();
    expect(acc.add(5n, null, 1)).toMatch(/^SUM\(DISTINCT\) overflow: the sum 9223372036854775812 is outside the BIGINT range/);
    expect(acc.result()).toBe(2n * big - 1n);
    // Once a value leaves, there is room again.
    expect(acc.add(big - 1n, null, -1)).toBeUndefined();
    expect(acc.add(5n, null, 1)).toBeUndefined();
    expect(acc.result()).toBe(big + 5n);
  });

  it('compute BOOL_AND and BOOL_OR, NULL over no values, and retract exactly', () => {
    const { acc: and } = run('bool_and', [[true], [null], [false], [true]]);
    const { acc: or } = run('bool_or', [[false], [null], [true], [false]]);
    expect([and.result(), or.result()]).toEqual([false, true]);
    and.add(false, null, -1);
    or.add(true, null, -1);
    expect([and.result(), or.result()]).toEqual([true, false]);
    expect(run('bool_and', [[null]]).acc.result()).toBeNull();
  });

  it('follow SQL NULL rules on empty and all-NULL input', () => {
    for (const fn of ['sum', 'avg', 'min', 'max'] as const) expect(run(fn, [[null]]).acc.result()).toBeNull();
    expect(run('count', [[null]]).acc.result()).toBe(0n);
    expect(run('count', [[null]], true, 0).acc.result()).toBe(1n);
    expect(run('count_distinct', []).acc.result()).toBe(0n);
    expect(run('auc', [[0.5, true]], true, 2).acc.result()).toBeNull();
  });

  it('compute SUM, AVG, MIN, MAX and COUNT(DISTINCT) and retract exactly', () => {
    const rows: [unknown][] = [[3], [1], [null], [7], [3]];
    expect(run('sum', rows).acc.result()).toBe(14);
    expect(run('avg', rows).acc.result()).toBe(3.5);
    expect(run('count_distinct', rows).acc.result()).toBe(3n);
    const { acc } = run('min', rows);
    expect(acc.result()).toBe(1);
    acc.add(1, null, -1);
    expect(acc.result()).toBe(3);
    acc.add(3, null, -1);
    expect(acc.result()).toBe(3);
    acc.add(3, null, -1);
    expect(acc.result()).toBe(7);
    expect(acc.add(99, null, -1)).toMatch(/never saw/);
    const max = run('max', [['b'], ['a'], ['c']], false).acc;
    expect(max.result()).toBe('c');
    expect(max.add('c', null, -1)).toMatch(/append-only/);
  });

  it('give the same results over typed columns as over lists, NaN above every number', () => {
    const fields = [{ name: 'x', type: T.DOUBLE, nullable: true }];
    const calls = [call('count', 0), call('count'), call('sum'), call('min'), call('max'), call('avg')];
    const results = (col: ArrayLike<unknown>) => {
      const list = new AggregateList(calls, fields, () => undefined, false);
      const args = list.evaluate([col as unknown[]], col.length, new Map());
      const accs = list.create();
      for (let i = 0; i < col.length; i++) expect(list.add(accs, args, i, 1)).toBeUndefined();
      return AggregateList.results(accs);
    };
    const withNaN = [2, NaN, -1, 5.5, -Infinity];
    expect(results(Float64Array.from(withNaN))).toEqual([5n, 5n, NaN, -Infinity, NaN, NaN]);
    expect(results(withNaN)).toEqual([5n, 5n, NaN, -Infinity, NaN, NaN]);
    expect(results(Float64Array.of(NaN, 2, Infinity))).toEqual([3n, 3n, NaN, 2, NaN, NaN]);
    expect(results(Float64Array.of(2, -1, 5.5, Infinity))).toEqual([4n, 4n, Infinity, -1, Infinity, Infinity]);
    expect(results([2, null, -1])).toEqual([3n, 2n, 1, -1, 2, 0.5]);
    const int = new AggregateList([{ fn: 'sum', args: [{ kind: 'Column', index: 0, name: 'i', type: T.INT }], name: 'sum' }], [{ name: 'i', type: T.INT, nullable: true }], () => undefined, false);
    const accs = int.create();
    const args = int.evaluate([Int32Array.of(1, 2, 2147483647)], 3, new Map());
    for (let i = 0; i < 3; i++) int.add(accs, args, i, 1);
    expect(AggregateList.results(accs)).toEqual([2147483650n]);
  });

  it('roll back the row on a refused retraction', () => {
    const fields = [{ name: 'x', type: T.DOUBLE, nullable: true }];
    const list = new AggregateList([call('count', 0), call('sum'), call('max')], fields, () => undefined, false);
    const args = list.evaluate([Float64Array.of(4, 4)], 2, new Map());
    const accs = list.create();
    list.add(accs, args, 0, 1);
    expect(list.add(accs, args, 1, -1)).toMatch(/append-only/);
    expect(AggregateList.results(accs)).toEqual([1n, 4, 4]);
  });

  it('sum BIGINT and INT exactly, refuse a SUM leaving BIGINT, and merge exactly', () => {
    const big: BoundExpr = { kind: 'Column', index: 0, name: 'b', type: T.BIGINT };
    const int: BoundExpr = { kind: 'Column', index: 0, name: 'i', type: T.INT };
    const sum = (arg: BoundExpr) => accumulatorFactory({ fn: 'sum', args: [arg], name: 'sum' }, true);
    const a = sum(big).create();
    for (const v of [2n ** 53n, 1n, 2n]) expect(a.add(v, null, 1)).toBeUndefined();
    expect(a.result()).toBe(9007199254740995n);
    expect(a.add(2n ** 63n - 2n ** 53n, null, 1)).toMatch(/SUM overflow: the sum 9223372036854775811 is outside the BIGINT range/);
    expect(a.result()).toBe(9007199254740995n);
    a.add(1n, null, -1);
    expect(a.result()).toBe(9007199254740994n);
    // INT values: 3 * 2^31 rows' worth of sums folded without rounding.
    const b = sum(int).create();
    for (let k = 0; k < 3000; k++) b.add(2147483647, null, 1);
    b.add(1, null, 1);
    expect(b.result()).toBe(2147483647n * 3000n + 1n);
    const restored = sum(int).restore(decodeValue(encodeValue(b.save())));
    expect(restored.result()).toBe(b.result());
    const final = accumulatorFactory({ fn: 'sum', args: [], name: 'sum' }, true).create();
    final.merge(a);
    final.merge(restored);
    expect(final.result()).toBe(9007199254740994n + 2147483647n * 3000n + 1n);
    const full = sum(big).create();
    full.add(2n ** 63n - 1n, null, 1);
    expect(final.mergeError?.(full)).toMatch(/SUM overflow/);
    const avg = accumulatorFactory({ fn: 'avg', args: [big], name: 'avg' }, true).create();
    avg.add(2n ** 62n, null, 1);
    avg.add(2n ** 62n, null, 1);
    avg.add(2n ** 62n, null, 1);
    expect(avg.result()).toBe(2 ** 62);
  });

  it('AUC equals the brute-force pair count, with ties, retraction and merging', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pairs: [number, boolean][] = Array.from({ length: 300 }, () => [Math.round(rnd() * 20) / 20, rnd() < 0.4]);
    const fac = accumulatorFactory(call('auc', 2), true);
    const a = fac.create();
    const b = fac.create();
    pairs.forEach(([s, l], i) => (i % 2 ? a : b).add(s, i % 3 ? l : l ? 1 : 0, 1));
    a.merge(b);
    expect(a.result()).toBeCloseTo(bruteAuc(pairs)!, 12);
    for (const [s, l] of pairs.slice(0, 100)) a.add(s, l, -1);
    expect(a.result()).toBeCloseTo(bruteAuc(pairs.slice(100))!, 12);
  });

  it('save to v8-serialisable values and restore to the same results', () => {
    const rows: [unknown, unknown][] = [[0.2, true], [0.9, false], [0.5, true], [0.5, false]];
    for (const fn of ['count', 'sum', 'avg', 'min', 'max', 'count_distinct', 'auc'] as const) {
      for (const retractable of [true, false]) {
        const { fac, acc } = run(fn, rows, retractable, fn === 'auc' ? 2 : 1);
        const back = fac.restore(decodeValue(encodeValue(acc.save())));
        expect(back.result()).toEqual(acc.result());
        back.add(0.95, true, 1);
        acc.add(0.95, true, 1);
        expect(back.result()).toEqual(acc.result());
      }
    }
  });

  it('restore retractable MIN/MAX from the state of an append-only one (an input that became updating)', () => {
    for (const fn of ['min', 'max'] as const) {
      const { acc } = run(fn, [[0.2], [0.9], [0.5]], false);
      const back = accumulatorFactory(call(fn), true).restore(decodeValue(encodeValue(acc.save())));
      expect(back.result()).toBe(acc.result());
      expect(back.add(acc.result(), null, -1)).toBeUndefined();
      expect(back.result()).toBeNull();
    }
    expect(accumulatorFactory(call('min'), true).restore(null).result()).toBeNull();
  });
});
