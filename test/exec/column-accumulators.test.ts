import { afterEach, describe, expect, it, vi } from 'vitest';
import { T, type DataType } from '../../src/common/types.js';
import { RowKind, type Message } from '../../src/exec/message.js';
import { ColumnAccumulators } from '../../src/exec/operators/column-accumulators.js';
import { GroupAggregateOperator } from '../../src/exec/operators/group-aggregate.js';
import { Utf8Slots } from '../../src/exec/operators/utf8-slots.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { keyOf } from '../../src/exec/keys.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import type { AggregateCall } from '../../src/planner/logical.js';
import { encodeValue } from '../../src/state/codec.js';
import { Rng } from '../../src/connectors/rng.js';
import { TempStores } from '../state/helpers.js';
import { Harness, data, f } from './harness.js';

const { INSERT: I, DELETE: D, UPDATE_BEFORE: UB, UPDATE_AFTER: UA } = RowKind;
const col = (index: number, name: string, type: DataType): BoundExpr => ({ kind: 'Column', index, name, type });
const IN = [f('card', T.STRING), f('amount', T.DOUBLE), f('units', T.BIGINT), f('n', T.INT)];
const card = col(0, 'card', T.STRING);
const amount = col(1, 'amount', T.DOUBLE);
const units = col(2, 'units', T.BIGINT);
const n = col(3, 'n', T.INT);
const call = (fn: AggregateCall['fn'], arg?: BoundExpr): AggregateCall => ({ fn, args: arg ? [arg] : [], name: `${fn}_${arg?.kind === 'Column' ? arg.name : 'star'}` });
/** Calls held in columns, and COUNT(DISTINCT), which is not: added, it sends every call through the accumulators. */
const COLUMNED = [call('count'), call('count', amount), call('sum', amount), call('avg', amount)];
const APPEND_ONLY = [...COLUMNED, call('min', amount), call('max', amount), call('max', n)];
/** Held in columns also where the input retracts rows (SUM and AVG of doubles are exact there, in Sum objects). */
const COUNTS = [call('count'), call('count', amount)];
const DISTINCT = call('count_distinct', amount);
const fieldsOf = (calls: readonly AggregateCall[]) => [f('card', T.STRING), ...calls.map((c) => f(c.name, c.fn === 'count' || c.fn === 'count_distinct' ? T.BIGINT : c.fn === 'max' && c.args[0] === n ? T.INT : T.DOUBLE))];

interface Row {
  card: string | null;
  amount: number | null;
  units?: bigint | null;
  n?: number | null;
}
const more = (m: Message): Message => (m.kind === 'data' ? { ...m, more: true } : m);

const stores = new TempStores();
afterEach(() => {
  vi.restoreAllMocks();
  return stores.dispose();
});

async function run(calls: readonly AggregateCall[], rows: readonly Row[], kinds: readonly number[], size: number, hinted: boolean, retractable: boolean) {
  const h = await Harness.create(stores);
  const fields = fieldsOf(calls);
  const op = new GroupAggregateOperator({ input: IN, groupBy: [card], aggregates: calls, fields, retractable, udfs: () => undefined });
  await h.open(op);
  for (let from = 0; from < rows.length; from += size) {
    const m = data(IN, rows.slice(from, from + size) as unknown as Record<string, unknown>[], kinds.slice(from, from + size));
    await op.process(hinted && from + size < rows.length ? more(m) : m, 0);
  }
  await op.process({ kind: 'end' }, 0);
  return { changes: h.rows(fields, true), letters: h.letters.map((l) => l.reason), table: folded(h.rows(fields, true)) };
}

