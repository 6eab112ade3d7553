import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { buildServer } from '../../src/server/app.js';

/**
 * The quality views of a model end to end, over the model's own prediction log (its rows written
 * by hand, so every count is known): metrics equal a direct computation over the joined
 * pairs, DESCRIBE MODEL, GET /v1/models/:name/quality and /metrics show them, and a restart keeps
 * every count (nothing joined twice, nothing lost).
 */
const BASE = Date.UTC(2024, 7, 1);
const ts = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;

interface Prediction { id: string; t: number; version: number; role: string; score: number }
interface Label { id: string; t: number; fraud: boolean }

function data(from: number, to: number, base: number): { predictions: Prediction[]; labels: Label[] } {
  const predictions: Prediction[] = [];
  const labels: Label[] = [];
  for (let i = from; i < to; i++) {
    const t = base + i * 1500;
    const fraud = (i * 7919) % 10 < 3;
    predictions.push({ id: `t${i}`, t, version: 1, role: 'serving', score: ((i * 37) % 64) / 64 });
    predictions.push({ id: `t${i}`, t, version: 2, role: 'shadow', score: fraud ? (40 + (i % 24)) / 64 : ((i * 13) % 44) / 64 });
    if (i % 31 !== 5) labels.push({ id: `t${i}`, t: t + (i % 25 === 3 ? 7_200_000 : 20_000 + (i % 7) * 5000), fraud });
  }
  labels.sort((a, b) => a.t - b.t);
  return { predictions, labels };
}

/** Labels more than an hour after their prediction (`t<i>` is predicted at base + 1.5 s * i). */
function lateLabels(labels: readonly Label[], base: number): number {
  return labels.filter((l) => l.t - base - Number(l.id.slice(1)) * 1500 > 3_600_000).length;
}

