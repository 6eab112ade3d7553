import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { take, tempEngine } from './helpers.js';

const WINDOWED = "SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end";

describe('allowed lateness', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
  });
  afterEach(async () => cleanup());

  async function run(options: string): Promise<{ rows: unknown[][]; dead: number }> {
    await engine.execute(`CREATE STREAM ev (id STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1${options})`);
    // The 'late' row arrives 6 s after a row of the next window: beyond the delay, within 10 s.
    await engine.execute(`INSERT INTO ev VALUES ('a', TIMESTAMP '2024-01-01 00:00:01'), ('b', TIMESTAMP '2024-01-01 00:00:12')`);
    await engine.execute(`INSERT INTO ev VALUES ('late', TIMESTAMP '2024-01-01 00:00:06'), ('c', TIMESTAMP '2024-01-01 00:00:30')`);
    const [res] = await engine.execute(WINDOWED, { bounded: true });
    const rows = (await take(res, 10)).map((r) => [...r.values]);
    return { rows: rows.sort(), dead: engine.queries()[0]!.deadLetters };
  }

  it('without it, a row behind the watermark goes to dead letters', async () => {
    const { rows, dead } = await run('');
    expect(rows).toEqual([
      [Date.UTC(2024, 0, 1, 0, 0, 0), 1n],
      [Date.UTC(2024, 0, 1, 0, 0, 10), 1n],
      [Date.UTC(2024, 0, 1, 0, 0, 30), 1n],
    ]);
    expect(dead).toBe(1);
  });

  it("with 'allowed.lateness', the late row still counts in its window", async () => {
    const { rows, dead } = await run(", 'allowed.lateness' = '10s'");
    expect(rows).toEqual([
      [Date.UTC(2024, 0, 1, 0, 0, 0), 2n],
      [Date.UTC(2024, 0, 1, 0, 0, 10), 1n],
      [Date.UTC(2024, 0, 1, 0, 0, 30), 1n],
    ]);
    expect(dead).toBe(0);
  });
});
