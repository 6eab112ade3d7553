import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { tempEngine } from './helpers.js';

describe('metrics', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
  });
  afterEach(async () => cleanup());

  it('counts records per query and operator, lag, and end-to-end latency', async () => {
    await engine.execute(`
      CREATE STREAM tx (tx_id STRING, amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1);
      CREATE MATERIALIZED VIEW big AS SELECT tx_id, 100 / amount AS inv, ts FROM tx WHERE amount > 1;`);
    const now = new Date(Date.now() - 1500).toISOString().replace('T', ' ').replace('Z', '');
    await engine.execute(`INSERT INTO tx VALUES ('a', 5, TIMESTAMP '${now}'), ('b', 0.5, TIMESTAMP '${now}'), ('c', 10, TIMESTAMP '${now}')`);
    await engine.checkpointAll();
    const text = await engine.metrics.metrics();
    expect(text).toContain('sluice_query_records_in_total{query="big"} 3');
    expect(text).toContain('sluice_query_records_out_total{query="big"} 2');
    expect(text).toContain('sluice_operator_records_out_total{query="big",operator="1:FilterExec"} 2');
    expect(text).toContain('sluice_query_lag_records{query="big"} 0');
    const count = /sluice_end_to_end_latency_seconds_count\{query="big"\} (\d+)/.exec(text);
    expect(Number(count?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/sluice_end_to_end_latency_seconds_bucket\{le="1",query="big"\} 0/);
  });

  it('drops the series of push queries that ended and of views that were dropped, so labels do not grow with every query', async () => {
    await engine.execute(`
      CREATE STREAM s (x INT) WITH (partitions = 1);
      CREATE MATERIALIZED VIEW v AS SELECT 10 / x AS y FROM s;`);
    await engine.execute('INSERT INTO s VALUES (1), (0), (2)');
    await engine.checkpointAll();
    const ids: string[] = [];
    for (let k = 0; k < 3; k++) {
      const [res] = await engine.execute('SELECT 10 / x FROM s', { bounded: true });
      if (res?.kind !== 'push') throw new Error('expected a push query');
      ids.push(res.queryId);
      for await (const _ of res.rows);
    }
    let text = await engine.metrics.metrics();
    expect(text).toContain('sluice_query_records_out_total{query="v"} 2');
    expect(text).toContain('sluice_dead_letters_total{query="v"} 1');
    // An ended push query stays listed for a second (GET /v1/queries shows how it ended).
    await new Promise((r) => setTimeout(r, 1100));
    text = await engine.metrics.metrics();
    for (const id of ids) expect(text.split("\n").filter((l) => l.includes(`query="${id}"`))).toEqual([]);
    await engine.execute('DROP VIEW v');
    text = await engine.metrics.metrics();
    expect(text).not.toContain('query="v"');
  });

  it('names counters *_total and gauges without it, per Prometheus conventions', async () => {
    await engine.execute(`
      CREATE STREAM s (x INT) WITH (partitions = 1);
      CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx');
      CREATE MATERIALIZED VIEW v AS SELECT x FROM s;`);
    await engine.execute('INSERT INTO s VALUES (1), (2)');
    await engine.checkpointAll();
    const text = await engine.metrics.metrics();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
    for (const name of ['sluice_query_records_in_total', 'sluice_operator_records_out_total', 'sluice_model_rows_scored_total', 'sluice_model_batches_total']) {
      expect(types).toContainEqual({ name, type: 'counter' });
    }
    expect(types.filter((t) => t.type === 'counter' && !t.name.endsWith('_total'))).toEqual([]);
    expect(types.filter((t) => t.type !== 'counter' && t.name.endsWith('_total'))).toEqual([]);
    expect(text).toContain('sluice_model_rows_scored_total{model="fraud"} 0');
  });

  it('never counts a projection\'s output ahead of its input, even while a push client is not reading', async () => {
    await engine.execute('CREATE STREAM s (x INT) WITH (partitions = 1)');
    const values = (from: number) => Array.from({ length: 5000 }, (_, i) => `(${from + i})`).join(', ');
    for (let k = 0; k < 3; k++) await engine.execute(`INSERT INTO s VALUES ${values(k * 5000)}`);
    const [res] = await engine.execute('SELECT x FROM s', { from: 'earliest' });
    if (res?.kind !== 'push') throw new Error('expected a push query');
    const info = () => engine.queries().find((q) => q.id === res.queryId)!;
    // Nobody reads: the push queue (10,000 rows) fills and the query waits on it.
    let last = -1;
    while (info().rowsOut !== last) {
      last = info().rowsOut;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(info().rowsOut).toBeGreaterThanOrEqual(10_000);
    expect(info().rowsIn).toBe(info().rowsOut);
    let read = 0;
    for await (const batch of res.rows) {
      read += batch.length;
      expect(info().rowsOut).toBeLessThanOrEqual(info().rowsIn);
      if (read >= 15_000) break;
    }
    expect(info().rowsIn).toBe(15_000);
    expect(info().rowsOut).toBe(15_000);
    res.cancel();
  });

  it('counts the rows a LIMIT delivers, not the batch it cut them from', async () => {
    await engine.execute('CREATE STREAM s (x INT) WITH (partitions = 1)');
    await engine.execute(`INSERT INTO s VALUES ${Array.from({ length: 100 }, (_, i) => `(${i})`).join(', ')}`);
    const [res] = await engine.execute('SELECT x FROM s LIMIT 7', { from: 'earliest' });
    if (res?.kind !== 'push') throw new Error('expected a push query');
    let n = 0;
    for await (const batch of res.rows) n += batch.length;
    expect(n).toBe(7);
    const text = await engine.metrics.metrics();
    expect(text).toContain(`sluice_query_records_out_total{query="${res.queryId}"} 7`);
  });
});
