/**
 * predict(): scores rows with a model without blocking the stream. Each batch's inputs are
 * packed into one Float32Array and submitted to the model's micro-batching runner; several
 * submissions stay in flight and results are emitted in input order. Watermarks, barriers and
 * the end of input wait until everything before them has been emitted.
 */
import type { Data, RecordBatch } from 'apache-arrow';
import type { DataType, Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import { T } from '../../common/types.js';
import type { PredictRowInfo } from '../../planner/logical.js';
import type { ModelOptions, ModelRegistry } from '../../udf/model-registry.js';
import type { OutputArray } from '../../udf/onnx-model.js';
import { errorOf, PredictRunner, SCORED_BY, versionOf, type PredictResult } from '../../udf/predict-runner.js';
import { batchFromRows, batchOfData, buildConstant, buildData, buildDataChecked, fixedWidthValues, readColumn, takeColumn, takeRows, type Values } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { dropRows, keepRows } from '../changes.js';
import { RowKind, rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';
import { EmittedScores, type EmittedChange, type EmittedScore } from './emitted-scores.js';
import { keyFraction, mergeResults, roleName, rowKeys, splitCanary, takeFeatures, type LogRow } from './predict-routing.js';

/** Most rows a shadow candidate may have waiting or running; beyond that its rows are skipped, never waited for. */
const SHADOW_QUEUE_ROWS = 4096;

/** What the operator needs for candidates and the prediction log; absent in bare operator tests. */
export interface PredictRollout {
  readonly registry: ModelRegistry;
  readonly rowInfo: PredictRowInfo;
  /** The query names a version: no candidate routing. */
  readonly pinned: boolean;
  /** The prediction log's topic and columns. */
  readonly logTopic: string;
  readonly logFields: readonly Field[];
  /** Whether the log's stream exists (it may have been dropped): rows for a missing one are not written. */
  readonly logExists: () => boolean;
}

/** Shadow rows waiting for the candidate; cancelled (logged as skipped) at a barrier. */
interface PendingShadow {
  cancelled: boolean;
  readonly batch: RecordBatch;
  readonly packed: Packed;
  /** The candidate version the rows were meant for: the one their skip is logged under, even when it is gone by then. */
  readonly version: number | null;
}

function isRetraction(kind: number): boolean {
  return kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE;
}

/** A batch's packed inputs; `index` maps packed rows to batch rows, undefined when they are all of them. */
interface Packed {
  readonly features: Float32Array;
  readonly rows: number;
  readonly index: Uint32Array | undefined;
}

export interface PredictSpec {
  readonly input: readonly Field[];
  /** Input columns passed through, in output order. */
  readonly keep: readonly number[];
  /** The kept input fields, the model's output, then its version and role. */
  readonly fields: readonly Field[];
  /** The model's input expressions; their values are packed into `runner.width` floats per row. */
  readonly args: readonly BoundExpr[];
  readonly model: string;
  /** The model's declared outputs (one: a scalar or array column; several: a STRUCT). */
  readonly outputs: readonly Field[];
  readonly runner: PredictRunner;
  readonly udfs: UdfResolver;
  /** Submissions allowed in flight before the operator waits (back-pressure). Default 8. */
  readonly maxPending?: number;
  /**
   * Present when the input is updating: the input columns identifying a row (its upsert key,
   * or every column). Retractions then carry the output emitted for their row.
   */
  readonly rowKey?: readonly number[] | undefined;
  /** Candidates and the prediction log; absent in bare operator tests. */
  readonly rollout?: PredictRollout | undefined;
}

/**
 * PredictExec. Invariants: output rows keep input order and change kinds; a row that cannot be
 * scored goes to the dead-letter stream. Watermarks, barriers and `end` move on only after every
 * row before them has been emitted.
 */
export class PredictOperator extends StreamOperator {
  readonly name = 'PredictExec';
  readonly fields: readonly Field[];
  private readonly input: readonly Field[];
  private readonly keep: readonly number[];
  private readonly model: string;
  private readonly outputs: readonly Field[];
  private readonly runner: PredictRunner;
  private readonly args: CompiledExpr[];
  /** The input column of each argument when every argument is a plain column reference. */
  private readonly argColumns: readonly number[] | undefined;
  private tail: Promise<void> = Promise.resolve();
  /** Emission promises of submissions not yet emitted, oldest first. */
  private readonly inflight: Promise<void>[] = [];
  private failure: unknown;
  private readonly maxPending: number;
  private readonly rowKey: readonly number[] | undefined;
  private emitted: EmittedScores | undefined;
  private readonly rollout: PredictRollout | undefined;
  private canaryRunner: PredictRunner | undefined;
  private shadowRunner: PredictRunner | undefined;
  private readonly shadows = new Set<PendingShadow>();

  constructor(spec: PredictSpec) {
    super();
    ({ input: this.input, keep: this.keep, fields: this.fields, model: this.model, outputs: this.outputs, runner: this.runner, rowKey: this.rowKey, rollout: this.rollout } = spec);
    this.maxPending = spec.maxPending ?? 8;
    this.args = spec.args.map((a) => compileExpr(a, spec.input, spec.udfs));
    this.argColumns = spec.args.every((a) => a.kind === 'Column') ? spec.args.map((a) => (a.kind === 'Column' ? a.index : -1)) : undefined;
  }

  protected override onOpen(): void {
    if (this.rowKey) this.emitted = new EmittedScores(this.ctx.state, this.input, this.rowKey);
  }

  protected onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    if (this.emitted) return this.processChanges(this.emitted, batch, rowKinds);
    const packed = this.pack(batch);
    if (packed.rows === 0) return Promise.resolve();
    const result = this.route(batch, packed);
    return this.enqueue(async () => {
      const r = await result;
      await this.emitScored(batch, rowKinds, packed, r);
    });
  }

  protected override async onWatermark(time: number): Promise<number> {
    await this.drain();
    return time;
  }

  /**
   * Shadow rows not scored by a barrier are logged as skipped in its checkpoint, so the log holds
   * each of them exactly once whatever happens after it.
   */
  protected override async onBarrier(): Promise<void> {
    await this.drain();
    this.cancelShadows('a checkpoint came before the candidate scored them');
  }

  protected override async onEnd(): Promise<void> {
    await this.drain();
    this.cancelShadows('the input ended before the candidate scored them');
  }

  /**
   * Submits a batch's packed rows: all to the runner, or — with a canary candidate — the rows
   * whose key falls in the canary's share to the candidate; a shadow candidate gets a copy of
   * every row off the output path.
   */
  private route(batch: RecordBatch, packed: Packed): Promise<PredictResult> {
    const ro = this.rollout;
    const candidate = ro && !ro.pinned ? ro.registry.candidate(this.model) : undefined;
    if (!ro || !candidate) return this.runner.submit(packed.features, packed.rows);
    if (candidate.mode === 'shadow') {
      this.shadow(ro, batch, packed);
      return this.runner.submit(packed.features, packed.rows);
    }
    const width = this.runner.width;
    const split = splitCanary(rowKeys(batch, this.input, ro.rowInfo.key, packed.index, packed.rows, packed.features, width), candidate.share);
    if (split.canary.length === 0) return this.runner.submit(packed.features, packed.rows);
    this.canaryRunner ??= new PredictRunner(ro.registry, this.model, width, { kind: 'candidate' });
    const parts = [{ rows: split.canary, result: this.canaryRunner.submit(takeFeatures(packed.features, width, split.canary), split.canary.length) }];
    if (split.serving.length > 0) parts.push({ rows: split.serving, result: this.runner.submit(takeFeatures(packed.features, width, split.serving), split.serving.length) });
    return Promise.all(parts.map(async (p) => ({ rows: p.rows, result: await p.result }))).then((done) => mergeResults(done, packed.rows));
  }

  /** Scores a copy of the rows with the shadow candidate, unless its queue is full (then they are skipped). */
  private shadow(ro: PredictRollout, batch: RecordBatch, packed: Packed): void {
    const runner = (this.shadowRunner ??= new PredictRunner(ro.registry, this.model, this.runner.width, { kind: 'candidate' }, false));
    const entry: PendingShadow = { cancelled: false, batch, packed, version: ro.registry.candidate(this.model)?.version.number ?? null };
    // One batch running and about one waiting: a shadow that cannot keep up skips rows instead of piling work up.
    const bound = Math.min(SHADOW_QUEUE_ROWS, 2 * (ro.registry.candidate(this.model)?.version.options.maxRows ?? SHADOW_QUEUE_ROWS));
    if (runner.pendingRows > 0 && runner.pendingRows + packed.rows > bound) return this.skipShadow(entry, `the candidate's queue was full (${bound} rows)`);
    this.shadows.add(entry);
    void runner.submit(packed.features, packed.rows).then((r) => {
      this.shadows.delete(entry);
      if (entry.cancelled) return;
      const rows = Array.from({ length: packed.rows }, (_, j) => j).filter((j) => r.scoredBy[j] === SCORED_BY.candidate || (r.scoredBy[j] === SCORED_BY.none && errorOf(r, j) !== undefined));
      const outputs = this.outputs.map((o) => outputValues(o.type, r.outputs[o.name]!, packed.rows, undefined));
      this.log(batch, packed, rows, (j) => ({
        version: r.scoredBy[j] === SCORED_BY.candidate ? versionOf(r, j) : null,
        role: 'shadow',
        outputs: errorOf(r, j) === undefined ? (outputs.length === 1 ? outputs[0]![j] : Object.fromEntries(this.outputs.map((o, k) => [o.name, outputs[k]![j]]))) : null,
        latency_ms: errorOf(r, j) === undefined ? r.latencyMs[j]! : null,
        error: errorOf(r, j) ?? null,
      }));
    });
  }

  private skipShadow(entry: PendingShadow, why: string): void {
    const ro = this.rollout!;
    if (ro.registry.has(this.model)) ro.registry.stats(this.model).recordShadowSkipped(entry.packed.rows);
    this.log(entry.batch, entry.packed, Array.from({ length: entry.packed.rows }, (_, j) => j), () => ({ version: entry.version, role: 'shadow', outputs: null, latency_ms: null, error: `skipped: ${why}` }));
  }

  private cancelShadows(why: string): void {
    for (const entry of this.shadows) {
      entry.cancelled = true;
      this.skipShadow(entry, why);
    }
    this.shadows.clear();
  }

  /** The serving version's log options when the model logs its predictions. */
  private logOptions(): ModelOptions | undefined {
    const reg = this.rollout?.registry;
    if (!reg || !this.ctx.sideOutput || !reg.has(this.model)) return undefined;
    const o = reg.get(this.model).options;
    return o.log && this.rollout!.logExists() ? o : undefined;
  }

  /**
   * Writes log rows for packed rows `rows` of a batch (`what(j)` gives the scoring part of packed
   * row j), sampled by the row's id when 'log.sample' is below 1.
   */
  private log(batch: RecordBatch, packed: Packed, rows: readonly number[], what: (j: number) => Pick<LogRow, 'version' | 'role' | 'outputs' | 'latency_ms' | 'error'>): void {
    const o = this.logOptions();
    if (!o || rows.length === 0) return;
    const info = this.rollout!.rowInfo;
    const at = (j: number): number => (packed.index ? packed.index[j]! : j);
    const ids = info.id === undefined ? undefined : readColumn(batch, info.id, this.input[info.id]!.type);
    const times = info.eventTime === undefined ? undefined : readColumn(batch, info.eventTime, this.input[info.eventTime]!.type);
    const width = this.runner.width;
    const now = Date.now();
    const out: LogRow[] = [];
    for (const j of rows) {
      const idValue = ids?.[at(j)];
      const id = idValue === null || idValue === undefined ? null : String(idValue);
      if (o.logSample < 1 && keyFraction(id ?? Array.prototype.join.call(packed.features.subarray(j * width, (j + 1) * width), ',')) >= o.logSample) continue;
      const t = times?.[at(j)];
      out.push({
        query: this.ctx.queryId ?? '',
        id,
        // The prediction's event time: its input row's, else when it was scored.
        event_time: typeof t === 'number' ? t : now,
        scored_at: now,
        ...what(j),
        inputs: o.logInputs ? Array.from(packed.features.subarray(j * width, (j + 1) * width)) : null,
      });
    }
    if (out.length) this.ctx.sideOutput!({ topic: this.rollout!.logTopic, batch: batchFromRows(this.rollout!.logFields, out as unknown as Record<string, unknown>[]) });
  }

  /**
   * An updating input: only +I/+U rows are scored; a -U/-D row goes out with the output emitted
   * for its row (looked up when the batch's turn to emit comes, after every earlier batch has
   * recorded its outputs), or not at all when none was (its row failed). Pairs are rewritten
   * as in keepRows when a half does not go out.
   */
  private async processChanges(emitted: EmittedScores, batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const adds: number[] = [];
    for (let i = 0; i < batch.numRows; i++) if (!isRetraction(rowKinds?.[i] ?? RowKind.INSERT)) adds.push(i);
    const addIdx = Uint32Array.from(adds);
    const sub = adds.length === batch.numRows ? batch : takeRows(batch, this.input, addIdx);
    const packed = adds.length ? this.pack(sub) : undefined;
    const result = packed && packed.rows > 0 ? this.runner.submit(packed.features, packed.rows) : undefined;
    return this.enqueue(async () => {
      const scored = new Map<number, EmittedScore>();
      if (packed && result) {
        const r = await result;
        const columns = this.outputs.map((o) => outputValues(o.type, r.outputs[o.name]!, packed.rows, undefined));
        for (let j = 0; j < packed.rows; j++) {
          const row = addIdx[packed.index ? packed.index[j]! : j]!;
          const err = r.errorCount > 0 ? errorOf(r, j) : undefined;
          if (err !== undefined) {
            this.ctx.deadLetter({ reason: `predict('${this.model}'): ${err}`, operator: this.name, row: rowText(batch, this.input, row) });
            continue;
          }
          const output = columns.length === 1 ? columns[0]![j] : Object.fromEntries(this.outputs.map((o, k) => [o.name, columns[k]![j]]));
          scored.set(row, { output, version: typeof r.versions === 'number' ? r.versions : versionOf(r, j), role: roleName(r.scoredBy[j]!, 'canary') });
        }
      }
      // An output the column cannot hold must fail before it is recorded as emitted.
      const addRows = [...scored.keys()];
      const check = buildDataChecked(this.fields[this.keep.length]!.type, addRows.map((i) => scored.get(i)!.output), addRows.length);
      for (const [j, reason] of check.bad) {
        this.ctx.deadLetter({ reason: `predict('${this.model}'): ${reason}`, operator: this.name, row: rowText(batch, this.input, addRows[j]!) });
        scored.delete(addRows[j]!);
      }
      const keys = emitted.keys(batch);
      const rows: number[] = [];
      const changes: EmittedChange[] = [];
      for (let i = 0; i < batch.numRows; i++) {
        const retract = isRetraction(rowKinds?.[i] ?? RowKind.INSERT);
        if (!retract && !scored.has(i)) continue;
        rows.push(i);
        changes.push({ key: keys[i]!, record: retract ? undefined : scored.get(i) });
      }
      (await emitted.apply(changes)).forEach((before, j) => {
        if (before) scored.set(rows[j]!, before);
      });
      const kept = keepRows(batch.numRows, rowKinds, (i) => scored.has(i));
      if (kept.count === 0) return;
      const idx = kept.indexes.subarray(0, kept.count);
      const inputCols = this.keep.map((c) => (kept.all ? batch.data.children[c]! : takeColumn(batch, c, this.input[c]!.type, idx, kept.count)));
      await this.emitOutputs(batch, inputCols, Array.from(idx, (i) => scored.get(i)!.output), Int32Array.from(idx, (i) => scored.get(i)!.version), Array.from(idx, (i) => scored.get(i)!.role), kept.count, kept.rowKinds, (j) => idx[j]!);
    });
  }

  /** Runs `work` after every earlier batch's emission, keeping at most maxPending in flight. */
  private async enqueue(work: () => Promise<void>): Promise<void> {
    const done = this.tail.then(work);
    this.tail = done.catch((err: unknown) => {
      this.failure ??= err;
    });
    this.inflight.push(this.tail);
    while (this.inflight.length >= this.maxPending) await this.inflight.shift();
    if (this.failure) throw this.failure;
  }

  private async drain(): Promise<void> {
    await this.tail;
    this.inflight.length = 0;
    if (this.failure) throw this.failure;
  }

  /**
   * Packs the arguments of each row into `width` floats; rows of the wrong width go to dead
   * letters. `index` maps packed rows to batch rows; undefined when every row was packed.
   */
  private pack(batch: RecordBatch): Packed {
    const n = batch.numRows;
    const direct = this.packColumns(batch);
    if (direct) return { features: direct, rows: n, index: undefined };
    const cols = this.args.map((a) => a.evaluate(batch));
    const width = this.runner.width;
    const features = new Float32Array(n * width);
    const index = new Uint32Array(n);
    let rows = 0;
    for (let i = 0; i < n; i++) {
      let w = 0;
      let problem: string | undefined;
      for (const c of cols) {
        const err = c.errors.find((e) => e.row === i);
        if (err) problem = err.message;
        const v = c.values[i];
        if (v === null || v === undefined) {
          problem ??= 'an input value is NULL';
        } else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
          if (w < width) features[rows * width + w] = Number(v);
          w++;
        } else {
          const arr = v as ArrayLike<number | null>;
          for (let k = 0; k < arr.length; k++) {
            const x = arr[k];
            if (x === null || x === undefined) problem ??= `input element ${w + 1} is NULL`;
            if (w < width) features[rows * width + w] = Number(x);
            w++;
          }
        }
      }
      if (!problem && w !== width) problem = `the row has ${w} input values; model '${this.model}' takes ${width}`;
      if (problem) {
        this.ctx.deadLetter({ reason: `predict('${this.model}'): ${problem}`, operator: this.name, row: rowText(batch, this.input, i) });
        continue;
      }
      index[rows++] = i;
    }
    return { features, rows, index: rows === n ? undefined : index.subarray(0, rows) };
  }

  /**
   * The packed rows straight from the Arrow buffers, when every argument is a column without
   * nulls whose rows hold a fixed number of numbers adding up to the model's width. Undefined
   * otherwise: the row-by-row path then finds and reports the bad rows.
   */
  private packColumns(batch: RecordBatch): Float32Array | undefined {
    if (!this.argColumns) return undefined;
    const parts = [];
    let total = 0;
    for (const c of this.argColumns) {
      const part = fixedWidthValues(batch.data.children[c]!);
      if (!part) return undefined;
      parts.push(part);
      total += part.width;
    }
    const width = this.runner.width;
    if (total !== width) return undefined;
    const only = parts.length === 1 ? parts[0]!.values : undefined;
    // Arrow buffers are never written to, so the runner may read this view until it is done.
    if (only instanceof Float32Array) return only;
    const n = batch.numRows;
    const features = new Float32Array(n * width);
    if (only) {
      features.set(only);
      return features;
    }
    let at = 0;
    for (const { values, width: w } of parts) {
      for (let i = 0; i < n; i++) for (let k = 0; k < w; k++) features[i * width + at + k] = values[i * w + k]!;
      at += w;
    }
    return features;
  }

  private async emitScored(batch: RecordBatch, rowKinds: Uint8Array | undefined, packed: Packed, r: PredictResult): Promise<void> {
    const { index, rows } = packed;
    // Packed rows that scored: undefined when all did (the common case, kept free of per-row work).
    let keep: Uint32Array | undefined;
    if (r.errorCount > 0) {
      const ok: number[] = [];
      for (let j = 0; j < rows; j++) {
        const err = errorOf(r, j);
        if (err === undefined) ok.push(j);
        else this.ctx.deadLetter({ reason: `predict('${this.model}'): ${err}`, operator: this.name, row: rowText(batch, this.input, index ? index[j]! : j) });
      }
      if (ok.length === 0) return;
      keep = Uint32Array.from(ok);
    }
    const count = keep ? keep.length : rows;
    // Batch rows that go out: undefined when all of them do, in order.
    const srcRows = keep ? (index ? keep.map((j) => index[j]!) : keep) : index;
    const inputCols = this.keep.map((c) => (srcRows ? takeColumn(batch, c, this.input[c]!.type, srcRows, count) : batch.data.children[c]!));
    const at = (j: number): number => (keep ? keep[j]! : j);
    const columns = this.outputs.map((o) => outputValues(o.type, r.outputs[o.name]!, count, keep));
    const out: Values =
      columns.length === 1
        ? columns[0]!
        : Array.from({ length: count }, (_, j) => Object.fromEntries(this.outputs.map((o, k) => [o.name, columns[k]![j]])));
    const versions = typeof r.versions === 'number' ? new Int32Array(count).fill(r.versions) : Int32Array.from({ length: count }, (_, j) => versionOf(r, at(j)));
    const kinds = rowKinds && srcRows ? Uint8Array.from(srcRows, (i) => rowKinds[i]!) : rowKinds;
    const roles = uniformRole(r.scoredBy, count, keep) ?? Array.from({ length: count }, (_, j) => roleName(r.scoredBy[at(j)]!, 'canary'));
    const dropped = await this.emitOutputs(batch, inputCols, out, versions, roles, count, kinds, (j) => (srcRows ? srcRows[j]! : j));
    if (this.logOptions()) {
      const byPacked = new Map<number, number>();
      for (let j = 0; j < count; j++) if (!dropped.has(j)) byPacked.set(at(j), j);
      this.log(batch, packed, [...byPacked.keys()], (p) => {
        const j = byPacked.get(p)!;
        return { version: versions[j]!, role: typeof roles === 'string' ? roles : roles[j]!, outputs: (out as ArrayLike<unknown>)[j], latency_ms: r.latencyMs[p]!, error: null };
      });
    }
  }

  /**
   * Emits the passed-through columns with the outputs and versions. A row whose output a
   * column cannot hold (e.g. a BIGINT output out of range) goes to the dead-letter stream as
   * its input row (`source(j)` is output row j's batch row), pairs rewritten as in keepRows.
   */
  private async emitOutputs(batch: RecordBatch, inputCols: readonly Data[], out: Values, versions: Int32Array, roles: string | readonly string[], count: number, kinds: Uint8Array | undefined, source: (j: number) => number): Promise<ReadonlyMap<number, string>> {
    const n0 = this.keep.length;
    const built = buildDataChecked(this.fields[n0]!.type, out, count);
    let outBatch = batchOfData(this.fields, [...inputCols, built.data, buildData(this.fields[n0 + 1]!.type, versions, count), typeof roles === 'string' ? buildConstant(T.STRING, roles, count) : buildData(T.STRING, roles, count)], count);
    if (built.bad.size) {
      for (const [j, reason] of built.bad) this.ctx.deadLetter({ reason: `predict('${this.model}'): ${reason}`, operator: this.name, row: rowText(batch, this.input, source(j)) });
      ({ batch: outBatch, rowKinds: kinds } = dropRows(outBatch, this.fields, kinds, built.bad));
      if (outBatch.numRows === 0) return built.bad;
    }
    const stats = this.rollout?.registry.has(this.model) ? this.rollout.registry.stats(this.model) : undefined;
    if (stats) {
      if (typeof roles === 'string') stats.recordRole(roles, outBatch.numRows);
      else for (const [role, n] of countBy(built.bad.size ? roles.filter((_, j) => !built.bad.has(j)) : roles)) stats.recordRole(role, n);
    }
    await this.ctx.emit({ kind: 'data', batch: outBatch, ...(kinds ? { rowKinds: kinds } : {}) });
    return built.bad;
  }


  override async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    this.cancelShadows('the query stopped');
    await this.runner.close();
    await this.canaryRunner?.close();
    await this.shadowRunner?.close();
  }
}

