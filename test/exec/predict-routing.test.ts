import { describe, expect, it } from 'vitest';
import { keyFraction, splitCanary } from '../../src/exec/operators/predict-routing.js';

/** How many of `keys` a canary of `share` takes. */
const taken = (keys: string[], share: number) => splitCanary(keys, share).canary.length;
const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('canary routing by key', () => {
  it('gives each key one fraction in [0, 1), the same every time', () => {
    for (const k of ['', 'card-1', 'ü', '😀']) {
      expect(keyFraction(k)).toBe(keyFraction(k));
      expect(keyFraction(k)).toBeGreaterThanOrEqual(0);
      expect(keyFraction(k)).toBeLessThan(1);
    }
  });

  it('takes about its share of keys that differ only in their last characters', () => {
    // Sequential ids are what streams carry; a tenth of 10,000 is 1,000 (binomial sd 30).
    for (const prefix of ['card-', 'user-', 'tx-', '']) {
      for (const share of [0.01, 0.1, 0.2, 0.5]) {
        const n = taken(keys(prefix, 10_000), share);
        expect(Math.abs(n - share * 10_000)).toBeLessThan(5 * Math.sqrt(10_000 * share * (1 - share)));
      }
    }
    // The demo's 50 cards: a tenth is 5 (sd 2.1), not the 9 cards card-1..card-9.
    const fifty = taken(keys('card-', 50), 0.1);
    expect(fifty).toBeGreaterThanOrEqual(1);
    expect(fifty).toBeLessThanOrEqual(11);
  });

  it('keeps a key on the canary as the share grows (a rollout only adds keys)', () => {
    const all = keys('card-', 1000);
    const at10 = new Set(splitCanary(all, 0.1).canary);
    const at30 = new Set(splitCanary(all, 0.3).canary);
    for (const j of at10) expect(at30.has(j)).toBe(true);
  });
});
