/** The Kafka JSON codec keeps BIGINT exact both ways and refuses values that do not fit. */
import { describe, expect, it } from 'vitest';
import { stringifyExactJson } from '../../src/common/exact-json.js';
import { arrayOf, mapOf, T, type Field } from '../../src/common/types.js';
import { decodeJsonRecords, decodeJsonRow, rowsAsJson } from '../../src/connectors/kafka/json-codec.js';
import { batchToRows, makeBatch, plain, readColumn } from '../../src/exec/columns.js';

const fields: Field[] = [
  { name: 'id', type: T.INT, nullable: true },
  { name: 'v', type: T.BIGINT, nullable: true },
  { name: 'x', type: T.DOUBLE, nullable: true },
];

const records = (...texts: string[]) => texts.map((t) => ({ value: Buffer.from(t), timestamp: 0 }));

describe('Kafka JSON codec and BIGINT', () => {
  it('decodes integers beyond 2^53 exactly, from numbers and from digit strings', () => {
    const { batch, rejected } = decodeJsonRecords(
      fields,
      records(
        '{"id": 1, "v": 9007199254740993, "x": 9007199254740993}',
        '{"id": 2, "v": "-9223372036854775808", "x": 0.5}',
        '{"id": 3, "v": 9223372036854775807}',
        '{"id": 4, "v": 12}',
      ),
    );
    expect(rejected).toEqual([]);
    expect(batchToRows(batch, fields)).toEqual([
      [1, 9007199254740993n, 9007199254740992],
      [2, -9223372036854775808n, 0.5],
      [3, 9223372036854775807n, null],
      [4, 12n, null],
    ]);
  });

  it('rejects a record nested deeper than 1,000 levels (its object is one) as a row, keeping the others', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const { batch, rejected } = decodeJsonRecords(fields, records(`{"id": 1, "x": ${deep}}`, '{"id": 2}', `{"id": 3, "v": 9007199254740993, "x": ${deep}}`));
    expect(rejected.map((r) => r.reason)).toEqual([
      'value is not valid JSON: arrays and objects nested deeper than 1000 levels at position 1014',
      'value is not valid JSON: arrays and objects nested deeper than 1000 levels at position 1037',
    ]);
    expect(batchToRows(batch, fields)).toEqual([[2, null, null]]);
  });

  it('rejects integers outside INT or BIGINT, and fractions, instead of wrapping or rounding', () => {
    const { kept, rejected } = decodeJsonRecords(
      fields,
      records('{"id": 2147483648}', '{"v": 9223372036854775808}', '{"v": "-9223372036854775809"}', '{"v": 1.5}', '{"v": 1e300}', '{"id": 7}'),
    );
    expect(kept).toEqual([5]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'id: expected INT (32-bit), got 2147483648',
      'v: expected BIGINT (64-bit integer), got 9223372036854775808',
      'v: expected BIGINT (64-bit integer), got "-9223372036854775809"',
      'v: expected BIGINT (64-bit integer), got 1.5',
      'v: expected BIGINT (64-bit integer), got 1e+300',
    ]);
    expect(decodeJsonRow(fields, Buffer.from('{"v": 18446744073709551615}'))).toEqual({ error: 'v: expected BIGINT (64-bit integer), got 18446744073709551615' });
  });

  it('rejects an object none of whose keys is a column (a wrapper, a name in another case), and keeps {} as a row of NULLs', () => {
    const { batch, kept, rejected } = decodeJsonRecords(fields, records('{"rows": [{"id": 1}]}', '{"ID": 4, "V": 5}', '{}', '{"id": 3, "other": 1}'));
    expect(kept).toEqual([2, 3]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'none of the object\'s keys ("rows") is a column: expected id, v, x (names match exactly, as declared)',
      'none of the object\'s keys ("ID", "V") is a column: expected id, v, x (names match exactly, as declared)',
    ]);
    expect(batchToRows(batch, fields)).toEqual([
      [null, null, null],
      [3, null, null],
    ]);
  });

  it('encodes BIGINT as JSON numbers with every digit, and decodes its own output to the same values', () => {
    const { batch } = decodeJsonRecords(fields, records('{"id": 1, "v": 9007199254740993, "x": 1.25}', '{"id": 2, "v": -9223372036854775808}'));
    const out = rowsAsJson(batch, fields);
    expect(out).toEqual(['{"id":1,"v":9007199254740993,"x":1.25}', '{"id":2,"v":-9223372036854775808,"x":null}']);
    const again = decodeJsonRecords(fields, records(...out));
    expect(batchToRows(again.batch, fields)).toEqual(batchToRows(batch, fields));
  });

  it('writes every kind of column as the generic JSON writer writes the row object', () => {
    const all: Field[] = [
      { name: 'b', type: T.BOOLEAN, nullable: true },
      { name: 'i', type: T.INT, nullable: true },
      { name: 'big', type: T.BIGINT, nullable: true },
      { name: 'f', type: T.FLOAT, nullable: true },
      { name: 'd', type: T.DOUBLE, nullable: true },
      { name: 's "quoted"', type: T.STRING, nullable: true },
      { name: 'bytes', type: T.BYTES, nullable: true },
      { name: 'ts', type: T.TIMESTAMP, nullable: true },
      { name: 'iv', type: T.INTERVAL, nullable: true },
      { name: 'arr', type: arrayOf(T.DOUBLE), nullable: true },
      { name: 'st', type: { kind: 'STRUCT', fields: [{ name: 'k', type: T.BIGINT, nullable: true }] }, nullable: true },
    ];
    const rows = [
      [true, -7, 9223372036854775807n, 0.5, -0, 'a "b"\n\u2028é', new Uint8Array([1, 2, 255]), 1709164800250, 86_400_000, [1.5, Number.NaN], { k: -9007199254740993n }],
      [false, 0, -1n, Number.POSITIVE_INFINITY, Number.NaN, '', new Uint8Array([]), 0, 0, [], { k: null }],
      [null, null, null, null, null, null, null, null, null, null, null],
    ];
    const batch = makeBatch(all, all.map((_, c) => rows.map((r) => r[c])), rows.length);
    // The row-at-a-time writer: each value made plain, BYTES as base64, non-finite numbers as text.
    const cols = all.map((f, c) => readColumn(batch, c, f.type));
    const generic = rows.map((_, r) => {
      const o: Record<string, unknown> = {};
      all.forEach((f, c) => {
        const v = plain(cols[c]![r]);
        o[f.name] = v instanceof Uint8Array ? Buffer.from(v).toString('base64') : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
      });
      return stringifyExactJson(o);
    });
    expect(rowsAsJson(batch, all)).toEqual(generic);
  });

  it('writes NaN and infinities as the strings the HTTP API uses, and reads them back', () => {
    const { batch, rejected } = decodeJsonRecords(fields, records('{"id": 1, "x": "NaN"}', '{"id": 2, "x": "Infinity"}', '{"id": 3, "x": "-Infinity"}', '{"id": 4, "x": "nan"}'));
    expect(rejected.map((r) => r.index)).toEqual([3]);
    const out = rowsAsJson(batch, fields);
    expect(out).toEqual(['{"id":1,"v":null,"x":"NaN"}', '{"id":2,"v":null,"x":"Infinity"}', '{"id":3,"v":null,"x":"-Infinity"}']);
    expect(batchToRows(decodeJsonRecords(fields, records(...out)).batch, fields)).toEqual(batchToRows(batch, fields));
  });

  it('reads TIMESTAMP text field by field: no 30th of February', () => {
    const ts: Field[] = [{ name: 'ts', type: T.TIMESTAMP, nullable: true }];
    const { batch, rejected } = decodeJsonRecords(ts, records('{"ts": "2024-02-29T10:00:00.250Z"}', '{"ts": "2024-02-30T00:00:00Z"}', '{"ts": "2024-03-01 01:00:00+01:00"}', '{"ts": 1709164800000}'));
    expect(batchToRows(batch, ts)).toEqual([[Date.UTC(2024, 1, 29, 10, 0, 0, 250)], [Date.UTC(2024, 2, 1)], [1709164800000]]);
    expect(rejected.map((r) => r.reason)).toEqual(['ts: expected TIMESTAMP (epoch milliseconds or ISO-8601 text), got "2024-02-30T00:00:00Z"']);
  });

  it('decodes integers beyond 2^53 in every kind of column as the exact parse does, nested ones too', () => {
    const wide: Field[] = [
      { name: 'ts', type: T.TIMESTAMP, nullable: true },
      { name: 'iv', type: T.INTERVAL, nullable: true },
      { name: 's', type: T.STRING, nullable: true },
      { name: 'xs', type: arrayOf(T.DOUBLE), nullable: true },
      { name: 'bs', type: arrayOf(T.BIGINT), nullable: true },
    ];
    const { batch, kept, rejected } = decodeJsonRecords(
      wide,
      records(
        '{"ts": 1709164800000.7, "iv": 86400000, "xs": [9007199254740993, 0.5], "bs": [9007199254740993, 1]}',
        '{"ts": 9007199254740993}',
        '{"iv": 9007199254740993}',
        '{"s": 90071992547409930}',
        '{"bs": [1, 18446744073709551615]}',
        '{"xs": [1, 2',
        '{"xs": [1, "NaN", true]}',
      ),
    );
    expect(kept).toEqual([0]);
    expect(batchToRows(batch, wide)).toEqual([[1709164800000, 86400000, null, [9007199254740992, 0.5], [9007199254740993n, 1n]]]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'ts: expected TIMESTAMP (epoch milliseconds or ISO-8601 text), got 9007199254740993',
      'iv: expected INTERVAL, got 9007199254740993',
      's: expected STRING, got 90071992547409930',
      'bs[1]: expected BIGINT (64-bit integer), got 18446744073709551615',
      expect.stringMatching(/^value is not valid JSON: /),
      'xs[2]: expected DOUBLE (a number, or "NaN", "Infinity", "-Infinity"), got true',
    ]);
  });
});