function bruteAuc(pairs: readonly [number, boolean][]): number {
  const pos = pairs.filter((p) => p[1]);
  const neg = pairs.filter((p) => !p[1]);
  let s = 0;
  for (const [p] of pos) for (const [q] of neg) s += p > q ? 1 : p === q ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

/** The pairs the quality views must hold: labels at or after their prediction, at most an hour later. */
function joined(predictions: readonly Prediction[], labels: readonly Label[], role: string): [number, boolean][] {
  const byId = new Map(labels.map((l) => [l.id, l]));
  return predictions.filter((p) => p.role === role).flatMap((p) => {
    const l = byId.get(p.id);
    return l && l.t >= p.t && l.t <= p.t + 3_600_000 ? [[p.score, l.fraud] as [number, boolean]] : [];
  });
}

async function insert(engine: Engine, d: { predictions: Prediction[]; labels: Label[] }, tick: number): Promise<void> {
  const p = d.predictions.map((x) => `('q1', '${x.id}', ${ts(x.t)}, ${ts(x.t + 3)}, ${x.version}, '${x.role}', ${x.score}, NULL, 0.5, NULL)`);
  await engine.execute(`INSERT INTO fraud_predictions VALUES ${p.join(', ')}, ('q1', 'tick', ${ts(tick)}, ${ts(tick)}, 1, 'serving', 0.5, NULL, 0.1, NULL)`);
  // The closing label names no prediction (an unmatched label), so it joins nothing.
  await engine.execute(`INSERT INTO labels VALUES ${d.labels.map((l) => `('${l.id}', ${l.fraud}, ${ts(l.t)})`).join(', ')}, ('tock', true, ${ts(tick)})`);
}

/** Checkpoints until the totals view holds `n` labelled rows for the serving role and `labels` label rows are read, `late` of them late. */
async function settle(engine: Engine, n: number, labels: number, late: number): Promise<Record<string, unknown>[]> {
  const until = Date.now() + 20_000;
  for (;;) {
    await engine.checkpointAll();
    const rows = await engine.viewScan('fraud_quality_totals');
    const serving = rows.find((r) => r['role'] === 'serving');
    const counts = (await engine.modelQuality('fraud')).labelCounts;
    const done = serving && Number(serving['labelled']) >= n && counts && counts.labels >= labels && counts.joined >= n && counts.late >= late;
    if (done || Date.now() > until) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('model quality views', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-quality-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // The second part starts after the first part's closing rows, so none of it is late.
  const first = data(0, 200, BASE);
  const second = data(200, 320, BASE + 4 * 3_600_000);

  it('equal a direct computation, and show in DESCRIBE MODEL, the HTTP API and /metrics', async () => {
    const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    try {
      await engine.execute(`
        CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'log' = 'on', 'log.id' = 'tx_id');
        CREATE STREAM labels (tx_id STRING, is_fraud BOOLEAN, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE) WITH (partitions = 1);
        ALTER MODEL fraud SET (labels = 'labels', 'labels.id' = 'tx_id', 'labels.value' = 'is_fraud', 'labels.within' = '1h')`);
      await insert(engine, first, BASE + 3 * 3_600_000);
      const serving = joined(first.predictions, first.labels, 'serving');
      const shadow = joined(first.predictions, first.labels, 'shadow');
      const late = lateLabels(first.labels, BASE);
      const totals = await settle(engine, serving.length, first.labels.length + 1, late);
      const row = (role: string) => totals.find((r) => r['role'] === role)!;
      expect(Number(row('serving')['labelled'])).toBe(serving.length);
      expect(Number(row('shadow')['labelled'])).toBe(shadow.length);
      expect(row('serving')['auc']).toBeCloseTo(bruteAuc(serving), 12);
      expect(row('shadow')['auc']).toBeCloseTo(bruteAuc(shadow), 12);
      expect(row('shadow')['auc'] as number).toBeGreaterThan(row('serving')['auc'] as number);
      // Late: labels two hours after their prediction; unmatched: the closing label, whose id was never scored.
      expect(late).toBe(8);
      expect((await engine.modelQuality('fraud')).labelCounts).toEqual({ labels: first.labels.length + 1, joined: serving.length, late, unmatched: 1 });

      const [described] = await engine.execute('DESCRIBE MODEL fraud');
      const text = described?.kind === 'rows' ? described.rows.map((r) => r.join(': ')).join('\n') : '';
      expect(text).toContain('labels: labels by tx_id, truth is_fraud, within 3600000 ms');
      expect(text).toContain(`quality v2 shadow: labelled ${shadow.length}, auc `);

      const app = buildServer(engine);
      try {
        const res = await app.inject({ method: 'GET', url: '/v1/models/fraud/quality' });
        expect(res.statusCode).toBe(200);
        const body = res.json() as { quality: { windows: Record<string, unknown>[]; totals: Record<string, unknown>[] } };
        expect(body.quality.totals).toHaveLength(2);
        expect(body.quality.windows.length).toBeGreaterThan(0);
        expect(body.quality.windows.reduce((s, w) => s + (w['role'] === 'serving' ? Number(w['labelled']) : 0), 0)).toBeLessThanOrEqual(serving.length);
        expect((await app.inject({ method: 'GET', url: '/v1/models/nope/quality' })).statusCode).toBe(404);
        const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
        expect(metrics).toContain(`sluice_model_quality_labelled_rows{model="fraud",version="2",role="shadow"} ${shadow.length}`);
        expect(metrics).toMatch(/sluice_model_quality_auc\{model="fraud",version="1",role="serving"\} 0\.\d+/);
        expect(metrics).toContain('sluice_model_quality_labels{model="fraud",status="late"} 8');
        expect(metrics).toContain('sluice_model_quality_labels{model="fraud",status="unmatched"} 1');
      } finally {
        await app.close();
      }
    } finally {
      await engine.close();
    }
  });

  it('keep every count across a restart', async () => {
    const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    try {
      expect((await engine.modelQuality('fraud')).labels?.labelId).toBe('tx_id');
      await insert(engine, second, BASE + 8 * 3_600_000);
      const all = { predictions: [...first.predictions, ...second.predictions], labels: [...first.labels, ...second.labels] };
      const serving = joined(all.predictions, all.labels, 'serving');
      const late = lateLabels(first.labels, BASE) + lateLabels(second.labels, BASE + 4 * 3_600_000);
      const totals = await settle(engine, serving.length, all.labels.length + 2, late);
      const row = totals.find((r) => r['role'] === 'serving')!;
      expect(Number(row['labelled'])).toBe(serving.length);
      expect(row['auc']).toBeCloseTo(bruteAuc(serving), 12);
      const counts = (await engine.modelQuality('fraud')).labelCounts!;
      expect(counts).toEqual({ labels: all.labels.length + 2, joined: serving.length, late, unmatched: 2 });
    } finally {
      await engine.close();
    }
  });
});
