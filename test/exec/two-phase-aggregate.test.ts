import { afterEach, describe, expect, it } from 'vitest';
import { T, type Field } from '../../src/common/types.js';
import { RowKind, type Message, type Operator } from '../../src/exec/message.js';
import { GroupAggregateOperator } from '../../src/exec/operators/group-aggregate.js';
import { LocalAggregateOperator } from '../../src/exec/operators/local-aggregate.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import type { AggregateCall } from '../../src/planner/logical.js';
import type { GroupAggregateExec, LocalAggregateExec, SourceExec } from '../../src/planner/physical.js';
import { twoPhaseAggregate } from '../../src/planner/rules/two-phase-aggregate.js';
import { TempStores } from '../state/helpers.js';
import { Harness, data, f } from './harness.js';

const IN = [f('card', T.STRING), f('amount', T.DOUBLE)];
const card: BoundExpr = { kind: 'Column', index: 0, name: 'card', type: T.STRING };
const amount: BoundExpr = { kind: 'Column', index: 1, name: 'amount', type: T.DOUBLE };
const COUNTS: AggregateCall[] = [
  { fn: 'count', args: [], name: 'count_0' },
  { fn: 'count', args: [amount], name: 'count_1' },
];
const COUNTS_OUT = [f('card', T.STRING), f('count_0', T.BIGINT), f('count_1', T.BIGINT)];
const ALL: AggregateCall[] = [
  { fn: 'count', args: [], name: 'count_0' },
  { fn: 'sum', args: [amount], name: 'sum_1' },
  { fn: 'max', args: [amount], name: 'max_2' },
  { fn: 'count_distinct', args: [amount], name: 'count_distinct_3' },
  { fn: 'avg', args: [amount], name: 'avg_4' },
];
const ALL_OUT = [f('card', T.STRING), f('count_0', T.BIGINT), f('sum_1', T.DOUBLE), f('max_2', T.DOUBLE), f('count_distinct_3', T.BIGINT), f('avg_4', T.DOUBLE)];
const { INSERT: I, UPDATE_BEFORE: UB, UPDATE_AFTER: UA, DELETE: D } = RowKind;

const stores = new TempStores();
afterEach(() => stores.dispose());

const source: SourceExec = { kind: 'SourceExec', relation: 's', relationKind: 'stream', connector: 'log', options: {}, columns: [0, 1], fields: IN };

function twoPhase(aggs: readonly AggregateCall[], out: readonly Field[], options: SourceExec['options'] = {}): GroupAggregateExec {
  const single: GroupAggregateExec = { kind: 'GroupAggregateExec', input: { ...source, options: { 'aggregate.two_phase': true, ...options } }, groupBy: [card], aggregates: aggs, fields: out };
  const planned = twoPhaseAggregate(single);
  if (planned.kind !== 'GroupAggregateExec' || planned.input.kind !== 'LocalAggregateExec') throw new Error('not rewritten');
  return planned;
}

/** Local then final operators wired together; the final's output goes to `h`. */
async function openTwoPhase(h: Harness, plan: GroupAggregateExec, retractable: boolean, local: LocalAggregateExec): Promise<Operator> {
  const final = new GroupAggregateOperator({ input: local.fields, groupBy: plan.groupBy, aggregates: plan.aggregates, fields: plan.fields, retractable, udfs: () => undefined, phase: 'final' });
  await h.open(final);
  const op = new LocalAggregateOperator({ ...local, input: IN, retractable, udfs: () => undefined });
  await op.open({ ...h.ctx(), emit: (m) => final.process(m, 0) });
  return op;
}

async function runSingle(msgs: readonly Message[], aggs: readonly AggregateCall[], out: readonly Field[], retractable: boolean): Promise<Harness> {
  const h = await Harness.create(stores);
  const op = await h.open(new GroupAggregateOperator({ input: IN, groupBy: [card], aggregates: aggs, fields: out, retractable, udfs: () => undefined }));
  for (const m of msgs) await op.process(m, 0);
  return h;
}

async function runTwoPhase(msgs: readonly Message[], plan: GroupAggregateExec, retractable: boolean): Promise<Harness> {
  const h = await Harness.create(stores);
  const op = await openTwoPhase(h, plan, retractable, plan.input as LocalAggregateExec);
  for (const m of msgs) await op.process(m, 0);
  return h;
}

/** Deterministic skewed batches: about 70% of rows on `hot`; with `retract`, later batches retract and update earlier rows. */
function skewed(batches: number, size: number, retract: boolean): Message[] {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const live: { card: string; amount: number | null }[] = [];
  const out: Message[] = [];
  for (let b = 0; b < batches; b++) {
    const rows: { card: string; amount: number | null }[] = [];
    const kinds: number[] = [];
    for (let i = 0; i < size; i++) {
      if (retract && live.length > 0 && rnd() < 0.3) {
        const old = live.splice(Math.floor(rnd() * live.length), 1)[0]!;
        if (rnd() < 0.5) {
          rows.push(old);
          kinds.push(D);
        } else {
          const now = { card: old.card, amount: Math.floor(rnd() * 50) };
          rows.push(old, now);
          kinds.push(UB, UA);
          live.push(now);
        }
        continue;
      }
      const row = { card: rnd() < 0.7 ? 'hot' : `k${Math.floor(rnd() * 8)}`, amount: rnd() < 0.1 ? null : Math.floor(rnd() * 100) };
      rows.push(row);
      kinds.push(I);
      live.push(row);
    }
    out.push(data(IN, rows, kinds));
  }
  return out;
}

