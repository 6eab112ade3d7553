/**
 * The micro-batching core of the predict() operator. Rows arrive in submissions (a chunk of
 * packed feature rows); they are gathered into batches of up to `batch.max_rows` rows or
 * `batch.max_wait` after the oldest waiting row arrived, up to `inflight` batches run at once,
 * and each submission's promise resolves with its rows' outputs in submission order.
 *
 * Invariants: every submitted row comes back exactly once, in order; each row says which model
 * version scored it (or that it failed, with the message); a batch's model version is leased
 * once for the whole batch, so a hot swap lands between batches; nothing on the data path
 * throws — a failed or late batch is retried on the fallback model if one is configured, and
 * otherwise its rows come back flagged as errors for the dead-letter output.
 */
import { SluiceError } from '../common/errors.js';
import type { LeaseResult, ModelLease, ModelOptions, ModelRegistry, VersionPin } from './model-registry.js';
import { newOutputArray, WORKER_QUEUE_DEPTH, type ModelRunResult, type OutputArray, type OutputBinding } from './onnx-model.js';

/** The scored rows of one submission, in the order they were submitted. */
export interface PredictResult {
  readonly rows: number;
  /**
   * One array per declared OUTPUT column with `rows * width` values (width 1 for scalars).
   * Rows that failed hold NaN (floating point) or 0.
   */
  readonly outputs: Readonly<Record<string, OutputArray>>;
  /** The version that scored each row: one number when all rows agree, else one per row; 0 = not scored. */
  readonly versions: number | Int32Array;
  /** Whether the fallback model scored the rows: one boolean when all agree, else 1/0 per row. */
  readonly fallback: boolean | Uint8Array;
  /** The fallback model's name, when any row was scored by it. */
  readonly fallbackModel: string | undefined;
  /** Per-row error messages, or undefined when no row failed. */
  readonly errors: readonly (string | undefined)[] | undefined;
  readonly errorCount: number;
  /** Which version scored each row: SCORED_BY.* per row. */
  readonly scoredBy: Uint8Array;
  /** Latency (ms) of the batch that scored each row, from when it was sent. */
  readonly latencyMs: Float32Array;
}

/** Values of PredictResult.scoredBy. */
export const SCORED_BY = { serving: 0, candidate: 1, pinned: 2, fallback: 3, none: 4 } as const;

/** What a runner scores with: the serving version, the candidate (the serving one when there is none), or one version by number. */
export type RunnerTarget = { readonly kind: 'serving' } | { readonly kind: 'candidate' } | { readonly kind: 'pinned'; readonly version: number };

/** The version that scored row `i` (0 when the row failed). */
export function versionOf(r: PredictResult, i: number): number {
  return typeof r.versions === 'number' ? r.versions : (r.versions[i] ?? 0);
}

/** Whether row `i` was scored by the fallback model. */
export function scoredByFallback(r: PredictResult, i: number): boolean {
  return typeof r.fallback === 'boolean' ? r.fallback : r.fallback[i] === 1;
}

/** The error of row `i`, if it failed. */
export function errorOf(r: PredictResult, i: number): string | undefined {
  return r.errors?.[i];
}

interface Submission {
  readonly features: Float32Array;
  readonly rows: number;
  remaining: number;
  readonly outputs: Record<string, OutputArray>;
  readonly versions: Int32Array;
  readonly fallback: Uint8Array;
  readonly scoredBy: Uint8Array;
  readonly latencyMs: Float32Array;
  fallbackModel: string | undefined;
  errors: (string | undefined)[] | undefined;
  /** The first version written into `versions`, and whether a different one was written since. */
  firstVersion: number | undefined;
  mixedVersions: boolean;
  /** Whether rows were marked as scored by the fallback, and whether rows were marked otherwise. */
  someFallback: boolean;
  someNotFallback: boolean;
  readonly promise: Promise<PredictResult>;
  resolve: (r: PredictResult) => void;
}

/** A run of consecutive rows of one submission that travels in one batch. */
interface Segment {
  readonly sub: Submission;
  readonly start: number;
  readonly rows: number;
  /** performance.now() when the rows were submitted. */
  readonly arrived: number;
}

type TimedRun = ModelRunResult | { readonly ok: false; readonly timedOut: true; readonly error: SluiceError };

function isFloat(a: OutputArray): a is Float32Array | Float64Array {
  return a instanceof Float32Array || a instanceof Float64Array;
}

