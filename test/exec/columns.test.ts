/** Reading Arrow columns back as values: strings, through IPC and slicing, with and without NULLs; joining batches. */
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { Field } from '../../src/common/types.js';
import { arrowSchema, batchFromRows, batchOfData, batchToRows, buildConstant, buildDataChecked, concatBatches, makeBatch, readColumn, readColumnAt } from '../../src/exec/columns.js';
import { decodeBatches, encodeBatch } from '../../src/exec/ipc.js';

const STRING: Field = { name: 's', type: { kind: 'STRING' }, nullable: true };

function roundTrip(values: (string | null)[]): A.RecordBatch {
  return decodeBatches(encodeBatch(makeBatch([STRING], [values], values.length)))[0]!;
}

describe('readColumn: STRING', () => {
  const cases: Record<string, (string | null)[]> = {
    ascii: ['tx-1', 'tx-22', '', 'tx-333'],
    'non-ASCII': ['é', 'naïve', '日本', '🙂 ok', ''],
    'with NULLs': [null, 'a', null, 'ü', 'b', null, null, 'c', 'd', null],
    'repeated values': ['serving', 'serving', null, 'serving', 'é', 'é', '', '', 'x', 'serving', null, null, 'x', 'x'],
    'ASCII runs then other text': ['abcé', 'k1', 'tx-🙂', '\u007f\u0080', 'a\u0000b', 'long ASCII prefix before 日本 and after'],
  };
  for (const [name, values] of Object.entries(cases)) {
    it(`${name}: equals what was written, whole and sliced`, () => {
      const batch = roundTrip(values);
      expect(Array.from(readColumn(batch, 0, STRING.type))).toEqual(values);
      for (let from = 0; from < values.length; from++) {
        for (let to = from; to <= values.length; to++) {
          expect(Array.from(readColumn(batch.slice(from, to), 0, STRING.type))).toEqual(values.slice(from, to));
        }
      }
    });
  }

  it('readColumnAt: the rows asked for, as readColumn reads them, decoded or not, whole and sliced', () => {
    for (const values of Object.values(cases)) {
      const batch = roundTrip(values);
      for (let from = 0; from < values.length; from++) {
        const slice = batch.slice(from, values.length);
        const rows = Array.from({ length: values.length - from }, (_, i) => i).filter((i) => i % 3 !== 1);
        const want = rows.map((i) => values[from + i]);
        expect(Array.from(readColumnAt(slice, 0, STRING.type, rows))).toEqual(want);
        readColumn(slice, 0, STRING.type);
        expect(Array.from(readColumnAt(slice, 0, STRING.type, rows))).toEqual(want);
      }
    }
  });

  it('agrees with Arrow on a larger column', () => {
    const values = Array.from({ length: 5000 }, (_, i) => (i % 11 === 0 ? null : i % 5 === 0 ? `ß${i}` : `k${i}`));
    const batch = roundTrip(values);
    expect(Array.from(readColumn(batch, 0, STRING.type))).toEqual(A.makeVector(batch.data.children[0]!).toArray());
  });
});

describe('concatBatches', () => {
  const FIELDS: Field[] = [
    { name: 's', type: { kind: 'STRING' }, nullable: true },
    { name: 'd', type: { kind: 'DOUBLE' }, nullable: true },
    { name: 'i', type: { kind: 'INT' }, nullable: true },
    { name: 'b', type: { kind: 'BIGINT' }, nullable: true },
    { name: 'ts', type: { kind: 'TIMESTAMP', precision: 3 }, nullable: true },
    { name: 'f', type: { kind: 'ARRAY', element: { kind: 'FLOAT' }, size: 2 }, nullable: true },
  ];
  const row = (n: number, nulls: boolean): unknown[] => [
    nulls && n % 3 === 0 ? null : `r${n}${n % 2 ? 'é' : ''}`,
    nulls && n % 4 === 1 ? null : n + 0.5,
    n * 7,
    BigInt(n) * 10_000_000_000n,
    1_704_067_200_000 + n,
    [n, -n],
  ];
  const batchOf = (rows: unknown[][]) => makeBatch(FIELDS, FIELDS.map((_, c) => rows.map((r) => r[c])), rows.length);

  for (const nulls of [false, true]) {
    it(`${nulls ? 'with' : 'without'} NULLs: the rows of every batch in order, slices included, through IPC too`, () => {
      const parts = [[0, 1, 2], [3], [], [4, 5, 6, 7, 8]].map((ns) => ns.map((n) => row(n, nulls)));
      const whole = batchOf([9, 10, 11, 12].map((n) => row(n, nulls)));
      const batches = [...parts.map(batchOf), whole.slice(1, 3)];
      const expected = [...parts.flat(), row(10, nulls), row(11, nulls)];
      const joined = concatBatches(FIELDS, batches);
      expect(joined.numRows).toBe(expected.length);
      expect(batchToRows(joined, FIELDS)).toEqual(expected);
      expect(batchToRows(decodeBatches(encodeBatch(joined))[0]!, FIELDS)).toEqual(expected);
    });
  }

  it('returns a single batch as it is', () => {
    const b = batchOf([row(1, false)]);
    expect(concatBatches(FIELDS, [b])).toBe(b);
  });
});

