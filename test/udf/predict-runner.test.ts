import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/udf/model-registry.js';
import { errorOf, PredictRunner, scoredByFallback, versionOf, type PredictResult } from '../../src/udf/predict-runner.js';
import { dataset, INPUTS, OUTPUTS, WIDTH } from './helpers.js';

const data = dataset();
const registry = new ModelRegistry();
let expectedLr: Float32Array;
let expectedMlp: Float32Array;

/** Scores each row alone with a direct session, so the reference does not depend on batching. */
async function reference(path: string): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(path);
  const out = new Float32Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    const res = await s.run({ features: new ort.Tensor('float32', data.features.slice(r * WIDTH, (r + 1) * WIDTH), [1, WIDTH]) });
    out[r] = (res['score']!.data as Float32Array)[0]!;
  }
  await s.release();
  return out;
}

function rowsOf(start: number, n: number): Float32Array {
  return data.features.subarray(start * WIDTH, (start + n) * WIDTH);
}

beforeAll(async () => {
  expectedLr = await reference('models/fraud.onnx');
  expectedMlp = await reference('models/fraud-mlp.onnx');
});
afterAll(() => registry.close());

describe('PredictRunner', () => {
  it('equals a direct InferenceSession.run, with batches cut by max_rows', async () => {
    await registry.register('lr', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu', 'batch.max_rows': 100, 'batch.max_wait': '1s', inflight: 2 });
    const runner = new PredictRunner(registry, 'LR', WIDTH);
    const chunks: Promise<PredictResult>[] = [];
    for (let start = 0; start < data.rows; start += 37) chunks.push(runner.submit(rowsOf(start, Math.min(37, data.rows - start)), Math.min(37, data.rows - start)));
    // max_wait is 1s: only full batches leave before flush().
    await new Promise((r) => setTimeout(r, 100));
    expect(registry.stats('lr').snapshot().batches).toBe(5);
    await runner.flush();
    const results = await Promise.all(chunks);
    const scores = new Float32Array(data.rows);
    let at = 0;
    for (const r of results) {
      expect(r.errorCount).toBe(0);
      expect(r.versions).toBe(1);
      scores.set(r.outputs['score'] as Float32Array, at);
      at += r.rows;
    }
    expect(at).toBe(data.rows);
    expect(Array.from(scores)).toEqual(Array.from(expectedLr));
    const s = registry.stats('lr').snapshot();
    expect(s.rows).toBe(data.rows);
    expect(s.batches).toBe(6); // 5 x 100 + 69
    expect(s.batchSize.buckets.find((b) => b.le === 128)?.count).toBe(6);
    expect(s.latencyMs.p50).not.toBeNull();
    await runner.close();
  });

  it('sends a partial batch after max_wait', async () => {
    await registry.register('waity', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu', 'batch.max_rows': 1000, 'batch.max_wait': '30ms' });
    const runner = new PredictRunner(registry, 'waity', WIDTH);
    const t0 = performance.now();
    const a = runner.submit(rowsOf(0, 3), 3);
    const b = runner.submit(rowsOf(3, 4), 4);
    await new Promise((r) => setTimeout(r, 10));
    expect(registry.stats('waity').snapshot().batches).toBe(0);
    const [ra, rb] = await Promise.all([a, b]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    expect(registry.stats('waity').snapshot().batches).toBe(1);
    expect(registry.stats('waity').snapshot().batchSize.buckets.find((x) => x.le === 8)?.count).toBe(1);
    expect(Array.from(ra.outputs['score'] as Float32Array)).toEqual(Array.from(expectedLr.subarray(0, 3)));
    expect(Array.from(rb.outputs['score'] as Float32Array)).toEqual(Array.from(expectedLr.subarray(3, 7)));
  });

  it('keeps order with several batches in flight', async () => {
    await registry.register('many', INPUTS, OUTPUTS, { path: 'models/fraud-mlp.onnx', device: 'cpu', 'batch.max_rows': 16, 'batch.max_wait': '0ms', inflight: 4 });
    const runner = new PredictRunner(registry, 'many', WIDTH);
    const order: number[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0, start = 0; start < data.rows; i++) {
      const n = Math.min(1 + ((i * 7) % 23), data.rows - start);
      const s0 = start;
      all.push(
        runner.submit(rowsOf(s0, n), n).then((r) => {
          order.push(s0);
          expect(Array.from(r.outputs['score'] as Float32Array)).toEqual(Array.from(expectedMlp.subarray(s0, s0 + n)));
        }),
      );
      start += n;
    }
    await runner.flush();
    await Promise.all(all);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(registry.stats('many').snapshot().rows).toBe(data.rows);
  });

  it('hot swap under load: no row lost or repeated, versions monotone', async () => {
    await registry.register('swap', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu', 'batch.max_rows': 8, 'batch.max_wait': '1ms', inflight: 2 });
    const runner = new PredictRunner(registry, 'swap', WIDTH);
    const results: { start: number; r: PredictResult }[] = [];
    const pending: Promise<void>[] = [];
    let submitted = 0;
    const starts: number[] = [];
    let swapping = true;
    const swaps = (async () => {
      for (let round = 0; round < 6; round++) {
        await new Promise((r) => setTimeout(r, 5));
        await registry.alter('swap', { path: round % 2 === 0 ? 'models/fraud-mlp.onnx' : 'models/fraud.onnx' });
      }
      swapping = false;
    })();
    for (let k = 0; swapping || k % 50 !== 0; k++) {
      const start = submitted % data.rows;
      const n = Math.min(5, data.rows - start);
      starts.push(start);
      pending.push(runner.submit(rowsOf(start, n), n).then((r) => void results.push({ start, r })));
      submitted += n;
      if (k % 4 === 3) await new Promise((r) => setTimeout(r, 1));
    }
    await swaps;
    await runner.flush();
    await Promise.all(pending);
    expect(registry.get('swap').number).toBe(7);
    let rows = 0;
    let last = 0;
    const seen = new Set<number>();
    for (const { start, r } of results) {
      for (let i = 0; i < r.rows; i++) {
        expect(errorOf(r, i)).toBeUndefined();
        const v = versionOf(r, i);
        expect(v).toBeGreaterThanOrEqual(last);
        last = v;
        seen.add(v);
        // Odd versions are the logistic regression, even ones the MLP.
        const expected = v % 2 === 1 ? expectedLr : expectedMlp;
        expect(r.outputs['score']![i]).toBe(expected[start + i]);
        rows++;
      }
    }
    expect(results.map((x) => x.start)).toEqual(starts);
    expect(rows).toBe(submitted);
    expect(seen.size).toBeGreaterThan(1);
    expect(registry.versions('swap').map((v) => v.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('a submission split by a swap reports the version of each row', async () => {
    await registry.register('split', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu', 'batch.max_rows': 10, 'batch.max_wait': '1h', inflight: 1 });
    const runner = new PredictRunner(registry, 'split', WIDTH);
    // Two full batches leave at once on version 1; the last 5 rows wait for flush(), after the swap.
    const pending = runner.submit(rowsOf(0, 25), 25);
    await registry.alter('split', { path: 'models/fraud-mlp.onnx' });
    await runner.flush();
    const r = await pending;
    expect(r.errorCount).toBe(0);
    expect(r.versions).toBeInstanceOf(Int32Array);
    expect(Array.from({ length: 25 }, (_, i) => versionOf(r, i))).toEqual([...Array<number>(20).fill(1), ...Array<number>(5).fill(2)]);
    expect(r.fallback).toBe(false);
    expect(Array.from(r.outputs['score'] as Float32Array)).toEqual([...expectedLr.subarray(0, 20), ...expectedMlp.subarray(20, 25)]);
    await runner.close();
  });

  it('timeout -> fallback scores the batch and marks the rows', async () => {
    await registry.register('quick', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu' });
    await registry.register('slow_fb', INPUTS, OUTPUTS, { path: 'models/slow.onnx', device: 'cpu', timeout: '10ms', fallback: 'quick', 'batch.max_wait': '0ms' });
    const runner = new PredictRunner(registry, 'slow_fb', WIDTH);
    const r = await runner.submit(rowsOf(0, 10), 10);
    expect(r.errorCount).toBe(0);
    expect(r.fallback).toBe(true);
    expect(r.fallbackModel).toBe('quick');
    expect(scoredByFallback(r, 3)).toBe(true);
    expect(r.versions).toBe(1);
    expect(Array.from(r.outputs['score'] as Float32Array)).toEqual(Array.from(expectedLr.subarray(0, 10)));
    const s = registry.stats('slow_fb').snapshot();
    expect(s.timeouts).toBe(1);
    expect(s.fallbacks).toBe(1);
    expect(s.fallbackRows).toBe(10);
    expect(registry.stats('quick').snapshot().rowsAsFallback).toBe(10);
  });

  it('timeout without fallback returns every row flagged, in order', async () => {
    await registry.register('slow_err', INPUTS, OUTPUTS, { path: 'models/slow.onnx', device: 'cpu', timeout: '10ms', 'batch.max_wait': '0ms', 'batch.max_rows': 4 });
    const runner = new PredictRunner(registry, 'slow_err', WIDTH);
    const [a, b] = await Promise.all([runner.submit(rowsOf(0, 6), 6), runner.submit(rowsOf(6, 2), 2)]);
    for (const r of [a, b]) {
      expect(r.errorCount).toBe(r.rows);
      expect(r.versions).toBe(0);
      expect(errorOf(r, 0)).toBe("model 'slow_err' version 1 missed its 10ms timeout");
      expect(Number.isNaN(r.outputs['score']![0])).toBe(true);
    }
    expect(a.rows + b.rows).toBe(8);
    expect(registry.stats('slow_err').snapshot().errorRows).toBe(8);
  });

  it('rows of a dropped model come back as errors', async () => {
    await registry.register('gone', INPUTS, OUTPUTS, { path: 'models/fraud.onnx', device: 'cpu', 'batch.max_wait': '0ms' });
    const runner = new PredictRunner(registry, 'gone', WIDTH);
    await registry.drop('gone');
    const r = await runner.submit(rowsOf(0, 2), 2);
    expect(r.errors).toEqual(["unknown model 'gone'", "unknown model 'gone'"]);
  });
});
