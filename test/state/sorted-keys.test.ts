import { describe, expect, it } from 'vitest';
import { compareKeys, SortedKeys } from '../../src/state/sorted-keys.js';
import { Rng } from '../../src/connectors/rng.js';

const ALPHABET = ['a', 'b', 'z', '0', '\u00e9', '\uffff', '\u{1F600}', '\ud7ff', '\ue000'];

function randomKey(rng: Rng, wide: boolean): string {
  let k = '';
  const n = 1 + rng.nextInt(4);
  for (let i = 0; i < n; i++) k += ALPHABET[rng.nextInt(wide ? ALPHABET.length : 4)]!;
  return k;
}

describe('SortedKeys', () => {
  for (const wide of [false, true]) {
    it(`lists each key once in code point order, across adds between reads (${wide ? 'keys beyond U+D800' : 'plain keys'})`, () => {
      const rng = new Rng(wide ? 3 : 5);
      const keys = new SortedKeys();
      const model = new Set<string>();
      for (let round = 0; round < 40; round++) {
        for (let i = rng.nextInt(400); i > 0; i--) {
          const k = randomKey(rng, wide && round > 20);
          keys.add(k);
          model.add(k);
        }
        const sorted = [...model].sort(compareKeys);
        expect(keys.from(undefined, () => true)).toEqual(sorted);
        const gte = randomKey(rng, wide);
        const lt = randomKey(rng, wide);
        const want = sorted.filter((k) => compareKeys(k, gte) >= 0 && compareKeys(k, lt) < 0);
        expect(keys.from(gte, (k) => compareKeys(k, lt) < 0)).toEqual(want);
      }
      expect(keys.size).toBe(model.size);
    });
  }

  it('merges growing keys as appends and splits full chunks', () => {
    const keys = SortedKeys.of(['k0500', 'k0001']);
    for (let i = 2000; i > 1000; i--) keys.add(`k${i}`);
    expect(keys.from('k1998', () => true)).toEqual(['k1998', 'k1999', 'k2000']);
    for (let i = 999; i > 0; i--) keys.add(`k${String(i).padStart(4, '0')}`);
    const all = keys.from(undefined, () => true);
    expect(all.length).toBe(1999);
    expect(all).toEqual([...all].sort(compareKeys));
  });

  it('tells its owner to rebuild once most keys are forgotten', () => {
    const keys = SortedKeys.of(['a', 'b', 'c', 'd']);
    expect(keys.forget()).toBe(false);
    expect(keys.forget()).toBe(false);
    expect(keys.forget()).toBe(true);
  });
});
