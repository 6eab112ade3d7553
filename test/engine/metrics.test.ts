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
});