describe('two-phase GROUP BY (LocalAggregateExec + final GroupAggregateExec)', () => {
  it('gives the same changes as single phase on a skewed input with inserts and retractions', async () => {
    const msgs = skewed(12, 40, true);
    const single = await runSingle(msgs, COUNTS, COUNTS_OUT, true);
    const two = await runTwoPhase(msgs, twoPhase(COUNTS, COUNTS_OUT), true);
    expect(two.rows(COUNTS_OUT, true)).toEqual(single.rows(COUNTS_OUT, true));
    expect(two.letters).toEqual([]);
  });

  it('gives the same changes as single phase for every aggregate on an append-only skewed input', async () => {
    const msgs = skewed(10, 50, false);
    const single = await runSingle(msgs, ALL, ALL_OUT, false);
    const two = await runTwoPhase(msgs, twoPhase(ALL, ALL_OUT), false);
    expect(two.rows(ALL_OUT, true)).toEqual(single.rows(ALL_OUT, true));
  });

  it('gives the same final rows with salting on and off', async () => {
    const msgs = skewed(10, 40, true);
    const unsalted = twoPhase(COUNTS, COUNTS_OUT, { 'skew.threshold': 1 });
    const hinted = twoPhase(COUNTS, COUNTS_OUT, { 'aggregate.salt': 4 });
    const auto = twoPhase(COUNTS, COUNTS_OUT);
    expect((unsalted.input as LocalAggregateExec).salt).toBe(1);
    expect((hinted.input as LocalAggregateExec).salt).toBe(4);
    const results = await Promise.all([unsalted, hinted, auto].map((p) => runTwoPhase(msgs, p, true)));
    const [a, b, c] = results.map((h) => h.rows(COUNTS_OUT, true));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('spreads a hot key over several partials and merges them back', async () => {
    const plan = twoPhase(COUNTS, COUNTS_OUT, { 'aggregate.salt': 4 });
    const local = plan.input as LocalAggregateExec;
    const h = await Harness.create(stores);
    const op = await h.open(new LocalAggregateOperator({ ...local, input: IN, retractable: true, udfs: () => undefined }));
    await op.process(data(IN, Array.from({ length: 10 }, () => ({ card: 'hot', amount: 1 }))), 0);
    const partials = h.rows(local.fields);
    expect(partials.map((r) => [r[0], r[1], r[2]])).toEqual([
      ['hot', 0, 3],
      ['hot', 1, 3],
      ['hot', 2, 2],
      ['hot', 3, 2],
    ]);
    const final = await runTwoPhase([data(IN, Array.from({ length: 10 }, () => ({ card: 'hot', amount: 1 })))], plan, true);
    expect(final.rows(COUNTS_OUT, true)).toEqual([['+I', 'hot', 10n, 10n]]);
  });

  it('continues exactly after a restore from the state written at a barrier mid-stream', async () => {
    const msgs = skewed(8, 30, true);
    const plan = twoPhase(COUNTS, COUNTS_OUT, { 'aggregate.salt': 3 });
    const single = await runSingle(msgs, COUNTS, COUNTS_OUT, true);
    const h = await Harness.create(stores);
    let op = await openTwoPhase(h, plan, true, plan.input as LocalAggregateExec);
    for (const m of msgs.slice(0, 4)) await op.process(m, 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await h.commit();
    await op.process(msgs[4]!, 0);
    const h2 = h.restart();
    op = await openTwoPhase(h2, plan, true, plan.input as LocalAggregateExec);
    for (const m of msgs.slice(4)) await op.process(m, 0);
    expect(h.control()).toEqual([['barrier', 1]]);
    const before = h.rows(COUNTS_OUT, true).slice(0, single.rows(COUNTS_OUT, true).length - h2.rows(COUNTS_OUT, true).length);
    expect([...before, ...h2.rows(COUNTS_OUT, true)]).toEqual(single.rows(COUNTS_OUT, true));
  });

  it('passes empty input, watermarks, barriers and end through', async () => {
    const plan = twoPhase(COUNTS, COUNTS_OUT);
    const h = await runTwoPhase(
      [data(IN, []), { kind: 'watermark', time: 7 }, { kind: 'barrier', epoch: 3 }, { kind: 'end' }],
      plan,
      true,
    );
    expect(h.rows(COUNTS_OUT)).toEqual([]);
    expect(h.control()).toEqual([['watermark', 7], ['barrier', 3], ['end']]);
  });

  it('stays single phase unless the source stream asks for two phases', () => {
    const plain: GroupAggregateExec = { kind: 'GroupAggregateExec', input: source, groupBy: [card], aggregates: [{ fn: 'count', args: [], name: 'count_0' }], fields: [f('card', T.STRING), f('count_0', T.BIGINT)] };
    expect(twoPhaseAggregate(plain)).toEqual(plain);
  });

  it('keeps single phase where partials could not merge exactly', () => {
    const maxOnTable: GroupAggregateExec = {
      kind: 'GroupAggregateExec',
      input: { ...source, relationKind: 'view', changes: { key: [0] }, options: { 'aggregate.two_phase': true } },
      groupBy: [card],
      aggregates: [{ fn: 'max', args: [amount], name: 'max_0' }],
      fields: [f('card', T.STRING), f('max_0', T.DOUBLE)],
    };
    expect(twoPhaseAggregate(maxOnTable)).toEqual(maxOnTable);
  });
});
