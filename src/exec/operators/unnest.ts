/** UNNEST in the select list: a row per element of an array, the row's other columns repeated. */
import type { RecordBatch } from 'apache-arrow';
import type { DataType, Field } from '../../common/types.js';
import { exprToString, type BoundExpr } from '../../planner/bound-expr.js';
import { batchOfData, buildDataChecked, takeColumn } from '../columns.js';
import { compileExpr, type CompiledExpr, type RowError, type UdfResolver } from '../compile-expr.js';
import { seriesBounds, type SeriesBounds } from '../scalar-functions.js';
import { StatelessOperator, type Output } from './stateless.js';

export interface UnnestSpec {
  readonly input: readonly Field[];
  /** The arrays unnested, over the input row. */
  readonly arrays: readonly BoundExpr[];
  /** The input's fields, then one element field per array. */
  readonly fields: readonly Field[];
  readonly udfs: UdfResolver;
}

/** Most rows of one output batch: an input row may make millions (`FROM range(10000000)`). */
const CHUNK_ROWS = 65_536;
/**
 * Most values of one `UNNEST(RANGE(...))` or `UNNEST(GENERATE_SERIES(...))` in a query whose inputs
 * end (a pull query): they are made as they go out, a batch at a time, never as a list.
 */
const MAX_UNNESTED_SERIES = 1_000_000_000;
/**
 * ...and in a view, sink or push query, where each row of a stream makes them: as many as a list
 * value holds, so that one row cannot hold the query for minutes.
 */
const MAX_STREAMED_SERIES = 1_000_000;

/** How one array is had for each input row: a list evaluated, or an integer series made as it goes. */
type ArraySource =
  | { readonly kind: 'list'; readonly expr: CompiledExpr }
  | { readonly kind: 'series'; readonly fn: string; readonly inclusive: boolean; readonly args: readonly CompiledExpr[]; readonly text: string };

/** The arrays of one input row: a list, a series, or nothing (NULL, or a row error). */
type RowArray = ArrayLike<unknown> | SeriesBounds | null | undefined;

/**
 * UnnestExec. Invariants: an input row gives as many rows as its longest array has elements (as
 * DuckDB: several arrays go side by side, the shorter ones padded with NULL; a NULL or empty
 * array gives none when every array is), each with the input row's values and change kind, in
 * element order, in batches of at most CHUNK_ROWS rows; a row whose array expression throws goes
 * to the dead-letter stream.
 */
export class UnnestExecOperator extends StatelessOperator {
  readonly name = 'UnnestExec';
  private readonly arrays: ArraySource[];
  private readonly elementTypes: DataType[];

  constructor(spec: UnnestSpec) {
    super(spec.input, spec.fields);
    this.arrays = spec.arrays.map((e) => arraySource(e, spec.input, spec.udfs));
    this.elementTypes = spec.fields.slice(spec.input.length).map((f) => f.type);
  }

  protected apply(): Output | undefined {
    throw new Error('UnnestExec makes its batches in outputs()');
  }

  protected override *outputs(batch: RecordBatch, rowKinds?: Uint8Array): Iterable<Output> {
    const n = batch.numRows;
    const failed = new Set<number>();
    const lists = this.arrays.map((a) => this.rowArrays(a, batch, failed));
    if (lists.length === 1 && this.arrays[0]!.kind === 'series') {
      yield* this.seriesOutputs(batch, lists[0] as (SeriesBounds | null)[], rowKinds);
      return;
    }
    let rows: number[] = [];
    let elements: unknown[][] = this.arrays.map(() => []);
    for (let r = 0; r < n; r++) {
      if (failed.has(r)) continue;
      let length = 0;
      for (const l of lists) length = Math.max(length, lengthOf(l[r]));
      for (let j = 0; j < length; j++) {
        rows.push(r);
        for (let a = 0; a < lists.length; a++) elements[a]!.push(elementOf(lists[a]![r], j));
        if (rows.length === CHUNK_ROWS) {
          yield this.chunk(batch, rows, elements, rowKinds);
          rows = [];
          elements = this.arrays.map(() => []);
        }
      }
    }
    if (rows.length > 0) yield this.chunk(batch, rows, elements, rowKinds);
  }

