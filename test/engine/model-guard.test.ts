import { afterEach, describe, expect, it } from 'vitest';
import { txEvent } from '../../src/connectors/datagen.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { collectRows } from '../sql/collect.js';
import { tempEngine } from './helpers.js';

/**
 * Guarded promotion: a shadow candidate with 'promote.auto' is promoted exactly once when the
 * labelled evidence shows it better, and never when it is worse. The prediction log's rows are
 * written by hand (deterministic scores: the better version separates the classes), so the
 * evidence is known.
 */
const BASE = Date.UTC(2024, 8, 1);
const ts = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;

async function setUp(engine: Engine, candidateBetter: boolean, minLabels: number): Promise<void> {
  await engine.execute(`
    CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'log' = 'on', 'log.id' = 'tx_id');
    CREATE STREAM labels (tx_id STRING, is_fraud BOOLEAN, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE) WITH (partitions = 1);
    ALTER MODEL fraud SET (labels = 'labels', 'labels.id' = 'tx_id', 'labels.value' = 'is_fraud');
    ALTER MODEL fraud SET CANDIDATE (path = 'models/fraud-mlp.onnx', mode = 'shadow', 'promote.auto' = 'on', 'promote.min_labels' = ${minLabels}, 'promote.min_gain' = 0.01)`);
  const preds: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < 300; i++) {
    const t = BASE + i * 1000;
    const fraud = (i * 7919) % 10 < 3;
    const sharp = fraud ? (40 + (i % 24)) / 64 : ((i * 13) % 44) / 64;
    const noisy = ((i * 37) % 64) / 64;
    const [serving, shadow] = candidateBetter ? [noisy, sharp] : [sharp, noisy];
    preds.push(`('q1', 'tx-${i}', NULL, ${ts(t)}, 1, 'serving', ${serving}, NULL, 0.5, NULL)`, `('q1', 'tx-${i}', NULL, ${ts(t)}, 2, 'shadow', ${shadow}, NULL, 0.5, NULL)`);
    labels.push(`('tx-${i}', ${fraud}, ${ts(t + 30_000)})`);
  }
  await engine.execute(`INSERT INTO fraud_predictions VALUES ${preds.join(', ')}`);
  await engine.execute(`INSERT INTO labels VALUES ${labels.join(', ')}`);
}