function copyRows(dst: OutputArray, src: OutputArray, srcStart: number, dstStart: number, count: number): void {
  const part = src.subarray(srcStart, srcStart + count);
  (dst as unknown as { set(a: ArrayLike<unknown>, offset: number): void }).set(part, dstStart);
}

/** Resolves with the run's result or, after `ms`, with a timeout; the run itself goes on. */
function withTimeout(run: Promise<ModelRunResult>, ms: number, what: string): Promise<TimedRun> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<TimedRun>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, timedOut: true, error: new SluiceError('MODEL_ERROR', `${what} missed its ${ms}ms timeout`) }),
      ms,
    );
  });
  return Promise.race([run, late]).finally(() => clearTimeout(timer));
}

export class PredictRunner {
  private readonly order: Submission[] = [];
  private readonly queue: Segment[] = [];
  private queued = 0;
  private running = 0;
  private runningRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing = 0;
  private closed = false;
  private readonly outputLayout: readonly OutputBinding[];
  private lastOptions: ModelOptions;
  private readonly pin: VersionPin | undefined;

  /**
   * @param width values per packed row; must equal the model's input width.
   * @param target what scores the rows; a pinned version stays loaded until close().
   * @param useFallback whether a failed or late batch goes to the version's fallback model (a shadow's does not).
   * Throws UNKNOWN_MODEL, UNKNOWN_VERSION (no such version), or SCHEMA_MISMATCH when the width differs (plan-time errors).
   */
  constructor(
    private readonly registry: ModelRegistry,
    readonly modelName: string,
    readonly width: number,
    readonly target: RunnerTarget = { kind: 'serving' },
    private readonly useFallback = true,
  ) {
    this.pin = target.kind === 'pinned' ? registry.pin(modelName, target.version) : undefined;
    const model = registry.activeModel(modelName);
    if (model.width !== width) {
      throw new SluiceError('SCHEMA_MISMATCH', `model '${modelName}' takes rows of ${model.width} values, but the query passes ${width}`);
    }
    this.outputLayout = model.outputs;
    this.lastOptions = registry.get(modelName).options;
  }

  /** Rows submitted and not yet returned (queued or running). */
  get pendingRows(): number {
    return this.queued + this.runningRows;
  }

  /** Batches running now. */
  get inflight(): number {
    return this.running;
  }

  private options(): ModelOptions {
    if (this.registry.has(this.modelName)) this.lastOptions = this.registry.get(this.modelName).options;
    return this.lastOptions;
  }

  /**
   * Queues `rows` packed rows (`features` holds at least `rows * width` values and must not be
   * changed until the promise resolves). Never rejects.
   */
  submit(features: Float32Array, rows: number): Promise<PredictResult> {
    let resolve: (r: PredictResult) => void = () => undefined;
    const promise = new Promise<PredictResult>((r) => (resolve = r));
    const outputs: Record<string, OutputArray> = {};
    for (const o of this.outputLayout) outputs[o.column] = newOutputArray(o.elementType, rows * o.width);
    const sub: Submission = {
      features,
      rows,
      remaining: rows,
      outputs,
      versions: new Int32Array(rows),
      fallback: new Uint8Array(rows),
      scoredBy: new Uint8Array(rows).fill(SCORED_BY.none),
      latencyMs: new Float32Array(rows),
      fallbackModel: undefined,
      errors: undefined,
      firstVersion: undefined,
      mixedVersions: false,
      someFallback: false,
      someNotFallback: false,
      promise,
      resolve,
    };
    this.order.push(sub);
    if (this.closed || features.length < rows * this.width) {
      const msg = this.closed
        ? `predict('${this.modelName}') was closed`
        : `predict('${this.modelName}'): expected ${rows * this.width} feature values for ${rows} rows, got ${features.length}`;
      this.failRows(sub, 0, rows, msg);
      sub.remaining = 0;
      this.resolveReady();
      return promise;
    }
    if (rows === 0) {
      this.resolveReady();
      return promise;
    }
    this.queue.push({ sub, start: 0, rows, arrived: performance.now() });
    this.queued += rows;
    this.pump();
    return promise;
  }

  /** Sends every waiting row now (partial batches included) and resolves when all submitted rows are back. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.pump();
      await Promise.all(this.order.map((s) => s.promise));
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then refuses further submissions (they come back as error rows). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pin?.release();
  }

  /** Leases what this runner scores with, and how the rows will be marked; a pinned version is leased by the caller. */
  private lease(): { readonly leased: LeaseResult; readonly by: number } {
    if (this.target.kind === 'candidate') {
      const c = this.registry.acquireCandidate(this.modelName);
      if (c) return { leased: { ok: true, lease: c }, by: SCORED_BY.candidate };
    }
    return { leased: this.registry.acquire(this.modelName), by: SCORED_BY.serving };
  }