  /** One series unnested (`FROM range(n)`): its values straight into a BIGINT column, a batch at a time. */
  private *seriesOutputs(batch: RecordBatch, series: readonly (SeriesBounds | null)[], rowKinds?: Uint8Array): Iterable<Output> {
    let rows = new Int32Array(CHUNK_ROWS);
    let values = new BigInt64Array(CHUNK_ROWS);
    let count = 0;
    for (let r = 0; r < series.length; r++) {
      const s = series[r];
      if (!s) continue;
      let v = s.start;
      for (let j = 0; j < s.count; j++, v += s.step) {
        rows[count] = r;
        values[count++] = v;
        if (count === CHUNK_ROWS) {
          yield this.chunk(batch, rows, [values], rowKinds);
          rows = new Int32Array(CHUNK_ROWS);
          values = new BigInt64Array(CHUNK_ROWS);
          count = 0;
        }
      }
    }
    if (count > 0) yield this.chunk(batch, rows.subarray(0, count), [values.slice(0, count)], rowKinds);
  }

  /** Each row's array of `a` over `batch`; rows whose expression throws are rejected and added to `failed`. */
  private rowArrays(a: ArraySource, batch: RecordBatch, failed: Set<number>): RowArray[] {
    const reject = (errors: readonly RowError[], what: string) => {
      this.reject(
        batch,
        errors.filter((e) => !failed.has(e.row)),
        what,
      );
      for (const e of errors) failed.add(e.row);
    };
    if (a.kind === 'list') {
      const { values, errors } = a.expr.evaluate(batch);
      reject(errors, `UNNEST(${a.expr.text})`);
      return values as RowArray[];
    }
    const args = a.args.map((x) => {
      const { values, errors } = x.evaluate(batch);
      reject(errors, `UNNEST(${a.text})`);
      return values;
    });
    const out: RowArray[] = [];
    const errors: RowError[] = [];
    for (let r = 0; r < batch.numRows; r++) {
      const xs = args.map((v) => v[r]);
      if (failed.has(r) || xs.some((x) => x === null || x === undefined)) {
        out.push(null);
        continue;
      }
      try {
        out.push(seriesBounds(a.fn, xs, a.inclusive, this.ctx.bounded === true ? MAX_UNNESTED_SERIES : MAX_STREAMED_SERIES));
      } catch (err) {
        errors.push({ row: r, message: err instanceof Error ? err.message : String(err) });
        out.push(null);
      }
    }
    reject(errors, `UNNEST(${a.text})`);
    return out;
  }

  private chunk(batch: RecordBatch, rows: ArrayLike<number>, elements: readonly (unknown[] | BigInt64Array)[], rowKinds?: Uint8Array): Output {
    const count = rows.length;
    // The elements are of their array's element type: every one fits its column.
    const children = [...this.input.map((f, c) => takeColumn(batch, c, f.type, rows, count)), ...elements.map((values, a) => buildDataChecked(this.elementTypes[a]!, values, count).data)];
    const out = batchOfData(this.fields, children, count);
    return rowKinds ? { batch: out, rowKinds: Uint8Array.from(rows, (r) => rowKinds[r]!) } : { batch: out };
  }
}

/** RANGE and GENERATE_SERIES of integers are made as they go out; any other array is evaluated. */
function arraySource(e: BoundExpr, input: readonly Field[], udfs: UdfResolver): ArraySource {
  if (e.kind === 'Call' && (e.fn === 'range' || e.fn === 'generate_series') && e.args.every((x) => x.type.kind === 'BIGINT' || x.type.kind === 'INT' || x.type.kind === 'NULL')) {
    const args = e.args.map((x) => compileExpr(x, input, udfs));
    return { kind: 'series', fn: e.fn.toUpperCase(), inclusive: e.fn === 'generate_series', args, text: exprToString(e) };
  }
  return { kind: 'list', expr: compileExpr(e, input, udfs) };
}

function isSeries(v: RowArray): v is SeriesBounds {
  return typeof v === 'object' && v !== null && 'step' in v && typeof (v as SeriesBounds).step === 'bigint';
}

function lengthOf(v: RowArray): number {
  if (v === null || v === undefined) return 0;
  return isSeries(v) ? v.count : (v.length ?? 0);
}

function elementOf(v: RowArray, j: number): unknown {
  if (v === null || v === undefined) return null;
  if (isSeries(v)) return j < v.count ? v.start + BigInt(j) * v.step : null;
  return j < v.length ? (v[j] ?? null) : null;
}
