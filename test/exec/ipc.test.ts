/** Encoding a batch as an Arrow IPC stream: the bytes Arrow writes, with room for a header, from a reused buffer. */
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { Field } from '../../src/common/types.js';
import { arrowSchema, batchToRows, concatBatches, makeBatch } from '../../src/exec/columns.js';
import { decodeBatches, encodeBatch, encodeBatchView, encodeConcatView } from '../../src/exec/ipc.js';

const FIELDS: Field[] = [
  { name: 's', type: { kind: 'STRING' }, nullable: true },
  { name: 'i', type: { kind: 'INT' }, nullable: true },
  { name: 'd', type: { kind: 'DOUBLE' }, nullable: false },
  { name: 't', type: { kind: 'TIMESTAMP', precision: 3 }, nullable: false },
  { name: 'b', type: { kind: 'BOOLEAN' }, nullable: true },
  { name: 'a', type: { kind: 'ARRAY', element: { kind: 'FLOAT' } }, nullable: true },
  { name: 'st', type: { kind: 'STRUCT', fields: [{ name: 'x', type: { kind: 'BIGINT' }, nullable: true }] }, nullable: true },
];

function batchOf(n: number): A.RecordBatch {
  return makeBatch(
    FIELDS,
    [
      Array.from({ length: n }, (_, k) => (k % 3 ? `v${k}é` : null)),
      Array.from({ length: n }, (_, k) => (k % 4 ? k : null)),
      Array.from({ length: n }, (_, k) => k / 3),
      Array.from({ length: n }, (_, k) => 1_700_000_000_000 + k),
      Array.from({ length: n }, (_, k) => (k % 5 ? k % 2 === 0 : null)),
      Array.from({ length: n }, (_, k) => (k % 6 ? [k, k + 0.5] : null)),
      Array.from({ length: n }, (_, k) => (k % 7 ? { x: BigInt(k) } : null)),
    ],
    n,
  );
}

const arrowBytes = (b: A.RecordBatch) => Buffer.from(A.tableToIPC(new A.Table(b), 'stream'));

describe('encodeBatch', () => {
  for (const n of [0, 1, 3, 1000]) {
    it(`writes the bytes Arrow's tableToIPC writes (${n} rows, whole and sliced)`, () => {
      const batch = batchOf(n);
      expect(encodeBatch(batch).equals(arrowBytes(batch))).toBe(true);
      const sliced = batch.slice(1, Math.max(1, n - 1));
      expect(encodeBatch(sliced).equals(arrowBytes(sliced))).toBe(true);
      expect(decodeBatches(encodeBatch(batch)).flatMap((b) => batchToRows(b, FIELDS))).toEqual(batchToRows(batch, FIELDS));
    });
  }

  it('leaves the reserved bytes in front of the stream, also from the scratch buffer a view reuses', () => {
    const large = batchOf(1000);
    const small = batchOf(3);
    expect(encodeBatch(small, 8).subarray(8).equals(arrowBytes(small))).toBe(true);
    const first = Buffer.from(encodeBatchView(large, 8).subarray(8));
    expect(first.equals(arrowBytes(large))).toBe(true);
    // The next view overwrites the larger one's bytes: its padding must read as zeros again.
    expect(encodeBatchView(small, 8).subarray(8).equals(arrowBytes(small))).toBe(true);
    expect(encodeBatchView(large).equals(arrowBytes(large))).toBe(true);
  });
});

describe('encodeConcatView', () => {
  const FLAT: Field[] = [
    { name: 's', type: { kind: 'STRING' }, nullable: false },
    { name: 'i', type: { kind: 'INT' }, nullable: false },
    { name: 'd', type: { kind: 'DOUBLE' }, nullable: false },
    { name: 'f', type: { kind: 'FLOAT' }, nullable: false },
    { name: 'n', type: { kind: 'BIGINT' }, nullable: false },
    { name: 't', type: { kind: 'TIMESTAMP', precision: 3 }, nullable: false },
  ];
  const part = (from: number, n: number) =>
    makeBatch(
      FLAT,
      [
        Array.from({ length: n }, (_, k) => `row-${from + k}${k % 4 === 0 ? 'ü' : ''}`),
        Array.from({ length: n }, (_, k) => from + k),
        Array.from({ length: n }, (_, k) => (from + k) / 7),
        Array.from({ length: n }, (_, k) => (from + k) / 4),
        Array.from({ length: n }, (_, k) => BigInt(from + k) * 3n),
        Array.from({ length: n }, (_, k) => 1_700_000_000_000 + from + k),
      ],
      n,
    );

  it('writes the bytes of the concatenated batch, from whole, sliced and empty parts', () => {
    const parts = [part(0, 5), part(5, 0), part(100, 9).slice(2, 7), part(200, 1), part(300, 1000)];
    const want = Buffer.from(encodeBatchView(concatBatches(FLAT, parts), 8));
    const got = encodeConcatView(arrowSchema(FLAT), parts.map((b) => b.data.children), 8);
    expect(got?.subarray(8).equals(want.subarray(8))).toBe(true);
    expect(decodeBatches(got!.subarray(8)).flatMap((b) => batchToRows(b, FLAT))).toEqual(parts.flatMap((b) => batchToRows(b, FLAT)));
  });

  it('declines columns with NULLs and nested columns', () => {
    const withNull = makeBatch([FLAT[0]!], [['a', null]], 2);
    expect(encodeConcatView(arrowSchema([FLAT[0]!]), [withNull.data.children], 8)).toBeUndefined();
    const nested = batchOf(3);
    expect(encodeConcatView(arrowSchema(FIELDS), [nested.data.children], 8)).toBeUndefined();
  });
});
