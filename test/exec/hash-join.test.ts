/**
 * The hash join's output, applied as a changelog, is at every point the join a nested loop
 * computes over the rows each side holds: for INNER, LEFT, RIGHT, FULL and MARK joins, with and
 * without a residual and keys, over inserts and retractions of both sides, whatever the batches,
 * barriers and restarts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { RowKind } from '../../src/exec/message.js';
import { HashJoinOperator, type JoinType } from '../../src/exec/operators/hash-join.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import { TempStores } from '../state/helpers.js';
import { Harness, data, f, foldRows, random } from './harness.js';

const L = [f('id', T.STRING), f('k', T.BIGINT), f('x', T.INT)];
const R = [f('rid', T.STRING), f('k', T.INT), f('y', T.INT)];
const OUT = [...L, ...R];
const MARKED = [...L, f('mark', T.BOOLEAN)];
const outOf = (s: Spec) => (s.joinType === 'MARK' ? MARKED : OUT);
/** l.x < r.y */
const RESIDUAL: BoundExpr = {
  kind: 'Binary',
  op: '<',
  left: { kind: 'Column', index: 2, name: 'x', type: T.INT },
  right: { kind: 'Column', index: 5, name: 'y', type: T.INT },
  type: T.BOOLEAN,
};

type Row = Record<string, unknown>;
interface Spec {
  readonly joinType: JoinType;
  readonly keyed: boolean;
  readonly residual: boolean;
}

const stores = new TempStores();
afterEach(() => stores.dispose());

const join = (s: Spec) =>
  new HashJoinOperator({ joinType: s.joinType, left: L, right: R, leftKeys: s.keyed ? [1] : [], rightKeys: s.keyed ? [1] : [], residual: s.residual ? RESIDUAL : undefined, fields: outOf(s), udfs: () => undefined });

/** One change to one side: a row added or taken back. */
interface Change {
  readonly side: 0 | 1;
  readonly row: Row;
  readonly retract: boolean;
}

/** Changes to both sides: few keys (some NULL), duplicate rows, NULL values, and retractions of rows held. */
function changes(seed: number, n: number): Change[] {
  const rnd = random(seed);
  const held: Row[][] = [[], []];
  const out: Change[] = [];
  for (let i = 0; i < n; i++) {
    const side = rnd(2) as 0 | 1;
    const mine = held[side]!;
    if (mine.length > 0 && rnd(4) === 0) {
      const [row] = mine.splice(rnd(mine.length), 1);
      out.push({ side, row: row!, retract: true });
      continue;
    }
    const k = rnd(8) === 0 ? null : rnd(4);
    const v = rnd(10) === 0 ? null : rnd(6);
    const row = side === 0 ? { id: `l${rnd(3) === 0 ? 0 : i}`, k: k === null ? null : BigInt(k), x: v } : { rid: `r${rnd(3) === 0 ? 0 : i}`, k, y: v };
    mine.push(row);
    out.push({ side, row, retract: false });
  }
  return out;
}

