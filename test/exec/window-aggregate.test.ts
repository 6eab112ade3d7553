import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import type { BoundExpr } from '../../src/planner/bound-expr.js';
import type { AggregateCall } from '../../src/planner/logical.js';
import type { WindowSpec } from '../../src/planner/physical.js';
import { SessionWindowAggregateOperator } from '../../src/exec/operators/session-window-aggregate.js';
import { WindowAggregateOperator } from '../../src/exec/operators/window-aggregate.js';
import { TempStores } from '../state/helpers.js';
import { Harness, TS, data, f, t } from './harness.js';

const IN = [f('card', T.STRING), f('amount', T.DOUBLE), f('ts', TS)];
const col = (index: number, name: string, type = IN[index]?.type ?? TS): BoundExpr => ({ kind: 'Column', index, name, type });
const GROUP = [col(3, 'window_start', TS), col(4, 'window_end', TS), col(0, 'card')];
const amount = col(1, 'amount');
const AGGS: AggregateCall[] = [
  { fn: 'count', args: [], name: 'count_0' },
  { fn: 'sum', args: [amount], name: 'sum_1' },
];
const OUT = [f('window_start', TS), f('window_end', TS), f('card', T.STRING), f('count_0', T.BIGINT), f('sum_1', T.DOUBLE)];
const MIN = 60_000;
const tumble: WindowSpec = { fn: 'TUMBLE', timeColumn: 2, sizeMs: MIN, slideMs: MIN, gapMs: 0 };
const at = (s: number) => t('2024-01-01T00:00:00') + s * 1000;
const row = (card: string | null, amt: number | null, sec: number | null) => ({ card, amount: amt, ts: sec === null ? null : at(sec) });

const stores = new TempStores();
afterEach(() => stores.dispose());

async function setup(window = tumble, aggs = AGGS, group = GROUP, out = OUT) {
  const h = await Harness.create(stores);
  const spec = { input: IN, window, groupBy: group, aggregates: aggs, fields: out, udfs: () => undefined };
  const op = (window.fn === 'SESSION' ? new SessionWindowAggregateOperator(spec) : new WindowAggregateOperator(spec));
  await h.open(op);
  return { h, op };
}

