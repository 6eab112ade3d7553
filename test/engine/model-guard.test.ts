import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
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
  });

  it('never promotes a worse candidate', async () => {
    const t = await tempEngine(50);
    cleanup = t.cleanup;
    const { engine } = t;
    await setUp(engine, false, 200);
    // Wait until the evidence is all in (every row labelled for both versions), then keep checking.
    let labelled = 0;
    const end = Date.now() + 20_000;
    while (labelled < 300 && Date.now() < end) {
      await engine.checkpointAll();
      const rows = await engine.viewScan('fraud_quality_totals');
      labelled = Math.min(...[1, 2].map((v) => Number(rows.find((r) => r['version'] === v)?.['labelled'] ?? 0)));
    }
    expect(labelled).toBe(300);
    for (let k = 0; k < 10; k++) await engine.checkModelGuards();
    expect(engine.models.get('fraud').number).toBe(1);
    expect(engine.models.candidate('fraud')?.version.number).toBe(2);
    expect(engine.models.events('fraud').filter((e) => e.action === 'promote')).toHaveLength(0);
  });
});
