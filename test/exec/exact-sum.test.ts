import { describe, expect, it } from 'vitest';
import { coDeviation, ExactSum, ratioToNumber } from '../../src/exec/exact-sum.js';

/** x * 2^1074 as a bigint, from the double's bits (independent of ExactSum's own reading). */
function exact(x: number): bigint {
  const bits = new BigUint64Array(new Float64Array([x]).buffer)[0]!;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n);
  if (biased !== 0) m |= 1n << 52n;
  const v = m << BigInt(Math.max(biased, 1) - 1);
  return bits >> 63n ? -v : v;
}

/** A deterministic spread of doubles: tiny, subnormal, huge, whole, negative. */
function doubles(n: number, seed: number): number[] {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff) / 0x80000000);
  return Array.from({ length: n }, () => {
    const kind = Math.floor(next() * 6);
    const sign = next() < 0.5 ? -1 : 1;
    switch (kind) {
      case 0:
        return sign * Math.round(next() * 1e6);
      case 1:
        return sign * next() * 10 ** Math.floor(next() * 40 - 20);
      case 2:
        return sign * next() * 1e300;
      case 3:
        return sign * 5e-324 * Math.floor(next() * 1000);
      case 4:
        return sign * (2 ** 53 + 2 * Math.floor(next() * 1000));
      default:
        return sign * Math.round(next() * 10000) / 100;
    }
  });
}

const at1074 = (s: ExactSum): bigint => s.num << BigInt(1074 - s.scale);

describe('ExactSum', () => {
  it('sums doubles of every magnitude exactly, and retracting them in another order leaves 0', () => {
    const xs = doubles(2000, 7);
    const s = new ExactSum();
    let want = 0n;
    for (const x of xs) {
      s.add(x, 1);
      want += exact(x);
    }
    expect(at1074(s)).toBe(want);
    for (const x of [...xs].reverse()) s.add(x, -1);
    expect(s.num).toBe(0n);
    expect(s.value()).toBe(0);
  });

  it('keeps what a double sum loses to values retracted later', () => {
    const s = new ExactSum();
    for (const x of [1e10, 0.1, 3e-5]) s.add(x, 1);
    s.add(1e10, -1);
    expect(s.value()).toBe(0.1 + 3e-5);
    let f = 0;
    for (const x of [1e10, 0.1, 3e-5, -1e10]) f += x;
    expect(f).not.toBe(0.1 + 3e-5);
  });

  it('adds products exactly', () => {
    const xs = doubles(300, 11).filter((x) => Math.abs(x) < 1e150 && Math.abs(x) > 1e-150);
    const s = new ExactSum();
    let want = 0n;
    for (let i = 0; i + 1 < xs.length; i++) {
      s.addProduct(xs[i]!, xs[i + 1]!, 1);
      want += exact(xs[i]!) * exact(xs[i + 1]!);
    }
    // Products carry twice the fraction bits: compare at 2^2148.
    expect(s.num << BigInt(2148 - s.scale)).toBe(want);
  });

  it('rounds its sum once, as the nearest double', () => {
    const s = new ExactSum();
    for (const x of [0.1, 0.2, 0.3]) s.add(x, 1);
    // 0.1 + 0.2 + 0.3 as doubles is 0.6000000000000001; the exact sum of those three doubles is nearest 0.6.
    expect(s.value()).toBe(0.6);
    expect(ratioToNumber(1n, 3n, 0)).toBe(1 / 3);
    expect(ratioToNumber(-10n, 4n, 3)).toBe(-10 / 4 / 8);
    expect(ratioToNumber(1n, 1n, 1074)).toBe(5e-324);
    expect(ratioToNumber(3n << 2000n, 1n, 1000)).toBe(3 * 2 ** 1000);
  });

  it('counts infinities and NaN apart, so that retracting them restores the finite sum', () => {
    const s = new ExactSum();
    s.add(2.5, 1);
    s.add(Infinity, 1);
    expect(s.value()).toBe(Infinity);
    s.add(-Infinity, 1);
    expect(s.value()).toBeNaN();
    s.add(Infinity, -1);
    expect(s.value()).toBe(-Infinity);
    s.add(-Infinity, -1);
    s.add(NaN, 1);
    expect(s.value()).toBeNaN();
    s.add(NaN, -1);
    expect(s.value()).toBe(2.5);
    expect(s.hasNonFinite()).toBe(false);
  });

  it('merges, saves and loads without loss', () => {
    const [a, b] = [new ExactSum(), new ExactSum()];
    const xs = doubles(200, 3);
    xs.forEach((x, i) => (i % 2 ? a : b).add(x, 1));
    a.merge(ExactSum.load(b.save()));
    const all = new ExactSum();
    for (const x of xs) all.add(x, 1);
    expect(at1074(a)).toBe(at1074(all));
  });

  it('gives variances and covariances of values far from 0 exactly, rounded once', () => {
    // 1e10 + {1, 2, 3}: a sum of squares near 3e20 cancels to a variance of 2/3.
    const [sx, sxx] = [new ExactSum(), new ExactSum()];
    for (const x of [1e10 + 1, 1e10 + 2, 1e10 + 3, 5e15]) {
      sx.add(x, 1);
      sxx.addProduct(x, x, 1);
    }
    sx.add(5e15, -1);
    sxx.addProduct(5e15, 5e15, -1);
    expect(coDeviation(3, sx, sx, sxx, 9n)).toBe(2 / 3);
    expect(coDeviation(3, sx, sx, sxx, 6n)).toBe(1);
  });
});
