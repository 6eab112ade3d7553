/**
 * CPU time of predict() against direct InferenceSession.run calls on the same rows, in one
 * process (user + system time of all threads per row), for a loaded machine where rows/s say
 * little:  npx tsx --expose-gc bench/predict-cpu.ts [model] [batch] [rows] [runs]
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT } from '../src/connectors/datagen.js';
import { preload } from './predict.js';
import { gc, median, now, settle, tempEngine } from './util.js';

const model = process.argv[2] ?? 'models/fraud-mlp-wide.onnx';
const batch = Number(process.argv[3] ?? 256);
const rows = Number(process.argv[4] ?? 32_768);
const runs = Number(process.argv[5] ?? 3);

/** CPU ticks of this process's main thread (/proc; Linux only, else 0). */
function mainTicks(): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(parts[11]) + Number(parts[12]);
  } catch {
    return 0;
  }
}

async function measure(fn: () => Promise<number>): Promise<{ cpu: number; wall: number; main: number }> {
  gc();
  await settle();
  const m0 = mainTicks();
  const c0 = process.cpuUsage();
  const t0 = now();
  const n = await fn();
  if (n !== rows) throw new Error(`expected ${rows} rows, got ${n}`);
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / rows, wall: ((now() - t0) * 1000) / rows, main: ((mainTicks() - m0) * 10_000) / rows };
}

const te = await tempEngine();
try {
  const packed = await preload(te.engine, rows, 1024);
  await te.engine.execute(`CREATE MODEL m INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = '${model}', 'batch.max_rows' = ${batch}, 'batch.max_wait' = '5ms')`);
  const sessions = await Promise.all([1, 2].map((intra) => ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: intra, interOpNumThreads: 1, graphOptimizationLevel: 'all' })));
  const direct = (s: ort.InferenceSession) => async () => {
    let n = 0;
    for (let off = 0; off < rows; off += batch) {
      const k = Math.min(batch, rows - off);
      const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', packed.subarray(off * FEATURE_COUNT, (off + k) * FEATURE_COUNT), [k, FEATURE_COUNT]) });
      n += (out[s.outputNames[0]!]!.data as Float32Array).length;
    }
    return n;
  };
  const engine = async () => {
    const [res] = await te.engine.execute(`SELECT tx_id, predict('m', features) AS score FROM ptx`, { bounded: true });
    if (res?.kind !== 'push') throw new Error('expected a push result');
    let n = 0;
    try {
      for await (const { batch: b } of res.batches) n += b.numRows;
    } finally {
      res.cancel();
    }
    return n;
  };
  const results: Record<string, { cpu: number; wall: number; main: number }[]> = { 'direct intra 1': [], 'direct intra 2': [], engine: [] };
  await engine();
  for (let r = 0; r < runs; r++) {
    results['direct intra 1']!.push(await measure(direct(sessions[0]!)));
    results['direct intra 2']!.push(await measure(direct(sessions[1]!)));
    results['engine']!.push(await measure(engine));
  }
  for (const [k, xs] of Object.entries(results)) console.log(`${k}: CPU ${median(xs.map((x) => x.cpu)).toFixed(2)} µs/row, wall ${median(xs.map((x) => x.wall)).toFixed(2)} µs/row, main thread CPU ${median(xs.map((x) => x.main)).toFixed(2)} µs/row`);
  const best = Math.min(...['direct intra 1', 'direct intra 2'].map((k) => median(results[k]!.map((x) => x.cpu))));
  console.log(`CPU ratio best direct / engine: ${(best / median(results['engine']!.map((x) => x.cpu))).toFixed(2)}`);
} finally {
  await te.close();
}
