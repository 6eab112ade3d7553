import { describe, expect, it } from 'vitest';
import { KeyFilter } from '../../src/state/key-filter.js';

describe('KeyFilter', () => {
  it('holds every key added and few others, growing in stages', () => {
    const f = new KeyFilter(64 * 1024 * 1024, 1024);
    for (let i = 0; i < 50_000; i++) f.add(`tx-${i}`);
    for (let i = 0; i < 50_000; i++) expect(f.mayHold(`tx-${i}`)).toBe(true);
    let wrong = 0;
    for (let i = 0; i < 50_000; i++) if (f.mayHold(`other-${i}`)) wrong++;
    // About 0.001% per stage, with several stages.
    expect(wrong / 50_000).toBeLessThan(0.001);
    expect(f.size).toBeGreaterThan(50_000 * 3);
    expect(f.size).toBeLessThan(50_000 * 9);
  });

  it('stops at its size limit and then holds everything', () => {
    const f = new KeyFilter(8 * 1024, 1024);
    expect(f.mayHold('never')).toBe(false);
    for (let i = 0; i < 20_000; i++) f.add(`k${i}`);
    expect(f.size).toBe(0);
    expect(f.mayHold('never')).toBe(true);
    expect(f.mayHold('k1')).toBe(true);
  });

  it('tells apart keys that differ in one character, unicode included', () => {
    const f = new KeyFilter();
    f.add('a\u0001b');
    f.add('ключ');
    expect(f.mayHold('a\u0001b')).toBe(true);
    expect(f.mayHold('ключ')).toBe(true);
    expect(f.mayHold('a\u0001c')).toBe(false);
    expect(f.mayHold('ключи')).toBe(false);
  });
});
