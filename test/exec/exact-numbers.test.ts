/** Exact JSON, integer text parsing and DOUBLE -> integer rounding, against DuckDB's answers. */
import { describe, expect, it } from 'vitest';
import { parseExactJson, stringifyExactJson } from '../../src/common/exact-json.js';
import { parseTimestampText } from '../../src/common/timestamp-text.js';
import { parseIntegerText } from '../../src/exec/casts.js';
import { roundDouble } from '../../src/exec/integers.js';

describe('exact JSON', () => {
  it('round-trips bigints as plain digits and leaves other values as JSON does', () => {
    const v = { a: 9007199254740993n, b: [-9223372036854775808n, 1, 'x\u0001y'], c: { d: null, e: true, f: 0.1 } };
    const text = stringifyExactJson(v);
    expect(text).toBe('{"a":9007199254740993,"b":[-9223372036854775808,1,"x\\u0001y"],"c":{"d":null,"e":true,"f":0.1}}');
    expect(parseExactJson(text)).toEqual(v);
    expect(stringifyExactJson({ s: '"9"' })).toBe(JSON.stringify({ s: '"9"' }));
  });

  it('parses only integers beyond 2^53 as bigints; decimals and exponents stay doubles', () => {
    expect(parseExactJson('[9007199254740991, 9007199254740992, 12345678901234567890, 1.5e20, 1234567890123456.5, "12345678901234567890"]')).toEqual([
      9007199254740991, 9007199254740992n, 12345678901234567890n, 1.5e20, 1234567890123456.5, '12345678901234567890',
    ]);
    expect(parseExactJson('{"f": [0.12345678901234568, -1.2345678901234567e-7, 12345678901234567e3], "n": -12345678901234567}')).toEqual({
      f: [0.12345678901234568, -1.2345678901234567e-7, 12345678901234567e3],
      n: -12345678901234567n,
    });
    expect(parseExactJson('[1,12345678901234567]')).toEqual([1, 12345678901234567n]);
    expect(() => parseExactJson('{"a": 12345678901234567890,}')).toThrow(SyntaxError);
    expect(() => parseExactJson('[12345678901234567890')).toThrow(SyntaxError);
  });
});

describe('integer text and rounding', () => {
  it.each([
    ['42', 42n], [' -17 ', -17n], ['+5', 5n], ['1.5', 2n], ['2.5', 3n], ['-2.5', -3n], ['2.49', 2n], ['1e2', 100n],
    ['1.25e1', 13n], ['0x1F', 31n], ['1_000', 1000n], ['9223372036854775807', 9223372036854775807n], ['.5', 1n],
  ])('%s is %s', (text, want) => {
    expect(parseIntegerText(text)).toBe(want);
  });

  it.each(['', 'abc', '1.2.3', '--1', '1e', '_1', 'Infinity'])('%j is not an integer', (text) => {
    expect(parseIntegerText(text)).toBeUndefined();
  });

  it('rounds doubles to the nearest integer, ties to even, and refuses NaN, infinities and out of range', () => {
    expect([0.5, 1.5, 2.5, -2.5, 2.7, -2.7, 3.5].map((x) => roundDouble(x, 'INT'))).toEqual([0, 2, 2, -2, 3, -3, 4]);
    expect(roundDouble(2 ** 62, 'BIGINT')).toBe(4611686018427387904n);
    expect(() => roundDouble(2 ** 63, 'BIGINT')).toThrow('9223372036854776000 is out of range for BIGINT');
    expect(() => roundDouble(2147483647.5, 'INT')).toThrow('out of range for INT');
    expect(() => roundDouble(NaN, 'BIGINT')).toThrow('NaN is out of range');
    expect(() => roundDouble(-Infinity, 'INT')).toThrow('-Infinity is out of range');
  });

  it('reads timestamps field by field', () => {
    expect(parseTimestampText('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseTimestampText('2024-02-29T23:59:59.9999')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseTimestampText('2024-01-05 10:00:00-01:30')).toBe(Date.UTC(2024, 0, 5, 11, 30));
    for (const bad of ['2024-02-30', '2023-02-29', '2024-00-10', '2024-01-01 24:00:00', '2024-01-01 10:60', '2024-01-01 10:00:60', '2024/01/01']) {
      expect(parseTimestampText(bad)).toBeUndefined();
    }
  });
});
