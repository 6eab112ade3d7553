/**
 * Model throughput: rows/s through `SELECT predict(...)` on the embedded engine versus calling
 * onnxruntime-node's InferenceSession.run directly on the same rows, in batches of the same size,
 * in the same process. Rows are pre-loaded into an embedded-log stream as Arrow batches (no SQL
 * INSERT parsing), the query runs bounded, and the rows that come out are counted.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT, txEvent } from '../src/connectors/datagen.js';
import { batchFromRows } from '../src/exec/columns.js';
import { encodeBatch } from '../src/exec/ipc.js';
import type { Engine } from '../src/engine/engine.js';
import { gc, median, now, rate, ratio, reasonOf, section, settle, spread, tempEngine, timeBounded, type Section } from './util.js';

export interface PredictOptions {
  readonly rows: number;
  readonly runs: number;
  readonly batchSizes: readonly number[];
}

const MODELS = [
  { label: 'fraud (logistic regression)', path: 'models/fraud.onnx', prefix: 'lr' },
  { label: 'fraud-mlp (30-16-1)', path: 'models/fraud-mlp.onnx', prefix: 'mlp' },
  { label: 'fraud-mlp-wide (30-256-256-1)', path: 'models/fraud-mlp-wide.onnx', prefix: 'wide' },
] as const;

/** engine / direct wanted at batch.max_rows >= 256 (issue "Faster than the code a user would write"). */
const TARGET = 0.85;

/**
 * Untimed rounds before the timed ones, each exactly like a timed round (every direct session,
 * then the engine both ways, all rows), so V8 has compiled every measured path before any
 * figure is taken: with a shorter warm-up the engine's later runs still paid for compiling.
 * Measured on 2 cores with the wide MLP at batch 256: the engine's rate rose for about ten runs
 * of all rows (550k to 1.1-1.5M rows/s, with new model workers each run too), as V8's
 * optimizing compiler runs in a background thread that the model workers leave little CPU; 2
 * warm-up rounds (4 engine runs) measured it half warm.
 */
export const WARMUP_ROUNDS = 8;

/** Rows of stream `ptx` chunked as the log stores them: one Arrow IPC batch per `chunk` rows. */
export async function preload(engine: Engine, rows: number, chunk: number): Promise<Float32Array> {
  await engine.execute(`CREATE STREAM ptx (tx_id STRING, features ARRAY<FLOAT>(30)) WITH (partitions = 1)`);
  const def = engine.catalog.relation('ptx');
  const packed = new Float32Array(rows * FEATURE_COUNT);
  for (let from = 0; from < rows; from += chunk) {
    const to = Math.min(rows, from + chunk);
    const list: Record<string, unknown>[] = [];
    for (let n = from; n < to; n++) {
      const e = txEvent(n);
      packed.set(e.features, n * FEATURE_COUNT);
      list.push({ tx_id: e.tx_id, features: e.features });
    }
    await engine.log.append('ptx', 0, encodeBatch(batchFromRows(def.schema, list)), list.length);
  }
  return packed;
}

/** Scores all rows with a direct session, `batch` rows per run() call, awaiting each call. */
async function direct(session: ort.InferenceSession, packed: Float32Array, rows: number, batch: number): Promise<number> {
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  let sum = 0;
  for (let off = 0; off < rows; off += batch) {
    const n = Math.min(batch, rows - off);
    const t = new ort.Tensor('float32', packed.subarray(off * FEATURE_COUNT, (off + n) * FEATURE_COUNT), [n, FEATURE_COUNT]);
    const out = await session.run({ [inputName]: t });
    sum += (out[outputName]!.data as Float32Array).length;
  }
  return sum;
}

/** Runs a bounded push query to its end, reading its output as Arrow batches; rows out and seconds taken. */
async function timeBatches(engine: Engine, sql: string): Promise<{ rows: number; seconds: number }> {
  const t0 = now();
  const [res] = await engine.execute(sql, { bounded: true });
  if (res?.kind !== 'push') throw new Error(`expected a push result, got ${res?.kind}`);
  let n = 0;
  try {
    for await (const { batch } of res.batches) n += batch.numRows;
  } finally {
    res.cancel();
  }
  return { rows: n, seconds: (now() - t0) / 1000 };
}