  private pump(): void {
    const opts = this.options();
    // Each of the model's `inflight` workers runs one batch and holds the next.
    const sendable = opts.inflight * WORKER_QUEUE_DEPTH;
    while (this.running < sendable && this.queued > 0) {
      const head = this.queue[0];
      const due = this.queued >= opts.maxRows || this.flushing > 0 || (head !== undefined && performance.now() - head.arrived >= opts.maxWaitMs);
      if (!due) break;
      const rows = Math.min(this.queued, opts.maxRows);
      this.dispatch(this.takeBatch(rows), rows);
    }
    if (this.queued > 0 && this.running < sendable && this.timer === undefined) {
      const head = this.queue[0];
      const wait = head === undefined ? 0 : Math.max(0, head.arrived + opts.maxWaitMs - performance.now());
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, Math.ceil(wait));
    }
  }

  /** The next `want` queued rows (at most the rows queued). */
  private takeBatch(want: number): Segment[] {
    const batch: Segment[] = [];
    let rows = 0;
    while (rows < want && this.queue.length > 0) {
      const seg = this.queue[0] as Segment;
      const take = Math.min(seg.rows, want - rows);
      if (take === seg.rows) {
        this.queue.shift();
        batch.push(seg);
      } else {
        batch.push({ sub: seg.sub, start: seg.start, rows: take, arrived: seg.arrived });
        this.queue[0] = { sub: seg.sub, start: seg.start + take, rows: seg.rows - take, arrived: seg.arrived };
      }
      rows += take;
    }
    this.queued -= rows;
    return batch;
  }

  private dispatch(batch: Segment[], rows: number): void {
    this.running++;
    this.runningRows += rows;
    void this.settleBatch(batch, rows);
  }

  /** Runs a batch, then hands back its rows and sends what waits. */
  private async settleBatch(batch: readonly Segment[], rows: number): Promise<void> {
    try {
      await this.runBatch(batch, rows);
    } catch (e) {
      // A bug rather than a model failure; the rows still come back, flagged.
      for (const seg of batch) this.failRows(seg.sub, seg.start, seg.rows, `internal error in predict('${this.modelName}'): ${String(e)}`);
    }
    this.running--;
    this.runningRows -= rows;
    for (const seg of batch) seg.sub.remaining -= seg.rows;
    this.resolveReady();
    this.pump();
  }

  private gather(batch: readonly Segment[], rows: number): Float32Array {
    const w = this.width;
    const only = batch[0];
    if (batch.length === 1 && only !== undefined) return only.sub.features.subarray(only.start * w, (only.start + rows) * w);
    const input = new Float32Array(rows * w);
    let at = 0;
    for (const seg of batch) {
      input.set(seg.sub.features.subarray(seg.start * w, (seg.start + seg.rows) * w), at * w);
      at += seg.rows;
    }
    return input;
  }

  private async runOn(lease: ModelLease, input: Float32Array, rows: number): Promise<TimedRun> {
    const run = lease.model.run(input, rows).finally(() => lease.release());
    const budget = lease.version.options.timeoutMs;
    return budget === undefined ? run : withTimeout(run, budget, `model '${lease.name}' version ${lease.version.number}`);
  }

  private async runBatch(batch: readonly Segment[], rows: number): Promise<void> {
    const { leased, by } = this.pin ? { leased: await this.pin.lease(), by: SCORED_BY.pinned } : this.lease();
    if (!leased.ok) {
      for (const seg of batch) this.failRows(seg.sub, seg.start, seg.rows, leased.error.message);
      return;
    }
    const main = leased.lease;
    const { stats, version } = main;
    if (main.model.width !== this.width) {
      main.release();
      stats.recordError();
      stats.recordErrorRows(rows);
      const msg = `model '${main.name}' version ${version.number} takes rows of ${main.model.width} values, but the query passes ${this.width}`;
      for (const seg of batch) this.failRows(seg.sub, seg.start, seg.rows, msg);
      return;
    }
    const input = this.gather(batch, rows);
    const t0 = performance.now();
    const result = await this.runOn(main, input, rows);
    if (result.ok) {
      const ms = performance.now() - t0;
      stats.recordBatch(rows, ms);
      if (version.collector?.reference === undefined) version.collector?.addBatch(input, this.width, rows, result.outputs);
      this.scatter(batch, result.outputs, version.number, undefined, by, ms);
      return;
    }
    if ('timedOut' in result) stats.recordTimeout();
    else stats.recordError();
    let message = result.error.message;
    const fallbackName = this.useFallback ? version.options.fallback : undefined;
    if (fallbackName !== undefined) {
      const fb = this.registry.acquire(fallbackName);
      if (!fb.ok) {
        message += `; fallback '${fallbackName}' unavailable: ${fb.error.message}`;
      } else if (fb.lease.model.width !== this.width) {
        fb.lease.release();
        message += `; fallback '${fallbackName}' takes rows of ${fb.lease.model.width} values, not ${this.width}`;
      } else {
        const t1 = performance.now();
        const second = await this.runOn(fb.lease, input, rows);
        if (second.ok) {
          stats.recordFallback(rows);
          fb.lease.stats.recordBatch(rows, performance.now() - t1, true);
          this.scatter(batch, second.outputs, fb.lease.version.number, fb.lease.name, SCORED_BY.fallback, performance.now() - t0);
          return;
        }
        if ('timedOut' in second) fb.lease.stats.recordTimeout();
        else fb.lease.stats.recordError();
        message += `; fallback '${fallbackName}' failed too: ${second.error.message}`;
      }
    }
    stats.recordErrorRows(rows);
    for (const seg of batch) this.failRows(seg.sub, seg.start, seg.rows, message);
  }

  private scatter(batch: readonly Segment[], outputs: Readonly<Record<string, OutputArray>>, versionNo: number, fallbackModel: string | undefined, by: number, ms: number): void {
    let at = 0;
    for (const seg of batch) {
      const sub = seg.sub;
      for (const o of this.outputLayout) {
        const src = outputs[o.column];
        const dst = sub.outputs[o.column];
        if (src && dst) copyRows(dst, src, at * o.width, seg.start * o.width, seg.rows * o.width);
      }
      markVersion(sub, versionNo, seg.start, seg.rows);
      sub.scoredBy.fill(by, seg.start, seg.start + seg.rows);
      sub.latencyMs.fill(ms, seg.start, seg.start + seg.rows);
      if (fallbackModel !== undefined) {
        sub.fallback.fill(1, seg.start, seg.start + seg.rows);
        sub.fallbackModel = fallbackModel;
        sub.someFallback = true;
      } else {
        sub.someNotFallback = true;
      }
      at += seg.rows;
    }
  }

  private failRows(sub: Submission, start: number, rows: number, message: string): void {
    sub.errors ??= new Array<string | undefined>(sub.rows).fill(undefined);
    for (let i = start; i < start + rows; i++) sub.errors[i] = message;
    for (const o of this.outputLayout) {
      const dst = sub.outputs[o.column];
      if (dst && isFloat(dst)) dst.fill(NaN, start * o.width, (start + rows) * o.width);
    }
    markVersion(sub, 0, start, rows);
    sub.someNotFallback = true;
  }

  private resolveReady(): void {
    while (this.order.length > 0 && (this.order[0] as Submission).remaining === 0) {
      const sub = this.order.shift() as Submission;
      sub.resolve(finish(sub));
    }
  }
}

/** Writes the version of rows `start` to `start + rows`, noting whether the submission's rows still agree on one. */
function markVersion(sub: Submission, version: number, start: number, rows: number): void {
  sub.versions.fill(version, start, start + rows);
  if (sub.firstVersion === undefined) sub.firstVersion = version;
  else if (sub.firstVersion !== version) sub.mixedVersions = true;
}

function finish(sub: Submission): PredictResult {
  // The marks are written as rows are scored or fail, so they agree with the per-row arrays;
  // only a submission with both kinds of rows needs the arrays.
  const errorCount = sub.errors ? sub.errors.reduce((n, e) => n + (e === undefined ? 0 : 1), 0) : 0;
  return {
    rows: sub.rows,
    outputs: sub.outputs,
    versions: sub.mixedVersions ? sub.versions : (sub.firstVersion ?? 0),
    fallback: sub.someFallback && sub.someNotFallback ? sub.fallback : sub.someFallback,
    fallbackModel: sub.fallbackModel,
    errors: errorCount > 0 ? sub.errors : undefined,
    errorCount,
    scoredBy: sub.scoredBy,
    latencyMs: sub.latencyMs,
  };
}