/** Checkpoints and checks the guards until `done` or the timeout. */
async function until(engine: Engine, done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) {
    await engine.checkpointAll();
    await engine.checkModelGuards();
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('guarded promotion', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('promotes a better candidate exactly once, with its evidence', async () => {
    const t = await tempEngine(50);
    cleanup = t.cleanup;
    const { engine } = t;
    await setUp(engine, true, 200);
    await until(engine, () => engine.models.get('fraud').number === 2, 20_000);
    expect(engine.models.get('fraud').number).toBe(2);
    expect(engine.models.candidate('fraud')).toBeUndefined();
    for (let k = 0; k < 5; k++) await engine.checkModelGuards();
    const promotions = engine.models.events('fraud').filter((e) => e.action === 'promote');
    expect(promotions).toHaveLength(1);
    expect(promotions[0]!.by).toBe('auto');
    expect(promotions[0]!.reason).toMatch(/^AUC 0\.\d{4} of version 2 \(shadow, \d+ labelled rows\) beats 0\.\d{4} of serving version 1 \(\d+ labelled rows\) by more than promote.min_gain 0.01$/);
    const labelled = Number(/shadow, (\d+) labelled/.exec(promotions[0]!.reason!)![1]);
    expect(labelled).toBeGreaterThanOrEqual(200);
    expect(await engine.metrics.metrics()).toContain('sluice_model_auto_decisions_total{model="fraud",action="promote"} 1');
    // The decision is one row of fraud_events, with both AUCs, the labelled rows and the guard's thresholds.
    const events = await eventRows(engine);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e).toMatchObject({ action: 'promote', version: 2, serving_version: 1, reason: promotions[0]!.reason, min_labels: 200n, min_gain: 0.01, max_error_rate: null, max_p99_ms: null });
    expect(e['candidate_labelled']).toBe(BigInt(labelled));
    expect(Number(e['serving_labelled'])).toBeGreaterThanOrEqual(200);
    expect((e['candidate_auc'] as number).toFixed(4)).toBe(/^AUC (0\.\d{4})/.exec(promotions[0]!.reason!)![1]);
    expect((e['serving_auc'] as number).toFixed(4)).toBe(/beats (0\.\d{4})/.exec(promotions[0]!.reason!)![1]);
    expect((e['candidate_auc'] as number) - (e['serving_auc'] as number)).toBeGreaterThan(0.01);

    // The decision was written with the record of the serving version: a restart serves version
    // 2 with no candidate, holds the one event row, and decides nothing again.
    await engine.close();
    const again = await Engine.open({ dataDir: t.dir, checkpointIntervalMs: 50 });
    cleanup = async () => {
      await again.close();
      rmSync(t.dir, { recursive: true, force: true });
    };
    expect(again.models.get('fraud').number).toBe(2);
    expect(again.models.candidate('fraud')).toBeUndefined();
    for (let k = 0; k < 5; k++) await again.checkModelGuards();
    expect(await eventRows(again)).toEqual(events);
  });

  it('decides again after a restart when the decision was not written, and then once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-guard-'));
    // No timers: checkpoints and guard checks run only when the test calls them.
    const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 600_000 });
    cleanup = async () => {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    };
    await setUp(engine, true, 200);
    await untilLabelled(engine, 300);
    // The process dies at the decision's write: the batch is never written.
    const batch = engine.store.batch.bind(engine.store);
    engine.store.batch = () => {
      const wb = batch();
      wb.write = () => Promise.reject(new Error('killed before the write'));
      return wb;
    };
    await engine.checkModelGuards();
    engine.store.batch = batch;
    expect(engine.models.get('fraud').number).toBe(2);
    await engine.close();

    const again = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    cleanup = async () => {
      await again.close();
      rmSync(dir, { recursive: true, force: true });
    };
    // Nothing of the decision was kept: version 1 serves, version 2 is the guarded candidate, no event.
    expect(again.models.get('fraud').number).toBe(1);
    expect(again.models.candidate('fraud')?.version.number).toBe(2);
    expect(await eventRows(again)).toEqual([]);
    await until(again, () => again.models.get('fraud').number === 2, 20_000);
    for (let k = 0; k < 5; k++) await again.checkModelGuards();
    expect(again.models.get('fraud').number).toBe(2);
    expect((await eventRows(again)).map((e) => [e['action'], e['version'], e['serving_version']])).toEqual([['promote', 2, 1]]);
  });

  it('never promotes a worse candidate', async () => {
    const t = await tempEngine(50);
    cleanup = t.cleanup;
    const { engine } = t;
    await setUp(engine, false, 200);
    // Wait until the evidence is all in (every row labelled for both versions), then keep checking.
    await untilLabelled(engine, 300);
    for (let k = 0; k < 10; k++) await engine.checkModelGuards();
    expect(engine.models.get('fraud').number).toBe(1);
    expect(engine.models.candidate('fraud')?.version.number).toBe(2);
    expect(engine.models.events('fraud').filter((e) => e.action === 'promote')).toHaveLength(0);
  });
});

/** Checkpoints until both versions have `n` labelled rows in the quality totals. */
async function untilLabelled(engine: Engine, n: number): Promise<void> {
  let labelled = 0;
  const end = Date.now() + 20_000;
  while (labelled < n && Date.now() < end) {
    await engine.checkpointAll();
    const rows = await engine.viewScan('fraud_quality_totals');
    labelled = Math.min(...[1, 2].map((v) => Number(rows.find((r) => r['version'] === v)?.['labelled'] ?? 0)));
  }
  expect(labelled).toBe(n);
}

