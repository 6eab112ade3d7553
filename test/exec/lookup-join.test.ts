import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { keyOf } from '../../src/common/keys.js';
import { RowKind } from '../../src/exec/message.js';
import { StreamLookupJoinOperator } from '../../src/exec/operators/lookup-join.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import { TempStores } from '../state/helpers.js';
import { Harness, data, f } from './harness.js';

const { INSERT: I, UPDATE_BEFORE: UB, UPDATE_AFTER: UA, DELETE: D } = RowKind;
const IN = [f('card', T.STRING), f('n', T.INT)];
const OUT = [...IN, f('limit', T.BIGINT)];
const card: BoundExpr = { kind: 'Column', index: 0, name: 'card', type: T.STRING };
/** The table's rows by key (schema: card, limit), as the engine's table lookup serves them. */
const TABLE = new Map<string, unknown[]>([
  [keyOf(['c1']), ['c1', 100]],
  [keyOf(['c2']), ['c2', 200]],
  // A key holding a character the key encoding escapes.
  [keyOf(['c\u00013']), ['c\u00013', 300]],
  // A value no BIGINT column can hold: building the output column throws for this row.
  [keyOf(['bad']), ['bad', Infinity]],
]);
const rows = (...r: [string | null, number][]) => r.map(([c, n]) => ({ card: c, n }));

const stores = new TempStores();
afterEach(() => stores.dispose());

async function setup(joinType: 'INNER' | 'LEFT', key: BoundExpr | BoundExpr[] = card) {
  const h = await Harness.create(stores);
  const reads: string[][] = [];
  const getMany = async (keys: readonly string[]) => {
    reads.push([...keys]);
    return keys.map((k) => TABLE.get(k));
  };
  const op = await h.open(new StreamLookupJoinOperator({ input: IN, fields: OUT, keys: Array.isArray(key) ? key : [key], tableColumns: [1], joinType, table: { getMany }, udfs: () => undefined }));
  return { h, op, reads };
}

describe('StreamLookupJoinOperator with retraction pairs', () => {
  it('INNER keeps a pair whose halves both match, and rewrites one that loses or gains a match', async () => {
    const { h, op } = await setup('INNER');
    await op.process(data(IN, rows(['c1', 1], ['c2', 2], ['c1', 3], ['zz', 4], ['zz', 5], ['c2', 6], ['zz', 7], ['zz', 8]), [UB, UA, UB, UA, UB, UA, UB, UA]), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['-U', 'c1', 1, 100n],
      ['+U', 'c2', 2, 200n],
      ['-D', 'c1', 3, 100n],
      ['+I', 'c2', 6, 200n],
    ]);
  });

  it('LEFT keeps every row with its kind, NULLs where nothing matches or the key is NULL', async () => {
    const { h, op } = await setup('LEFT');
    await op.process(data(IN, rows(['c1', 1], ['zz', 2], [null, 3], ['c2', 4]), [UB, UA, I, D]), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['-U', 'c1', 1, 100n],
      ['+U', 'zz', 2, null],
      ['+I', null, 3, null],
      ['-D', 'c2', 4, 200n],
    ]);
  });

  it('dead-letters a row whose table values cannot be stored, part-way through a batch, and goes on', async () => {
    const { h, op } = await setup('INNER');
    await op.process(data(IN, rows(['c1', 1], ['bad', 2], ['c2', 3])), 0);
    await op.process(data(IN, rows(['c2', 4], ['bad', 5]), [UB, UA]), 0);
    await op.process(data(IN, rows(['c1', 6])), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['+I', 'c1', 1, 100n],
      ['+I', 'c2', 3, 200n],
      ['-D', 'c2', 4, 200n],
      ['+I', 'c1', 6, 100n],
    ]);
    expect(h.letters.map((l) => [l.operator, JSON.parse(l.row)])).toEqual([
      ['StreamLookupJoinExec', { card: 'bad', n: 2 }],
      ['StreamLookupJoinExec', { card: 'bad', n: 5 }],
    ]);
    expect(h.letters[0]!.reason).toMatch(/^lookup join: table limit: cannot store Infinity as BIGINT/);
  });

  it('a row whose key expression throws goes to dead letters, not out with NULLs (LEFT)', async () => {
    const n: BoundExpr = { kind: 'Column', index: 1, name: 'n', type: T.INT };
    const one: BoundExpr = { kind: 'Literal', value: 1, type: T.INT };
    const key: BoundExpr = { kind: 'Binary', op: '/', left: one, right: { kind: 'Binary', op: '-', left: n, right: one, type: T.INT }, type: T.DOUBLE };
    const { h, op } = await setup('LEFT', key);
    await op.process(data(IN, rows(['c1', 1], ['c2', 2])), 0);
    expect(h.rows(OUT)).toEqual([['c2', 2, null]]);
    expect(h.letters.map((l) => [l.reason.slice(0, 10), JSON.parse(l.row)])).toEqual([['join key: ', { card: 'c1', n: 1 }]]);
  });

  it('reads each key of a batch once, in first-seen order, and gives every row with it the match', async () => {
    const { h, op, reads } = await setup('LEFT');
    await op.process(data(IN, rows(['c2', 1], ['c1', 2], ['c2', 3], [null, 4], ['zz', 5], ['c1', 6], ['zz', 7])), 0);
    expect(reads).toEqual([['c2', 'c1', 'zz']]);
    expect(h.rows(OUT)).toEqual([
      ['c2', 1, 200n],
      ['c1', 2, 100n],
      ['c2', 3, 200n],
      [null, 4, null],
      ['zz', 5, null],
      ['c1', 6, 100n],
      ['zz', 7, null],
    ]);
  });

  it('reads a key as the table stores it when the value holds a character the key encoding escapes', async () => {
    const { h, op, reads } = await setup('INNER');
    await op.process(data(IN, rows(['c\u00013', 1], ['c2', 2], ['c\u00013', 3])), 0);
    expect(reads).toEqual([[keyOf(['c\u00013']), 'c2']]);
    expect(h.rows(OUT)).toEqual([
      ['c\u00013', 1, 300n],
      ['c2', 2, 200n],
      ['c\u00013', 3, 300n],
    ]);
  });

  it('a key of several columns: rows with a NULL part match nothing, equal keys are read once', async () => {
    const n: BoundExpr = { kind: 'Column', index: 1, name: 'n', type: T.INT };
    const { h, op, reads } = await setup('INNER', [card, n]);
    TABLE.set(keyOf(['c1', 1]), ['c1', 11]);
    try {
      await op.process(data(IN, rows(['c1', 1], ['c1', 2], [null, 1], ['c1', 1])), 0);
    } finally {
      TABLE.delete(keyOf(['c1', 1]));
    }
    expect(reads).toEqual([[keyOf(['c1', 1]), keyOf(['c1', 2])]]);
    expect(h.rows(OUT)).toEqual([
      ['c1', 1, 11n],
      ['c1', 1, 11n],
    ]);
  });

  it('handles empty input and passes watermarks, barriers and end through', async () => {
    const { h, op } = await setup('INNER');
    await op.process(data(IN, []), 0);
    await op.process({ kind: 'watermark', time: 9 }, 0);
    await op.process({ kind: 'barrier', epoch: 2 }, 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.rows(OUT)).toEqual([]);
    expect(h.control()).toEqual([['watermark', 9], ['barrier', 2], ['end']]);
  });
});
