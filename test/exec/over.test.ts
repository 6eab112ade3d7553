/**
 * The window-function operator's output, applied as a changelog, is at every point the rows it
 * holds with their window values computed afresh: over inserts and retractions, in batches of any
 * size, with barriers and restarts, for windows with and without PARTITION BY.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { RowKind } from '../../src/exec/message.js';
import { OverOperator } from '../../src/exec/operators/over.js';
import { computeWindows } from '../../src/exec/window-functions.js';
import type { WindowSpec } from '../../src/planner/window-spec.js';
import { TempStores } from '../state/helpers.js';
import { Harness, data, f, foldRows, random, rowJsonText } from './harness.js';

const IN = [f('id', T.STRING), f('k', T.INT), f('v', T.INT), f('rn', T.NULL), f('s', T.NULL), f('prev', T.NULL)];
const OUT = [IN[0]!, IN[1]!, IN[2]!, f('rn', T.BIGINT), f('s', T.BIGINT), f('prev', T.INT)];
const ALL = { unit: 'range', start: -Infinity, end: Infinity } as const;
const byV = [{ index: 2, desc: false, nullsFirst: false }, { index: 0, desc: false, nullsFirst: false }];

/** ROW_NUMBER and a two-row moving SUM per k, and LAG(v) over all rows by id. */
const WINDOWS: WindowSpec[] = [
  { fn: 'row_number', output: 3, type: T.BIGINT, args: [], partitionBy: [1], orderBy: byV, frame: ALL },
  { fn: 'sum', output: 4, type: T.BIGINT, args: [2], partitionBy: [1], orderBy: byV, frame: { unit: 'rows', start: -1, end: 0 } },
  { fn: 'lag', output: 5, type: T.INT, args: [2], partitionBy: [], orderBy: [{ index: 0, desc: false, nullsFirst: false }], frame: ALL },
];

type Row = Record<string, unknown>;

const stores = new TempStores();
afterEach(() => stores.dispose());

/** Inserts of rows with few keys (some NULL) and NULL values, and retractions of rows held. */
function changes(seed: number, n: number): { row: Row; retract: boolean }[] {
  const rnd = random(seed);
  const held: Row[] = [];
  const out: { row: Row; retract: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    if (held.length > 0 && rnd(4) === 0) {
      const [row] = held.splice(rnd(held.length), 1);
      out.push({ row: row!, retract: true });
      continue;
    }
    const row = { id: `r${String(i).padStart(3, '0')}`, k: rnd(8) === 0 ? null : rnd(3), v: rnd(10) === 0 ? null : rnd(20), rn: null, s: null, prev: null };
    held.push(row);
    out.push({ row, retract: false });
  }
  return out;
}


/** The rows held after `cs` with their windows computed from scratch, as sorted JSON. */
function fresh(cs: readonly { row: Row; retract: boolean }[]): string[] {
  const held: Row[] = [];
  for (const c of cs) {
    if (c.retract) held.splice(held.findIndex((r) => r['id'] === c.row['id']), 1);
    else held.push(c.row);
  }
  const rows = held.map((r) => IN.map((x) => r[x.name] ?? null));
  computeWindows(rows, WINDOWS);
  return rows.map(rowJsonText).sort();
}

function fold(hs: readonly Harness[]): string[] {
  return foldRows(hs, OUT, (n, key) => expect(n, `-D of a row not in the result: ${key}`).toBeGreaterThan(0));
}

const over = () => new OverOperator({ input: IN, windows: WINDOWS, partitionBy: [], fields: OUT });

describe('window functions over changing rows', () => {
  for (const seed of [1, 2, 3]) {
    it(`keeps every row's window values current (seed ${seed})`, async () => {
      const cs = changes(seed, 150);
      const rnd = random(seed + 100);
      let h = await Harness.create(stores);
      let op = over();
      await h.open(op);
      const before: Harness[] = [];
      let epoch = 0;
      for (let at = 0; at < cs.length; ) {
        const end = Math.min(cs.length, at + 1 + rnd(seed === 1 ? 1 : 15));
        const piece = cs.slice(at, end);
        at = end;
        await op.process(data(IN, piece.map((c) => c.row), piece.map((c) => (c.retract ? RowKind.DELETE : RowKind.INSERT))));
        expect(fold([...before, h]), `after ${at} changes`).toEqual(fresh(cs.slice(0, at)));
        if (rnd(3) !== 0) continue;
        await op.process({ kind: 'barrier', epoch: ++epoch });
        await h.commit();
        if (rnd(2) === 0) {
          before.push(h);
          h = h.restart();
          op = over();
          await h.open(op);
        }
      }
      expect([...before, h].flatMap((x) => x.letters)).toEqual([]);
    });
  }

  it('emits only the rows whose values change, and sends an unknown retraction to the dead letters', async () => {
    const h = await Harness.create(stores);
    const op = new OverOperator({ input: IN, windows: WINDOWS.slice(0, 1), partitionBy: [1], fields: OUT });
    await h.open(op);
    const row = (id: string, v: number) => ({ id, k: 1, v, rn: null, s: null, prev: null });
    await op.process(data(IN, [row('a', 1), row('b', 2)]));
    const first = h.rows(OUT, true).length;
    // A row ordered last adds itself only: the others keep their numbers.
    await op.process(data(IN, [row('c', 3)]));
    expect(h.rows(OUT, true).length - first).toBe(1);
    await op.process(data(IN, [row('zz', 9)], [RowKind.DELETE]));
    expect(h.letters.map((l) => l.reason)).toEqual(['retraction of a row the window function does not hold (never seen)']);
  });
});
