/** The SQL value order: strings by code point (= UTF-8 byte order), NaN above all numbers. */
import { describe, expect, it } from 'vitest';
import { compareStrings, compareValues, valuesEqual } from '../../src/exec/sql-values.js';
import { likeMatcher } from '../../src/exec/like.js';
import { codePointLength, substring, trimChars } from '../../src/exec/string-functions.js';

const sign = (x: number): number => (x < 0 ? -1 : x > 0 ? 1 : 0);

describe('compareStrings', () => {
  const samples = ['', 'a', 'ab', 'b', 'Z', 'é', '\u07ff', '\u0800', '\ud7ff', '\ue000', 'ｚ', '\uffff', '🦆', '𝔸', '𐀀', 'a🦆', 'aｚ', '\u{10ffff}'];
  it('orders every pair as their UTF-8 bytes do', () => {
    for (const a of samples) {
      for (const b of samples) {
        expect(sign(compareStrings(a, b)), `${a} vs ${b}`).toBe(sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }
    }
  });

  it('differs from JavaScript < where UTF-16 units mislead', () => {
    expect('🦆' < 'ｚ').toBe(true);
    expect(compareStrings('🦆', 'ｚ')).toBe(1);
  });
});

describe('compareValues', () => {
  it('puts NaN above +Infinity and equal to itself, -0 equal to 0', () => {
    const sorted = [NaN, Infinity, 1, -Infinity, NaN, 0].sort(compareValues);
    expect(sorted.slice(0, 4)).toEqual([-Infinity, 0, 1, Infinity]);
    expect(sorted.slice(4).every(Number.isNaN)).toBe(true);
    expect(valuesEqual(NaN, NaN)).toBe(true);
    expect(valuesEqual(-0, 0)).toBe(true);
    expect(valuesEqual(2n, 2)).toBe(true);
  });

  it('compares arrays and structs by content, NULL elements last', () => {
    expect(valuesEqual([1, null, 3], [1, null, 3])).toBe(true);
    expect(compareValues([1, 2], [1, 3])).toBeLessThan(0);
    expect(compareValues([1, 2], [1, 2, 0])).toBeLessThan(0);
    expect(compareValues([1, null], [1, 2])).toBeGreaterThan(0);
    expect(valuesEqual({ city: 'Oslo', zip: null }, { city: 'Oslo', zip: null })).toBe(true);
  });
});

describe('string functions and LIKE by code point', () => {
  it('counts, cuts and trims code points', () => {
    expect(codePointLength('🦆 duck')).toBe(6);
    expect(substring('🦆x', 1, 1)).toBe('🦆');
    expect(substring('hello', -2, 2)).toBe('lo');
    expect(substring('hello', 0, 2)).toBe('h');
    expect(substring('hello', 2, -1)).toBe('h');
    expect(trimChars('\t a \n', ' ', true, true)).toBe('\t a \n');
    expect(trimChars('🦆a🦆', '🦆', true, false)).toBe('a🦆');
  });

  it('matches _ to one code point and honours ESCAPE', () => {
    expect(likeMatcher('_ duck').test('🦆 duck')).toBe(true);
    expect(likeMatcher('a!%', '!').test('a%')).toBe(true);
    expect(likeMatcher('a!%', '!').test('ab')).toBe(false);
    expect(likeMatcher('A_C', undefined, true).test('abc')).toBe(true);
    expect(likeMatcher('a.c').test('abc')).toBe(false);
    expect(() => likeMatcher('a!', '!')).toThrow(/ends with the escape character/);
  });
});
