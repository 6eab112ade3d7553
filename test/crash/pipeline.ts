/** The windowed pipeline of the crash test: its input rows, DDL and the sink over them. */
import type { Engine } from '../../src/engine/engine.js';

export const KEYS = 10;
export const ROWS = 5_000;
/** Milliseconds between input rows: 5,000 rows span 200 s, twenty 10-second windows. */
export const STEP_MS = 40;
export const BASE = Date.UTC(2024, 0, 1);

export const STREAM_DDL =
  "CREATE STREAM ev (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1)";

export const SINK_DDL = `CREATE SINK agg WITH (connector = 'log', topic = 'out') AS
SELECT window_start, k, COUNT(*) AS n, SUM(v) AS total, MAX(v) AS hi
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k`;

const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** Deterministic input: one row every STEP_MS over 200 s, then one far in the future. */
export function inputInserts(chunk = 1000): string[] {
  const out: string[] = [];
  for (let i = 0; i < ROWS; i += chunk) {
    const rows: string[] = [];
    for (let j = i; j < Math.min(ROWS, i + chunk); j++) rows.push(`('k${(j * 7) % KEYS}', ${(j * 31) % 1000}, TIMESTAMP '${iso(BASE + j * STEP_MS)}')`);
    out.push(`INSERT INTO ev VALUES ${rows.join(', ')}`);
  }
  out.push(`INSERT INTO ev VALUES ('end', 0, TIMESTAMP '${iso(BASE + 86_400_000)}')`);
  return out;
}

export async function fillInput(engine: Engine): Promise<void> {
  await engine.execute(STREAM_DDL);
  for (const sql of inputInserts()) await engine.execute(sql);
}

/** Progress of the sink query: its last checkpoint, source lag and rows in topic 'out'. */
export function progress(engine: Engine): { epoch: number; lag: number; out: number; status: string } {
  const q = engine.queries().find((x) => x.name === 'agg');
  const out = engine.log.hasTopic('out') ? engine.log.highWatermark('out', 0) : 0;
  return { epoch: q?.lastCheckpointEpoch ?? -1, lag: q?.lag ?? -1, out, status: q?.status ?? 'absent' };
}