/** The table a changelog leaves, keyed by its first column, rows sorted by key. */
function folded(changes: readonly unknown[][]): unknown[][] {
  const table = new Map<unknown, unknown[]>();
  for (const [op, key, ...rest] of changes) {
    if (op === '-U' || op === '-D') table.delete(key);
    else table.set(key, [key, ...rest]);
  }
  return [...table.values()].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

/** Rows over `keys` cards (NULL among them) with NULL and fractional amounts; every fifth row retracts the row four before it. */
function changelog(count: number, keys: number, value: (i: number) => number | null): { rows: Row[]; kinds: number[] } {
  const rows: Row[] = [];
  const kinds: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 5 === 4) {
      rows.push(rows[i - 4]!);
      kinds.push(D);
    } else {
      rows.push({ card: i % 9 === 0 ? null : `c${(i * 13) % keys}`, amount: value(i), units: null, n: i % 4 === 0 ? null : i });
      kinds.push(I);
    }
  }
  return { rows, kinds };
}

const withoutLast = (rows: readonly unknown[][]) => rows.map((r) => r.slice(0, -1));

describe('ColumnAccumulators', () => {
  it('holds COUNT, SUM/AVG over DOUBLE/FLOAT and append-only MIN/MAX over numbers in columns, and nothing else', () => {
    expect(ColumnAccumulators.of(APPEND_ONLY, false)).toBeDefined();
    expect(ColumnAccumulators.of(COUNTS, true)).toBeDefined();
    expect(ColumnAccumulators.of([call('sum', col(1, 'f', T.FLOAT))], false)).toBeDefined();
    expect(ColumnAccumulators.of([call('sum', col(1, 'f', T.FLOAT))], true)).toBeUndefined();
    expect(ColumnAccumulators.of(COLUMNED, true)).toBeUndefined();
    for (const other of [call('sum', units), call('sum', n), call('avg', units), call('max', amount), DISTINCT, call('min', col(0, 'card', T.STRING))]) {
      expect(ColumnAccumulators.of([...COUNTS, other], true)).toBeUndefined();
    }
    expect(ColumnAccumulators.of([call('max', card)], false)).toBeUndefined();
  });

  it('writes a group state as encodeValue writes { g, c, a: save(s) }, byte for byte', () => {
    const amounts = [1, -0, 0.5, NaN, Infinity, -Infinity, null, 2 ** 40, -3, 1e300, 5e-324, 2 ** 31, -(2 ** 31)];
    const group = [['k1'], [null], [''], ['é日本😀'], ['x'.repeat(300)], [12n], [3, 'x', true, false], [-0, 2.5], [Buffer.from([1, 2])], [[1, [2, 'y']]], [{ a: 1, b: [null] }]];
    for (const [calls, retractable] of [[APPEND_ONLY, false], [COUNTS, true]] as const) {
      const c = ColumnAccumulators.of(calls, retractable)!;
      // Slot s gets the rows of amounts[0..s]; in the retractable case every other slot has them all retracted again...
      // ...and one more slot has only NULL amounts (MIN/MAX over no value).
      const slots = amounts.length + 1;
      for (let s = 0; s < slots; s++) c.loadEmpty();
      const rowSlots: number[] = [slots - 1, slots - 1];
      const values: (number | null)[] = [null, null];
      const signs: number[] = [1, 1];
      for (let s = 0; s < slots - 1; s++) {
        for (let i = 0; i <= s; i++) {
          rowSlots.push(s);
          values.push(amounts[i]!);
          signs.push(1);
        }
        if (retractable && s % 2 === 1) {
          for (let i = 0; i <= s; i++) {
            rowSlots.push(s);
            values.push(amounts[i]!);
            signs.push(-1);
          }
        }
      }
      const args = calls.map((k) => (k.args.length === 0 ? [] : [k.args[0] === n ? values.map((v) => (v === null || !Number.isInteger(v) || Math.abs(v) > 2 ** 31 ? null : v)) : values]));
      c.add(args, Int32Array.from(rowSlots), Int8Array.from(signs), rowSlots.length);
      for (let s = 0; s < slots; s++) {
        for (const g of group) {
          const expected = encodeValue({ g, c: c.rowCount(s), a: c.save(s) });
          expect(c.groupBytes(g, s)?.toString('hex'), `slot ${s}, group ${String(g)}`).toBe(expected.toString('hex'));
        }
      }
      // A group value the compact format does not hold: the caller encodes the state itself.
      expect(c.groupBytes([new Date(0)], 0)).toBeUndefined();

      // loadBytes reads back what groupBytes wrote: the group values, the row count, the saved state.
      const back = ColumnAccumulators.of(calls, retractable)!;
      for (let s = 0; s < slots; s++) {
        const g = group[s % group.length]!;
        expect(back.loadBytes(c.groupBytes(g, s)!)).toEqual(g);
        expect([back.rowCount(s), back.save(s)]).toEqual([c.rowCount(s), c.save(s)]);
        for (let k = 0; k < calls.length; k++) expect(back.result(s, k, false)).toEqual(c.result(s, k, false));
      }
      // Bytes of another shape load nothing (the caller decodes them and loads that).
      const other = [
        encodeValue({ g: ['a'], c: 1, a: c.save(0).slice(1) }),
        encodeValue({ g: ['a'], c: 1n, a: c.save(0) }),
        encodeValue({ c: 1, g: ['a'], a: c.save(0) }),
        encodeValue({ g: ['a'], c: 1, a: c.save(0), x: 1 }),
        // (COUNT states are numbers: no array to lengthen.)
        ...(c.save(0).some(Array.isArray) ? [encodeValue({ g: ['a'], c: 1, a: c.save(0).map((v) => (Array.isArray(v) ? [...v, 5n] : v)) })] : []),
        encodeValue({ g: ['a'], c: 1, a: c.save(0).map((v) => (typeof v === 'number' ? String(v) : v)) }),
        Buffer.concat([c.groupBytes(['a'], 0)!, Buffer.from([0])]),
        c.groupBytes(['a'], 0)!.subarray(0, 20),
        Buffer.from([0xff, 0x0f, 0x6f]),
        Buffer.alloc(0),
      ];
      for (const bytes of other) expect(back.loadBytes(bytes), bytes.toString('hex')).toBeUndefined();
      back.loadEmpty();
      expect(back.rowCount(slots)).toBe(0);
    }
  });
});