/** The role of every output row when one version role scored them all (`keep`: the packed rows that go out, undefined for all of them). */
function uniformRole(scoredBy: Uint8Array, count: number, keep: Uint32Array | undefined): string | undefined {
  if (count === 0) return undefined;
  const first = scoredBy[keep ? keep[0]! : 0]!;
  if (keep) {
    for (let j = 1; j < count; j++) if (scoredBy[keep[j]!] !== first) return undefined;
  } else {
    for (let j = 1; j < count; j++) if (scoredBy[j] !== first) return undefined;
  }
  return roleName(first, 'canary');
}

function countBy(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

/**
 * One declared output's values for the rows that go out (`keep`: packed rows, undefined for all
 * of them), as the column builder takes them: numbers, bigints or booleans for scalars, and an
 * array of `size` values per row for ARRAY outputs.
 */
function outputValues(t: DataType, arr: OutputArray, count: number, keep: Uint32Array | undefined): Values {
  const at = (j: number): number => (keep ? keep[j]! : j);
  if (t.kind === 'ARRAY') {
    const k = t.size ?? 1;
    // Plain arrays: a STRUCT of several outputs is built from plain values only.
    return Array.from({ length: count }, (_, j) => Array.from(scalarValues(t.element, arr.subarray(at(j) * k, (at(j) + 1) * k), k, undefined)));
  }
  return scalarValues(t, arr, count, keep);
}

function scalarValues(t: DataType, arr: OutputArray, count: number, keep: Uint32Array | undefined): Values {
  const at = (j: number): number => (keep ? keep[j]! : j);
  switch (t.kind) {
    case 'FLOAT':
    case 'DOUBLE':
      return keep ? Float64Array.from(keep, (j) => Number(arr[j])) : arr.subarray(0, count);
    case 'BIGINT':
      return Array.from({ length: count }, (_, j) => BigInt(arr[at(j)]!));
    case 'BOOLEAN':
      return Array.from({ length: count }, (_, j) => arr[at(j)] !== 0);
    default:
      return Array.from({ length: count }, (_, j) => Number(arr[at(j)]));
  }
}
