/**
 * DECIMAL values held as doubles at their scale: rounding from the exact digits (half away from
 * zero), remainders as integers at the scale, text with every decimal, and JSON input to a DECIMAL
 * column rounded or dead-lettered. The SQL behaviour against DuckDB is in test/sql/decimals.slt.
 */
import { describe, expect, it } from 'vitest';
import { decimalType, type Field } from '../../src/common/types.js';
import { decodeJsonRecords, rowsAsJson } from '../../src/connectors/kafka/json-codec.js';
import { batchToRows } from '../../src/exec/columns.js';
import { decimalRemainder, fixedPointText, rescale, roundDecimal, toDecimal, toScale, truncDecimal } from '../../src/exec/decimals.js';

describe('decimal arithmetic on doubles', () => {
  it('rounds a sum or product back to the exact decimal', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(toScale(0.1 + 0.2, 1)).toBe(0.3);
    expect(toScale(1.1 * 1.1, 2)).toBe(1.21);
    expect(toScale(0.1 + 0.2 + 0.3 - 0.6, 1)).toBe(0);
    expect(Object.is(toScale(-0.0000001, 2), 0)).toBe(true);
  });

  it('drops digits from the exact ones, half away from zero', () => {
    // The double nearest 2.675 is 2.67499999999999982236431605997495353221893310546875.
    expect((2.675).toFixed(2)).toBe('2.67');
    expect(rescale(2.675, 3, 2)).toBe(2.68);
    expect(rescale(-2.675, 3, 2)).toBe(-2.68);
    expect(rescale(1.005, 3, 2)).toBe(1.01);
    expect(rescale(0.145, 3, 2)).toBe(0.15);
    expect(roundDecimal(2.5, 1, 0)).toBe(3);
    expect(roundDecimal(-2.5, 1, 0)).toBe(-3);
    expect(roundDecimal(15.5, 1, -1)).toBe(20);
    expect(roundDecimal(1234.5, 1, -2)).toBe(1200);
    expect(roundDecimal(1.55, 2, 5)).toBe(1.55);
    expect(truncDecimal(1.15, 2, 1)).toBe(1.1);
    expect(truncDecimal(-1.19, 2, 1)).toBe(-1.1);
    expect(truncDecimal(1.10, 2, 1)).toBe(1.1);
  });

  it('takes remainders as integers at the scale', () => {
    expect(3 % 0.1).not.toBe(0);
    expect(decimalRemainder(3, 0.1, 1)).toBe(0);
    expect(decimalRemainder(7, 2.5, 1)).toBe(2);
    expect(decimalRemainder(-7.5, 2, 1)).toBe(-1.5);
    expect(decimalRemainder(0.3, 0.07, 2)).toBe(0.02);
  });

  it('casts with a range check on the digits before the point', () => {
    const d = { precision: 5, scale: 2 };
    expect(toDecimal(999.994, d)).toBe(999.99);
    expect(() => toDecimal(999.995, d)).toThrow('cannot cast 999.995 to DECIMAL(5,2): it needs more than 3 digits before the decimal point');
    expect(() => toDecimal(Number.NaN, d)).toThrow(/a DECIMAL is a finite number/);
    expect(toDecimal(1.005, d, 3)).toBe(1.01);
    expect(toDecimal(1.005, d)).toBe(1);
  });

  it('writes every decimal of the scale', () => {
    expect(fixedPointText(1.5, 2)).toBe('1.50');
    expect(fixedPointText(3, 1)).toBe('3.0');
    expect(fixedPointText(-0.05, 2)).toBe('-0.05');
    expect(fixedPointText(-0.001, 2)).toBe('0.00');
    expect(fixedPointText(12, 0)).toBe('12');
    expect(fixedPointText(1e22, 2)).toBe('10000000000000000000000.00');
  });
});

describe('JSON records with a DECIMAL column', () => {
  const fields: Field[] = [
    { name: 'id', type: { kind: 'INT' }, nullable: true },
    { name: 'amount', type: decimalType(6, 2), nullable: true },
  ];
  const record = (o: unknown) => ({ value: Buffer.from(JSON.stringify(o)), timestamp: 0 });
  const decoded = decodeJsonRecords(fields, [
    record({ id: 1, amount: 12.345 }),
    record({ id: 2, amount: '1.005' }),
    record({ id: 3, amount: null }),
    record({ id: 4, amount: 12345.678 }),
    record({ id: 5, amount: 'twelve' }),
    record({ id: 6, amount: -0.5 }),
    record({ id: 7, amount: '-.5' }),
  ]);

  it('rounds numbers to the scale, and reads digits in a string exactly', () => {
    expect(batchToRows(decoded.batch, fields)).toEqual([
      [1, 12.35],
      [2, 1.01],
      [3, null],
      [6, -0.5],
      [7, -0.5],
    ]);
  });

  it('dead-letters a value past the precision, or not a number, with the reason', () => {
    expect(decoded.rejected).toEqual([
      { index: 3, reason: 'amount: cannot cast 12345.678 to DECIMAL(6,2): it needs more than 4 digits before the decimal point' },
      { index: 4, reason: 'amount: expected DECIMAL(6,2) (a number, or its digits as a string), got "twelve"' },
    ]);
  });

  it('writes a DECIMAL as a JSON number', () => {
    expect(rowsAsJson(decoded.batch, fields).slice(0, 2)).toEqual(['{"id":1,"amount":12.35}', '{"id":2,"amount":1.01}']);
  });
});
