import { afterEach, describe, expect, it } from 'vitest';
import { txEvent } from '../../src/connectors/datagen.js';
import { rmSync } from 'node:fs';
import { Engine } from '../../src/engine/engine.js';
import { PSI_EPSILON, REFERENCE_BINS } from '../../src/udf/drift.js';
import { collectRows } from '../sql/collect.js';
import { tempEngine } from '../engine/helpers.js';

/**
 * 'reference.rows': a model version without a reference file takes its first N scored rows as
 * its reference, so PSI (in SQL and in <model>_quality) works without a file; 'drift.alert'
 * marks the quality windows above it (drift_alert, sluice_model_quality_drift_windows).
 */

/** PSI as docs/models.md defines it, computed directly from the two samples. */
function directPsi(reference: readonly number[], actual: readonly number[]): number {
  const ref = [...reference].sort((a, b) => a - b);
  const cuts = [...new Set(Array.from({ length: REFERENCE_BINS - 1 }, (_, k) => ref[Math.floor(((k + 1) * ref.length) / REFERENCE_BINS)]!))];
  const share = (xs: readonly number[]) => {
    const counts = new Array<number>(cuts.length + 1).fill(0);
    for (const v of xs) counts[cuts.filter((c) => c <= v).length]! += 1;
    return counts.map((c) => c / xs.length);
  };
  const a = share(actual);
  return share(ref).reduce((s, e, i) => s + (Math.max(a[i]!, PSI_EPSILON) - Math.max(e, PSI_EPSILON)) * Math.log(Math.max(a[i]!, PSI_EPSILON) / Math.max(e, PSI_EPSILON)), 0);
}

const ts = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;
const txRows = (from: number, n: number) => Array.from({ length: n }, (_, i) => txEvent(from + i)).map((e) => `('${e.tx_id}', ARRAY[${Array.from(e.features).join(', ')}])`).join(', ');

