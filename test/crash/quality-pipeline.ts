/**
 * The model-quality pipeline of the quality crash test: a logging model whose prediction log and
 * label stream are filled up front, the labels joined by ALTER MODEL ... SET (labels = ...), and a
 * sink over the quality stream.
 */
import { T } from '../../src/common/types.js';
import type { Engine } from '../../src/engine/engine.js';
import { predictionLogFields } from '../../src/engine/prediction-log.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';

/** Scored ids; each is scored by the serving version and a shadow role. */
export const IDS = 3_000;
/** Milliseconds between ids: 3,000 ids span 3 minutes, three 1-minute windows. */
export const STEP_MS = 60;
/** The quality stream's rows: one per window and role. */
export const WINDOWS = ((IDS * STEP_MS) / 60_000) * 2;
export const CHUNK = 500;
export const BASE = Date.UTC(2024, 9, 1);

export const SETUP_DDL = `
  CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', device = 'cpu', 'log' = 'on', 'log.id' = 'tx_id');
  CREATE STREAM labels (tx_id STRING, is_fraud BOOLEAN, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE) WITH (partitions = 1);`;

export const SINK_NAME = 'quality_out';

export const SINK_DDL = `ALTER MODEL fraud SET (labels = 'labels', 'labels.id' = 'tx_id', 'labels.value' = 'is_fraud', 'labels.within' = '1h');
CREATE SINK quality_out WITH (connector = 'log', topic = 'quality_out') AS
SELECT window_start, version, role, labelled, positive_rate, auc, log_loss, brier, mean_score FROM fraud_quality`;

export const fraudLike = (i: number): boolean => (i * 7919) % 10 < 3;
/** Ids never labelled, and ids labelled two hours late (more than labels.within). */
export const unlabelled = (i: number): boolean => i % 31 === 5;
export const late = (i: number): boolean => i % 25 === 3 && !unlabelled(i);

const LABEL_FIELDS = [
  { name: 'tx_id', type: T.STRING, nullable: false },
  { name: 'is_fraud', type: T.BOOLEAN, nullable: false },
  { name: 'ts', type: T.TIMESTAMP, nullable: false },
];

/** Declares the model and labels, and appends the log's rows and the labels straight to the embedded log. */
export async function fillInput(engine: Engine): Promise<void> {
  await engine.execute(SETUP_DDL);
  const logFields = predictionLogFields([{ name: 'score', type: T.FLOAT, nullable: true }]);
  const row = (i: number, version: number, role: string, score: number) => ({ query: 'q', id: `tx-${i}`, event_time: null, scored_at: BASE + i * STEP_MS, version, role, outputs: score, inputs: null, latency_ms: 1, error: null });
  // One closing row an hour past the data (and its label) moves the watermarks past every window.
  const ids = [...Array.from({ length: IDS }, (_, i) => i), IDS + 60_000];
  for (let k = 0; k < ids.length; k += CHUNK) {
    const rows = ids.slice(k, k + CHUNK).flatMap((i) => [
      row(i, 1, 'serving', ((i * 37) % 64) / 64),
      row(i, 2, 'shadow', fraudLike(i) ? (40 + (i % 24)) / 64 : ((i * 13) % 44) / 64),
    ]);
    await engine.log.append('fraud_predictions', 0, encodeBatch(batchFromRows(logFields, rows)), rows.length);
  }
  const labels = ids.filter((i) => !unlabelled(i) && !late(i)).map((i) => ({ tx_id: `tx-${i}`, is_fraud: fraudLike(i), ts: BASE + i * STEP_MS + 30_000 }));
  labels.push(...ids.filter(late).map((i) => ({ tx_id: `tx-${i}`, is_fraud: fraudLike(i), ts: BASE + i * STEP_MS + 7_200_000 })));
  labels.sort((a, b) => a.ts - b.ts);
  for (let k = 0; k < labels.length; k += CHUNK) {
    const rows = labels.slice(k, k + CHUNK);
    await engine.log.append('labels', 0, encodeBatch(batchFromRows(LABEL_FIELDS, rows)), rows.length);
  }
}

/** Progress of the sink over the quality stream: its last checkpoint, source lag and rows in topic 'quality_out'. */
export function progress(engine: Engine): { epoch: number; lag: number; out: number; status: string } {
  const q = engine.queries().find((x) => x.name === SINK_NAME);
  const behind = engine.queries().filter((x) => x.kind !== 'push').reduce((n, x) => n + (x.lag ?? 0), 0);
  const out = engine.log.hasTopic('quality_out') ? engine.log.highWatermark('quality_out', 0) : 0;
  return { epoch: q?.lastCheckpointEpoch ?? -1, lag: q ? behind : -1, out, status: q?.status ?? 'absent' };
}
