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

async function setup(joinType: 'INNER' | 'LEFT', key: BoundExpr | BoundExpr[] = card, table: ReadonlyMap<string, unknown[]> = TABLE, version?: () => number, duringRead?: () => void) {
  const h = await Harness.create(stores);
  const reads: string[][] = [];
  const getMany = async (keys: readonly string[]) => {
    reads.push([...keys]);
    const rows = keys.map((k) => table.get(k));
    duringRead?.();
    return rows;
  };
  const op = await h.open(new StreamLookupJoinOperator({ input: IN, fields: OUT, keys: Array.isArray(key) ? key : [key], tableColumns: [1], joinType, table: { getMany, ...(version ? { version } : {}) }, udfs: () => undefined }));
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

  it('numbers a STRING key by its bytes: multi-byte, empty and escaped keys each read once and matched', async () => {
    const keys = ['é', '日本', '😀x', '', 'c\u00013', 'e\u0301'];
    const table = new Map(keys.map((k, i) => [keyOf([k]), [k, i]] as [string, unknown[]]));
    const { h, op, reads } = await setup('LEFT', card, table);
    const input = [...keys, ...keys.slice().reverse(), 'é ', null].map((k, i) => [k, i] as [string | null, number]);
    await op.process(data(IN, rows(...input)), 0);
    expect(reads).toEqual([[...keys.map((k) => keyOf([k])), keyOf(['é '])]]);
    expect(h.rows(OUT)).toEqual(input.map(([k, i]) => [k, i, k === null || !keys.includes(k) ? null : BigInt(keys.indexOf(k))]));
  });
});

describe('StreamLookupJoinOperator reusing rows while the table does not change', () => {
  it('reads a key once over batches while the version holds, and again with the new row after a write', async () => {
    const table = new Map<string, unknown[]>([[keyOf(['c1']), ['c1', 1]]]);
    let version = 0;
    const { h, op, reads } = await setup('LEFT', card, table, () => version);
    await op.process(data(IN, rows(['c1', 1], ['c2', 2])), 0);
    await op.process(data(IN, rows(['c2', 3], ['c1', 4])), 0);
    expect(reads).toEqual([['c1', 'c2']]);
    table.set(keyOf(['c1']), ['c1', 10]);
    table.set(keyOf(['c2']), ['c2', 20]);
    version++;
    await op.process(data(IN, rows(['c1', 5], ['c2', 6])), 0);
    table.delete(keyOf(['c1']));
    version++;
    await op.process(data(IN, rows(['c1', 7], ['c2', 8])), 0);
    expect(reads).toEqual([['c1', 'c2'], ['c1', 'c2'], ['c1', 'c2']]);
    expect(h.rows(OUT)).toEqual([
      ['c1', 1, 1n],
      ['c2', 2, null],
      ['c2', 3, null],
      ['c1', 4, 1n],
      ['c1', 5, 10n],
      ['c2', 6, 20n],
      ['c1', 7, null],
      ['c2', 8, 20n],
    ]);
  });

  it('uses what a read returned while a write changed the table, and reads the key again for the next batch', async () => {
    const table = new Map<string, unknown[]>([[keyOf(['c1']), ['c1', 1]]]);
    let version = 0;
    const { h, op, reads } = await setup('INNER', card, table, () => version, () => {
      table.set(keyOf(['c1']), ['c1', 2]);
      version++;
    });
    await op.process(data(IN, rows(['c1', 1])), 0);
    await op.process(data(IN, rows(['c1', 2])), 0);
    expect(reads).toEqual([['c1'], ['c1']]);
    expect(h.rows(OUT)).toEqual([
      ['c1', 1, 1n],
      ['c1', 2, 2n],
    ]);
  });

  it('keeps the keys of at most 4096 rows over batches: after a batch of more, it reads them again', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    const table = new Map(many.map((k, i) => [keyOf([k]), [k, i]] as [string, unknown[]]));
    const { h, op, reads } = await setup('INNER', card, table, () => 0);
    await op.process(data(IN, rows(...many.slice(0, 100).map((k, i) => [k, i] as [string, number]))), 0);
    await op.process(data(IN, rows(['k0', 0], ['k99', 1])), 0);
    await op.process(data(IN, rows(...many.map((k, i) => [k, i] as [string, number]))), 0);
    await op.process(data(IN, rows(['k0', 0], ['k4999', 1])), 0);
    await op.process(data(IN, rows(['k0', 2], ['k4999', 3])), 0);
    expect(reads.map((r) => r.length)).toEqual([100, 4900, 2]);
    expect(h.rows(OUT).slice(-4)).toEqual([
      ['k0', 0, 0n],
      ['k4999', 1, 4999n],
      ['k0', 2, 0n],
      ['k4999', 3, 4999n],
    ]);
  });

  it('a key expression that is not a STRING column reuses rows the same way', async () => {
    const n: BoundExpr = { kind: 'Column', index: 1, name: 'n', type: T.INT };
    const table = new Map<string, unknown[]>([[keyOf([1]), [1, 11]]]);
    let version = 0;
    const { h, op, reads } = await setup('LEFT', n, table, () => version);
    await op.process(data(IN, rows(['a', 1], ['b', 2])), 0);
    await op.process(data(IN, rows(['c', 2], ['d', 1])), 0);
    table.set(keyOf([2]), [2, 22]);
    version++;
    await op.process(data(IN, rows(['e', 1], ['f', 2])), 0);
    expect(reads).toEqual([[keyOf([1]), keyOf([2])], [keyOf([1]), keyOf([2])]]);
    expect(h.rows(OUT).map((r) => r[2])).toEqual([11n, null, null, 11n, 11n, 22n]);
  });
});