describe('a reference collected from the first scored rows', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  let dir = '';
  async function engineWith(options: string): Promise<Engine> {
    const t = await tempEngine(50);
    cleanup = t.cleanup;
    dir = t.dir;
    await t.engine.execute(`
      CREATE STREAM tx (tx_id STRING, features ARRAY<FLOAT>(30)) WITH (partitions = 1);
      CREATE STREAM tx2 (tx_id STRING, features ARRAY<FLOAT>(30)) WITH (partitions = 1);
      CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'batch.max_wait' = '0ms', device = 'cpu', ${options})`);
    return t.engine;
  }

  it('PSI plans without a file, is NULL until reference.rows rows were scored, then compares with those rows', async () => {
    const engine = await engineWith("'reference.rows' = 200");
    const psiSql = "SELECT PSI(features[1], 'fraud', 'features[1]') AS f, PSI(predict('fraud', features), 'fraud', 'score') AS s FROM tx2";
    await engine.execute(`INSERT INTO tx2 VALUES ${txRows(10_000, 300)}`);
    // Nothing scored yet: no reference, so PSI is NULL (and the rows it scores now are not yet 200).
    expect((await collectRows(engine, "SELECT PSI(features[1], 'fraud', 'features[1]') FROM tx2")).rows).toEqual([[null]]);
    // The first 200 rows scored become the reference.
    await engine.execute(`INSERT INTO tx VALUES ${txRows(0, 200)}`);
    const ref = (await collectRows(engine, "SELECT features[1], predict('fraud', features) FROM tx")).rows;
    expect(ref).toHaveLength(200);
    expect(engine.models.get('fraud').collector?.reference).toBeDefined();
    const later = (await collectRows(engine, "SELECT features[1], predict('fraud', features) FROM tx2")).rows;
    const [row] = (await collectRows(engine, psiSql)).rows;
    expect(row![0]).toBeCloseTo(directPsi(ref.map((r) => Number(r[0])), later.map((r) => Number(r[0]))), 12);
    expect(row![1]).toBeCloseTo(directPsi(ref.map((r) => Number(r[1])), later.map((r) => Number(r[1]))), 12);
    // More scored rows leave the reference as it was.
    expect((await collectRows(engine, psiSql)).rows[0]).toEqual(row);
  }, 60_000);

  it("PSI with a version compares each version's values with that version's own reference", async () => {
    const engine = await engineWith("'reference.rows' = 100");
    await engine.execute(`ALTER MODEL fraud SET CANDIDATE (path = 'models/fraud-mlp.onnx', mode = 'shadow'); INSERT INTO tx VALUES ${txRows(0, 100)}`);
    // The serving version and the shadow both score the 100 rows: each collects its own reference.
    await collectRows(engine, "SELECT predict('fraud', features) FROM tx");
    const v2 = () => engine.models.versions('fraud').find((v) => v.number === 2);
    for (const end = Date.now() + 10_000; !v2()?.collector?.reference && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    expect(engine.models.get('fraud').collector?.reference).toBeDefined();
    expect(v2()?.collector?.reference).toBeDefined();
    const scores = async (v: number) => (await collectRows(engine, `SELECT predict('fraud@${v}', features) FROM tx`)).rows.map((r) => Number(r[0]));
    const [s1, s2] = [await scores(1), await scores(2)];
    // Version 2's scores under either version number: against version 2's reference they are its own (PSI 0).
    await engine.execute(`CREATE STREAM sc (v INT, s DOUBLE) WITH (partitions = 1); INSERT INTO sc VALUES ${[1, 2].flatMap((v) => s2.map((x) => `(${v}, ${x})`)).join(', ')}`);
    const got = new Map((await collectRows(engine, "SELECT v, PSI(s, 'fraud', 'score', v) FROM sc GROUP BY v")).rows.map((r) => [Number(r[0]), Number(r[1])]));
    expect(got.get(2)).toBeCloseTo(0, 12);
    expect(got.get(1)).toBeCloseTo(directPsi(s1, s2), 12);
    expect(got.get(1)).toBeGreaterThan(0.1);
    // Without the version, the serving version's reference.
    expect(Number((await collectRows(engine, "SELECT PSI(s, 'fraud', 'score') FROM sc WHERE v = 2")).rows[0]![0])).toBeCloseTo(directPsi(s1, s2), 12);
  }, 60_000);

  it('keeps the collected reference across a restart instead of collecting one from later rows, and forgets it on DROP MODEL', async () => {
    const engine = await engineWith("'reference.rows' = 200");
    await engine.execute(`INSERT INTO tx VALUES ${txRows(0, 200)}; INSERT INTO tx2 VALUES ${txRows(10_000, 300)}`);
    const ref = (await collectRows(engine, "SELECT features[1] FROM tx WHERE predict('fraud', features) IS NOT NULL")).rows.map((r) => Number(r[0]));
    const before = engine.models.get('fraud').collector?.reference;
    expect(before).toBeDefined();
    await engine.close();
    cleanup = undefined;
    const again = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    cleanup = async () => {
      await again.close();
      rmSync(dir, { recursive: true, force: true });
    };
    // The rows scored first after the restart (tx2's) are not the reference: PSI still compares tx2 with tx.
    expect(again.models.get('fraud').collector?.reference).toEqual(before);
    const later = (await collectRows(again, "SELECT features[1], predict('fraud', features) FROM tx2")).rows.map((r) => Number(r[0]));
    const [[psi]] = (await collectRows(again, "SELECT PSI(features[1], 'fraud', 'features[1]') FROM tx2")).rows as [[number]];
    expect(psi).toBeCloseTo(directPsi(ref, later), 12);
    expect(psi).toBeGreaterThan(0);
    expect(again.models.get('fraud').collector?.reference).toEqual(before);
    await again.execute(`DROP MODEL fraud; CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', device = 'cpu', 'reference.rows' = 200)`);
    expect(again.models.get('fraud').collector?.reference).toBeUndefined();
  }, 60_000);

  it('gives the quality windows the PSI of the score and of every input feature, and marks those above drift.alert', async () => {
    const engine = await engineWith("'reference.rows' = 100, 'drift.alert' = 0.2, 'log' = 'on', 'log.id' = 'tx_id'");
    await engine.execute(`
      CREATE STREAM labels (tx_id STRING, is_fraud BOOLEAN, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE) WITH (partitions = 1);
      ALTER MODEL fraud SET (labels = 'labels', 'labels.id' = 'tx_id', 'labels.value' = 'is_fraud');
      INSERT INTO tx VALUES ${txRows(0, 100)}`);
    const scored = (await collectRows(engine, "SELECT predict('fraud', features), features FROM tx")).rows;
    const scores = scored.map((r) => Number(r[0]));
    const inputs = scored.map((r) => Array.from(r[1] as ArrayLike<number>, Number));
    expect(engine.models.get('fraud').collector?.reference).toBeDefined();
    // Three minutes of predictions after the scored ones: the first with the reference's own
    // scores and inputs (every PSI 0); the second with its own scores but features[2] far above
    // its range; the third with its own inputs but every score at the top.
    const base = Math.ceil((Date.now() + 3_600_000) / 60_000) * 60_000;
    const shifted = (x: readonly number[]) => x.map((v, k) => (k === 1 ? 1000 + v : v));
    const minutes: ((i: number) => [number, readonly number[]])[] = [(i) => [scores[i]!, inputs[i]!], (i) => [scores[i]!, shifted(inputs[i]!)], (i) => [0.999, inputs[i]!]];
    const preds: string[] = [];
    const labels: string[] = [];
    scores.forEach((_, i) => {
      minutes.forEach((at, minute) => {
        const [s, x] = at(i);
        const t = base + minute * 60_000 + i * 100;
        preds.push(`('q1', 'p${minute}-${i}', ${ts(t)}, ${ts(t)}, 1, 'serving', ${s}, ARRAY[${x.join(', ')}], 0.5, NULL)`);
        labels.push(`('p${minute}-${i}', ${i % 3 === 0}, ${ts(t + 1000)})`);
      });
    });
    const far = base + 3 * 3_600_000;
    await engine.execute(`INSERT INTO fraud_predictions VALUES ${preds.join(', ')}, ('q1', 'tick', ${ts(far)}, ${ts(far)}, 1, 'serving', 0.5, NULL, 0.5, NULL)`);
    // The closing pair joins, so the labelled rows' event time passes every window (its own window stays open).
    await engine.execute(`INSERT INTO labels VALUES ${labels.join(', ')}, ('tick', true, ${ts(far + 1000)})`);
    let windows: Record<string, unknown>[] = [];
    for (const end = Date.now() + 20_000; windows.length < 3 && Date.now() < end; ) {
      await engine.checkpointAll();
      windows = (await engine.viewScan('fraud_quality')).filter((w) => Number(w['window_start']) >= base && Number(w['window_start']) < far);
    }
    windows.sort((a, b) => Number(a['window_start']) - Number(b['window_start']));
    expect(windows.map((w) => Number(w['labelled']))).toEqual([100, 100, 100]);
    const psiColumns = Object.keys(windows[0]!).filter((k) => k.startsWith('psi_'));
    expect(psiColumns).toEqual(Array.from({ length: 30 }, (_, k) => `psi_features_${k + 1}`));
    const column = (k: number) => inputs.map((x) => Math.fround(x[k]!));
    for (const w of [windows[0]!, windows[2]!]) for (const c of psiColumns) expect(w[c]).toBeCloseTo(0, 12);
    expect(windows[0]!['score_psi']).toBeCloseTo(0, 12);
    expect(windows[1]!['score_psi']).toBeCloseTo(0, 12);
    expect(windows[1]!['psi_features_2']).toBeCloseTo(directPsi(column(1), column(1).map((v) => Math.fround(1000 + v))), 9);
    expect(windows[1]!['psi_features_2'] as number).toBeGreaterThan(0.2);
    expect(windows[1]!['psi_features_3']).toBeCloseTo(0, 12);
    expect(windows[2]!['score_psi']).toBeCloseTo(directPsi(scores, scores.map(() => Math.fround(0.999))), 9);
    expect(windows.map((w) => w['drift_alert'])).toEqual([false, true, true]);
    // The totals view (whose row the feature gauges read) follows the windows' view; on a loaded
    // machine it may not have read the last labelled rows yet.
    const featurePsi = /sluice_model_quality_feature_psi\{model="fraud",version="1",role="serving",feature="features_2"\} \d/;
    let metrics = await engine.metrics.metrics();
    for (const end = Date.now() + 20_000; !featurePsi.test(metrics) && Date.now() < end; ) {
      await engine.checkpointAll();
      metrics = await engine.metrics.metrics();
    }
    expect(metrics).toContain('sluice_model_quality_drift_windows{model="fraud",version="1",role="serving"} 2');
    expect(metrics).toMatch(featurePsi);
  }, 60_000);
});
