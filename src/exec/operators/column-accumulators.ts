/**
 * Column accumulators: the running state of a GROUP BY's aggregate calls for the groups touched
 * since the last barrier, held in typed arrays indexed by the group's slot, so that adding a
 * batch is one loop per call over typed arrays instead of calls on each row's group and
 * accumulator objects, and a group's results are read from the arrays without its objects.
 *
 * Only calls whose state is plain numbers have columns: COUNT(*), COUNT(x), append-only SUM/AVG
 * over DOUBLE/FLOAT, and append-only MIN/MAX over INT/FLOAT/DOUBLE. Exact integer sums, DISTINCT,
 * retractable MIN/MAX and the rest keep their accumulator objects (AggregateList.add).
 */
import { decimalOf } from '../../common/types.js';
import type { AggregateCall } from '../../planner/logical.js';
import { valueBytes, valueReader, type StateValue } from '../../state/index.js';
import type { Accumulator } from './accumulator.js';
import { extremeNoRetraction, type CountStar, type Extreme, type Sum } from './accumulators.js';
import type { ArgValues } from './aggregate-list.js';

/** How the state of one call is held in columns. */
const Kernel = { CountStar: 0, Count: 1, FloatSum: 2, Min: 3, Max: 4 } as const;
type Kernel = (typeof Kernel)[keyof typeof Kernel];

/** The kernel of a call, or undefined when its state is not plain numbers (see the module doc). */
function kernelOf(call: AggregateCall, retractable: boolean): Kernel | undefined {
  const arg = call.args[0]?.type.kind;
  // A DECIMAL's SUM rounds its result (accumulators.ts: Sum); its AVG is a double one.
  const float = (arg === 'DOUBLE' || arg === 'FLOAT') && !(call.fn === 'sum' && decimalOf(call.args[0]!.type));
  switch (call.fn) {
    case 'count':
      return call.args.length === 0 ? Kernel.CountStar : call.args.length === 1 ? Kernel.Count : undefined;
    case 'sum':
    case 'avg':
      // Where the input retracts rows, a double sum would keep the rounding of values gone: the exact Sum.
      return call.args.length === 1 && float && !retractable ? Kernel.FloatSum : undefined;
    case 'min':
    case 'max':
      if (retractable || call.args.length !== 1 || !(float || arg === 'INT')) return undefined;
      return call.fn === 'min' ? Kernel.Min : Kernel.Max;
    default:
      return undefined;
  }
}

/**
 * Invariants:
 * - Slots `0 .. size - 1` hold, per call, the state of one group's accumulator (`load` copies it
 *   in, `save` writes it as the accumulator saves its own) and the group's row count in `rows`.
 * - Each slot also holds the state its results were last shown from (`show`; `load` shows the
 *   loaded state, `loadEmpty` and `reset` the empty one), so that `changed` and `result`
 *   compare and read the results before and after without any accumulator object.
 * - `add` applies rows already accepted (sign 1 or -1; 0 skips the row) exactly as the
 *   accumulators' own add would, row by row in order, so the state, floating-point rounding
 *   included, does not depend on how the input was split into batches.
 */
export class ColumnAccumulators {
  /** Per slot, the group's row count. */
  rows = new Float64Array(0);
  private size = 0;
  /** Per call, its two columns: COUNT [n, unused]; SUM/AVG [sum, n]; MIN/MAX [value, has (0/1)]. */
  private cols: [Float64Array, Float64Array][];
  /** `cols` as last shown (see the invariants). */
  private shown: [Float64Array, Float64Array][];

  private constructor(
    private readonly kernels: readonly Kernel[],
    private readonly fns: readonly string[],
  ) {
    this.cols = kernels.map(() => [new Float64Array(0), new Float64Array(0)]);
    this.shown = kernels.map(() => [new Float64Array(0), new Float64Array(0)]);
  }

  /** Column accumulators for `calls`, or undefined when a call has no columns (see the module doc). */
  static of(calls: readonly AggregateCall[], retractable: boolean): ColumnAccumulators | undefined {
    const kernels: Kernel[] = [];
    for (const c of calls) {
      const k = kernelOf(c, retractable);
      if (k === undefined) return undefined;
      kernels.push(k);
    }
    return new ColumnAccumulators(
      kernels,
      calls.map((c) => c.fn),
    );
  }

  /** Forgets every slot (a new mini-batch). */
  clear(): void {
    this.size = 0;
  }

