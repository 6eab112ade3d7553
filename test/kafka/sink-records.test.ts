/** The records an upsert Kafka sink writes for a changelog (pure: no broker). */
import { describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { sinkRecords } from '../../src/connectors/kafka/kafka-sink.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { RowKind } from '../../src/exec/message.js';

const { INSERT: I, UPDATE_BEFORE: UB, UPDATE_AFTER: UA, DELETE: D } = RowKind;
const FIELDS = [
  { name: 'k', type: T.STRING, nullable: true },
  { name: 'n', type: T.INT, nullable: true },
];
const batch = (rows: [string, number][]) => batchFromRows(FIELDS, rows.map(([k, n]) => ({ k, n })));

describe('sinkRecords', () => {
  it('drops the -U of a pair whose +U has the same key, and tombstones a delete', () => {
    const out = sinkRecords(batch([['a', 1], ['a', 2], ['b', 3], ['c', 4]]), Uint8Array.from([UB, UA, I, D]), FIELDS, [0]);
    expect(out.map(([key, value]) => [key, value && JSON.parse(value)])).toEqual([
      ['a', { k: 'a', n: 2 }],
      ['b', { k: 'b', n: 3 }],
      ['c', null],
    ]);
  });

  it('tombstones the old key when an update moves the row to another key, and a lone -U', () => {
    const out = sinkRecords(batch([['a', 1], ['b', 1], ['c', 5]]), Uint8Array.from([UB, UA, UB]), FIELDS, [0]);
    expect(out.map(([key, value]) => [key, value && JSON.parse(value)])).toEqual([
      ['a', null],
      ['b', { k: 'b', n: 1 }],
      ['c', null],
    ]);
  });
});
