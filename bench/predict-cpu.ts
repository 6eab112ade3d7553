/**
 * CPU time of predict() against direct InferenceSession.run calls on the same rows, in one
 * process (user + system time of all threads per row), for a loaded machine where rows/s say
 * little:  npx tsx --expose-gc bench/predict-cpu.ts [model] [batch] [rows] [runs]
 * The engine's time is split by thread: its main thread, the threads CREATE MODEL started (the
 * model's workers and their intra-op threads), and the rest (garbage collection, JIT compiling,
 * RocksDB). The same query without predict shows the engine's own cost of a row.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT } from '../src/connectors/datagen.js';
import { preload, WARMUP_ROUNDS } from './predict.js';
import { gc, median, now, settle, tempEngine } from './util.js';

const model = process.argv[2] ?? 'models/fraud-mlp-wide.onnx';
const batch = Number(process.argv[3] ?? 256);
const rows = Number(process.argv[4] ?? 32_768);
const runs = Number(process.argv[5] ?? 3);

/** CPU ticks of each thread of this process (/proc; Linux only, else none). */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return ticks;
  }
  for (const tid of tids) {
    try {
      const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
      ticks.set(tid, Number(parts[11]) + Number(parts[12]));
    } catch {
      // The thread ended since the listing.
    }
  }
  return ticks;
}

interface Sample {
  /** µs of CPU a row: all threads, the main thread, the model's threads. */
  readonly cpu: number;
  readonly main: number;
  readonly model: number;
  /** µs of wall time a row. */
  readonly wall: number;
}

async function measure(fn: () => Promise<number>, modelThreads: ReadonlySet<string>): Promise<Sample> {
  gc();
  await settle();
  const t0s = threadTicks();
  const c0 = process.cpuUsage();
  const t0 = now();
  const n = await fn();
  if (n !== rows) throw new Error(`expected ${rows} rows, got ${n}`);
  const c = process.cpuUsage(c0);
  const wall = ((now() - t0) * 1000) / rows;
  const perRow = (tids: (tid: string) => boolean): number => {
    let ticks = 0;
    for (const [tid, t] of threadTicks()) if (tids(tid)) ticks += t - (t0s.get(tid) ?? 0);
    return (ticks * 10_000) / rows;
  };
  return { cpu: (c.user + c.system) / rows, main: perRow((tid) => tid === String(process.pid)), model: perRow((tid) => modelThreads.has(tid)), wall };
}

const te = await tempEngine();
try {
  const packed = await preload(te.engine, rows, 1024);
  const before = new Set(threadTicks().keys());
  await te.engine.execute(`CREATE MODEL m INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = '${model}', 'batch.max_rows' = ${batch}, 'batch.max_wait' = '5ms')`);
  const modelThreads = new Set([...threadTicks().keys()].filter((tid) => !before.has(tid)));
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
  const query = (sql: string) => async () => {
    const [res] = await te.engine.execute(sql, { bounded: true });
    if (res?.kind !== 'push') throw new Error('expected a push result');
    let n = 0;
    try {
      for await (const { batch: b } of res.batches) n += b.numRows;
    } finally {
      res.cancel();
    }
    return n;
  };
  const engine = query(`SELECT tx_id, predict('m', features) AS score FROM ptx`);
  const cases: Record<string, () => Promise<number>> = {
    'direct intra 1': direct(sessions[0]!),
    'direct intra 2': direct(sessions[1]!),
    engine,
    'engine without predict': query('SELECT tx_id, features FROM ptx'),
  };
  const results: Record<string, Sample[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  // Untimed warm-up rounds exactly like the timed ones, so V8 has compiled every measured path first.
  for (let r = -WARMUP_ROUNDS; r < runs; r++) {
    for (const [k, fn] of Object.entries(cases)) {
      const sample = await measure(fn, modelThreads);
      if (r >= 0) results[k]!.push(sample);
    }
  }
  const med = (xs: readonly Sample[], f: (x: Sample) => number): string => median(xs.map(f)).toFixed(2);
  for (const [k, xs] of Object.entries(results)) {
    const split = k === 'engine' ? ` (main thread ${med(xs, (x) => x.main)}, model threads ${med(xs, (x) => x.model)}, other threads ${med(xs, (x) => x.cpu - x.main - x.model)})` : `, main thread CPU ${med(xs, (x) => x.main)} µs/row`;
    console.log(`${k}: CPU ${med(xs, (x) => x.cpu)} µs/row${split}, wall ${med(xs, (x) => x.wall)} µs/row`);
  }
  const best = Math.min(...['direct intra 1', 'direct intra 2'].map((k) => median(results[k]!.map((x) => x.cpu))));
  console.log(`CPU ratio best direct / engine: ${(best / median(results['engine']!.map((x) => x.cpu))).toFixed(2)}`);
} finally {
  await te.close();
}
