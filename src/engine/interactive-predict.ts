/**
 * Interactive scoring (POST /v1/models/:name/predict, the shell's PREDICT): rows sent as JSON
 * are packed like a query's rows and scored through the same micro-batching runner and model
 * workers as streams, so concurrent requests share batches and a lone row waits at most
 * `batch.max_wait`. A row that cannot be packed or scored gets its error; the others their outputs.
 */
import { SluiceError } from '../common/errors.js';
import type { DataType, Field } from '../common/types.js';
import type { ModelRegistry } from '../udf/model-registry.js';
import type { OutputArray } from '../udf/onnx-model.js';
import { errorOf, PredictRunner, versionOf } from '../udf/predict-runner.js';

/** One scored row: its outputs by OUTPUT column and the version that scored it, or its error. */
export type ScoredRow = { readonly outputs: Record<string, unknown>; readonly version: number } | { readonly error: string };

export interface ScoredRows {
  readonly model: string;
  readonly rows: readonly ScoredRow[];
}

/** Largest number of rows one request may send. */
export const MAX_PREDICT_ROWS = 10_000;

export class InteractiveScoring {
  /** Serving runners by model, kept so that requests share batches. */
  private readonly runners = new Map<string, PredictRunner>();

  constructor(private readonly models: ModelRegistry) {}

  /**
   * Scores `rows` with the serving version, or with `version`. A row is an array of the INPUT
   * columns' values in declaration order, or an object by column name. Throws UNKNOWN_MODEL,
   * UNKNOWN_VERSION or BAD_REQUEST (not an array, too many rows); row problems are per row.
   */
  async predict(name: string, rows: unknown, version?: number): Promise<ScoredRows> {
    if (!Array.isArray(rows) || rows.length === 0 || rows.length > MAX_PREDICT_ROWS) {
      throw new SluiceError('BAD_REQUEST', `'rows' must be an array of 1 to ${MAX_PREDICT_ROWS} rows`, { hint: `e.g. {"rows": [{"features": [0.1, 0.2, ...]}]}` });
    }
    const sig = this.models.signature(name);
    if (version !== undefined && !this.models.hasVersion(name, version)) {
      throw new SluiceError('UNKNOWN_VERSION', `model '${sig.name}' has no version ${version}`, { hint: `DESCRIBE MODEL ${sig.name} lists its versions` });
    }
    // A pinned version's runner holds the version loaded: one per request, closed after it.
    const runner = version === undefined ? this.serving(sig.name) : new PredictRunner(this.models, sig.name, this.models.activeModel(sig.name).width, { kind: 'pinned', version });
    try {
      return await this.score(sig, runner, rows);
    } finally {
      if (version !== undefined) await runner.close();
    }
  }

  private async score(sig: { readonly name: string; readonly inputs: readonly Field[]; readonly outputs: readonly Field[] }, runner: PredictRunner, rows: readonly unknown[]): Promise<ScoredRows> {
    const width = runner.width;
    const features = new Float32Array(rows.length * width);
    const problems = rows.map((row, i) => packRow(row, sig.inputs, features.subarray(i * width, (i + 1) * width)));
    const ok = problems.flatMap((p, i) => (p === undefined ? [i] : []));
    const packed = ok.length === rows.length ? features : Float32Array.from(ok.flatMap((i) => Array.from(features.subarray(i * width, (i + 1) * width))));
    const r = ok.length > 0 ? await runner.submit(packed, ok.length) : undefined;
    const scored = new Map<number, ScoredRow>();
    ok.forEach((i, j) => {
      const err = r ? errorOf(r, j) : undefined;
      scored.set(i, err !== undefined || !r ? { error: err ?? 'not scored' } : { outputs: outputsOf(sig.outputs, r.outputs, j), version: versionOf(r, j) });
    });
    const answered = rows.map((_, i): ScoredRow => scored.get(i) ?? { error: problems[i]! });
    const good = answered.filter((a) => 'outputs' in a).length;
    if (good > 0) this.models.stats(sig.name).recordRole('interactive', good);
    return { model: sig.name, rows: answered };
  }

  /** The model's serving runner, shared by requests (made again if the model was dropped and declared anew). */
  private serving(name: string): PredictRunner {
    const key = name.toLowerCase();
    const width = this.models.activeModel(name).width;
    let r = this.runners.get(key);
    if (!r || r.width !== width) {
      if (r) void r.close();
      r = new PredictRunner(this.models, name, width);
      this.runners.set(key, r);
    }
    return r;
  }

  async close(): Promise<void> {
    const all = [...this.runners.values()];
    this.runners.clear();
    await Promise.all(all.map((r) => r.close()));
  }
}

/** Writes a row's input values into `into`; returns the problem, if any. */
function packRow(row: unknown, inputs: readonly Field[], into: Float32Array): string | undefined {
  const values = Array.isArray(row) ? row : row !== null && typeof row === 'object' ? inputs.map((f) => lookup(row as Record<string, unknown>, f.name)) : undefined;
  if (!values) return `a row must be an array of the input values or an object by input name, got ${JSON.stringify(row)}`;
  if (values.length !== inputs.length) return `the model takes ${inputs.length} input value(s) (${inputs.map((f) => f.name).join(', ')}), the row has ${values.length}`;
  let at = 0;
  for (const [k, f] of inputs.entries()) {
    const v = values[k];
    const size = f.type.kind === 'ARRAY' ? (f.type.size ?? 0) : 1;
    const parts = f.type.kind === 'ARRAY' ? (Array.isArray(v) ? (v as unknown[]) : undefined) : [v];
    if (!parts) return `input '${f.name}' must be an array of ${size} numbers, got ${JSON.stringify(v)}`;
    if (parts.length !== size) return `input '${f.name}' needs ${size} number(s), got ${parts.length}`;
    for (const [e, x] of parts.entries()) {
      const n = typeof x === 'boolean' ? Number(x) : x;
      if (typeof n !== 'number' || !Number.isFinite(n)) return `input '${f.name}'${size > 1 ? ` element ${e + 1}` : ''} must be a finite number, got ${JSON.stringify(x)}`;
      into[at++] = n;
    }
  }
  return undefined;
}

function lookup(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const k = Object.keys(o).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : o[k];
}

/** Row `j`'s outputs by declared column, as JSON-able values of the declared types. */
function outputsOf(outputs: readonly Field[], arrays: Readonly<Record<string, OutputArray>>, j: number): Record<string, unknown> {
  return Object.fromEntries(
    outputs.map((o) => {
      const arr = arrays[o.name]!;
      if (o.type.kind === 'ARRAY') {
        const k = o.type.size ?? 1;
        const el = o.type.element;
        return [o.name, Array.from(arr.subarray(j * k, (j + 1) * k) as ArrayLike<number | bigint>, (x) => valueOf(el, x))];
      }
      return [o.name, valueOf(o.type, arr[j] as number | bigint)];
    }),
  );
}

function valueOf(t: DataType, x: number | bigint): unknown {
  if (t.kind === 'BIGINT') return BigInt(x);
  if (t.kind === 'BOOLEAN') return Number(x) !== 0;
  return Number(x);
}
