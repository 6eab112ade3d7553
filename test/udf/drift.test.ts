import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { PSI_EPSILON, REFERENCE_BINS, parseReference, referenceBins, ReferenceCollector } from '../../src/udf/drift.js';
import { T } from '../../src/common/types.js';
import { collectRows } from '../sql/collect.js';
import { tempEngine } from '../engine/helpers.js';

/** PSI as docs/models.md defines it, computed directly from the two samples. */
function directPsi(reference: readonly number[], actual: readonly number[]): number {
  const ref = [...reference].sort((a, b) => a - b);
  const cuts = [...new Set(Array.from({ length: REFERENCE_BINS - 1 }, (_, k) => ref[Math.floor(((k + 1) * ref.length) / REFERENCE_BINS)]!))];
  const bin = (v: number) => cuts.filter((c) => c <= v).length;
  const share = (xs: readonly number[]) => {
    const counts = new Array<number>(cuts.length + 1).fill(0);
    for (const v of xs) counts[bin(v)] = (counts[bin(v)] ?? 0) + 1;
    return counts.map((c) => c / xs.length);
  };
  const e = share(ref);
  const a = share(actual);
  return e.reduce((s, ei, i) => {
    const x = Math.max(a[i]!, PSI_EPSILON);
    const y = Math.max(ei, PSI_EPSILON);
    return s + (x - y) * Math.log(x / y);
  }, 0);
}

let seed = 5;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const normal = (mean: number, sd: number) => mean + sd * Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
const round = (v: number) => Math.round(v * 1000) / 1000;
const reference = Array.from({ length: 2000 }, () => round(normal(10, 2)));
const scores = Array.from({ length: 2000 }, () => round(rnd()));

describe('drift: reference bins and PSI', () => {
  it('cuts at the reference deciles, collapses repeated cut points, and is 0 against itself', () => {
    const bins = referenceBins(reference)!;
    expect(bins.cuts).toHaveLength(9);
    expect(bins.expected.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    const few = referenceBins([1, 1, 1, 1, 2, 2, 2, 3, 3, 3])!;
    expect(few.cuts).toEqual([1, 2, 3]);
    expect(few.expected).toEqual([0, 0.4, 0.3, 0.3]);
    expect(referenceBins([Number.NaN])).toBeUndefined();
  });

  it('reads CSV and NDJSON references per feature, and says what is wrong with a bad one', () => {
    const inputs = [{ name: 'features', type: { kind: 'ARRAY', element: T.FLOAT, size: 2 } as const, nullable: true }];
    const outputs = [{ name: 'score', type: T.FLOAT, nullable: true }];
    const csv = ['features[1],score', ...reference.map((v, i) => `${v},${scores[i]}`)].join('\n');
    const fromCsv = parseReference('m', 'ref.csv', csv, inputs, outputs);
    expect(fromCsv['features[1]']).toEqual(referenceBins(reference));
    expect(fromCsv['score']).toEqual(referenceBins(scores));
    expect(fromCsv['features[2]']).toBeUndefined();
    const nd = reference.map((v, i) => JSON.stringify({ features: [v, -v], score: scores[i] })).join('\n');
    const fromNd = parseReference('m', 'ref.ndjson', nd, inputs, outputs);
    expect(fromNd['features[2]']).toEqual(referenceBins(reference.map((v) => -v)));
    expect(() => parseReference('m', 'ref.csv', 'amount,label\n1,2', inputs, outputs)).toThrow(/header names none of the model's features/);
    expect(() => parseReference('m', 'ref.ndjson', '{"score": 1}\nnot json', inputs, outputs)).toThrow(/line 2: not a JSON object/);
    const collector = new ReferenceCollector(inputs, outputs, 3);
    for (const v of [1, 2, 3, 4]) collector.add({ features: [v, v], score: v / 10 });
    expect(collector.reference?.['score']).toEqual(referenceBins([0.1, 0.2, 0.3]));
  });
});

describe('PSI(value, model, feature) in SQL', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  const shifted = Array.from({ length: 600 }, (_, i) => round(normal(i < 300 ? 10 : 11.5, 2)));

  beforeAll(async () => {
    let dir: string;
    ({ engine, dir, cleanup } = await tempEngine());
    writeFileSync(join(dir, 'fraud-reference.csv'), ['features[1],score', ...reference.map((v, i) => `${v},${scores[i]}`)].join('\n'));
    await engine.execute(`CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', reference = '${join(dir, 'fraud-reference.csv')}')`);
    await engine.execute('CREATE STREAM s (v DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (partitions = 1)');
    const rows = shifted.map((v, i) => `(${v}, TIMESTAMP '2024-07-01 00:${String(Math.floor(i / 10)).padStart(2, '0')}:00')`);
    await engine.execute(`INSERT INTO s VALUES ${rows.join(', ')}, (NULL, TIMESTAMP '2024-07-01 00:00:00')`);
  });
  afterAll(() => cleanup());

  it('equals the direct computation over the whole stream and per window', async () => {
    const all = await collectRows(engine, "SELECT PSI(v, 'fraud', 'features[1]') FROM s");
    expect(all.rows[0]![0]).toBeCloseTo(directPsi(reference, shifted), 12);
    const windows = await collectRows(engine, "SELECT window_start, PSI(v, 'fraud', 'features[1]') AS psi FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '30' MINUTE)) GROUP BY window_start, window_end");
    const byStart = [...windows.rows].sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(byStart).toHaveLength(2);
    expect(byStart[0]![1]).toBeCloseTo(directPsi(reference, shifted.slice(0, 300)), 12);
    expect(byStart[1]![1]).toBeCloseTo(directPsi(reference, shifted.slice(300)), 12);
    // The first half follows the reference, the second is shifted by 0.75 standard deviations.
    expect(byStart[0]![1] as number).toBeLessThan(0.1);
    expect(byStart[1]![1] as number).toBeGreaterThan(0.2);
  });

  it('refuses an unknown feature and a feature without reference, with a caret', async () => {
    await expect(engine.execute("SELECT PSI(v, 'fraud', 'featres[1]') FROM s")).rejects.toThrow(/model 'fraud' has no feature 'featres\[1\]'/);
    await expect(engine.execute("SELECT PSI(v, 'fraud', 'features[2]') FROM s")).rejects.toThrow(/no reference distribution of feature 'features\[2\]'/);
    await expect(engine.execute("SELECT PSI(v, 'fraud', v) FROM s")).rejects.toThrow(/PSI expects \(value, 'model', 'feature'\[, version\]\)/);
    const err = await engine.execute("SELECT PSI(v, 'fraud', 'features[2]') FROM s").catch((e: { render?: () => string }) => e.render?.());
    expect(err).toContain("                          ^^^^^^^^^^^^^");
    expect(err).toContain("add a 'features[2]' column to its reference file");
  });
});