/** The rows of the join of what both sides hold after `cs`, by a nested loop, as sorted JSON. */
function nestedLoop(s: Spec, cs: readonly Change[]): string[] {
  const held: Row[][] = [[], []];
  for (const c of cs) {
    const list = held[c.side]!;
    if (c.retract) list.splice(list.findIndex((r) => JSON.stringify(r, big) === JSON.stringify(c.row, big)), 1);
    else list.push(c.row);
  }
  const [left, right] = held as [Row[], Row[]];
  const matches = (l: Row, r: Row) =>
    (!s.keyed || (l['k'] !== null && r['k'] !== null && Number(l['k']) === r['k'])) && (!s.residual || (l['x'] !== null && r['y'] !== null && (l['x'] as number) < (r['y'] as number)));
  const out: unknown[][] = [];
  const lv = (l: Row) => [l['id'], l['k'], l['x']];
  const rv = (r: Row) => [r['rid'], r['k'], r['y']];
  const nulls = [null, null, null];
  for (const l of left) {
    const pairs = right.filter((r) => matches(l, r));
    if (s.joinType === 'MARK') {
      out.push([...lv(l), pairs.length > 0]);
      continue;
    }
    for (const r of pairs) out.push([...lv(l), ...rv(r)]);
    if (pairs.length === 0 && (s.joinType === 'LEFT' || s.joinType === 'FULL')) out.push([...lv(l), ...nulls]);
  }
  if (s.joinType === 'RIGHT' || s.joinType === 'FULL') for (const r of right) if (!left.some((l) => matches(l, r))) out.push([...nulls, ...rv(r)]);
  return out.map((r) => JSON.stringify(r, big)).sort();
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Applies the output changelog: +I adds a row, -D takes one equal row away (it must be there). */
function fold(hs: readonly Harness[], fields = OUT): string[] {
  return foldRows(hs, fields, (n, key) => expect(n, `-D of a row not in the result: ${key}`).toBeGreaterThan(0));
}

/**
 * Feeds the changes in pieces of random sizes (each piece one side's run of changes); after some
 * pieces a barrier, committed, and sometimes a restart from that state. Checks the folded output
 * against the nested loop after every piece.
 */
async function run(s: Spec, cs: readonly Change[], seed: number, maxPiece: number, restarts: boolean): Promise<void> {
  const rnd = random(seed);
  let h = await Harness.create(stores);
  let op = join(s);
  await h.open(op);
  const before: Harness[] = [];
  let epoch = 0;
  let at = 0;
  while (at < cs.length) {
    const side = cs[at]!.side;
    let end = at + 1;
    while (end < cs.length && end - at < 1 + rnd(maxPiece) && cs[end]!.side === side) end++;
    const piece = cs.slice(at, end);
    at = end;
    await op.process(data(side === 0 ? L : R, piece.map((c) => c.row), piece.map((c) => (c.retract ? RowKind.DELETE : RowKind.INSERT))), side);
    expect(fold([...before, h], outOf(s)), `after ${at} changes`).toEqual(nestedLoop(s, cs.slice(0, at)));
    if (rnd(4) !== 0) continue;
    epoch++;
    await op.process({ kind: 'barrier', epoch }, 0);
    await op.process({ kind: 'barrier', epoch }, 1);
    await h.commit();
    if (restarts && rnd(2) === 0) {
      before.push(h);
      h = h.restart();
      op = join(s);
      await h.open(op);
    }
  }
  expect([...before, h].flatMap((x) => x.letters)).toEqual([]);
}

describe('hash join', () => {
  for (const joinType of ['INNER', 'LEFT', 'RIGHT', 'FULL', 'MARK'] as const) {
    for (const keyed of [true, false]) {
      for (const residual of [false, true]) {
        if (!keyed && !residual && joinType !== 'INNER') continue;
        it(`${joinType}${keyed ? ' on a key' : ''}${residual ? ' with a residual' : ''}: the join of the rows held, after every batch`, async () => {
          const s = { joinType, keyed, residual };
          for (const seed of [1, 2]) {
            const cs = changes(seed, 160);
            expect(nestedLoop(s, cs).length).toBeGreaterThan(10);
            await run(s, cs, seed, 1, false);
            await run(s, cs, seed + 10, 12, true);
          }
        });
      }
    }
  }

  for (const joinType of ['INNER', 'LEFT', 'RIGHT', 'FULL', 'MARK'] as const) {
    it(`${joinType} over inputs that end: the join of all the rows, whichever side comes first and ends first`, async () => {
      const s = { joinType, keyed: true, residual: true };
      for (const seed of [3, 4, 5]) {
        const cs = changes(seed, 160);
        const rnd = random(seed);
        const h = await Harness.create(stores);
        h.bounded = true;
        const op = join(s);
        await h.open(op);
        for (const c of cs) await op.process(data(c.side === 0 ? L : R, [c.row], [c.retract ? RowKind.DELETE : RowKind.INSERT]), c.side);
        const first = rnd(2);
        await op.process({ kind: 'end' }, first);
        expect(h.out.some((m) => m.kind === 'end')).toBe(false);
        await op.process({ kind: 'end' }, 1 - first);
        expect(h.out.at(-1)?.kind).toBe('end');
        expect(fold([h], outOf(s))).toEqual(nestedLoop(s, cs));
        expect(h.letters).toEqual([]);
      }
    });
  }

  it('over inputs that end, a LEFT or MARK join waits for the right side to end: no padded row or mark is taken back', async () => {
    for (const joinType of ['LEFT', 'MARK'] as const) {
      const h = await Harness.create(stores);
      h.bounded = true;
      const s = { joinType, keyed: true, residual: false };
      const op = join(s);
      await h.open(op);
      await op.process(data(L, Array.from({ length: 50 }, (_, i) => ({ id: `l${i}`, k: BigInt(i % 10), x: i }))), 0);
      expect(h.out).toEqual([]);
      await op.process({ kind: 'end' }, 0);
      await op.process(data(R, Array.from({ length: 5 }, (_, i) => ({ rid: `r${i}`, k: i, y: i }))), 1);
      await op.process({ kind: 'end' }, 1);
      const kinds = h.out.flatMap((m) => (m.kind === 'data' ? [...(m.rowKinds ?? [])] : []));
      expect(kinds.filter((k) => k !== RowKind.INSERT)).toEqual([]);
      expect(fold([h], outOf(s)).length).toBe(50);
    }
  });

  it('sends a retraction of a row it does not hold to the dead letters', async () => {
    const h = await Harness.create(stores);
    const op = join({ joinType: 'FULL', keyed: true, residual: false });
    await h.open(op);
    await op.process(data(L, [{ id: 'a', k: 1n, x: 1 }], [RowKind.DELETE]), 0);
    expect(h.letters.map((l) => l.reason)).toEqual(['retraction of a row the join does not hold (never seen)']);
    expect(h.rows(OUT)).toEqual([]);
  });

  it('pairs many rows of one key in slices, emitting as it goes', async () => {
    const h = await Harness.create(stores);
    const op = join({ joinType: 'INNER', keyed: false, residual: true });
    await h.open(op);
    await op.process(data(R, Array.from({ length: 300 }, (_, i) => ({ rid: `r${i}`, k: 1, y: i }))), 1);
    await op.process(data(L, Array.from({ length: 300 }, (_, i) => ({ id: `l${i}`, k: 1n, x: i }))), 0);
    // Pairs with x < y: 300 * 299 / 2.
    expect(h.rows(OUT).length).toBe(44850);
    const sizes = h.out.flatMap((m) => (m.kind === 'data' ? [m.batch.numRows] : []));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8192 + 2);
    expect(sizes.length).toBeGreaterThan(5);
  });
});
