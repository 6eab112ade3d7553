/**
 * Model quality in the scored stream's event time: a query scores a backlog of a stream whose
 * event times are years before the wall clock, so the prediction log's event_time (the input
 * row's) and scored_at (now) differ by years. Labels join by event time, the quality windows are
 * event-time windows, and the joined, late and unmatched counts equal what DuckDB computes from
 * the logged predictions and the labels.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T, arrayOf } from '../../src/common/types.js';
import { txEvent } from '../../src/connectors/datagen.js';
import type { Engine } from '../../src/engine/engine.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';
import { collectRows } from '../sql/collect.js';
import { tempEngine } from './helpers.js';

const BASE = Date.UTC(2021, 0, 1);
const N = 240;
/** The closing transaction and its label, three hours on: the watermarks pass every window of the data. */
const CLOSE = BASE + 3 * 3_600_000;
const TX_FIELDS = [
  { name: 'tx_id', type: T.STRING, nullable: false },
  { name: 'features', type: arrayOf(T.FLOAT, 30), nullable: false },
  { name: 'ts', type: T.TIMESTAMP, nullable: false },
];
const LABEL_FIELDS = [
  { name: 'tx_id', type: T.STRING, nullable: false },
  { name: 'is_fraud', type: T.BOOLEAN, nullable: false },
  { name: 'ts', type: T.TIMESTAMP, nullable: false },
];

type Label = { readonly tx_id: string; readonly is_fraud: boolean; readonly ts: number };

/** Transaction i happens at BASE + i s. Its label comes 20-50 s later, two hours later (late), ten minutes before it (unmatched) or never. */
function labels(): Label[] {
  const out: Label[] = [];
  for (let i = 0; i < N; i++) {
    if (i % 31 === 5) continue;
    const t = BASE + i * 1000;
    const after = i % 25 === 3 ? 7_200_000 : i % 40 === 7 ? -600_000 : 20_000 + (i % 7) * 5000;
    out.push({ tx_id: `tx-${i}`, is_fraud: (i * 7919) % 10 < 3, ts: t + after });
  }
  out.push({ tx_id: 'close', is_fraud: true, ts: CLOSE });
  return out.sort((a, b) => a.ts - b.ts);
}

const num = (x: unknown): unknown => (typeof x === 'bigint' ? Number(x) : x);

