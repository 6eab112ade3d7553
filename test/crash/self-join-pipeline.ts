/**
 * The self-join pipeline of the crash test: the windowed pipeline's input, each row joined with
 * the largest value of its 10-second window (Nexmark q7's shape). Both sides read stream `ev`
 * through one shared scan, so a restart must resume both from the one position it checkpointed.
 */
import type { Engine } from '../../src/engine/engine.js';
import { fillInput as fillAll } from './pipeline.js';

export { SINK_NAME, progress } from './pipeline.js';

/** A third of the windowed pipeline's input (200 s, twenty windows): the join does more per row. */
export function fillInput(engine: Engine): Promise<void> {
  return fillAll(engine, 100_000);
}

export const SINK_DDL = `CREATE SINK agg WITH (connector = 'log', topic = 'out') AS
SELECT e.k, e.v, e.ts, m.we
FROM ev AS e
JOIN (
  SELECT MAX(v) AS hi, window_end AS we
  FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end
) AS m
  ON e.v = m.hi AND e.ts BETWEEN m.we - INTERVAL '10' SECOND AND m.we`;
