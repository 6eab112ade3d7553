/**
 * The interval join's rows added since the last barrier are held in their batches: whatever the
 * batches, barriers and restarts, the pairs are those of a nested loop over all rows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { IntervalJoinOperator } from '../../src/exec/operators/interval-join.js';
import { TempStores } from '../state/helpers.js';
import { Harness, TS, data, f, random } from './harness.js';

const L = [f('id', T.STRING), f('k', T.BIGINT), f('lt', TS), f('x', T.STRING)];
const R = [f('rid', T.STRING), f('k', T.BIGINT), f('rt', TS)];
const OUT = [...L, ...R];
const S = 1000;
// r.rt BETWEEN l.lt - 2 s AND l.lt + 3 s
const PLAN = { leftKeys: [1], rightKeys: [1], leftTime: 2, rightTime: 2, lowerMs: -2 * S, upperMs: 3 * S, fields: OUT };

type Row = Record<string, unknown>;

const stores = new TempStores();
afterEach(() => stores.dispose());

const join = () => new IntervalJoinOperator({ ...PLAN, left: L, right: R, udfs: () => undefined });

/** Rows with few keys, safe integers and past 2^53 (duplicates per key, whole duplicate rows), some NULL keys and NULL times. */
function rows(seed: number, n: number): { left: Row[]; right: Row[] } {
  const rnd = random(seed);
  const key = () => (rnd(10) === 0 ? null : BigInt(rnd(3)) + (rnd(2) === 0 ? 0n : 9007199254740991n));
  const time = () => (rnd(25) === 0 ? null : rnd(40) * S);
  const left: Row[] = [];
  const right: Row[] = [];
  for (let i = 0; i < n; i++) {
    const l = { id: `l${i}`, k: key(), lt: time(), x: rnd(2) === 0 ? null : `x${rnd(3)}` };
    left.push(l);
    if (rnd(8) === 0) left.push({ ...l });
    right.push({ rid: `r${i}`, k: key(), rt: time() });
  }
  return { left, right };
}

/** The pairs a nested loop finds, as sorted `id-rid` labels. */
function nestedLoop(left: readonly Row[], right: readonly Row[]): string[] {
  const out: string[] = [];
  for (const l of left) {
    for (const r of right) {
      if (l['k'] === null || r['k'] !== l['k'] || l['lt'] === null || r['rt'] === null) continue;
      const lt = l['lt'] as number;
      const rt = r['rt'] as number;
      if (lt + PLAN.lowerMs <= rt && rt <= lt + PLAN.upperMs) out.push(`${l['id']}-${r['rid']}`);
    }
  }
  return out.sort();
}

const labels = (h: Harness) => h.rows(OUT).map((x) => `${x[0]}-${x[4]}`);

/**
 * Feeds both inputs in pieces of random sizes, alternating sides at random; after some pieces a
 * barrier, committed, and then sometimes a restart from that state. Returns the labels of all
 * pairs emitted, sorted.
 */
async function run(left: readonly Row[], right: readonly Row[], seed: number, maxPiece: number, restarts: boolean): Promise<string[]> {
  const rnd = random(seed);
  let h = await Harness.create(stores);
  let op = join();
  await h.open(op);
  const out: string[] = [];
  let epoch = 0;
  const at = [0, 0];
  const inputs = [left, right] as const;
  while (at[0]! < left.length || at[1]! < right.length) {
    const p = at[0]! >= left.length ? 1 : at[1]! >= right.length ? 0 : rnd(2);
    const take = 1 + rnd(maxPiece);
    const piece = inputs[p]!.slice(at[p]!, at[p]! + take);
    at[p] = at[p]! + piece.length;
    await op.process(data(p === 0 ? L : R, piece), p);
    if (rnd(4) !== 0) continue;
    epoch++;
    await op.process({ kind: 'barrier', epoch }, 0);
    await op.process({ kind: 'barrier', epoch }, 1);
    await h.commit();
    if (restarts && rnd(2) === 0) {
      for (const x of labels(h)) out.push(x);
      h = h.restart();
      op = join();
      await h.open(op);
    }
  }
  for (const x of labels(h)) out.push(x);
  return out.sort();
}