/** The rows of fraud_events as objects. */
async function eventRows(engine: Engine): Promise<Record<string, unknown>[]> {
  const r = await collectRows(engine, 'SELECT * FROM fraud_events');
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

/**
 * Rollback bounds: a canary whose error rate or batch latency p99 breaches its bound is dropped
 * exactly once, with the evidence in DESCRIBE MODEL's history, the metric and fraud_events; a
 * canary within its bounds is kept.
 */
describe('guarded rollback of a canary', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  /** An engine serving models/fraud.onnx with a canary for half the keys, guarded as `candidate` says. */
  async function canary(candidate: string): Promise<Engine> {
    const t = await tempEngine(50);
    cleanup = t.cleanup;
    const { engine } = t;
    await engine.execute(`
      CREATE STREAM tx (tx_id STRING, features ARRAY<FLOAT>(30)) WITH (partitions = 1);
      CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'batch.max_rows' = 16, 'batch.max_wait' = '0ms', device = 'cpu');
      ALTER MODEL fraud SET CANDIDATE (mode = 'canary', share = 0.5, key = 'tx_id', ${candidate})`);
    const rows = Array.from({ length: 64 }, (_, i) => txEvent(i)).map((e) => `('${e.tx_id}', ARRAY[${Array.from(e.features).join(', ')}])`);
    await engine.execute(`INSERT INTO tx VALUES ${rows.join(', ')}`);
    // The engine checks guards every checkpoint interval too, so a breaching canary may be gone
    // before the query ends.
    await collectRows(engine, "SELECT tx_id, model_role('fraud') AS r, predict('fraud', features) AS s FROM tx");
    return engine;
  }

  async function expectDroppedOnce(engine: Engine, reason: RegExp): Promise<Record<string, unknown>> {
    for (let k = 0; k < 5; k++) await engine.checkModelGuards();
    expect(engine.models.candidate('fraud')).toBeUndefined();
    expect(engine.models.get('fraud').number).toBe(1);
    const drops = engine.models.events('fraud').filter((e) => e.action === 'drop candidate');
    expect(drops).toHaveLength(1);
    expect(drops[0]!.by).toBe('auto');
    expect(drops[0]!.reason).toMatch(reason);
    expect(await engine.metrics.metrics()).toContain('sluice_model_auto_decisions_total{model="fraud",action="rollback"} 1');
    const events = await eventRows(engine);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'rollback', version: 2, serving_version: 1, reason: drops[0]!.reason, candidate_auc: null, candidate_labelled: null });
    expect(Number(events[0]!['candidate_rows'])).toBeGreaterThan(0);
    return events[0]!;
  }

  it('drops a canary whose error rate is above rollback.max_error_rate, once, with its evidence', async () => {
    // models/slow.onnx misses a 10 ms timeout on every batch: every canary row fails.
    const engine = await canary("path = 'models/slow.onnx', timeout = '10ms', 'rollback.max_error_rate' = 0.01");
    const e = await expectDroppedOnce(engine, /^error rate 1\.0000 over \d+ rows is above rollback.max_error_rate 0.01$/);
    expect(e['error_rate']).toBe(1);
    expect(e['max_error_rate']).toBe(0.01);
    expect(e['max_p99_ms']).toBeNull();
  }, 60_000);

  it('drops a canary whose batch latency p99 is above rollback.max_p99, once, with its evidence', async () => {
    const engine = await canary("path = 'models/fraud-mlp.onnx', 'rollback.max_p99' = '1us'");
    const e = await expectDroppedOnce(engine, /^batch latency p99 \d+\.\d{2} ms is above rollback.max_p99 0.001 ms$/);
    expect(e['p99_ms']).toBeGreaterThan(0.001);
    expect(e['max_p99_ms']).toBe(0.001);
    expect(e['error_rate']).toBe(0);
  }, 60_000);

  it('keeps a canary within its bounds', async () => {
    const engine = await canary("path = 'models/fraud-mlp.onnx', 'rollback.max_error_rate' = 0.01, 'rollback.max_p99' = '10s'");
    for (let k = 0; k < 5; k++) await engine.checkModelGuards();
    expect(engine.models.candidate('fraud')?.version.number).toBe(2);
    expect(engine.models.describe('fraud').candidate?.stats?.rows ?? 0).toBeGreaterThan(0);
    expect(engine.models.events('fraud').filter((e) => e.by === 'auto')).toHaveLength(0);
    expect(await eventRows(engine)).toHaveLength(0);
    expect(await engine.metrics.metrics()).not.toContain('sluice_model_auto_decisions_total{model="fraud"');
  }, 60_000);
});
