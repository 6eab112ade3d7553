import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/common/keys.js';

describe('keyOf', () => {
  it('keeps ordinary values as they were written before', () => {
    expect(keyOf(['card-17'])).toBe('card-17');
    expect(keyOf([42])).toBe('42');
    expect(keyOf(['eu', 2])).toBe('eu\u00012');
    expect(keyOf([null])).toBe('\u0000');
  });

  it('gives distinct value lists distinct keys, also when strings hold the separators', () => {
    const lists: unknown[][] = [
      ['a\u0001b', 'c'],
      ['a', 'b\u0001c'],
      ['\u0000'],
      [null],
      ['\u0002'],
      ['\u00020'],
      ['x', null],
      ['x', '\u0000'],
      ['x\u0001', ''],
      ['x', '\u0001'],
    ];
    const keys = lists.map(keyOf);
    expect(new Set(keys).size).toBe(lists.length);
    expect(keyOf(['a\u0001b', 'c'])).toBe(keyOf(['a\u0001b', 'c']));
  });
});