  /** Appends a slot holding `accs` and a row count of `count` (an absent group: empty accumulators, 0). */
  load(accs: readonly Accumulator[], count: number): void {
    const s = this.size++;
    if (s >= this.rows.length) this.grow(Math.max(64, 2 * this.rows.length));
    this.rows[s] = count;
    const kernels = this.kernels;
    for (let k = 0; k < kernels.length; k++) {
      const [a, b] = this.cols[k]!;
      switch (kernels[k]!) {
        case Kernel.CountStar:
        case Kernel.Count:
          a[s] = (accs[k] as CountStar).n;
          break;
        case Kernel.FloatSum:
          a[s] = (accs[k] as Sum).f;
          b[s] = (accs[k] as Sum).n;
          break;
        case Kernel.Min:
        case Kernel.Max: {
          const v = (accs[k] as Extreme).v;
          a[s] = typeof v === 'number' ? v : 0;
          b[s] = typeof v === 'number' ? 1 : 0;
        }
      }
    }
    this.show(s);
  }

  /**
   * `load` of a group state stored as `groupBytes` writes it: appends a slot holding its
   * accumulators and row count, and returns its group values. Undefined, appending nothing,
   * when the bytes hold a state of another shape (then decode it and `load` that).
   */
  loadBytes(bytes: Buffer): unknown[] | undefined {
    const r = valueReader;
    if (!r.start(bytes) || r.object() !== 3 || !r.name('g')) return undefined;
    const n = r.array();
    if (n === undefined) return undefined;
    const values = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const v = r.any();
      if (v === undefined) return undefined;
      values[i] = v;
    }
    if (!r.name('c')) return undefined;
    const count = r.number();
    const kernels = this.kernels;
    if (count === undefined || !r.name('a') || r.array() !== kernels.length) return undefined;
    const s = this.size;
    if (s >= this.rows.length) this.grow(Math.max(64, 2 * this.rows.length));
    // Into the next slot, taken only once every value read: as `load` of what `save` made.
    for (let k = 0; k < kernels.length; k++) {
      const [a, b] = this.cols[k]!;
      switch (kernels[k]!) {
        case Kernel.CountStar:
        case Kernel.Count: {
          const x = r.number();
          if (x === undefined) return undefined;
          a[s] = x;
          break;
        }
        case Kernel.FloatSum: {
          if (r.array() !== 2) return undefined;
          const f = r.number();
          const m = r.number();
          if (f === undefined || m === undefined) return undefined;
          a[s] = f;
          b[s] = m;
          break;
        }
        case Kernel.Min:
        case Kernel.Max: {
          const v = r.numberOrNull();
          if (v === undefined) return undefined;
          a[s] = v ?? 0;
          b[s] = v === null ? 0 : 1;
        }
      }
    }
    if (!r.done()) return undefined;
    this.rows[s] = count;
    this.size++;
    this.show(s);
    return values;
  }

  /** Keeps slots `kept` (ascending), now numbered 0, 1, ...; forgets the others. */
  retain(kept: Int32Array): void {
    const arrays = [this.rows, ...this.cols.flat(), ...this.shown.flat()];
    for (const a of arrays) for (let j = 0; j < kept.length; j++) a[j] = a[kept[j]!]!;
    this.size = kept.length;
  }

  /** Loads an empty slot: a group that does not exist yet. */
  loadEmpty(): void {
    const s = this.size++;
    if (s >= this.rows.length) this.grow(Math.max(64, 2 * this.rows.length));
    this.reset(s);
    this.show(s);
  }

  /** Empties slot `s`, leaving its shown state: its group was deleted, or is the global group reset. */
  reset(s: number): void {
    this.rows[s] = 0;
    for (const col of this.cols) for (const c of col) c[s] = 0;
  }

  /** Records the state of slot `s` as shown. */
  show(s: number): void {
    for (let k = 0; k < this.cols.length; k++) {
      const [a, b] = this.cols[k]!;
      const [x, y] = this.shown[k]!;
      x[s] = a[s]!;
      y[s] = b[s]!;
    }
  }

  /** Whether some result of slot `s` differs from the shown one (NaN equal to NaN, 0 to -0, as sameRow). */
  changed(s: number): boolean {
    const kernels = this.kernels;
    for (let k = 0; k < kernels.length; k++) {
      const now = this.cols[k]!;
      const was = this.shown[k]!;
      const a = now[0][s]!;
      const x = was[0][s]!;
      const b = now[1][s]!;
      const y = was[1][s]!;
      switch (kernels[k]!) {
        case Kernel.CountStar:
        case Kernel.Count:
          if (a !== x) return true;
          break;
        case Kernel.FloatSum: {
          if (b > 0 !== y > 0) return true;
          if (b <= 0) break;
          const avg = this.fns[k] === 'avg';
          if (!same(avg ? a / b : a, avg ? x / y : x)) return true;
          break;
        }
        case Kernel.Min:
        case Kernel.Max:
          if (b !== y || (b === 1 && !same(a, x))) return true;
      }
    }
    return false;
  }

  /**
   * The result of call `k` for slot `s`, current or as shown, as the accumulator's result()
   * except that COUNT is a number (BIGINT columns are built from numbers too).
   */
  result(s: number, k: number, shown: boolean): number | null {
    const [a, b] = (shown ? this.shown : this.cols)[k]!;
    switch (this.kernels[k]!) {
      case Kernel.CountStar:
      case Kernel.Count:
        return small(a[s]!);
      case Kernel.FloatSum: {
        const n = b[s]!;
        if (n <= 0) return null;
        return this.fns[k] === 'avg' ? a[s]! / n : a[s]!;
      }
      case Kernel.Min:
      case Kernel.Max:
        return b[s] === 1 ? a[s]! : null;
    }
  }

  /**
   * The output column of call `k` for `m` rows: row i holds the result of slot `slots[i]`, as
   * shown where `shown[i]` is 1, else current. COUNT is never NULL, and the other calls rarely:
   * a typed array where no row is NULL (Arrow takes it without a copy), else an array.
   */
  output(k: number, slots: Int32Array, shown: Uint8Array, m: number): Float64Array | (number | null)[] {
    const out = new Float64Array(m);
    const [a, b] = this.cols[k]!;
    const [x, y] = this.shown[k]!;
    const kernel = this.kernels[k]!;
    if (kernel === Kernel.CountStar || kernel === Kernel.Count) {
      for (let i = 0; i < m; i++) out[i] = (shown[i] === 1 ? x : a)[slots[i]!]!;
      return out;
    }
    let nulls = false;
    const avg = this.fns[k] === 'avg';
    for (let i = 0; i < m; i++) {
      const s = slots[i]!;
      const was = shown[i] === 1;
      const v = (was ? x : a)[s]!;
      const w = (was ? y : b)[s]!;
      if (kernel === Kernel.FloatSum) {
        if (w <= 0) nulls = true;
        else out[i] = avg ? v / w : v;
      } else if (w !== 1) nulls = true;
      else out[i] = v;
    }
    if (!nulls) return out;
    const list = new Array<number | null>(m);
    for (let i = 0; i < m; i++) list[i] = this.result(slots[i]!, k, shown[i] === 1);
    return list;
  }

  /** The number of calls. */
  get calls(): number {
    return this.kernels.length;
  }

  /** The saved state of slot `s`'s accumulators, as AggregateList.save writes theirs. */
  save(s: number): StateValue[] {
    const kernels = this.kernels;
    const saved = new Array<StateValue>(kernels.length);
    for (let k = 0; k < kernels.length; k++) {
      const [a, b] = this.cols[k]!;
      switch (kernels[k]!) {
        case Kernel.CountStar:
        case Kernel.Count:
          saved[k] = small(a[s]!);
          break;
        case Kernel.FloatSum:
          saved[k] = [a[s]!, small(b[s]!)];
          break;
        case Kernel.Min:
        case Kernel.Max:
          saved[k] = b[s] === 1 ? a[s]! : null;
      }
    }
    return saved;
  }

  /**
   * The bytes `encodeValue` writes for the group state a GROUP BY stores for slot `s` with group
   * values `values`, { g: values, c: rowCount(s), a: save(s) }, written without making it;
   * undefined when a group value needs the general encoding (then encode the state itself).
   */
  groupBytes(values: readonly unknown[], s: number): Buffer | undefined {
    valueBytes.start();
    valueBytes.object(3);
    valueBytes.name('g');
    valueBytes.array(values.length);
    for (const v of values) if (!valueBytes.any(v, 2)) return undefined;
    valueBytes.name('c');
    valueBytes.number(this.rowCount(s));
    valueBytes.name('a');
    const kernels = this.kernels;
    valueBytes.array(kernels.length);
    for (let k = 0; k < kernels.length; k++) {
      const [a, b] = this.cols[k]!;
      // As `save` makes each value.
      switch (kernels[k]!) {
        case Kernel.CountStar:
        case Kernel.Count:
          valueBytes.number(small(a[s]!));
          break;
        case Kernel.FloatSum:
          valueBytes.array(2);
          valueBytes.number(a[s]!);
          valueBytes.number(small(b[s]!));
          break;
        case Kernel.Min:
        case Kernel.Max:
          if (b[s] === 1) valueBytes.number(a[s]!);
          else valueBytes.null();
      }
    }
    return valueBytes.take();
  }

  /** The row count of slot `s`. */
  rowCount(s: number): number {
    return small(this.rows[s]!);
  }

  /** Why retracting row `row` fails (MIN/MAX over an append-only input with a non-NULL value), as AggregateList.add reports it. */
  retractError(args: ArgValues, row: number): string | undefined {
    for (let k = 0; k < this.kernels.length; k++) {
      const kernel = this.kernels[k]!;
      if (kernel !== Kernel.Min && kernel !== Kernel.Max) continue;
      const v = args[k]![0]![row];
      if (v !== null && v !== undefined) return extremeNoRetraction(this.fns[k] as 'min' | 'max');
    }
    return undefined;
  }

  /** Adds the rows of a batch: row i to slot `slots[i]` with sign `signs[i]` (0: skipped). */
  add(args: ArgValues, slots: Int32Array, signs: Int8Array, n: number): void {
    for (let k = 0; k < this.kernels.length; k++) {
      const [a, b] = this.cols[k]!;
      const values = args[k]![0]!;
      switch (this.kernels[k]!) {
        case Kernel.CountStar:
          countStar(a, slots, signs, n);
          break;
        case Kernel.Count:
          count(a, values, slots, signs, n);
          break;
        case Kernel.FloatSum:
          floatSum(a, b, values, slots, signs, n);
          break;
        case Kernel.Min:
          extreme(a, b, values, slots, signs, n, false);
          break;
        case Kernel.Max:
          extreme(a, b, values, slots, signs, n, true);
      }
    }
  }

  private grow(capacity: number): void {
    const bigger = (c: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(c);
      return next;
    };
    this.rows = bigger(this.rows);
    this.cols = this.cols.map(([a, b]) => [bigger(a), bigger(b)]);
    this.shown = this.shown.map(([a, b]) => [bigger(a), bigger(b)]);
  }
}

