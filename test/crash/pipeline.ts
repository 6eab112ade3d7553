/** The windowed pipeline of the crash test: its input rows, DDL and the sink over them. */
import { T } from '../../src/common/types.js';
import type { Engine } from '../../src/engine/engine.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';

export const KEYS = 10;
export const ROWS = 300_000;
/** Milliseconds between input rows: 300,000 rows span 600 s, sixty 10-second windows. */
export const STEP_MS = 2;
/** Rows per log chunk: small chunks give many checkpoints while the input is read. */
export const CHUNK = 250;
export const BASE = Date.UTC(2024, 0, 1);

export const STREAM_DDL =
  "CREATE STREAM ev (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH (partitions = 1)";

export const SINK_NAME = 'agg';

export const SINK_DDL = `CREATE SINK agg WITH (connector = 'log', topic = 'out') AS
SELECT window_start, k, COUNT(*) AS n, SUM(v) AS total, MAX(v) AS hi
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k`;

const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

const FIELDS = [
  { name: 'k', type: T.STRING, nullable: false },
  { name: 'v', type: T.INT, nullable: false },
  { name: 'ts', type: T.TIMESTAMP, nullable: false },
];

/** Appends `count` input rows (default ROWS) straight to the embedded log in small chunks (SQL INSERT is far slower). */
export async function fillInput(engine: Engine, count = ROWS): Promise<void> {
  await engine.execute(STREAM_DDL);
  for (let i = 0; i < count; i += CHUNK) {
    const rows = [];
    for (let j = i; j < Math.min(count, i + CHUNK); j++) rows.push({ k: `k${(j * 7) % KEYS}`, v: (j * 31) % 1000, ts: BASE + j * STEP_MS });
    await engine.log.append('ev', 0, encodeBatch(batchFromRows(FIELDS, rows)), rows.length);
  }
  await engine.execute(`INSERT INTO ev VALUES ('end', 0, TIMESTAMP '${iso(BASE + 86_400_000)}')`);
}

/** Progress of the sink query: its last checkpoint, source lag and rows in topic 'out'. */
export function progress(engine: Engine): { epoch: number; lag: number; out: number; status: string } {
  const q = engine.queries().find((x) => x.name === 'agg');
  const out = engine.log.hasTopic('out') ? engine.log.highWatermark('out', 0) : 0;
  return { epoch: q?.lastCheckpointEpoch ?? -1, lag: q?.lag ?? -1, out, status: q?.status ?? 'absent' };
}
