import { describe, expect, it } from 'vitest';
import { OrderedBag } from '../../src/exec/ordered-bag.js';

/** A small deterministic generator (xorshift), so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const byNumber = (a: number, b: number) => a - b;

describe('OrderedBag', () => {
  it('answers every rank as a sorted array does, through insertions and removals past block splits and empty blocks', () => {
    for (const [seed, range] of [
      [1, 10],
      [2, 1_000],
      [3, 1_000_000],
    ] as const) {
      const next = rng(seed);
      const bag = new OrderedBag(byNumber);
      const ref: number[] = [];
      for (let step = 0; step < 6_000; step++) {
        // Grow for a while, then shrink to empty, then grow again: blocks split and vanish.
        const grow = step < 3_000 ? next() < 0.8 : step < 5_000 ? next() < 0.2 : next() < 0.7;
        if (grow || ref.length === 0) {
          const v = Math.floor(next() * range);
          bag.insert(v);
          ref.push(v);
          ref.sort(byNumber);
        } else {
          const v = ref[Math.floor(next() * ref.length)]!;
          expect(bag.remove(v)).toBe(true);
          ref.splice(ref.indexOf(v), 1);
        }
        expect(bag.size).toBe(ref.length);
        if (step % 97 === 0) for (let i = 0; i < ref.length; i++) expect(bag.at(i)).toBe(ref[i]);
      }
      for (let i = 0; i < ref.length; i++) expect(bag.at(i)).toBe(ref[i]);
      expect(bag.at(ref.length)).toBeUndefined();
      expect(bag.at(-1)).toBeUndefined();
    }
  });

  it('refuses to remove a value it does not hold, and starts from values already in order', () => {
    const values = Array.from({ length: 2_000 }, (_, i) => 2 * i);
    const bag = OrderedBag.ofSorted(values, byNumber);
    expect(bag.size).toBe(2_000);
    expect(bag.remove(3)).toBe(false);
    expect(bag.remove(-1)).toBe(false);
    expect(bag.remove(4_000)).toBe(false);
    expect(bag.remove(1_024)).toBe(true);
    expect(bag.at(512)).toBe(1_026);
    bag.insert(1_023);
    expect(bag.at(512)).toBe(1_023);
    expect(new OrderedBag(byNumber).remove(1)).toBe(false);
  });
});
