import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/exec/keys.js';

describe('keyOf', () => {
  it('keeps NULL apart from the string of one NUL character', () => {
    expect(keyOf([null])).not.toBe(keyOf(['\u0000']));
    expect(keyOf([undefined])).toBe(keyOf([null]));
  });

  it('keeps composite keys apart when a value holds the separator', () => {
    expect(keyOf(['a\u0001b', 'c'])).not.toBe(keyOf(['a', 'b\u0001c']));
    expect(keyOf(['a', null])).not.toBe(keyOf(['a', '\u0000']));
    expect(keyOf(['\u0002"x"'])).not.toBe(keyOf(['x']));
  });

  it('gives distinct strings for distinct values of one type', () => {
    const values = [null, '', '\u0000', '\u0001', '\u0002', '\u0000\u0000', 'a', '"a"', '\u0002"a"', 'a\u0000', 'é', '\u{1F600}'];
    const keys = values.map((v) => keyOf([v]));
    expect(new Set(keys).size).toBe(values.length);
  });

  it('keeps the encoding of keys without control characters, so stored state stays readable', () => {
    expect(keyOf(['card-17'])).toBe('card-17');
    expect(keyOf([42])).toBe('42');
    expect(keyOf([9007199254740993n])).toBe('9007199254740993');
    expect(keyOf(['a', 1, null])).toBe('a\u00011\u0001\u0000');
  });
});
