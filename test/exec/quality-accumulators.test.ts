import { describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { accumulatorFactory } from '../../src/exec/operators/accumulators.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import type { AggregateCall } from '../../src/planner/logical.js';
import { decodeValue, encodeValue } from '../../src/state/index.js';

const score: BoundExpr = { kind: 'Column', index: 0, name: 'score', type: T.DOUBLE };
const label: BoundExpr = { kind: 'Column', index: 1, name: 'label', type: T.BOOLEAN };
const threshold: BoundExpr = { kind: 'Literal', value: 0.5, type: T.DOUBLE };
type Fn = 'log_loss' | 'brier' | 'precision_at' | 'recall_at';
const call = (fn: Fn): AggregateCall => ({ fn, args: fn.endsWith('_at') ? [score, label, threshold] : [score, label], name: fn });

/** The formulas of docs/sql.md, written out over the pairs. */
function direct(fn: Fn, pairs: readonly [number, boolean][]): number | null {
  if (pairs.length === 0) return null;
  const eps = 1e-15;
  const y = (l: boolean) => (l ? 1 : 0);
  if (fn === 'log_loss') return pairs.reduce((s, [p, l]) => s - (y(l) * Math.log(Math.min(Math.max(p, eps), 1 - eps)) + (1 - y(l)) * Math.log(1 - Math.min(Math.max(p, eps), 1 - eps))), 0) / pairs.length;
  if (fn === 'brier') return pairs.reduce((s, [p, l]) => s + (p - y(l)) ** 2, 0) / pairs.length;
  const tp = pairs.filter(([p, l]) => l && p >= 0.5).length;
  const denominator = fn === 'precision_at' ? pairs.filter(([p]) => p >= 0.5).length : pairs.filter(([, l]) => l).length;
  return denominator ? tp / denominator : null;
}

describe('model-quality accumulators', () => {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pairs: [number, boolean][] = Array.from({ length: 400 }, () => {
    const p = Math.round(rnd() * 100) / 100;
    return [p, rnd() < 0.2 + 0.6 * p];
  });

  for (const fn of ['log_loss', 'brier', 'precision_at', 'recall_at'] as const) {
    it(`${fn}: equals its formula, ignores NULLs, merges, retracts and restores exactly`, () => {
      const fac = accumulatorFactory(call(fn), true);
      const a = fac.create();
      const b = fac.create();
      expect(a.result()).toBeNull();
      pairs.forEach(([p, l], i) => expect((i % 2 ? a : b).add(p, i % 3 ? l : l ? 1 : 0, 1)).toBeUndefined());
      expect(a.add(null, true, 1)).toBeUndefined();
      expect(a.add(0.3, null, 1)).toBeUndefined();
      a.merge(b);
      expect(a.result()).toBeCloseTo(direct(fn, pairs)!, 12);
      for (const [p, l] of pairs.slice(0, 150)) expect(a.add(p, l, -1)).toBeUndefined();
      expect(a.result()).toBeCloseTo(direct(fn, pairs.slice(150))!, 12);
      const back = fac.restore(decodeValue(encodeValue(a.save())));
      expect(back.result()).toBe(a.result());
      for (const [p, l] of pairs.slice(150)) back.add(p, l, -1);
      expect(back.result()).toBeNull();
    });
  }

  it('report a NaN score and a retraction of a pair never added as row errors', () => {
    for (const fn of ['log_loss', 'brier', 'precision_at', 'recall_at'] as const) {
      const acc = accumulatorFactory(call(fn), true).create();
      expect(acc.add(Number.NaN, true, 1)).toMatch(new RegExp(`${fn.toUpperCase()} score is not a number`));
      expect(acc.add(0.4, true, -1)).toMatch(/cannot retract a pair it never saw/);
      expect(acc.result()).toBeNull();
    }
  });

  it('treat a label as positive when TRUE or a number > 0', () => {
    const acc = accumulatorFactory(call('recall_at'), true).create();
    for (const l of [true, 1, 2n, 0.5]) acc.add(0.9, l, 1);
    for (const l of [false, 0, -1, 0n]) acc.add(0.9, l, 1);
    expect(acc.result()).toBe(1);
    const precision = accumulatorFactory(call('precision_at'), true).create();
    for (const l of [true, 1, 2n, 0.5, false, 0, -1, 0n]) precision.add(0.9, l, 1);
    expect(precision.result()).toBe(0.5);
  });
});

describe('QUANTILE_DISC', () => {
  const q = (fraction: number) => accumulatorFactory({ fn: 'quantile_disc', args: [score, { kind: 'Literal', value: fraction, type: T.DOUBLE }], name: 'q' }, true);
  it('picks the first value whose cumulative share reaches q, retracts, merges and restores', () => {
    const a = q(0.5).create();
    expect(a.result()).toBeNull();
    for (const v of [5, 1, 3, null, 3, 9]) a.add(v, null, 1);
    expect(a.result()).toBe(3); // 1 3 3 5 9: position ceil(2.5) - 1 = 2
    a.add(3, null, -1);
    a.add(3, null, -1);
    expect(a.result()).toBe(5); // 1 5 9: position ceil(1.5) - 1 = 1
    expect(a.add(3, null, -1)).toMatch(/never saw/);
    const b = q(0.5).create();
    for (const v of [0, 0, 0]) b.add(v, null, 1);
    a.merge(b);
    expect(a.result()).toBe(0); // 0 0 0 1 5 9: position 2
    const back = q(0.5).restore(decodeValue(encodeValue(a.save())));
    expect(back.result()).toBe(0);
    back.add(0, null, -1);
    back.add(0, null, -1);
    expect(back.result()).toBe(1); // 0 1 5 9: position 1
    const p99 = q(0.99).create();
    for (let v = 0; v < 100; v++) p99.add(v, null, 1);
    expect(p99.result()).toBe(98);
  });
});
