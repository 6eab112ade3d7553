import { describe, expect, it } from 'vitest';
import { Rng, eventSeed, hashString32, mix32 } from '../../src/connectors/rng.js';

describe('Rng', () => {
  it('is deterministic per seed and per event', () => {
    const a = new Rng().seedEvent(7, 123_456_789_012);
    const b = new Rng().seedEvent(7, 123_456_789_012);
    for (let i = 0; i < 100; i++) expect(a.nextU32()).toBe(b.nextU32());
    expect(new Rng(5).nextDouble()).toBe(new Rng(5).nextDouble());
  });

  it('gives different streams to neighbouring events, seeds and high words', () => {
    const first = (seed: number, n: number): number => new Rng().seedEvent(seed, n).nextU32();
    const seen = new Set<number>();
    for (let n = 0; n < 10_000; n++) seen.add(first(0, n));
    expect(seen.size).toBeGreaterThan(9_990);
    expect(first(0, 1)).not.toBe(first(1, 1));
    expect(first(0, 1)).not.toBe(first(0, 1 + 2 ** 32));
  });

  it('reseeding resets the Gaussian spare', () => {
    const r = new Rng();
    r.seedEvent(0, 1);
    const g1 = r.nextGaussian();
    r.nextGaussian();
    r.seedEvent(0, 1);
    expect(r.nextGaussian()).toBe(g1);
  });

  it('draws within range with roughly uniform frequencies', () => {
    const r = new Rng(42);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const k = r.nextInt(10);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(counts.length).toBe(10);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const d = r.nextDouble();
      if (!(d >= 0 && d < 1)) outside++;
      sum += d;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.01);
    const big = 3 * 2 ** 40;
    let max = 0;
    for (let i = 0; i < 1000; i++) max = Math.max(max, r.nextInt(big));
    expect(max).toBeLessThan(big);
    expect(max).toBeGreaterThan(big / 2);
    expect(r.nextInt(1)).toBe(0);
  });

  it('has Gaussian draws with mean 0 and variance 1', () => {
    const r = new Rng(3);
    let s = 0;
    let s2 = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const g = r.nextGaussian();
      s += g;
      s2 += g * g;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('hashes deterministically', () => {
    expect(mix32(1)).toBe(mix32(1));
    expect(mix32(1)).not.toBe(mix32(2));
    expect(hashString32('card-1')).toBe(hashString32('card-1'));
    expect(hashString32('card-1')).not.toBe(hashString32('card-2'));
    expect(eventSeed(0, 10)).toBe(eventSeed(0, 10));
    expect(eventSeed(0, 10)).not.toBe(eventSeed(0, 11));
  });
});
