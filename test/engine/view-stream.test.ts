import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { take, tempEngine } from './helpers.js';

describe('a materialized view read as a stream', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine(50));
    await engine.execute(`
      CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (key = 'card_id', partitions = 1);
      CREATE MATERIALIZED VIEW scored AS SELECT tx_id, card_id, amount * 2 AS score, ts FROM tx;
      CREATE MATERIALIZED VIEW per_card AS SELECT card_id, COUNT(*) AS n FROM tx GROUP BY card_id;
      CREATE SINK alerts WITH (connector = 'log', topic = 'alerts') AS SELECT tx_id, score FROM scored WHERE score > 100;
      INSERT INTO tx VALUES
        ('t1', 'c1', 10, TIMESTAMP '2024-01-01 00:00:01'), ('t2', 'c1', 80, TIMESTAMP '2024-01-01 00:00:20'),
        ('t3', 'c2', 60, TIMESTAMP '2024-01-01 00:01:05'), ('t4', 'c2', 1, TIMESTAMP '2024-01-01 00:03:00');`);
    await engine.checkpointAll();
    await engine.checkpointAll();
  });
  afterEach(async () => cleanup());

  it('feeds a sink from a view, as in the design', async () => {
    const [res] = await engine.execute('SELECT * FROM alerts', { bounded: true });
    expect((await take(res, 10)).map((r) => r.values).sort()).toEqual([
      ['t2', 160],
      ['t3', 120],
    ]);
  });

  it('windows a view by the event time it carries from its stream', async () => {
    const [res] = await engine.execute(
      "SELECT window_start, card_id, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE scored, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, card_id",
      { bounded: true },
    );
    const rows = (await take(res, 10)).map((r) => r.values);
    expect(rows.sort()).toEqual([
      [Date.UTC(2024, 0, 1, 0, 0), 'c1', 2n],
      [Date.UTC(2024, 0, 1, 0, 1), 'c2', 1n],
      [Date.UTC(2024, 0, 1, 0, 3), 'c2', 1n],
    ]);
  });

});
