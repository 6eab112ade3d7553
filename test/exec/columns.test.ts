/** Reading Arrow columns back as values: strings, through IPC and slicing, with and without NULLs. */
import * as A from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { Field } from '../../src/common/types.js';
import { makeBatch, readColumn } from '../../src/exec/columns.js';
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

  it('agrees with Arrow on a larger column', () => {
    const values = Array.from({ length: 5000 }, (_, i) => (i % 11 === 0 ? null : i % 5 === 0 ? `ß${i}` : `k${i}`));
    const batch = roundTrip(values);
    expect(Array.from(readColumn(batch, 0, STRING.type))).toEqual(A.makeVector(batch.data.children[0]!).toArray());
  });
});