describe('interval join: held rows', () => {
  it('finds the pairs of a nested loop for every split of the input into batches, across barriers and restarts', async () => {
    for (const seed of [1, 2, 3]) {
      const { left, right } = rows(seed, 120);
      const expected = nestedLoop(left, right);
      expect(expected.length).toBeGreaterThan(50);
      expect(await run(left, right, seed, left.length, false)).toEqual(expected);
      expect(await run(left, right, seed + 10, 1, false)).toEqual(expected);
      expect(await run(left, right, seed + 20, 17, true)).toEqual(expected);
    }
  });

  it('tells many number keys apart, negative and up to 2^53, as the table of keys grows', async () => {
    const rnd = random(7);
    const key = () => (rnd(20) === 0 ? [-(2n ** 53n) + 1n, 2n ** 53n - 1n][rnd(2)]! : rnd(2) === 0 ? BigInt(rnd(2000)) - 1000n : BigInt(rnd(2000)) * 4294967296n);
    const left = Array.from({ length: 3000 }, (_, i) => ({ id: `l${i}`, k: key(), lt: rnd(40) * S, x: null }));
    const right = Array.from({ length: 3000 }, (_, i) => ({ rid: `r${i}`, k: key(), rt: rnd(40) * S }));
    const expected = nestedLoop(left, right);
    expect(expected.length).toBeGreaterThan(500);
    expect(await run(left, right, 8, 700, true)).toEqual(expected);
  });

  it('retires held and staged rows by the watermark, with their pairs intact, and compacts what it dropped', async () => {
    const h = await Harness.create(stores);
    const op = join();
    await h.open(op);
    const n = 20_000;
    // Left rows at 0..19 999 ms in batches of 1000, two keys; the last 100 hold key 1.
    for (let from = 0; from < n; from += 1000) {
      const batch = Array.from({ length: 1000 }, (_, j) => ({ id: `l${from + j}`, k: from + j >= n - 100 ? 1n : 0n, lt: from + j, x: 'x' }));
      await op.process(data(L, batch), 0);
      if (from === 5000) {
        await op.process({ kind: 'barrier', epoch: 1 }, 0);
        await op.process({ kind: 'barrier', epoch: 1 }, 1);
        await h.commit();
      }
    }
    expect(op.buffered).toEqual([n, 0]);
    // A right watermark at 19 950 ms + 3 s retires the left rows before 19 950 ms (held and staged).
    await op.process({ kind: 'watermark', time: n - 50 + 3 * S }, 1);
    expect(op.buffered).toEqual([50, 0]);
    const rt = n - 50 + 3 * S;
    await op.process(data(R, [{ rid: 'r0', k: 0n, rt }, { rid: 'r1', k: 1n, rt }]), 1);
    // r0 (key 0) has no partner left: the live rows hold key 1. r1 meets the 50 live ones.
    expect(labels(h).sort()).toEqual(Array.from({ length: 50 }, (_, j) => `l${n - 50 + j}-r1`).sort());
    expect(h.letters).toEqual([]);
    await op.process({ kind: 'barrier', epoch: 2 }, 0);
    await op.process({ kind: 'barrier', epoch: 2 }, 1);
    await h.commit();
    const next = h.restart();
    const again = join();
    await next.open(again);
    expect(again.buffered).toEqual([50, 2]);
    await again.process(data(R, [{ rid: 'r2', k: 1n, rt }]), 1);
    expect(labels(next).sort()).toEqual(Array.from({ length: 50 }, (_, j) => `l${n - 50 + j}-r2`).sort());
  });

  it('without barriers, keeps only the live rows once most were retired', async () => {
    const h = await Harness.create(stores);
    const op = join();
    await h.open(op);
    for (let round = 0; round < 10; round++) {
      const base = round * 10_000;
      await op.process(data(L, Array.from({ length: 10_000 }, (_, j) => ({ id: `l${base + j}`, k: BigInt(j % 7), lt: base + j, x: null }))), 0);
      await op.process({ kind: 'watermark', time: base + 5000 + 3 * S }, 1);
      expect(op.buffered[0]).toBe(5000);
    }
    await op.process(data(R, [{ rid: 'r', k: 3n, rt: 99_999 }]), 1);
    // The live left rows (95 000..99 999 ms) of key 3 from 3 s before r on.
    const want = Array.from({ length: 5000 }, (_, j) => 95_000 + j).filter((t) => t >= 99_999 - 3 * S && (t - 90_000) % 7 === 3);
    expect(want.length).toBeGreaterThan(400);
    expect(labels(h).sort()).toEqual(want.map((t) => `l${t}-r`).sort());
  });
});