/**
 * A whole number read from a Float64Array, as a small integer where it is one. V8 reads such
 * elements as heap numbers; storing those into fields that have held small integers (counts)
 * would widen the fields of every group's objects to doubles, one slow migration per object.
 */
function small(x: number): number {
  const i = x | 0;
  return i === x ? i : x;
}

/** Whether two results are equal as sameRow sees them: NaN equal to NaN, 0 to -0. */
function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function countStar(n: Float64Array, slots: Int32Array, signs: Int8Array, rows: number): void {
  for (let i = 0; i < rows; i++) {
    const s = slots[i]!;
    n[s] = n[s]! + signs[i]!;
  }
}

function count(n: Float64Array, values: ArgValues[number][number], slots: Int32Array, signs: Int8Array, rows: number): void {
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    const s = slots[i]!;
    n[s] = n[s]! + signs[i]!;
  }
}

/** As Sum.addNumber over a non-integer argument: a sum whose row count returns to 0 is reset to 0. */
function floatSum(sum: Float64Array, n: Float64Array, values: ArgValues[number][number], slots: Int32Array, signs: Int8Array, rows: number): void {
  for (let i = 0; i < rows; i++) {
    const sign = signs[i]!;
    const v = values[i];
    if (sign === 0 || typeof v !== 'number') continue;
    const s = slots[i]!;
    const left = n[s]! + sign;
    n[s] = left;
    sum[s] = left === 0 ? 0 : sum[s]! + sign * v;
  }
}

/** As Extreme.addNumber: NaN above every number. Retractions were refused before (retractError). */
function extreme(best: Float64Array, has: Float64Array, values: ArgValues[number][number], slots: Int32Array, signs: Int8Array, rows: number, max: boolean): void {
  for (let i = 0; i < rows; i++) {
    const v = values[i];
    if (signs[i] === 0 || typeof v !== 'number') continue;
    const s = slots[i]!;
    const b = best[s]!;
    if (has[s] === 0 || (max ? v > b || (v !== v && b === b) : v < b || (b !== b && v === v))) {
      best[s] = v;
      has[s] = 1;
    }
  }
}