describe('WindowAggregateOperator', () => {
  it('emits tumbling windows when the watermark passes their end, then forwards it', async () => {
    const { h, op } = await setup();
    await op.process(data(IN, [row('c1', 5, 10), row('c1', 7, 50), row('c2', 1, 65), row('c2', 3, 20)]), 0);
    expect(h.out).toEqual([]);
    await op.process({ kind: 'watermark', time: at(60) }, 0);
    expect(h.rows(OUT)).toEqual([
      [at(0), at(60), 'c1', 2n, 12],
      [at(0), at(60), 'c2', 1n, 3],
    ]);
    expect(h.control()).toEqual([['watermark', at(60)]]);
    expect(op.openWindows).toBe(1);
    h.clear();
    await op.process({ kind: 'end' }, 0);
    expect(h.rows(OUT)).toEqual([[at(60), at(120), 'c2', 1n, 1]]);
    expect(h.control()).toEqual([['end']]);
    expect(op.openWindows).toBe(0);
  });

  it('keys BIGINT groups exactly, beyond 2^53 and across batches decoded with and without NULLs, before and after a barrier', async () => {
    const BIN = [f('id', T.BIGINT), f('ts', TS)];
    const BOUT = [f('window_start', TS), f('window_end', TS), f('id', T.BIGINT), f('count_0', T.BIGINT)];
    const h = await Harness.create(stores);
    const id: BoundExpr = { kind: 'Column', index: 0, name: 'id', type: T.BIGINT };
    const ws: BoundExpr = { kind: 'Column', index: 2, name: 'window_start', type: TS };
    const we: BoundExpr = { kind: 'Column', index: 3, name: 'window_end', type: TS };
    const op = new WindowAggregateOperator({ input: BIN, window: { ...tumble, timeColumn: 1 }, groupBy: [ws, we, id], aggregates: [AGGS[0]!], fields: BOUT, udfs: () => undefined });
    await h.open(op);
    const big = 2n ** 53n;
    const ids = (xs: (bigint | null)[]) => data(BIN, xs.map((x, i) => ({ id: x, ts: at(i) })));
    await op.process(ids([big, big + 1n, -1n, 5n, big]), 0);
    await op.process(ids([big + 1n, 5n, null, -1n, -big]), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await h.commit();
    await op.process(ids([-big, big, null, -big - 1n]), 0);
    await op.process({ kind: 'end' }, 0);
    const counts = h.rows(BOUT).map((r) => [r[2], r[3]]);
    expect(new Map(counts as [unknown, unknown][])).toEqual(
      new Map<unknown, unknown>([
        [big, 3n],
        [big + 1n, 2n],
        [-1n, 2n],
        [5n, 2n],
        [null, 2n],
        [-big, 2n],
        [-big - 1n, 1n],
      ]),
    );
    expect(counts).toHaveLength(7);
  });

  it('passes empty input, watermarks and barriers through', async () => {
    const { h, op } = await setup();
    await op.process(data(IN, []), 0);
    await op.process({ kind: 'watermark', time: 5 }, 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.rows(OUT)).toEqual([]);
    expect(h.control()).toEqual([['watermark', 5], ['barrier', 1], ['end']]);
    expect(h.letters).toEqual([]);
  });

  it('sends NULL event times and late rows to dead letters, keeps rows whose window is still open', async () => {
    const { h, op } = await setup();
    await op.process({ kind: 'watermark', time: at(65) }, 0);
    await op.process(data(IN, [row('c1', 1, null), row('c1', 2, 1), row('c1', 4, 61)]), 0);
    expect(h.letters.map((l) => l.reason)).toEqual(['event time ts is NULL', 'late row: event time 2024-01-01 00:00:01.000 is behind the watermark 2024-01-01 00:01:05.000']);
    expect(JSON.parse(h.letters[1]!.row)).toEqual({ card: 'c1', amount: 2, ts: at(1) });
    expect(h.letters[0]!.operator).toBe('WindowAggregateExec');
    await op.process({ kind: 'end' }, 0);
    expect(h.rows(OUT)).toEqual([[at(60), at(120), 'c1', 1n, 4]]);
  });

  it('sends a row whose aggregate argument throws to dead letters and counts the others', async () => {
    const div: BoundExpr = { kind: 'Binary', op: '/', left: { kind: 'Literal', value: 100, type: T.DOUBLE }, right: amount, type: T.DOUBLE };
    const aggs: AggregateCall[] = [AGGS[0]!, { fn: 'sum', args: [div], name: 'sum_1' }];
    const { h, op } = await setup(tumble, aggs);
    await op.process(data(IN, [row('c1', 50, 1), row('c1', 0, 2), row('c1', 25, 3)]), 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.letters).toHaveLength(1);
    expect(h.letters[0]!.reason).toMatch(/^aggregate SUM\(100 \/ amount\): .*zero/i);
    expect(h.rows(OUT)).toEqual([[at(0), at(60), 'c1', 2n, 6]]);
  });

  it('assigns a row to every HOP window that contains it', async () => {
    const hop: WindowSpec = { fn: 'HOP', timeColumn: 2, sizeMs: MIN, slideMs: 30_000, gapMs: 0 };
    const { h, op } = await setup(hop);
    await op.process(data(IN, [row('c1', 1, 40), row('c1', 2, 10)]), 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.rows(OUT)).toEqual([
      [at(-30), at(30), 'c1', 1n, 2],
      [at(0), at(60), 'c1', 2n, 3],
      [at(30), at(90), 'c1', 1n, 1],
    ]);
  });

  it('HOP: a late row dropped from a batch whose window count equals its row count takes no other row\'s windows', async () => {
    // 5 s slide, 10 s size, watermark at 10 s: the late row at 2 s has no open window, the row at
    // 12 s has two and the row at 7 s one, so 3 rows make 3 assignments that are not rows 0, 1, 2.
    const hop: WindowSpec = { fn: 'HOP', timeColumn: 2, sizeMs: 10_000, slideMs: 5_000, gapMs: 0 };
    const { h, op } = await setup(hop);
    await op.process({ kind: 'watermark', time: at(10) }, 0);
    await op.process(data(IN, [row('late', 100, 2), row('c1', 1, 12), row('c2', 2, 7)]), 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.letters.map((l) => [l.reason, JSON.parse(l.row).card])).toEqual([['late row: event time 2024-01-01 00:00:02.000 is behind the watermark 2024-01-01 00:00:10.000', 'late']]);
    expect(h.rows(OUT)).toEqual([
      [at(5), at(15), 'c1', 1n, 1],
      [at(5), at(15), 'c2', 1n, 2],
      [at(10), at(20), 'c1', 1n, 1],
    ]);
  });

  it('merges SESSION windows per key and ends them at the last row plus the gap', async () => {
    const session: WindowSpec = { fn: 'SESSION', timeColumn: 2, sizeMs: 0, slideMs: 0, gapMs: 10_000 };
    const { h, op } = await setup(session);
    await op.process(data(IN, [row('c1', 1, 0), row('c1', 2, 5), row('c2', 4, 8), row('c1', 8, 30), row('c3', 1, 0), row('c3', 1, 20)]), 0);
    await op.process(data(IN, [row('c3', 1, 9)]), 0);
    await op.process({ kind: 'watermark', time: at(18) }, 0);
    expect(h.rows(OUT)).toEqual([
      [at(0), at(15), 'c1', 2n, 3],
      [at(8), at(18), 'c2', 1n, 4],
    ]);
    await op.process(data(IN, [row('c2', 1, 2), row('c3', 1, 12)]), 0);
    expect(h.letters.map((l) => l.reason)).toEqual(['late row: event time 2024-01-01 00:00:02.000 is behind the watermark 2024-01-01 00:00:18.000']);
    h.clear();
    await op.process({ kind: 'end' }, 0);
    expect(h.rows(OUT)).toEqual([
      [at(0), at(30), 'c3', 4n, 4],
      [at(30), at(40), 'c1', 1n, 8],
    ]);
  });

  it('continues exactly after a restart from the state written at a barrier', async () => {
    const input = [row('c1', 5, 10), row('c2', 1, 65), row('c1', 7, 50), row('c2', 3, 70), row('c1', 2, 130)];
    const whole = await setup();
    await whole.op.process(data(IN, input.slice(0, 3)), 0);
    await whole.op.process({ kind: 'watermark', time: at(60) }, 0);
    await whole.op.process(data(IN, input.slice(3)), 0);
    await whole.op.process({ kind: 'end' }, 0);

    const first = await setup();
    await first.op.process(data(IN, input.slice(0, 2)), 0);
    await first.op.process({ kind: 'barrier', epoch: 1 }, 0);
    expect(first.h.control()).toEqual([['barrier', 1]]);
    await first.h.commit();
    await first.op.process(data(IN, [row('zz', 100, 20)]), 0); // after the barrier: not committed
    const h2 = first.h.restart();
    const op2 = await h2.open(new WindowAggregateOperator({ input: IN, window: tumble, groupBy: GROUP, aggregates: AGGS, fields: OUT, udfs: () => undefined }));
    await op2.process(data(IN, input.slice(2, 3)), 0);
    await op2.process({ kind: 'watermark', time: at(60) }, 0);
    await op2.process({ kind: 'barrier', epoch: 2 }, 0);
    await h2.commit();
    const h3 = h2.restart();
    const op3 = await h3.open(new WindowAggregateOperator({ input: IN, window: tumble, groupBy: GROUP, aggregates: AGGS, fields: OUT, udfs: () => undefined }));
    await op3.process(data(IN, [row('c9', 1, 5)]), 0);
    expect(h3.letters).toHaveLength(1); // the watermark was restored too
    await op3.process(data(IN, input.slice(3)), 0);
    await op3.process({ kind: 'end' }, 0);
    expect([...h2.rows(OUT), ...h3.rows(OUT)]).toEqual(whole.h.rows(OUT));
  });
});
