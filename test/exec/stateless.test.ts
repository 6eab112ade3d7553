import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import type { UdfResolver } from '../../src/exec/compile-expr.js';
import { RowKind } from '../../src/exec/message.js';
import { FilterExecOperator, ProjectExecOperator } from '../../src/exec/operators/stateless.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import { TempStores } from '../state/helpers.js';
import { Harness, data, f } from './harness.js';

const { INSERT: I, UPDATE_BEFORE: UB, UPDATE_AFTER: UA, DELETE: D } = RowKind;
const IN = [f('g', T.STRING), f('t', T.INT)];
const g: BoundExpr = { kind: 'Column', index: 0, name: 'g', type: T.STRING };
const t: BoundExpr = { kind: 'Column', index: 1, name: 't', type: T.INT };
const lit = (value: number): BoundExpr => ({ kind: 'Literal', value, type: T.INT });
/** HAVING t < 10 */
const small: BoundExpr = { kind: 'Binary', op: '<', left: t, right: lit(10), type: T.BOOLEAN };
/** 100 / (t - 5): throws for t = 5 */
const divides: BoundExpr = { kind: 'Binary', op: '/', left: lit(100), right: { kind: 'Binary', op: '-', left: t, right: lit(5), type: T.INT }, type: T.DOUBLE };
const rows = (...r: [string, number][]) => r.map(([gv, tv]) => ({ g: gv, t: tv }));

/** A function the query calls per row; `huge` returns a value no BIGINT column can hold (it throws deep in the column builder). */
const udfs: UdfResolver = (name) =>
  name === 'huge'
    ? (args, n) => ({ values: Array.from({ length: n }, (_, i) => (Number(args[0]![i]) > 100 ? Infinity : Number(args[0]![i]))), errors: new Array<string | undefined>(n).fill(undefined) })
    : undefined;
const huge: BoundExpr = { kind: 'Udf', name: 'huge', args: [t], type: T.BIGINT };

const stores = new TempStores();
afterEach(() => stores.dispose());

async function filter(predicate = small) {
  const h = await Harness.create(stores);
  const op = await h.open(new FilterExecOperator({ input: IN, predicate, udfs: () => undefined }));
  return { h, op };
}

describe('FilterExecOperator with retraction pairs', () => {
  it('rewrites a pair whose halves disagree: kept/dropped -> -D, dropped/kept -> +I, both dropped -> nothing', async () => {
    const { h, op } = await filter();
    await op.process(data(IN, rows(['a', 5], ['a', 105], ['b', 50], ['b', 7], ['c', 1], ['c', 2], ['d', 40], ['d', 41]), [UB, UA, UB, UA, UB, UA, UB, UA]), 0);
    expect(h.rows(IN, true)).toEqual([
      ['-D', 'a', 5],
      ['+I', 'b', 7],
      ['-U', 'c', 1],
      ['+U', 'c', 2],
    ]);
  });

  it('passes inserts and deletes by the predicate and a lone half as -D or +I', async () => {
    const { h, op } = await filter();
    await op.process(data(IN, rows(['a', 1], ['b', 20], ['c', 3], ['d', 4], ['e', 5]), [I, I, D, UB, UA]), 0);
    await op.process(data(IN, rows(['f', 6]), [UB]), 0);
    await op.process(data(IN, rows(['f', 8]), [UA]), 0);
    expect(h.rows(IN, true)).toEqual([
      ['+I', 'a', 1],
      ['-D', 'c', 3],
      ['-U', 'd', 4],
      ['+U', 'e', 5],
      ['-D', 'f', 6],
      ['+I', 'f', 8],
    ]);
  });

  it('handles empty input and passes watermarks, barriers and end through in order', async () => {
    const { h, op } = await filter();
    await op.process(data(IN, []), 0);
    await op.process({ kind: 'watermark', time: 7 }, 0);
    await op.process(data(IN, rows(['a', 1])), 0);
    await op.process({ kind: 'barrier', epoch: 3 }, 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.rows(IN)).toEqual([['a', 1]]);
    expect(h.out.map((m) => m.kind)).toEqual(['watermark', 'data', 'barrier', 'end']);
  });

  it('sends a row whose predicate throws to dead letters; a pair with a failing half keeps the other half', async () => {
    const pred: BoundExpr = { kind: 'Binary', op: '>', left: divides, right: lit(0), type: T.BOOLEAN };
    const { h, op } = await filter(pred);
    await op.process(data(IN, rows(['a', 6], ['a', 5], ['b', 7], ['c', 5])), 0);
    await op.process(data(IN, rows(['d', 9], ['d', 5]), [UB, UA]), 0);
    expect(h.rows(IN, true)).toEqual([
      ['+I', 'a', 6],
      ['+I', 'b', 7],
      ['-D', 'd', 9],
    ]);
    expect(h.letters.map((l) => [l.operator, JSON.parse(l.row)])).toEqual([
      ['FilterExec', { g: 'a', t: 5 }],
      ['FilterExec', { g: 'c', t: 5 }],
      ['FilterExec', { g: 'd', t: 5 }],
    ]);
    expect(h.letters[0]!.reason).toMatch(/^WHERE .*zero/i);
  });
});

