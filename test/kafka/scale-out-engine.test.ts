/**
 * A scale-out sink as one engine sees it: in `queries()` and the metrics with its rows, lag
 * and dead letters; the dead letters mirrored into the local `<sink>_dlq` stream; DROP SINK
 * stops it; and the same sink created again resumes from the committed offsets and the
 * changelog, so its totals continue rather than restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { tempEngine } from '../engine/helpers.js';
import { produce, readCommitted, waitFor } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

let mock: KafkaMock;
let engine: Engine;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  mock = await startKafkaMock({
    brokers: 1,
    topics: [
      'e-in:2',
      'e-out:1',
      'e-two:1',
      ...['e_out', 'e_two'].flatMap((sink) => [`sluice-sink_${sink}-repartition:2`, `sluice-sink_${sink}-changelog:2`, `sluice-sink_${sink}-dlq:1`]),
    ],
    groupInitialRebalanceDelayMs: 0,
  });
  ({ engine, cleanup } = await tempEngine(100));
}, 300_000);

afterAll(async () => {
  await cleanup?.();
  await mock?.stop();
});

const kafka = () => `'bootstrap.servers' = '${mock.bootstrap}', 'session.timeout.ms' = 2000`;
const SINK = () => `CREATE SINK e_out WITH (connector = 'kafka', topic = 'e-out', 'scale.out' = true, ${kafka()}) AS SELECT k, COUNT(*) AS n FROM e_in GROUP BY k`;

/** The latest committed count per key in a sink topic. */
async function counts(topic = 'e-out'): Promise<Map<string, number>> {
  const out = await readCommitted(mock.brokers, topic, 0, 10_000);
  const latest = new Map<string, number>();
  for (const r of out.sort((a, b) => a.offset - b.offset)) {
    const row = JSON.parse(r.value ?? '{}') as { k: string; n: number };
    latest.set(row.k, row.n);
  }
  return latest;
}

describe('a scale-out sink in one engine', () => {
  it('reports rows, lag and dead letters, stops on DROP SINK and resumes when created again', async () => {
    await engine.execute(`CREATE STREAM e_in (k STRING, v INT) WITH (connector = 'kafka', topic = 'e-in', ${kafka()})`);
    await engine.execute(SINK());
    const rows = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ key: `r${from + i}`, value: JSON.stringify({ k: `k${(from + i) % 5}`, v: from + i }) }));
    await produce(mock.brokers, 'e-in', [...rows(200, 0), { key: 'bad', value: '{"k": "k1", "v": 1' }]);
    await waitFor(async () => [...(await counts()).values()].reduce((a, b) => a + b, 0) === 200, 60_000, 'the first 200 rows counted');
    await waitFor(() => engine.query('sink_e_out')?.lag === 0, 20_000, 'lag 0');
    const info = engine.query('sink_e_out')!;
    expect(info).toMatchObject({ kind: 'sink', name: 'e_out', status: 'running', rowsIn: 200, deadLetters: 1 });
    expect(info.rowsOut).toBeGreaterThan(0);
    const metrics = await engine.metrics.metrics();
    expect(metrics).toContain('sluice_query_lag_records{query="e_out"} 0');
    expect(metrics).toContain('sluice_dead_letters_total{query="e_out"} 1');
    const [dlq] = await engine.execute('SELECT reason, source FROM e_out_dlq', { bounded: true });
    if (dlq?.kind !== 'push') throw new Error('expected a push result');
    const letters: unknown[][] = [];
    for await (const b of dlq.rows) letters.push(...b.map((x) => [...x.values]));
    expect(letters).toHaveLength(1);
    expect(String(letters[0]![0])).toContain('not valid JSON');
    expect(String(letters[0]![1])).toMatch(/^e-in\/\d@\d+$/);

    await engine.execute('DROP SINK e_out');
    expect(engine.query('sink_e_out')).toBeUndefined();
    await produce(mock.brokers, 'e-in', rows(100, 200));
    await engine.execute(SINK());
    await waitFor(async () => [...(await counts()).values()].reduce((a, b) => a + b, 0) === 300, 60_000, 'all 300 rows counted');
    expect(Object.fromEntries(await counts())).toEqual({ k0: 60, k1: 60, k2: 60, k3: 60, k4: 60 });
  });

  it('runs a two-phase GROUP BY across the exchange: partials per input partition, merged per key', async () => {
    await engine.execute(`CREATE STREAM e_salted (k STRING, v INT) WITH (connector = 'kafka', topic = 'e-in', 'aggregate.salt' = 4, ${kafka()})`);
    const sink = `CREATE SINK e_two WITH (connector = 'kafka', topic = 'e-two', 'scale.out' = true, ${kafka()}) AS SELECT k, COUNT(*) AS n FROM e_salted GROUP BY k`;
    const [plan] = await engine.execute(`EXPLAIN ${sink}`);
    expect(plan?.kind === 'explain' ? plan.text : '').toMatch(/GroupAggregateExec: updating, final[^\n]*\n\s+Exchange: hash\(k\)[^\n]*\n\s+LocalAggregateExec: partial[^\n]*salt=4/);
    await engine.execute(sink);
    // e-in holds the 300 rows of the test above (60 per key) and one bad record.
    await waitFor(async () => [...(await counts('e-two')).values()].reduce((a, b) => a + b, 0) === 300, 60_000, 'all rows counted in two phases');
    expect(Object.fromEntries(await counts('e-two'))).toEqual({ k0: 60, k1: 60, k2: 60, k3: 60, k4: 60 });
  });
});