/** DuckDB over the logged predictions (their event time) and the labels. */
async function duck(predictions: readonly (readonly unknown[])[], label: readonly Label[], queries: readonly string[]): Promise<unknown[][][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run('CREATE TABLE pred (id VARCHAR, et TIMESTAMP, version INTEGER, role VARCHAR, score DOUBLE); CREATE TABLE labels (tx_id VARCHAR, is_fraud BOOLEAN, ts TIMESTAMP)');
    await conn.run(`INSERT INTO pred VALUES ${predictions.map(([id, et, version, role, score]) => `('${String(id)}', epoch_ms(${Number(et)}), ${Number(version)}, '${String(role)}', ${Number(score)})`).join(', ')}`);
    await conn.run(`INSERT INTO labels VALUES ${label.map((l) => `('${l.tx_id}', ${l.is_fraud}, epoch_ms(${l.ts}))`).join(', ')}`);
    const out: unknown[][][] = [];
    for (const q of queries) out.push((await conn.runAndReadAll(q)).getRowsJS().map((r) => r.map(num)));
    return out;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const WINDOWS = `
WITH j AS (
  SELECT p.version, p.role, p.score, l.is_fraud AS label, time_bucket(INTERVAL 60 SECOND, p.et, TIMESTAMP '1970-01-01') AS ws
  FROM pred AS p JOIN labels AS l ON p.id = l.tx_id AND l.ts BETWEEN p.et AND p.et + INTERVAL 1 HOUR
), r AS (
  SELECT *, RANK() OVER (PARTITION BY ws, version, role ORDER BY score) + (COUNT(*) OVER (PARTITION BY ws, version, role, score) - 1) / 2.0 AS rk FROM j
)
SELECT epoch_ms(ws), version, role, COUNT(*), AVG(CASE WHEN label THEN 1.0 ELSE 0.0 END), AVG(score),
       (SUM(rk) FILTER (WHERE label) - COUNT(*) FILTER (WHERE label) * (COUNT(*) FILTER (WHERE label) + 1) / 2.0) / (COUNT(*) FILTER (WHERE label) * COUNT(*) FILTER (WHERE NOT label))
FROM r WHERE ws < epoch_ms(${CLOSE}) GROUP BY ws, version, role ORDER BY 1`;

/** Each label against the serving predictions of its id up to a day around it, as labels.horizon counts them. */
const COUNTS = `
SELECT (SELECT COUNT(*) FROM labels),
       COUNT(*) FILTER (WHERE l.ts BETWEEN p.et AND p.et + INTERVAL 1 HOUR),
       COUNT(*) FILTER (WHERE l.ts > p.et + INTERVAL 1 HOUR)
FROM labels AS l JOIN pred AS p ON l.tx_id = p.id AND p.et BETWEEN l.ts - INTERVAL 1 DAY AND l.ts + INTERVAL 1 DAY
WHERE p.role <> 'shadow'`;

describe('model quality in event time', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ engine, cleanup } = await tempEngine(50)));
  afterEach(async () => cleanup());

  it('joins labels and windows predictions by the scored stream event time, even for a backlog', async () => {
    await engine.execute(`
      CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'log' = 'on', 'log.id' = 'tx_id');
      CREATE STREAM tx (tx_id STRING, features ARRAY<FLOAT>(30), ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH (partitions = 1);
      CREATE STREAM labels (tx_id STRING, is_fraud BOOLEAN, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE) WITH (partitions = 1);
      ALTER MODEL fraud SET (labels = 'labels', 'labels.id' = 'tx_id', 'labels.value' = 'is_fraud', 'labels.within' = '1h')`);
    // The backlog: every transaction and label is in the streams before the scoring query starts.
    const tx = [...Array.from({ length: N }, (_, i) => ({ tx_id: `tx-${i}`, features: txEvent(i).features, ts: BASE + i * 1000 })), { tx_id: 'close', features: txEvent(N).features, ts: CLOSE }];
    await engine.log.append('tx', 0, encodeBatch(batchFromRows(TX_FIELDS, tx)), tx.length);
    const label = labels();
    await engine.log.append('labels', 0, encodeBatch(batchFromRows(LABEL_FIELDS, label)), label.length);
    await engine.execute("CREATE SINK scored WITH (connector = 'log', topic = 'scored') AS SELECT tx_id, predict('fraud', features) AS score FROM tx");

    const windows = Math.ceil((N * 1000) / 60_000);
    const until = Date.now() + 20_000;
    for (;;) {
      await engine.checkpointAll();
      const counts = (await engine.modelQuality('fraud')).labelCounts;
      if (((await engine.viewScan('fraud_quality')).length >= windows && counts?.labels === label.length) || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 50));
    }

    // The log holds each row's own event time; scored_at is the wall clock, years later.
    const logged = (await collectRows(engine, 'SELECT id, event_time, version, role, outputs, scored_at FROM fraud_predictions')).rows;
    expect(logged).toHaveLength(tx.length);
    const txTime = new Map(tx.map((t) => [t.tx_id, t.ts]));
    for (const r of logged) {
      expect(Number(r[1])).toBe(txTime.get(String(r[0])));
      expect(Number(r[5]) - Number(r[1])).toBeGreaterThan(365 * 86_400_000);
    }

    const [expectedWindows, counts] = await duck(logged, label, [WINDOWS, COUNTS]);
    const [labelsRead, joined, late] = counts![0] as [number, number, number];
    const got = (await engine.viewScan('fraud_quality')).filter((r) => Number(r['window_start']) < CLOSE).sort((a, b) => Number(a['window_start']) - Number(b['window_start']));
    expect(got.map((r) => [Number(r['window_start']), r['version'], r['role'], Number(r['labelled'])])).toEqual(expectedWindows!.map((r) => r.slice(0, 4)));
    expect(got).toHaveLength(windows);
    got.forEach((r, i) => {
      const [, , , , positiveRate, meanScore, auc] = expectedWindows![i]!;
      expect(r['positive_rate']).toBeCloseTo(positiveRate as number, 9);
      expect(r['mean_score']).toBeCloseTo(meanScore as number, 6);
      expect(r['auc']).toBeCloseTo(auc as number, 9);
    });
    // Late: ten labels two hours after their transaction; unmatched: six labels ten minutes before theirs.
    expect([late, labelsRead - joined - late]).toEqual([10, 6]);
    expect((await engine.modelQuality('fraud')).labelCounts).toEqual({ labels: labelsRead, joined, late, unmatched: labelsRead - joined - late });
  }, 40_000);
});
