/**
 * predict(): scores rows with a model without blocking the stream. Each batch's inputs are
 * packed into one Float32Array and submitted to the model's micro-batching runner; several
 * submissions stay in flight and results are emitted in input order. Watermarks, barriers and
 * the end of input wait until everything before them has been emitted.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import { errorOf, versionOf, type PredictResult, type PredictRunner } from '../../udf/predict-runner.js';
import { batchOfData, buildData, readColumn, takeColumn, type Values } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { rowJson, type Message, type Operator, type OperatorContext } from '../message.js';

export class PredictOperator implements Operator {
  readonly name = 'PredictExec';
  private ctx!: OperatorContext;
  private readonly args: CompiledExpr[];
  private tail: Promise<void> = Promise.resolve();
  /** Emission promises of submissions not yet emitted, oldest first. */
  private readonly inflight: Promise<void>[] = [];
  private failure: unknown;

  constructor(
    private readonly input: readonly Field[],
    /** Input columns passed through, in output order. */
    private readonly keep: readonly number[],
    readonly fields: readonly Field[],
    args: readonly BoundExpr[],
    private readonly model: string,
    private readonly outputs: readonly Field[],
    private readonly runner: PredictRunner,
    udfs: UdfResolver,
    /** Submissions allowed in flight before process() waits (back-pressure). */
    private readonly maxPending = 8,
  ) {
    this.args = args.map((a) => compileExpr(a, input, udfs));
  }

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
  }

  async process(msg: Message): Promise<void> {
    if (msg.kind !== 'data') {
      await this.drain();
      return this.ctx.emit(msg);
    }
    const { batch, rowKinds } = msg;
    const packed = this.pack(batch);
    if (packed.rows === 0) return;
    const result = this.runner.submit(packed.features, packed.rows);
    const done = this.tail.then(async () => {
      const r = await result;
      await this.emitScored(batch, rowKinds, packed.index, packed.rows, r);
    });
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

  /** Packs the arguments of each row into `width` floats; rows of the wrong width go to dead letters. */
  private pack(batch: RecordBatch): { features: Float32Array; rows: number; index: Uint32Array } {
    const n = batch.numRows;
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
        } else if (typeof v === 'number' || typeof v === 'boolean') {
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
        this.ctx.deadLetter({ reason: `predict('${this.model}'): ${problem}`, operator: this.name, row: this.rowText(batch, i) });
        continue;
      }
      index[rows++] = i;
    }
    return { features, rows, index };
  }

  private async emitScored(batch: RecordBatch, rowKinds: Uint8Array | undefined, index: Uint32Array, rows: number, r: PredictResult): Promise<void> {
    const keep: number[] = [];
    for (let j = 0; j < rows; j++) {
      const err = errorOf(r, j);
      if (err === undefined) keep.push(j);
      else this.ctx.deadLetter({ reason: `predict('${this.model}'): ${err}`, operator: this.name, row: this.rowText(batch, index[j]!) });
    }
    if (keep.length === 0) return;
    const srcRows = Uint32Array.from(keep, (j) => index[j]!);
    const all = srcRows.length === batch.numRows;
    const inputCols = this.keep.map((c) => (all ? batch.data.children[c]! : takeColumn(batch, c, this.input[c]!.type, srcRows, srcRows.length)));
    let out: Values;
    if (this.outputs.length === 1) {
      const arr = r.outputs[this.outputs[0]!.name]!;
      out = keep.length === rows ? arr.subarray(0, rows) : Float64Array.from(keep, (j) => Number(arr[j]));
      if (this.outputs[0]!.type.kind !== 'FLOAT' && this.outputs[0]!.type.kind !== 'DOUBLE') out = Array.from(keep, (j) => Number(arr[j]));
    } else {
      out = keep.map((j) => Object.fromEntries(this.outputs.map((o) => [o.name, Number(r.outputs[o.name]![j])])));
    }
    const versions = typeof r.versions === 'number' ? new Int32Array(keep.length).fill(r.versions) : Int32Array.from(keep, (j) => versionOf(r, j));
    const n0 = this.keep.length;
    const outBatch = batchOfData(this.fields, [...inputCols, buildData(this.fields[n0]!.type, out, keep.length), buildData(this.fields[n0 + 1]!.type, versions, keep.length)], keep.length);
    await this.ctx.emit({ kind: 'data', batch: outBatch, ...(rowKinds ? { rowKinds: Uint8Array.from(srcRows, (i) => rowKinds[i]!) } : {}) });
  }

  private rowText(batch: RecordBatch, row: number): string {
    return rowJson(this.input, this.input.map((f, c) => readColumn(batch, c, f.type)[row]));
  }

  async close(): Promise<void> {
    await this.tail.catch(() => undefined);
    await this.runner.close();
  }
}
