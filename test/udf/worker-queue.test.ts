/**
 * The model workers' input path: rows travel through shared slabs, each worker holds a running
 * and a queued batch. Checked against direct onnxruntime calls on a two-input model (so packed
 * rows are split per input) with batch sizes that make the slabs grow mid-run.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayOf, T, type Field } from '../../src/common/types.js';
import { OnnxModel, WORKER_QUEUE_DEPTH } from '../../src/udf/onnx-model.js';
import { linearModel } from './onnx-builder.js';

const INPUTS: Field[] = [
  { name: 'a', type: arrayOf(T.FLOAT, 2), nullable: false },
  { name: 'b', type: arrayOf(T.FLOAT, 3), nullable: false },
];
const OUTPUTS: Field[] = [{ name: 'y', type: T.FLOAT, nullable: false }];

let dir: string;
let path: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-worker-queue-'));
  path = join(dir, 'two.onnx');
  writeFileSync(path, linearModel());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Packed rows of width 5 (a's two values, then b's three). */
function packedRows(rows: number, seed: number): Float32Array {
  return Float32Array.from({ length: rows * 5 }, (_, i) => Math.sin(seed * 7919 + i) * 10);
}

async function directRun(session: ort.InferenceSession, packed: Float32Array, rows: number): Promise<number[]> {
  const a = new Float32Array(rows * 2);
  const b = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    a.set(packed.subarray(r * 5, r * 5 + 2), r * 2);
    b.set(packed.subarray(r * 5 + 2, r * 5 + 5), r * 3);
  }
  const out = await session.run({ a: new ort.Tensor('float32', a, [rows, 2]), b: new ort.Tensor('float32', b, [rows, 3]) });
  return Array.from(out['y']!.data as Float32Array);
}

/** A model with `threads` workers and a direct session on the same file; `check` compares one run with the direct call. */
async function withModel(threads: number, body: (check: (packed: Float32Array, rows: number) => Promise<void>, m: OnnxModel) => Promise<void>): Promise<void> {
  const m = await OnnxModel.load({ name: 'two', path, inputs: INPUTS, outputs: OUTPUTS, device: 'cpu', threads });
  const session = await ort.InferenceSession.create(path);
  try {
    await body(async (packed, rows) => {
      const r = await m.run(packed, rows);
      if (!r.ok) throw r.error;
      expect(Array.from(r.outputs['y'] as Float32Array)).toEqual(await directRun(session, packed, rows));
    }, m);
  } finally {
    await session.release();
    await m.close();
  }
}

describe('model workers', () => {
  it('split packed rows over several inputs exactly as separate tensors would be', async () => {
    await withModel(1, async (check, m) => {
      expect(m.width).toBe(5);
      // Small, then larger than any slab so far (it grows), then small again in the grown slab.
      for (const [k, rows] of [3, 700, 5, 2048, 1].entries()) await check(packedRows(rows, k), rows);
    });
  });

  it('runs more batches at once than it has workers, each with its own rows', async () => {
    const threads = 2;
    await withModel(threads, async (check) => {
      // Three times the batches the workers can hold: the rest wait for a free slab, and rows of
      // a queued batch must not be overwritten by the batch staged after it.
      const sizes = Array.from({ length: threads * WORKER_QUEUE_DEPTH * 3 }, (_, k) => 1 + ((k * 37) % 300));
      await Promise.all(sizes.map((rows, k) => check(packedRows(rows, 100 + k), rows)));
    });
  });
});
