/**
 * predict(): scores rows with a model without blocking the stream. Each batch's inputs are
 * packed into one Float32Array and submitted to the model's micro-batching runner; several
 * submissions stay in flight and results are emitted in input order. Watermarks, barriers and
 * the end of input wait until everything before them has been emitted.
 */
import type { Data, RecordBatch } from 'apache-arrow';
import type { DataType, Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import type { OutputArray } from '../../udf/onnx-model.js';
import { errorOf, versionOf, type PredictResult, type PredictRunner } from '../../udf/predict-runner.js';
import { batchOfData, buildData, buildDataChecked, fixedWidthValues, takeColumn, takeRows, type Values } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { dropRows, keepRows } from '../changes.js';
import { RowKind, rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';
import { EmittedScores, type EmittedScore } from './emitted-scores.js';

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
  /** The kept input fields, the model's output, then its version. */
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

  constructor(spec: PredictSpec) {
    super();
    ({ input: this.input, keep: this.keep, fields: this.fields, model: this.model, outputs: this.outputs, runner: this.runner, rowKey: this.rowKey } = spec);
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
    const result = this.runner.submit(packed.features, packed.rows);
    return this.enqueue(async () => {
      const r = await result;
      await this.emitScored(batch, rowKinds, packed.index, packed.rows, r);
    });
  }

  protected override async onWatermark(time: number): Promise<number> {
    await this.drain();
    return time;
  }

  protected override onBarrier(): Promise<void> {
    return this.drain();
  }

  protected override onEnd(): Promise<void> {
    return this.drain();
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
          scored.set(row, { output, version: typeof r.versions === 'number' ? r.versions : versionOf(r, j) });
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
      for (let i = 0; i < batch.numRows; i++) {
        if (isRetraction(rowKinds?.[i] ?? RowKind.INSERT)) {
          const before = await emitted.take(keys[i]!);
          if (before) scored.set(i, before);
        } else {
          const s = scored.get(i);
          if (s) await emitted.record(keys[i]!, s);
        }
      }
      const kept = keepRows(batch.numRows, rowKinds, (i) => scored.has(i));
      if (kept.count === 0) return;
      const idx = kept.indexes.subarray(0, kept.count);
      const inputCols = this.keep.map((c) => (kept.all ? batch.data.children[c]! : takeColumn(batch, c, this.input[c]!.type, idx, kept.count)));
      await this.emitOutputs(batch, inputCols, Array.from(idx, (i) => scored.get(i)!.output), Int32Array.from(idx, (i) => scored.get(i)!.version), kept.count, kept.rowKinds, (j) => idx[j]!);
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

  private async emitScored(batch: RecordBatch, rowKinds: Uint8Array | undefined, index: Uint32Array | undefined, rows: number, r: PredictResult): Promise<void> {
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
    await this.emitOutputs(batch, inputCols, out, versions, count, kinds, (j) => (srcRows ? srcRows[j]! : j));
  }

  /**
   * Emits the passed-through columns with the outputs and versions. A row whose output a
   * column cannot hold (e.g. a BIGINT output out of range) goes to the dead-letter stream as
   * its input row (`source(j)` is output row j's batch row), pairs rewritten as in keepRows.
   */
  private async emitOutputs(batch: RecordBatch, inputCols: readonly Data[], out: Values, versions: Int32Array, count: number, kinds: Uint8Array | undefined, source: (j: number) => number): Promise<void> {
    const n0 = this.keep.length;
    const built = buildDataChecked(this.fields[n0]!.type, out, count);
    let outBatch = batchOfData(this.fields, [...inputCols, built.data, buildData(this.fields[n0 + 1]!.type, versions, count)], count);
    if (built.bad.size) {
      for (const [j, reason] of built.bad) this.ctx.deadLetter({ reason: `predict('${this.model}'): ${reason}`, operator: this.name, row: rowText(batch, this.input, source(j)) });
      ({ batch: outBatch, rowKinds: kinds } = dropRows(outBatch, this.fields, kinds, built.bad));
      if (outBatch.numRows === 0) return;
    }
    await this.ctx.emit({ kind: 'data', batch: outBatch, ...(kinds ? { rowKinds: kinds } : {}) });
  }


  override async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    await this.runner.close();
  }
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