describe('Kafka JSON codec and MAP columns', () => {
  const mapFields: Field[] = [
    { name: 'attrs', type: mapOf(T.STRING, T.INT), nullable: true },
    { name: 'ids', type: mapOf(T.INT, T.STRING), nullable: true },
  ];
  it('reads a map from an object (keys of other types from their JSON) or a list of entries', () => {
    expect(decodeJsonRow(mapFields, Buffer.from('{"attrs": {"a": 1, "b": null}, "ids": {"7": "x"}}'))).toEqual({
      values: [
        [
          { key: 'a', value: 1 },
          { key: 'b', value: null },
        ],
        [{ key: 7, value: 'x' }],
      ],
    });
    expect(decodeJsonRow(mapFields, Buffer.from('{"attrs": [{"key": "z", "value": 2}]}'))).toEqual({ values: [[{ key: 'z', value: 2 }], null] });
  });
  it('refuses a value of the wrong type, a NULL key and a key twice, naming them', () => {
    expect(decodeJsonRow(mapFields, Buffer.from('{"attrs": {"a": "zz"}}'))).toEqual({ error: 'attrs["a"]: expected INT (32-bit), got "zz"' });
    expect(decodeJsonRow(mapFields, Buffer.from('{"attrs": [{"key": null, "value": 1}]}'))).toEqual({ error: 'attrs: a map key is NULL; every key of a MAP must be a value' });
    expect(decodeJsonRow(mapFields, Buffer.from('{"attrs": [{"key": "a", "value": 1}, {"key": "a", "value": 2}]}'))).toEqual({ error: 'attrs: the key "a" comes twice; the keys of a MAP must be unique' });
  });
});
