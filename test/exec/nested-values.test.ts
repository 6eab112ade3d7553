/**
 * ARRAY and STRUCT values through JSON decoding (the Kafka codec and table rows), Arrow columns
 * and JSON output: NULL elements and fields stay NULL, missing fields are NULL, a declared ARRAY
 * length is enforced by dead-lettering the record.
 */
import { describe, expect, it } from 'vitest';
import type { Field } from '../../src/common/types.js';
import { decodeJsonRecords, rowsAsJson } from '../../src/connectors/kafka/json-codec.js';
import { batchToRows } from '../../src/exec/columns.js';
import { castNested, listElement } from '../../src/exec/nested-values.js';

const fields: Field[] = [
  { name: 'id', type: { kind: 'INT' }, nullable: true },
  { name: 'xs', type: { kind: 'ARRAY', element: { kind: 'INT' } }, nullable: true },
  { name: 'fs', type: { kind: 'ARRAY', element: { kind: 'FLOAT' }, size: 3 }, nullable: true },
  { name: 'info', type: { kind: 'STRUCT', fields: [{ name: 'city', type: { kind: 'STRING' }, nullable: true }, { name: 'zip', type: { kind: 'INT' }, nullable: true }] }, nullable: true },
];

const record = (o: unknown) => ({ value: Buffer.from(JSON.stringify(o)), timestamp: 0 });

describe('JSON records with arrays and structs', () => {
  const decoded = decodeJsonRecords(fields, [
    record({ id: 1, xs: [1, null, 3], fs: [0.5, null, 1.5], info: { city: 'Oslo', zip: 150 } }),
    record({ id: 2, xs: [], info: { city: 'Bergen' } }),
    record({ id: 3, xs: null, fs: null, info: { city: null, zip: null } }),
    record({ id: 4, fs: [1, 2] }),
    record({ id: 5, info: { city: 5 } }),
    record({ id: 6, xs: [1, 'two'] }),
  ]);

  it('keeps NULL elements and NULL or missing fields as NULL', () => {
    expect(batchToRows(decoded.batch, fields)).toEqual([
      [1, [1, null, 3], [0.5, null, 1.5], { city: 'Oslo', zip: 150 }],
      [2, [], null, { city: 'Bergen', zip: null }],
      [3, null, null, { city: null, zip: null }],
    ]);
  });

  it('dead-letters a wrong ARRAY length and misfit elements or fields, with the reason', () => {
    expect(decoded.rejected).toEqual([
      { index: 3, reason: 'fs: expected an array of 3 elements, got 2' },
      { index: 4, reason: 'info.city: expected STRING, got 5' },
      { index: 5, reason: 'xs[1]: expected INT (32-bit), got "two"' },
    ]);
  });

  it('writes NULL elements and fields back as JSON null', () => {
    expect(rowsAsJson(decoded.batch, fields).slice(0, 2)).toEqual([
      '{"id":1,"xs":[1,null,3],"fs":[0.5,null,1.5],"info":{"city":"Oslo","zip":150}}',
      '{"id":2,"xs":[],"fs":null,"info":{"city":"Bergen","zip":null}}',
    ]);
  });
});

describe('castNested and listElement', () => {
  const info = fields[3]!.type as Extract<Field['type'], { kind: 'STRUCT' }>;
  it('reads JSON text into a struct, missing fields NULL', () => {
    expect(castNested('{"zip": 7}', info)).toEqual({ city: null, zip: 7 });
    expect(() => castNested('not json', info)).toThrow(/not JSON text/);
    expect(() => castNested('[1]', info)).toThrow(/expected an object/);
  });

  it('checks a declared array length and element types', () => {
    const fs = fields[2]!.type as Extract<Field['type'], { kind: 'ARRAY' }>;
    expect(castNested([1, null, 2], fs)).toEqual([1, null, 2]);
    expect(castNested(new Float32Array([1, 2, 3]), fs)).toEqual([1, 2, 3]);
    expect(() => castNested([1, 2], fs)).toThrow('cannot cast to ARRAY<FLOAT>(3): expected an array of 3 elements, got 2');
  });

  it('indexes 1-based, negative from the end, NULL out of range', () => {
    const xs = [10, null, 30];
    expect([1, 2, 3, -1, -3, 0, 4, -4, 1.5].map((k) => listElement(xs, k))).toEqual([10, null, 30, 30, 10, null, null, null, null]);
    expect(listElement(xs, 2n)).toBe(null);
    expect(listElement(xs, 3n)).toBe(30);
  });
});