describe('GROUP BY with its state in columns', () => {
  it('gives the batch answer for every split of a changelog with NULL keys, NULL values and retractions', async () => {
    // Quarters add exactly in any order, so the answer can be computed independently.
    const { rows, kinds } = changelog(400, 101, (i) => (i % 7 === 3 ? null : ((i * 37) % 23) / 4 - 2));
    const groups = new Map<string | null, (number | null)[]>();
    rows.forEach((row, i) => {
      const list = groups.get(row.card) ?? [];
      if (kinds[i] === D) list.splice(list.indexOf(row.amount), 1);
      else list.push(row.amount);
      groups.set(row.card, list);
    });
    const expected = [...groups]
      .filter(([, list]) => list.length > 0)
      .map(([key, list]) => {
        const xs = list.filter((x): x is number => x !== null);
        const sum = xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0);
        return [key, BigInt(list.length), BigInt(xs.length), sum, sum === null ? null : sum / xs.length];
      })
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(expected.some((r) => r[3] === null)).toBe(true);
    for (const size of [1, 7, 64, 400]) {
      for (const hinted of [false, true]) {
        const got = await run(COLUMNED, rows, kinds, size, hinted, true);
        expect(got.letters).toEqual([]);
        expect(got.table).toEqual(expected);
      }
    }
  });

  it('adds doubles row by row in input order, as the accumulators do, however the input is split', async () => {
    const { rows, kinds } = changelog(300, 11, (i) => (i % 11 === 5 ? null : i / 10 + 0.1));
    const reference = await run([...COLUMNED, DISTINCT], rows, kinds, rows.length, false, true);
    for (const size of [1, 3, 64, 300]) {
      for (const hinted of [false, true]) {
        const got = await run(COLUMNED, rows, kinds, size, hinted, true);
        expect(got.table).toEqual(withoutLast(reference.table));
        if (hinted || size === rows.length) expect(got.changes).toEqual(withoutLast(reference.changes));
      }
    }
  });

  it('keeps append-only MIN/MAX as the accumulators do: NaN above every number, -0, infinities, NULLs, refused retractions', async () => {
    const values = [3, -0, 0, Number.NaN, -Infinity, null, Infinity, 2.5, null, -7];
    const rows: Row[] = values.map((v, i) => ({ card: i % 3 === 0 ? null : `c${i % 2}`, amount: v, n: i % 4 === 1 ? null : i * 3 - 10 }));
    const kinds: number[] = rows.map(() => I);
    // A retraction of a non-NULL value is refused; of a row whose MIN/MAX arguments are NULL it applies.
    rows.push({ card: 'c1', amount: 2.5, n: 4 }, { card: 'c0', amount: null, n: null });
    kinds.push(D, D);
    for (const size of [1, 4, rows.length]) {
      const reference = await run([...APPEND_ONLY, DISTINCT], rows, kinds, size, false, false);
      const got = await run(APPEND_ONLY, rows, kinds, size, false, false);
      expect(got.letters).toEqual(['MIN over an append-only input cannot retract a row']);
      expect(got.letters).toEqual(reference.letters);
      expect(got.changes).toEqual(withoutLast(reference.changes));
    }
  });

  it('continues after a restart from the groups written at a barrier', async () => {
    const h = await Harness.create(stores);
    const fields = fieldsOf(APPEND_ONLY);
    const open = async (harness: Harness) => {
      const op = new GroupAggregateOperator({ input: IN, groupBy: [card], aggregates: APPEND_ONLY, fields, retractable: false, udfs: () => undefined });
      await harness.open(op);
      return op;
    };
    const op = await open(h);
    await op.process(more(data(IN, [{ card: 'c1', amount: 1.5, n: 4 }, { card: 'c2', amount: null, n: 1 }])), 0);
    await op.process(data(IN, [{ card: 'c1', amount: -2, n: 9 }]), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await h.commit();
    const next = h.restart();
    const op2 = await open(next);
    await op2.process(data(IN, [{ card: 'c2', amount: 4, n: null }, { card: 'c1', amount: 0.25, n: 2 }]), 0);
    expect(next.rows(fields, true)).toEqual([
      ['-U', 'c2', 1n, 0n, null, null, null, null, 1],
      ['+U', 'c2', 2n, 1n, 4, 4, 4, 4, 1],
      ['-U', 'c1', 2n, 2n, -0.5, -0.25, -2, 1.5, 9],
      ['+U', 'c1', 3n, 3n, -0.25, -0.25 / 3, -2, 1.5, 9],
    ]);
  });

  it('numbers STRING keys by their bytes as the accumulator path numbers them by text: empty, NULL, non-ASCII, reserved characters, many keys', async () => {
    const odd = ['', 'ä', 'a', '日本', 'a\u0000b', 'a\u0001', '\u0002', 'ab', 'ba', '😀'];
    const rows: Row[] = [];
    for (let i = 0; i < 2000; i++) rows.push({ card: i % 11 === 0 ? null : i % 3 === 0 ? odd[i % odd.length]! : `k${(i * 7919) % 700}`, amount: i % 13 === 0 ? null : i / 8 });
    const kinds: number[] = rows.map(() => I);
    const withCard = [...COLUMNED, call('count', card)];
    for (const [size, hinted] of [[2000, false], [100, true], [7, true], [64, false]] as const) {
      const reference = await run([...withCard, DISTINCT], rows, kinds, size, hinted, true);
      const got = await run(withCard, rows, kinds, size, hinted, true);
      expect(got.changes).toEqual(withoutLast(reference.changes));
    }
    const table = (await run(withCard, rows, kinds, 2000, false, true)).table;
    expect(table.length).toBe(new Set(rows.map((r) => r.card)).size);
    expect(table.length).toBeGreaterThan(600);
    expect(table.filter((r) => odd.includes(r[0] as string)).length).toBe(odd.length);
  });

  it('gives the accumulators\' changelog across mini-batches, barriers and restarts, with groups deleted and coming back', async () => {
    // With 150 keys every row of a fifth of them is retracted: they are deleted and come back.
    const { rows, kinds } = changelog(900, 150, (i) => (i % 11 === 5 ? null : i / 10 + 0.1));
    /** Messages of 1 to 6 rows, a third of them hinted, a barrier after every seventh and a restart after every third barrier. */
    const replay = async (calls: readonly AggregateCall[], global = false) => {
      const fields = global ? fieldsOf(calls).slice(1) : fieldsOf(calls);
      const open = async (harness: Harness) => {
        const op = new GroupAggregateOperator({ input: IN, groupBy: global ? [] : [card], aggregates: calls, fields, retractable: true, udfs: () => undefined });
        await harness.open(op);
        return op;
      };
      let h = await Harness.create(stores);
      let op = await open(h);
      const changes: unknown[][] = [];
      const sizes: number[] = [];
      for (let from = 0, m = 1; from < rows.length; m++) {
        const size = 1 + ((m * 5) % 6);
        const msg = data(IN, rows.slice(from, from + size) as unknown as Record<string, unknown>[], kinds.slice(from, from + size));
        await op.process(m % 3 === 0 ? more(msg) : msg, 0);
        from += size;
        if (m % 7 !== 0) continue;
        await op.process({ kind: 'barrier', epoch: m }, 0);
        await h.commit();
        sizes.push(op.size);
        if (m % 21 !== 0) continue;
        changes.push(...h.rows(fields, true));
        h = h.restart();
        op = await open(h);
      }
      await op.process({ kind: 'end' }, 0);
      changes.push(...h.rows(fields, true));
      return { changes, letters: h.letters.map((l) => l.reason), sizes };
    };
    const reference = await replay([...COLUMNED, DISTINCT]);
    const got = await replay(COLUMNED);
    expect(got.letters).toEqual([]);
    expect(got.sizes).toEqual(reference.sizes);
    expect(got.changes).toEqual(withoutLast(reference.changes));
    const deleted = new Set<unknown>();
    const back = new Set<unknown>();
    for (const [op, key] of got.changes) {
      if (op === '-D') deleted.add(key);
      else if (op === '+I' && deleted.has(key)) back.add(key);
    }
    expect(back.size).toBeGreaterThan(10);
    const total = await replay([...COLUMNED, DISTINCT], true);
    expect((await replay(COLUMNED, true)).changes).toEqual(withoutLast(total.changes));
  });

  it('reads a key\'s group once per checkpoint interval, then once only while groups come back; a restart loads it from its stored bytes', async () => {
    const fields = fieldsOf(COLUMNED);
    /** The operator on harness `h`, with the keys of each read of its groups in `reads`. */
    const opened = async (h: Harness, reads: string[][]) => {
      const table = h.ctx().state.table('groups');
      const getMany = table.getManyEncoded.bind(table);
      vi.spyOn(table, 'getManyEncoded').mockImplementation(async (keys, cache) => {
        reads.push([...keys]);
        return getMany(keys, cache);
      });
      vi.spyOn(table, 'getMany').mockImplementation(() => {
        throw new Error('groups read decoded');
      });
      const op = new GroupAggregateOperator({ input: IN, groupBy: [card], aggregates: COLUMNED, fields, retractable: false, udfs: () => undefined });
      await h.open(op);
      return op;
    };
    const h = await Harness.create(stores);
    const reads: string[][] = [];
    const op = await opened(h, reads);
    const loads = vi.spyOn(ColumnAccumulators.prototype, 'load');
    const fromBytes = vi.spyOn(ColumnAccumulators.prototype, 'loadBytes');
    const empties = vi.spyOn(ColumnAccumulators.prototype, 'loadEmpty');
    const batch = (...cards: string[]) => data(IN, cards.map((c) => ({ card: c, amount: 1 })));
    await op.process(batch('a', 'b'), 0);
    await op.process(batch('a', 'b', 'c'), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await h.commit();
    // The first interval found no group again: its slots are not kept.
    await op.process(batch('c', 'a'), 0);
    await op.process(batch('a'), 0);
    await op.process({ kind: 'barrier', epoch: 2 }, 0);
    await h.commit();
    // The second found its groups again: kept, so the third reads nothing.
    await op.process(batch('a', 'c'), 0);
    await op.process({ kind: 'barrier', epoch: 3 }, 0);
    await h.commit();
    expect(reads.map((keys) => keys.length)).toEqual([2, 1, 2]);
    expect([empties.mock.calls.length, loads.mock.calls.length, fromBytes.mock.calls.length]).toEqual([3, 0, 2]);
    expect(h.rows(fields, true).filter((r) => r[1] === 'a')).toEqual([
      ['+I', 'a', 1n, 1n, 1, 1],
      ['-U', 'a', 1n, 1n, 1, 1],
      ['+U', 'a', 2n, 2n, 2, 1],
      ['-U', 'a', 2n, 2n, 2, 1],
      ['+U', 'a', 3n, 3n, 3, 1],
      ['-U', 'a', 3n, 3n, 3, 1],
      ['+U', 'a', 4n, 4n, 4, 1],
      ['-U', 'a', 4n, 4n, 4, 1],
      ['+U', 'a', 5n, 5n, 5, 1],
    ]);
    // After a restart the groups are read back, straight from their stored bytes.
    const again = h.restart();
    const reread: string[][] = [];
    const next = await opened(again, reread);
    await next.process(batch('c', 'a', 'd'), 0);
    expect(reread).toEqual([[keyOf(['c']), keyOf(['a']), keyOf(['d'])]]);
    expect([empties.mock.calls.length, fromBytes.mock.calls.length]).toEqual([4, 4]);
    expect(again.rows(fields, true).filter((r) => r[1] === 'a')).toEqual([
      ['-U', 'a', 5n, 5n, 5, 1],
      ['+U', 'a', 6n, 6n, 6, 1],
    ]);
  });

  it('resets a sum whose rows were all retracted to no rows, not to a rounding residue', async () => {
    const rows = [0.1, 0.2, 0.1, 0.2, 1e-17].map((amount) => ({ card: 'a', amount }));
    for (const size of [1, rows.length]) {
      const got = await run(COLUMNED, rows, [I, I, UB, D, UA], size, false, true);
      expect(got.letters).toEqual([]);
      expect(got.table).toEqual([['a', 1n, 1n, 1e-17, 1e-17]]);
    }
  });
});

describe('GROUP BY SUM over integers (accumulators)', () => {
  const SUMS = [call('count'), call('sum', units), call('sum', n)];
  const fields = [f('card', T.STRING), f('count_star', T.BIGINT), f('sum_units', T.BIGINT), f('sum_n', T.BIGINT)];

  it('sums BIGINT exactly beyond 2^53 and refuses the row that would leave BIGINT, changing nothing for it', async () => {
    const h = await Harness.create(stores);
    const op = new GroupAggregateOperator({ input: IN, groupBy: [card], aggregates: SUMS, fields, retractable: true, udfs: () => undefined });
    await h.open(op);
    const big = 2n ** 53n;
    await op.process(
      data(IN, [
        { card: 'c1', amount: null, units: big, n: 2 ** 31 - 1 },
        { card: 'c1', amount: null, units: 1n, n: 2 ** 31 - 1 },
        { card: 'c1', amount: null, units: null, n: null },
        { card: 'c2', amount: null, units: 2n ** 63n - 2n, n: 1 },
        { card: 'c2', amount: null, units: 2n, n: 1 },
        { card: 'c2', amount: null, units: -5n, n: -1 },
      ]),
      0,
    );
    expect(h.letters.map((l) => l.reason)).toEqual([expect.stringMatching(/^SUM overflow: the sum 9223372036854775808 is outside the BIGINT range/)]);
    expect(h.rows(fields, true)).toEqual([
      ['+I', 'c1', 3n, big + 1n, 2n * BigInt(2 ** 31 - 1)],
      ['+I', 'c2', 2n, 2n ** 63n - 7n, 0n],
    ]);
  });
});

describe('Utf8Slots', () => {
  /** FNV-1a of an ASCII string's bytes, as Utf8Slots hashes. */
  const fnv = (s: string): number => {
    let h = 0x811c9dc5 | 0;
    for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193);
    return h;
  };

  it('tells apart strings of the same length and hash, and keeps numbering them after a clear', () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const s = `x${String(i).padStart(7, '0')}`;
      const other = seen.get(fnv(s));
      if (other !== undefined) pair = [other, s];
      else seen.set(fnv(s), s);
    }
    const [a, b] = pair;
    expect(fnv(a)).toBe(fnv(b));
    const slots = new Utf8Slots();
    const texts: string[] = [];
    const number = (rows: (string | null)[]) => {
      const data = batchFromRows([f('s', T.STRING)], rows.map((s) => ({ s }))).data.children[0]!;
      const out = new Int32Array(rows.length);
      slots.slotRows(data, out, 0, () => -1, (text) => texts.push(text) - 1);
      return [...out];
    };
    expect(number([a, b, a, null, '', b, ''])).toEqual([0, 1, 0, -1, 2, 1, 2]);
    expect(texts).toEqual([a, b, '']);
    slots.clear();
    expect(number([b, a])).toEqual([3, 4]);
    // The search for a colliding pair takes some 80,000 strings.
  }, 30_000);

  it('numbers many strings over batches as a map of their texts does, through growth and clears', () => {
    const slots = new Utf8Slots();
    const rng = new Rng(5);
    const pool = Array.from({ length: 40_000 }, (_, i) => (i % 97 === 0 ? `long-${'é'.repeat(40)}-${i}` : i % 31 === 0 ? `日本${i}` : `k${i}`));
    for (let round = 0; round < 2; round++) {
      const model = new Map<string, number>();
      const texts: string[] = [];
      for (let b = 0; b < 20; b++) {
        const rows = Array.from({ length: 2048 }, () => (rng.nextInt(50) === 0 ? null : pool[rng.nextInt(b < 10 ? 5_000 : pool.length)]!));
        const data = batchFromRows([f('s', T.STRING)], rows.map((x) => ({ s: x }))).data.children[0]!;
        const out = new Int32Array(rows.length);
        slots.slotRows(data, out, 0, () => -1, (text) => texts.push(text) - 1);
        const expected = rows.map((x) => {
          if (x === null) return -1;
          let slot = model.get(x);
          if (slot === undefined) model.set(x, (slot = model.size));
          return slot;
        });
        expect([...out]).toEqual(expected);
      }
      expect(texts).toEqual([...model.keys()]);
      slots.clear();
    }
  });

  it('keeps the strings retain maps to a slot, renumbered, and numbers the others again as new', () => {
    const slots = new Utf8Slots();
    const rng = new Rng(11);
    const pool = Array.from({ length: 20_000 }, (_, i) => (i % 53 === 0 ? `long-${'ü'.repeat(30)}-${i}` : `k${i}`));
    // The model: each text's slot, and the next slot a new text gets.
    let model = new Map<string, number>();
    let next = 0;
    const column = (rows: (string | null)[]) => batchFromRows([f('s', T.STRING)], rows.map((s) => ({ s }))).data.children[0]!;
    // Texts numbered although the model had them (each must be new when numbered).
    const again: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (let b = 0; b < 6; b++) {
        const rows = Array.from({ length: 2048 }, () => (rng.nextInt(40) === 0 ? null : pool[rng.nextInt(pool.length)]!));
        const out = new Int32Array(rows.length);
        slots.slotRows(column(rows), out, 0, () => -1, (text) => {
          if (model.has(text)) again.push(text);
          model.set(text, next);
          return next++;
        });
        expect(again).toEqual([]);
        expect(out.every((slot, i) => slot === (rows[i] === null ? -1 : model.get(rows[i]!)))).toBe(true);
      }
      // Keep about a third of the slots, numbered from 0 in a shuffled order.
      const to = new Int32Array(next).fill(-1);
      const kept = [...model].filter(() => rng.nextInt(3) === 0);
      const order = kept.map((_, i) => i).sort(() => rng.nextInt(3) - 1);
      const after = new Map<string, number>();
      kept.forEach(([text, slot], i) => {
        to[slot] = order[i]!;
        after.set(text, order[i]!);
      });
      slots.retain(to);
      model = after;
      next = kept.length;
    }
  });
});
