/**
 * Models with several outputs of different types: predict() gives a STRUCT of them, field access
 * picks one, ARRAY outputs keep their values per row, BIGINT and BOOLEAN outputs keep their
 * types. Checked against a direct onnxruntime call on the same rows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { linearModel } from '../udf/onnx-builder.js';
import { take, tempEngine } from './helpers.js';

const ROWS = 40;
/** Row i: a = [i, -i / 2], b = [(i % 7) - 3, 1.25, i / 10]; y crosses 0 so `positive` takes both values. */
function inputs(i: number): { a: number[]; b: number[] } {
  return { a: [i, -i / 2], b: [(i % 7) - 3, 1.25, i / 10] };
}

describe('predict() with several outputs', () => {
  let engine: Engine;
  let dir: string;
  let cleanup: () => Promise<void>;
  let direct: { y: Float32Array; z: Float32Array; pair: Float32Array; whole: BigInt64Array; positive: Uint8Array };

  beforeEach(async () => {
    ({ engine, dir, cleanup } = await tempEngine());
    const path = join(dir, 'multi.onnx');
    writeFileSync(path, linearModel(true));
    await engine.execute(`
      CREATE STREAM s (id INT, a ARRAY<FLOAT>(2), b ARRAY<FLOAT>(3)) WITH (partitions = 1);
      CREATE MODEL m INPUT (a ARRAY<FLOAT>(2), b ARRAY<FLOAT>(3))
        OUTPUT (y FLOAT, z FLOAT, pair ARRAY<FLOAT>(2), whole BIGINT, positive BOOLEAN)
        WITH (path = '${path}', 'batch.max_rows' = 16, 'batch.max_wait' = '1ms');`);
    const rows = Array.from({ length: ROWS }, (_, i) => inputs(i));
    await engine.execute(`INSERT INTO s VALUES ${rows.map((r, i) => `(${i}, ARRAY[${r.a.join(', ')}], ARRAY[${r.b.join(', ')}])`).join(', ')}`);
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({
      a: new ort.Tensor('float32', Float32Array.from(rows.flatMap((r) => r.a)), [ROWS, 2]),
      b: new ort.Tensor('float32', Float32Array.from(rows.flatMap((r) => r.b)), [ROWS, 3]),
    });
    direct = {
      y: out['y']!.data as Float32Array,
      z: out['z']!.data as Float32Array,
      pair: out['pair']!.data as Float32Array,
      whole: out['whole']!.data as BigInt64Array,
      positive: out['positive']!.data as Uint8Array,
    };
    await session.release();
  });
  afterEach(async () => cleanup());

  it('returns a STRUCT of every output, each with its declared type', async () => {
    const [res] = await engine.execute("SELECT id, predict('m', a, b) AS p FROM s", { bounded: true });
    if (res?.kind !== 'push') throw new Error('expected a push result');
    expect(res.columns[1]).toEqual({ name: 'p', type: 'STRUCT<y FLOAT, z FLOAT, pair ARRAY<FLOAT>(2), whole BIGINT, positive BOOLEAN>' });
    const rows = await take(res, ROWS);
    expect(rows).toHaveLength(ROWS);
    const positives = new Set<boolean>();
    for (const row of rows) {
      const i = row.values[0] as number;
      const p = row.values[1] as { y: number; z: number; pair: number[]; whole: bigint | number; positive: boolean };
      expect(p.y).toBe(direct.y[i]);
      expect(p.z).toBe(direct.z[i]);
      expect(Array.from(p.pair)).toEqual([direct.pair[2 * i], direct.pair[2 * i + 1]]);
      expect(BigInt(p.whole)).toBe(direct.whole[i]);
      expect(p.positive).toBe(direct.positive[i] === 1);
      positives.add(p.positive);
    }
    expect(positives).toEqual(new Set([true, false]));
  });

  it('picks outputs by field, ARRAY outputs included, from one model call per row', async () => {
    const [res] = await engine.execute("SELECT id, predict('m', a, b).pair AS pair, predict('m', a, b).whole AS whole FROM s", { bounded: true });
    if (res?.kind !== 'push') throw new Error('expected a push result');
    expect(res.columns.map((c) => c.type)).toEqual(['INT', 'ARRAY<FLOAT>(2)', 'BIGINT']);
    const rows = await take(res, ROWS);
    expect(rows).toHaveLength(ROWS);
    for (const row of rows) {
      const i = row.values[0] as number;
      expect(Array.from(row.values[1] as ArrayLike<number>)).toEqual([direct.pair[2 * i], direct.pair[2 * i + 1]]);
      expect(BigInt(row.values[2] as bigint | number)).toBe(direct.whole[i]);
    }
    expect(engine.models.stats('m').snapshot().rows).toBe(ROWS);
  });
});