describe('arrowSchema', () => {
  it('is made once per list of fields, and again when the list changed', () => {
    const fields: Field[] = [STRING];
    const first = arrowSchema(fields);
    expect(arrowSchema(fields)).toBe(first);
    fields.push({ name: 'n', type: { kind: 'INT' }, nullable: true });
    const second = arrowSchema(fields);
    expect(second.fields.map((f) => f.name)).toEqual(['s', 'n']);
    expect(arrowSchema([STRING]).fields.map((f) => f.name)).toEqual(['s']);
  });
});

describe('batchOfData', () => {
  it("makes a batch Arrow reads as its own: slicing, selecting, a Table, IPC", () => {
    const fields: Field[] = [STRING, { name: 'n', type: { kind: 'INT' }, nullable: true }];
    const cols = makeBatch(fields, [['a', null, 'c'], [1, 2, null]], 3).data.children;
    const b = batchOfData(fields, cols, 3);
    expect(b).toBeInstanceOf(A.RecordBatch);
    expect(A.RecordBatch.isRecordBatch(b)).toBe(true);
    expect(b.schema.fields.map((f) => f.name)).toEqual(['s', 'n']);
    expect(b.metadata.size).toBe(0);
    expect(b.toArray().map((r) => r.toJSON())).toEqual([{ s: 'a', n: 1 }, { s: null, n: 2 }, { s: 'c', n: null }]);
    expect(batchToRows(b.slice(1, 3), fields)).toEqual([[null, 2], ['c', null]]);
    expect(batchToRows(b, fields, [2, 0])).toEqual([['c', null], ['a', 1]]);
    expect(b.select(['n']).numCols).toBe(1);
    expect(new A.Table([b, b]).numRows).toBe(6);
    expect(batchToRows(decodeBatches(encodeBatch(b))[0]!, fields)).toEqual([['a', 1], [null, 2], ['c', null]]);
  });
});

describe('building columns from plain values', () => {
  const read = (t: Field['type'], values: unknown[]) => {
    const field: Field = { name: 'x', type: t, nullable: true };
    // Through IPC, so the values come from the Arrow buffers and not from what was built.
    return batchToRows(decodeBatches(encodeBatch(makeBatch([field], [values], values.length)))[0]!, [field]).map((r) => r[0]);
  };

  it('TIMESTAMP and BIGINT from numbers: truncated, exact over the whole safe range and beyond it, NULLs kept', () => {
    const values = [0, -0, 1.9, -1.9, -1, 2 ** 32, -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 60, -(2 ** 62), 1_704_067_200_123, null];
    const truncated = values.map((v) => (v === null ? null : BigInt(Math.trunc(v))));
    expect(read({ kind: 'BIGINT' }, values)).toEqual(truncated);
    expect(read({ kind: 'TIMESTAMP', precision: 3 }, values)).toEqual(truncated.map((v) => (v === null ? null : Number(v))));
  });

  it('TIMESTAMP and BIGINT: a value that is no integer fails only its row', () => {
    const built = buildDataChecked({ kind: 'BIGINT' }, [1, Number.NaN, 3, Infinity], 4);
    expect([...built.bad.keys()]).toEqual([1, 3]);
  });

  it('ARRAY<FLOAT> from arrays and typed arrays; a NULL element stays NULL', () => {
    const t: Field['type'] = { kind: 'ARRAY', element: { kind: 'FLOAT' } };
    expect(read(t, [[1.5, -2], Float32Array.of(3, 4), [], [0.25]])).toEqual([[1.5, -2], [3, 4], [], [0.25]]);
    expect(read(t, [[1, 2], [3, null], [null, 5], null])).toEqual([[1, 2], [3, null], [null, 5], null]);
  });

  it('batchFromRows reads each field by name, a missing one as NULL, whatever the name holds', () => {
    const fields: Field[] = [
      { name: 'id', type: { kind: 'INT' }, nullable: true },
      { name: 'it\'s "quoted"\n', type: { kind: 'STRING' }, nullable: true },
      { name: 'constructor', type: { kind: 'DOUBLE' }, nullable: true },
    ];
    for (const n of [3, 100]) {
      const rows = Array.from({ length: n }, (_, i) => (i % 3 === 2 ? { id: i, extra: true } : { id: i, 'it\'s "quoted"\n': `v${i}`, constructor: i / 2 }));
      expect(batchToRows(batchFromRows(fields, rows), fields)).toEqual(rows.map((r, i) => [i, i % 3 === 2 ? null : `v${i}`, i % 3 === 2 ? null : i / 2]));
    }
  });

  it('buildConstant repeats one value, encoded once', () => {
    for (const value of ['serving', 'naïve 日本', '']) {
      for (const length of [1, 5, 257]) {
        const data = buildConstant({ kind: 'STRING' }, value, length);
        expect(A.makeVector(data).toArray()).toEqual(Array(length).fill(value));
      }
    }
    expect(A.makeVector(buildConstant({ kind: 'STRING' }, 'x', 0)).toArray()).toEqual([]);
    expect(Array.from(A.makeVector(buildConstant({ kind: 'INT' }, 7, 3)).toArray())).toEqual([7, 7, 7]);
    expect(A.makeVector(buildConstant({ kind: 'STRING' }, null, 2)).toArray()).toEqual([null, null]);
  });
});