describe('ProjectExecOperator with retraction pairs', () => {
  const OUT = [f('g', T.STRING), f('x', T.BIGINT)];
  async function project(expr: BoundExpr) {
    const h = await Harness.create(stores);
    const op = await h.open(new ProjectExecOperator({ input: IN, exprs: [g, expr], fields: [g, expr].map((e, i) => f(OUT[i]!.name, e.type)), udfs }));
    return { h, op };
  }

  it('keeps pairs intact and in order', async () => {
    const { h, op } = await project(huge);
    await op.process(data(IN, rows(['a', 1], ['a', 2], ['b', 3], ['c', 4]), [UB, UA, I, D]), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['-U', 'a', 1n],
      ['+U', 'a', 2n],
      ['+I', 'b', 3n],
      ['-D', 'c', 4n],
    ]);
  });

  it('dead-letters a row whose value the column builder cannot hold and builds the rest', async () => {
    const { h, op } = await project(huge);
    await op.process(data(IN, rows(['a', 1], ['b', 500], ['c', 3])), 0);
    expect(h.rows(OUT)).toEqual([
      ['a', 1n],
      ['c', 3n],
    ]);
    expect(h.letters).toHaveLength(1);
    expect(JSON.parse(h.letters[0]!.row)).toEqual({ g: 'b', t: 500 });
    expect(h.letters[0]!.reason).toMatch(/^SELECT x := .*cannot store Infinity as BIGINT/);
  });

  it('a failure part-way through a pair rewrites it; the next batches go on', async () => {
    const { h, op } = await project(huge);
    await op.process(data(IN, rows(['a', 1], ['a', 900], ['b', 800], ['b', 2]), [UB, UA, UB, UA]), 0);
    await op.process(data(IN, rows(['c', 5], ['c', 6]), [UB, UA]), 0);
    expect(h.rows(OUT, true)).toEqual([
      ['-D', 'a', 1n],
      ['+I', 'b', 2n],
      ['-U', 'c', 5n],
      ['+U', 'c', 6n],
    ]);
    // 800 is taken back (-U): it failed, and was lettered, when it came.
    expect(h.letters.map((l) => JSON.parse(l.row).t)).toEqual([900]);
  });

  it('reports a row once when an expression throws, and passes empty input, watermarks and barriers', async () => {
    const { h, op } = await project(divides);
    await op.process(data(IN, []), 0);
    await op.process(data(IN, rows(['a', 5], ['b', 15])), 0);
    await op.process({ kind: 'watermark', time: 3 }, 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    expect(h.rows([OUT[0]!, f('x', T.DOUBLE)])).toEqual([['b', 10]]);
    expect(h.letters).toHaveLength(1);
    expect(h.control()).toEqual([
      ['watermark', 3],
      ['barrier', 1],
    ]);
  });
});

describe('the source hint `more` through stateless operators', () => {
  const more = <M extends { kind: string }>(m: M): M => ({ ...m, more: true });

  it('passes the hint with each batch and ends a hinted run with an empty batch when the last batch leaves no rows', async () => {
    const { h, op } = await filter();
    await op.process(more(data(IN, rows(['a', 1], ['b', 20]))), 0);
    await op.process(more(data(IN, rows(['c', 30]))), 0);
    await op.process(data(IN, rows(['d', 40])), 0);
    const sent = h.out.map((m) => (m.kind === 'data' ? { rows: m.batch.numRows, more: m.more === true } : m.kind));
    expect(sent).toEqual([
      { rows: 1, more: true },
      { rows: 0, more: false },
    ]);
  });

  it('sends nothing for a batch that leaves no rows when no hint is outstanding', async () => {
    const { h, op } = await filter();
    await op.process(data(IN, rows(['a', 50])), 0);
    await op.process(more(data(IN, rows(['a', 1]))), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await op.process(data(IN, rows(['a', 60])), 0);
    expect(h.out.map((m) => (m.kind === 'data' ? `data ${m.batch.numRows} ${m.more === true}` : m.kind))).toEqual(['data 1 true', 'barrier']);
  });

  it('a projection keeps the hint of its input', async () => {
    const h = await Harness.create(stores);
    const op = await h.open(new ProjectExecOperator({ input: IN, exprs: [t], fields: [f('t', T.INT)], udfs }));
    await op.process(more(data(IN, rows(['a', 1]))), 0);
    await op.process(data(IN, rows(['a', 2])), 0);
    expect(h.out.map((m) => (m.kind === 'data' ? m.more === true : m.kind))).toEqual([true, false]);
  });
});