export async function benchPredict(opts: PredictOptions): Promise<Section[]> {
  const s = section(`Model throughput: predict() in the engine vs direct InferenceSession.run (${opts.rows.toLocaleString('en-US')} rows, median of ${opts.runs})`, [
    'model',
    'batch.max_rows',
    'direct rows/s (best)',
    'direct intra-op threads',
    'engine rows/s (Arrow out)',
    'engine / direct',
    `target ≥ ${TARGET}`,
    'engine runs (min–max)',
    'engine rows/s (JS rows out)',
    'JS rows / direct',
    'ceiling: no-predict engine / direct',
  ]);
  const te = await tempEngine();
  const { engine } = te;
  try {
    const packed = await preload(engine, opts.rows, 1024);
    const cores = availableParallelism();
    // The engine's ceiling: the same rows through the same query without the model.
    const passSql = 'SELECT tx_id, features FROM ptx';
    const pass: number[] = [];
    for (let r = -WARMUP_ROUNDS; r < opts.runs; r++) {
      gc();
      await settle();
      const res = await timeBatches(engine, passSql);
      if (r >= 0) pass.push(res.rows / res.seconds);
    }
    const passRate = median(pass);
    // The engine runs 'inflight' (2) sessions in workers with intraOpNumThreads = cores / 2 each,
    // so it may use every core. The direct baseline gets the better of one session with the same
    // per-session threads and one with all cores, measured in the same runs.
    const threadCounts = [...new Set([Math.max(1, Math.floor(cores / 2)), cores])];
    for (const m of MODELS) {
      const sessions = await Promise.all(
        threadCounts.map((intra) => ort.InferenceSession.create(m.path, { executionProviders: ['cpu'], intraOpNumThreads: intra, interOpNumThreads: 1, graphOptimizationLevel: 'all' })),
      );
      for (const bs of opts.batchSizes) {
        const name = `${m.prefix}_${bs}`;
        await engine.execute(`CREATE MODEL ${name} INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = '${m.path}', 'batch.max_rows' = ${bs}, 'batch.max_wait' = '5ms')`);
        const sql = `SELECT tx_id, predict('${name}', features) AS score FROM ptx`;
        const d: number[][] = sessions.map(() => []);
        const e: number[] = [];
        const js: number[] = [];
        let failure: string | undefined;
        // Rounds below 0 are the warm-up: run the same way, not counted.
        for (let r = -WARMUP_ROUNDS; r < opts.runs && failure === undefined; r++) {
          // Alternate direct and engine runs so drift of the shared machine hits both alike.
          for (const [k, session] of sessions.entries()) {
            gc();
            const t0 = now();
            const got = await direct(session, packed, opts.rows, bs);
            if (r >= 0) d[k]!.push(got / ((now() - t0) / 1000));
          }
          try {
            for (const [out, time] of [
              [e, timeBatches],
              [js, timeBounded],
            ] as const) {
              gc();
              await settle();
              const res = await time(engine, sql);
              if (res.rows !== opts.rows) throw new Error(`expected ${opts.rows} rows out, got ${res.rows}`);
              if (r >= 0) out.push(res.rows / res.seconds);
            }
          } catch (err) {
            failure = reasonOf(err);
          }
        }
        const medians = d.map(median);
        const best = medians.indexOf(Math.max(...medians));
        const dm = medians[best]!;
        const em = failure === undefined ? median(e) : NaN;
        const jm = failure === undefined ? median(js) : NaN;
        const ratioV = em / dm;
        s.rows.push([
          m.label,
          String(bs),
          rate(dm),
          `${threadCounts[best]} (${threadCounts.map((t, k) => `${t}: ${rate(medians[k]!)}`).join('; ')})`,
          failure === undefined ? rate(em) : `n/a (${failure})`,
          ratio(ratioV),
          bs >= 256 ? (ratioV >= TARGET ? 'met' : 'NOT met') : '(not targeted)',
          spread(e),
          rate(jm),
          ratio(jm / dm),
          ratio(passRate / dm),
        ]);
      }
      for (const session of sessions) await session.release();
    }
    s.notes.push(
      `Every figure is the median of the timed rounds after ${WARMUP_ROUNDS} untimed warm-up rounds run exactly like them (all rows, every direct session and both engine readings).`,
      'Direct: one InferenceSession in the main thread (CPU provider, interOpNumThreads = 1, graphOptimizationLevel = all), one awaited run() per batch over a pre-packed Float32Array; measured with intraOpNumThreads = cores / 2 (what each engine session gets) and = cores (all the engine may use with its two sessions), and the faster is the baseline.',
      "Engine: `SELECT tx_id, predict(model, features) AS score FROM ptx` run bounded over rows pre-loaded into the embedded log as Arrow IPC chunks of 1024 rows (one partition); timed from execute() until the last output row was read (planning, log read, Arrow decode, packing, worker round trips included). 'Arrow out' reads the push result's Arrow batches (`result.batches`: the engine's own output, as sinks receive it); 'JS rows out' reads it as JavaScript rows (`result.rows`, what the HTTP API and the shell serialise), which adds a conversion per row.",
      `Ceiling: the same query without predict (\`${passSql}\`, Arrow out) ran at ${rate(passRate)} rows/s (runs ${spread(pass)}); its ratio to the direct call is the most any engine figure in that row could reach. A model that costs less per row than reading the row from the log (the logistic regression, the 30-16-1 MLP) cannot reach ${TARGET} by this measure; the ratio is about the engine's overhead on models whose inference is the work.`,
    );
  } finally {
    await te.close();
  }
  return [s];
}
