/**
 * Aggregate accumulators: COUNT(*), COUNT(x), COUNT_IF(cond), SUM, AVG, MIN, MAX, COUNT(DISTINCT x),
 * QUANTILE_DISC, and the model-quality aggregates of quality-accumulators.ts (AUC, LOG_LOSS, BRIER,
 * PRECISION_AT, RECALL_AT, PSI).
 *
 * SQL semantics: NULL arguments are ignored; SUM/AVG/MIN/MAX and the quality aggregates of no
 * non-null values are NULL; COUNT and COUNT_IF are 0. Every accumulator can merge another of its kind (session windows) and saves to a
 * v8-serialisable value (operator state). Retraction (`sign = -1`) is exact for all kinds when
 * the accumulator was created retractable; append-only MIN/MAX keep only the current extreme and
 * refuse retractions (the caller sends such rows to the dead-letter stream).
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../../common/errors.js';
import { stringifyExactJson } from '../../common/exact-json.js';
import { hashable } from '../../common/keys.js';
import { decimalOf, type DataType, type Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import type { AggregateCall, AggregateOrder } from '../../planner/logical.js';
import type { StateValue } from '../../state/index.js';
import { compareValues } from '../sql-values.js';
import { OrderedBag } from '../ordered-bag.js';
import { readColumn, type Values } from '../columns.js';
import { BIGINT_MAX, BIGINT_MIN } from '../integers.js';
import { toScale } from '../decimals.js';
import { coDeviation, type Dyadic, dyadic, dyadicToNumber, ExactSum, mulDyadic, sumDyadic } from '../exact-sum.js';
import { checkMemory } from '../../common/memory-guard.js';
import type { Accumulator } from './accumulator.js';

export type { Accumulator } from './accumulator.js';
import { Auc, MeanLoss, Psi, ThresholdRate } from './quality-accumulators.js';

/** Creates and restores accumulators of one aggregate call. */
export interface AccumulatorFactory {
  readonly fn: AggregateCall['fn'];
  create(): Accumulator;
  restore(saved: StateValue): Accumulator;
}

export function accumulatorFactory(call: AggregateCall, retractable: boolean): AccumulatorFactory {
  const argKind = call.args[0]?.type.kind;
  // Undefined in a final phase, which only merges partial states (they carry their kind).
  const integerArgs = argKind === undefined ? undefined : argKind === 'INT' || argKind === 'BIGINT';
  const decimalScale = call.args[0] && decimalOf(call.args[0].type)?.scale;
  const make = (): Accumulator & Restorable => {
    switch (call.fn) {
      case 'count':
        return call.args.length === 0 ? new CountStar() : new Count();
      case 'count_if':
        return new CountIf();
      case 'sum':
        return new Sum(false, integerArgs, decimalScale, retractable);
      case 'avg':
        return new Sum(true, integerArgs, undefined, retractable);
      case 'min':
      case 'max':
        return retractable ? new MultisetExtreme(call.fn) : new Extreme(call.fn);
      case 'count_distinct':
        return new CountDistinct();
      case 'auc':
        return new Auc();
      case 'log_loss':
      case 'brier':
        return new MeanLoss(call.fn);
      case 'precision_at':
      case 'recall_at':
        return new ThresholdRate(call.fn, constantNumber(call.args[2]));
      case 'psi':
        return new Psi(call.reference);
      case 'quantile_disc':
        return new QuantileDisc(constantNumber(call.args[1]));
      case 'quantile_cont':
        // MEDIAN(x) is bound as QUANTILE_CONT with one argument; of strings, the lower middle value.
        if (call.args[0]?.type.kind === 'STRING') return new QuantileDisc(0.5);
        return new QuantileCont(call.args.length > 1 ? constantNumber(call.args[1]) : 0.5, interpolation(call.args[0]?.type));
      case 'stddev_samp':
      case 'stddev_pop':
      case 'var_samp':
      case 'var_pop':
        return new Spread(call.fn);
      case 'bool_and':
      case 'bool_or':
        return new BoolFold(call.fn === 'bool_and');
      case 'sum_distinct':
      case 'avg_distinct':
        return new SumDistinct(call.fn === 'avg_distinct', integerArgs, call.fn === 'avg_distinct' ? undefined : decimalScale);
      case 'arg_max':
      case 'arg_min':
        return new ArgExtreme(call.fn === 'arg_max' ? 'max' : 'min');
      case 'arg_max_null':
      case 'arg_min_null':
        return new ArgExtreme(call.fn === 'arg_max_null' ? 'max' : 'min', true);
      case 'sem':
        return new Spread('sem');
      case 'mad':
        return new Mad(interpolation(call.args[0]?.type), argKind === 'FLOAT');
      case 'any_value':
        return new AnyValue();
      case 'mode':
        return new Mode();
      case 'entropy':
        return new Entropy();
      case 'histogram':
        return new Histogram();
      case 'product':
        return new Product();
      case 'skewness':
      case 'kurtosis':
      case 'kurtosis_pop':
        return new Moments(call.fn);
      case 'corr':
      case 'covar_pop':
      case 'covar_samp':
      case 'regr_slope':
      case 'regr_intercept':
      case 'regr_r2':
      case 'regr_count':
      case 'regr_avgx':
      case 'regr_avgy':
      case 'regr_sxx':
      case 'regr_syy':
      case 'regr_sxy':
        return new CoMoments(call.fn);
      case 'bit_and':
      case 'bit_or':
      case 'bit_xor':
        return new Bits(call.fn, argKind === 'BIGINT');
      case 'string_agg': {
        // (s, sep), or (s, key, sep) with an ORDER BY.
        const sep = call.args[call.order ? 2 : 1];
        return new StringAgg(sep === undefined ? ',' : sep.kind === 'Literal' && typeof sep.value === 'string' ? sep.value : null, call.order, call.distinct);
      }
      case 'array_agg':
        return new ArrayAgg(call.order, call.distinct);
    }
  };
  return {
    fn: call.fn,
    create: make,
    restore: (saved) => {
      const acc = make();
      acc.load(saved);
      return acc;
    },
  };
}

/** A constant argument's number (the planner folds constant arguments into literals); NaN when absent, as in a final phase. */
function constantNumber(e: AggregateCall['args'][number] | undefined): number {
  return e?.kind === 'Literal' ? Number(e.value) : Number.NaN;
}

interface Restorable {
  load(saved: StateValue): void;
}

type MapKey = string | number | bigint | boolean;

/** A value as a Map key: primitives themselves (a Map compares bigints by value), anything else as JSON text; a string too long for V8 to hash as its digest (see hashable). */
function mapKey(v: unknown): MapKey {
  if (typeof v === 'string') return hashable(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (ArrayBuffer.isView(v)) return hashable(stringifyExactJson(Array.from(v as unknown as ArrayLike<number>)));
  return hashable(stringifyExactJson(v));
}

function storable(v: unknown): StateValue {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  return v as StateValue;
}

export class CountStar implements Accumulator, Restorable {
  n = 0;
  add(_a: unknown, _b: unknown, sign: 1 | -1): undefined {
    this.n += sign;
  }
  merge(o: Accumulator): void {
    this.n += (o as CountStar).n;
  }
  /** COUNT is BIGINT, and BIGINT values are bigints (see columns.ts). */
  result(): bigint {
    return BigInt(this.n);
  }
  save(): StateValue {
    return this.n;
  }
  load(s: StateValue): void {
    this.n = s as number;
  }
}

export class Count extends CountStar {
  override add(a: unknown, _b: unknown, sign: 1 | -1): undefined {
    if (a !== null && a !== undefined) this.n += sign;
  }
}

/** COUNT_IF(cond): counts the rows whose condition is TRUE; FALSE and NULL count nothing. */
class CountIf extends CountStar {
  override add(a: unknown, _b: unknown, sign: 1 | -1): undefined {
    if (a === true) this.n += sign;
  }
}

/**
 * SUM and AVG. Over DOUBLE/FLOAT a double sum, or, where the input retracts rows, an exact one
 * (exact-sum.ts: `1e10 + 0.1 - 1e10` is 0.1, as a batch engine summing the rows left gives).
 * Over INT/BIGINT an exact sum: SUM is BIGINT and a
 * sum leaving the BIGINT range is an error for the row that made it leave (DuckDB widens to
 * HUGEINT instead); AVG divides the exact sum, so it is as close as a double can be. INT values
 * are added as doubles into `small` and folded into the bigint `big` before `small` could lose a
 * digit, so an INT column pays no bigint work per row until its sum nears the BIGINT limits.
 */
export class Sum implements Accumulator, Restorable {
  /**
   * The double sum. It is first set to -0, a double, so that V8 lays the field out as a double
   * in every Sum from the start: widening it later, when many Sums already exist (the column
   * accumulators write sums back at the end of a mini-batch), migrates each of them.
   */
  f = -0;
  small = 0;
  big = 0n;
  n = 0;
  /** Folding at every row: `big` is within 2^53 of a BIGINT limit. */
  private near = false;
  /** The exact sum of doubles, used instead of `f` where the input retracts rows. */
  private readonly exact: ExactSum | undefined;
  constructor(
    private readonly avg: boolean,
    private integer: boolean | undefined,
    /** SUM of a DECIMAL: its result is rounded to the DECIMAL's decimals (the sum of doubles drifts). */
    private readonly scale?: number,
    retractable = false,
  ) {
    this.f = 0;
    if (retractable) this.exact = new ExactSum();
  }

  add(a: unknown, _b: unknown, sign: 1 | -1): string | undefined {
    if (a === null || a === undefined) return undefined;
    if (typeof a === 'number') return this.addNumber(a, sign);
    if (typeof a !== 'bigint') return `${this.avg ? 'AVG' : 'SUM'} expects a number, got ${String(a)}`;
    const next = sign > 0 ? this.big + a : this.big - a;
    if (!this.avg && (next > BIGINT_MAX || next < BIGINT_MIN)) return this.overflow(next + BigInt(this.small));
    this.integer = true;
    this.big = next;
    this.count(sign);
    return undefined;
  }

  /** add() of a number. */
  addNumber(a: number, sign: 1 | -1): string | undefined {
    if (this.integer) {
      this.small += sign * a;
      if (this.near || this.small > FOLD || this.small < -FOLD) {
        const err = this.fold();
        if (err !== undefined) {
          this.small -= sign * a;
          return err;
        }
      }
    } else if (this.exact) this.exact.add(a, sign);
    else this.f += sign * a;
    this.count(sign);
    return undefined;
  }

  private count(sign: 1 | -1): void {
    this.n += sign;
    if (this.n === 0) this.reset();
  }

  /** Moves `small` into `big`, refusing (and changing nothing) when SUM would leave BIGINT. */
  private fold(): string | undefined {
    const next = this.big + BigInt(this.small);
    if (!this.avg && (next > BIGINT_MAX || next < BIGINT_MIN)) return this.overflow(next);
    this.big = next;
    this.small = 0;
    this.near = next > BIGINT_MAX - NEAR || next < BIGINT_MIN + NEAR;
    return undefined;
  }

  private overflow(total: bigint): string {
    return overflowText('SUM', total);
  }

  private reset(): void {
    this.f = 0;
    this.small = 0;
    this.big = 0n;
    this.near = false;
    this.exact?.reset();
  }

  mergeError(o: Accumulator): string | undefined {
    const other = o as Sum;
    if (this.avg || !(this.integer || other.integer)) return undefined;
    const total = this.big + other.big + BigInt(this.small) + BigInt(other.small);
    return total > BIGINT_MAX || total < BIGINT_MIN ? this.overflow(total) : undefined;
  }

  merge(o: Accumulator): void {
    const other = o as Sum;
    if (this.exact) this.exact.merge(other.exact ?? ExactSum.of(other.f));
    else this.f += other.exact ? other.exact.value() : other.f;
    this.big += other.big + BigInt(other.small);
    this.integer = this.integer || other.integer;
    this.n += other.n;
    this.fold();
    if (this.n === 0) this.reset();
  }

  result(): number | bigint | null {
    if (this.n <= 0) return null;
    if (!this.integer) {
      const f = this.exact ? this.exact.value() : this.f;
      return this.avg ? f / this.n : this.scale === undefined ? f : toScale(f, this.scale);
    }
    const total = this.big + BigInt(this.small);
    return this.avg ? Number(total) / this.n : total;
  }

  save(): StateValue {
    if (this.integer) return [this.f, this.n, this.big + BigInt(this.small)];
    return this.exact ? [this.exact.value(), this.n, null, this.exact.save()] : [this.f, this.n];
  }

  load(s: StateValue): void {
    const [f, n, exact, sum] = s as readonly [number, number, bigint?, StateValue?];
    this.n = n;
    if (this.exact && !this.integer) {
      const saved = sum === undefined ? ExactSum.of(f) : ExactSum.load(sum);
      this.exact.reset();
      this.exact.merge(saved);
    }
    if (typeof exact === 'bigint') {
      this.integer = true;
      this.big = exact;
      this.fold();
    } else if (this.integer) this.big = BigInt(Math.round(f));
    else this.f = f;
  }
}

/** `small` folds into the exact sum before it could pass 2^53 (a double's exact integers). */
const FOLD = 2 ** 52;
const NEAR = 2n ** 53n;

/** Whether `a` beats `b` for MIN/MAX in SQL order (strings by code point, NaN above all numbers). */
function better(fn: 'min' | 'max', a: unknown, b: unknown): boolean {
  const c = compareValues(a, b);
  return fn === 'min' ? c < 0 : c > 0;
}

/** Append-only MIN/MAX: the current extreme only. */
export class Extreme implements Accumulator, Restorable {
  v: unknown = null;
  private readonly max: boolean;
  constructor(private readonly fn: 'min' | 'max') {
    this.max = fn === 'max';
  }
  add(a: unknown, _b: unknown, sign: 1 | -1): string | undefined {
    if (a === null || a === undefined) return undefined;
    if (sign < 0) return this.noRetraction();
    if (this.v === null || better(this.fn, a, this.v)) this.v = a;
    return undefined;
  }
  /** add() of a number, compared without compareValues: NaN above every number, as there. */
  addNumber(a: number, sign: 1 | -1): string | undefined {
    if (sign < 0) return this.noRetraction();
    const v = this.v;
    if (typeof v !== 'number') {
      if (v === null || better(this.fn, a, v)) this.v = a;
    } else if (this.max ? a > v || (a !== a && v === v) : a < v || (v !== v && a === a)) this.v = a;
    return undefined;
  }
  private noRetraction(): string {
    return extremeNoRetraction(this.fn);
  }
  merge(o: Accumulator): void {
    const x = (o as Extreme).v;
    if (x !== null && (this.v === null || better(this.fn, x, this.v))) this.v = x;
  }
  result(): unknown {
    return this.v;
  }
  save(): StateValue {
    return storable(this.v);
  }
  load(s: StateValue): void {
    this.v = s;
  }
}

/** Why an append-only MIN/MAX refuses a retraction. */
export function extremeNoRetraction(fn: 'min' | 'max'): string {
  return `${fn.toUpperCase()} over an append-only input cannot retract a row`;
}

/** Retractable MIN/MAX: a value -> count multiset and the cached extreme (recomputed when it leaves). */
class MultisetExtreme implements Accumulator, Restorable {
  readonly values = new Map<MapKey, [unknown, number]>();
  private best: unknown = null;
  private stale = false;
  constructor(private readonly fn: 'min' | 'max') {}
  add(a: unknown, _b: unknown, sign: 1 | -1): string | undefined {
    if (a === null || a === undefined) return undefined;
    const k = mapKey(a);
    const e = this.values.get(k);
    const n = (e ? e[1] : 0) + sign;
    if (n < 0) return `${this.fn.toUpperCase()} cannot retract a value it never saw: ${stringifyExactJson(storable(a))}`;
    if (n === 0) {
      this.values.delete(k);
      if (!this.stale && this.best !== null && mapKey(this.best) === k) this.stale = true;
    } else if (e) e[1] = n;
    else {
      this.values.set(k, [a, n]);
      if (!this.stale && (this.best === null || better(this.fn, a, this.best))) this.best = a;
    }
    return undefined;
  }
  merge(o: Accumulator): void {
    mergeMultiset(this.values, (o as MultisetExtreme).values);
    this.stale = true;
  }
  result(): unknown {
    if (this.stale) {
      this.best = null;
      for (const [v] of this.values.values()) if (this.best === null || better(this.fn, v, this.best)) this.best = v;
      this.stale = false;
    }
    return this.best;
  }
  save(): StateValue {
    return [...this.values.values()].map(([v, n]) => [storable(v), n]);
  }
  load(s: StateValue): void {
    // A scalar is the state of an append-only Extreme, saved before the input could retract.
    if (!Array.isArray(s)) {
      if (s !== null && s !== undefined) this.values.set(mapKey(s), [s, 1]);
    } else for (const [v, n] of s as readonly (readonly [StateValue, number])[]) this.values.set(mapKey(v), [v, n]);
    this.stale = true;
  }
}

type Multiset = Map<MapKey, [unknown, number]>;

/** Adds (sign 1) or takes out (sign -1) one copy of `a`; the error of `fn` when there is none to take out. */
function countInMultiset(values: Multiset, a: unknown, sign: 1 | -1, fn: string): string | undefined {
  const k = mapKey(a);
  const e = values.get(k);
  const n = (e ? e[1] : 0) + sign;
  if (n < 0) return `${fn} cannot retract a value it never saw: ${stringifyExactJson(storable(a))}`;
  if (n === 0) values.delete(k);
  else if (e) e[1] = n;
  else {
    if (isLarge(a)) checkMemory(fn);
    values.set(k, [a, n]);
  }
  return undefined;
}

/** A value whose keeping may take much memory: a long string, a list or a struct (see memory-guard.ts). */
function isLarge(v: unknown): boolean {
  return typeof v === 'string' ? v.length >= LARGE_VALUE : typeof v === 'object' && v !== null;
}

/**
 * ARG_MAX(value, by) and ARG_MIN (MAX_BY, MIN_BY): the value of the row with the greatest (least)
 * `by`, rows where either is NULL left out, as DuckDB; of rows tied on `by`, the one that came
 * first. Retractable: a (by, value) -> count multiset in arrival order, the best one cached until
 * it leaves.
 */
class ArgExtreme implements Accumulator, Restorable {
  readonly pairs = new Map<MapKey, [unknown, unknown, number]>();
  private best: [unknown, unknown, number] | undefined;
  private stale = false;
  constructor(
    private readonly fn: 'min' | 'max',
    /** ARG_MAX_NULL, ARG_MIN_NULL: a row whose value is NULL counts (its `by` still must not be NULL). */
    private readonly nullValues = false,
  ) {}
  add(value: unknown, by: unknown, sign: 1 | -1): string | undefined {
    if (by === null || by === undefined || (!this.nullValues && (value === null || value === undefined))) return undefined;
    const k = mapKey([storable(by), storable(value)]);
    const e = this.pairs.get(k);
    const n = (e ? e[2] : 0) + sign;
    if (n < 0) return `ARG_${this.fn.toUpperCase()} cannot retract a row it never saw`;
    if (n === 0) {
      this.pairs.delete(k);
      if (e === this.best) this.stale = true;
    } else if (e) e[2] = n;
    else {
      const entry: [unknown, unknown, number] = [by, value, n];
      this.pairs.set(k, entry);
      if (!this.stale && (this.best === undefined || better(this.fn, by, this.best[0]))) this.best = entry;
    }
    return undefined;
  }
  merge(o: Accumulator): void {
    for (const [k, [by, value, n]] of (o as ArgExtreme).pairs) {
      const e = this.pairs.get(k);
      if (e) e[2] += n;
      else this.pairs.set(k, [by, value, n]);
    }
    this.stale = true;
  }
  result(): unknown {
    if (this.stale) {
      this.best = undefined;
      for (const e of this.pairs.values()) if (this.best === undefined || better(this.fn, e[0], this.best[0])) this.best = e;
      this.stale = false;
    }
    return this.best === undefined ? null : this.best[1];
  }
  save(): StateValue {
    return [...this.pairs.values()].map(([by, value, n]) => [storable(by), storable(value), n]);
  }
  load(s: StateValue): void {
    for (const [by, value, n] of s as readonly (readonly [StateValue, StateValue, number])[]) this.pairs.set(mapKey([by, value]), [by, value, n]);
    this.stale = true;
  }
}

/** ANY_VALUE(x): a non-NULL value of the group (the first that came and is still there), NULL when none. */
class AnyValue implements Accumulator, Restorable {
  readonly values: Multiset = new Map();
  constructor(private readonly name = 'ANY_VALUE') {}
  add(a: unknown, _b: unknown, sign: 1 | -1): string | undefined {
    if (a === null || a === undefined) return undefined;
    return countInMultiset(this.values, a, sign, this.name);
  }
  merge(o: Accumulator): void {
    mergeMultiset(this.values, (o as AnyValue).values);
  }
  result(): unknown {
    for (const [v] of this.values.values()) return v;
    return null;
  }
  save(): StateValue {
    return [...this.values.values()].map(([v, n]) => [storable(v), n]);
  }
  load(s: StateValue): void {
    for (const [v, n] of s as readonly (readonly [StateValue, number])[]) this.values.set(mapKey(v), [v, n]);
  }
}

/**
 * MODE(x): the most frequent non-NULL value, NULL when there is none; of values tied on their
 * count, the one that came first (as DuckDB, over the values still counted). The value -> count
 * multiset of ANY_VALUE, which keeps the order the values first came.
 */
class Mode extends AnyValue {
  constructor() {
    super('MODE');
  }
  override result(): unknown {
    let best: [unknown, number] | undefined;
    for (const e of this.values.values()) if (best === undefined || e[1] > best[1]) best = e;
    return best === undefined ? null : best[0];
  }
}

/**
 * PRODUCT(x): the product of the non-NULL values, a DOUBLE (as DuckDB); NULL over none. The value
 * -> count multiset of ANY_VALUE, multiplied out when read, so that a retraction is exact (a
 * running product divided by the value retracted would keep its rounding, or fail on a 0).
 */
class Product extends AnyValue {
  constructor() {
    super('PRODUCT');
  }
  override result(): number | null {
    let p = 1;
    let any = false;
    for (const [v, n] of this.values.values()) {
      if (n <= 0) continue;
      any = true;
      const x = Number(v);
      if (n <= 64) for (let i = 0; i < n; i++) p *= x;
      else p *= x ** n;
    }
    return any ? p : null;
  }
}

/**
 * HISTOGRAM(x): each non-NULL value with the number of times it came, as a MAP in key order (as
 * DuckDB); NULL over no values. The value -> count multiset of ANY_VALUE.
 */
class Histogram extends AnyValue {
  constructor() {
    super('HISTOGRAM');
  }
  override result(): { key: unknown; value: bigint }[] | null {
    const entries: { key: unknown; value: bigint }[] = [];
    for (const [v, n] of this.values.values()) if (n > 0) entries.push({ key: v, value: BigInt(n) });
    return entries.length === 0 ? null : entries.sort((a, b) => compareValues(a.key, b.key));
  }
}

/**
 * ENTROPY(x): the Shannon entropy, in bits, of the non-NULL values' distribution: -Σ p·log2(p)
 * over the share p of each distinct value (as DuckDB; 0 over no values). The value -> count
 * multiset of ANY_VALUE, so that a retraction is exact.
 */
class Entropy extends AnyValue {
  constructor() {
    super('ENTROPY');
  }
  override result(): number {
    let total = 0;
    for (const [, n] of this.values.values()) total += n;
    let h = 0;
    for (const [, n] of this.values.values()) if (n > 0) h -= (n / total) * Math.log2(n / total);
    return total > 0 ? h + 0 : 0;
  }
}

/**
 * SKEWNESS(x) (the sample skewness), KURTOSIS(x) (the sample excess kurtosis) and
 * KURTOSIS_POP(x) (the population one), as DuckDB defines them: from the count and the exact
 * sums of x, x², x³ and x⁴ (exact-sum.ts), so the central moments are exact until rounded once,
 * and a retraction leaves nothing behind. SKEWNESS needs 3 values (NaN where they do not vary),
 * KURTOSIS 4, KURTOSIS_POP 1 (both NULL where the values do not vary); NaN with an infinite or NaN
 * value among them.
 */
class Moments implements Accumulator, Restorable {
  n = 0;
  /** Σx^k for k = 1..4. */
  sums = [new ExactSum(), new ExactSum(), new ExactSum(), new ExactSum()];
  constructor(private readonly fn: 'skewness' | 'kurtosis' | 'kurtosis_pop') {}
  add(a: unknown, _b: unknown, sign: 1 | -1): undefined {
    if (a === null || a === undefined) return;
    const x = Number(a);
    for (let k = 0; k < 4; k++) this.sums[k]!.addPower(x, k + 1, sign);
    this.n += sign;
    if (this.n === 0) for (const s of this.sums) s.reset();
  }
  merge(o: Accumulator): void {
    const other = o as Moments;
    this.sums.forEach((s, k) => s.merge(other.sums[k]!));
    this.n += other.n;
    if (this.n === 0) for (const s of this.sums) s.reset();
  }
  result(): number | null {
    const n = this.n;
    if (n < (this.fn === 'skewness' ? 3 : this.fn === 'kurtosis' ? 4 : 1)) return null;
    if (this.sums.some((s) => s.hasNonFinite())) return NaN;
    const N = BigInt(n);
    const [s1, s2, s3, s4] = this.sums.map(dyadic) as [Dyadic, Dyadic, Dyadic, Dyadic];
    const s11 = mulDyadic(s1, s1);
    // The central sums Σ(x - mean)^k, times n^(k-1): exact.
    const c2 = sumDyadic([[N, s2], [-1n, s11]]);
    if (c2[0] === 0n) return this.fn === 'skewness' ? NaN : null;
    const m2 = dyadicToNumber(c2, N * N);
    if (this.fn === 'skewness') {
      const c3 = sumDyadic([[N * N, s3], [-3n * N, mulDyadic(s1, s2)], [2n, mulDyadic(s11, s1)]]);
      const m3 = dyadicToNumber(c3, N * N * N);
      return ((Math.sqrt(n * (n - 1)) / (n - 2)) * m3) / Math.sqrt(m2 * m2 * m2);
    }
    const c4 = sumDyadic([[N * N * N, s4], [-4n * N * N, mulDyadic(s1, s3)], [6n * N, mulDyadic(s11, s2)], [-3n, mulDyadic(s11, s11)]]);
    const m4 = dyadicToNumber(c4, N * N * N * N);
    if (this.fn === 'kurtosis_pop') return m4 / (m2 * m2) - 3;
    return ((n - 1) * (((n + 1) * m4) / (m2 * m2) - 3 * (n - 1))) / ((n - 2) * (n - 3));
  }
  save(): StateValue {
    return [this.n, ...this.sums.map((s) => s.save())];
  }
  load(s: StateValue): void {
    const v = s as unknown[];
    this.n = v[0] as number;
    this.sums = [1, 2, 3, 4].map((k) => ExactSum.load(v[k]));
  }
}

type CoMomentFn = 'corr' | 'covar_pop' | 'covar_samp' | 'regr_slope' | 'regr_intercept' | 'regr_r2' | 'regr_count' | 'regr_avgx' | 'regr_avgy' | 'regr_sxx' | 'regr_syy' | 'regr_sxy';

/**
 * A group's row count, and whether a row of it was retracted since it was last empty (Spread,
 * CoMoments): their running form holds until then, their exact sums always.
 */
abstract class TwoForms {
  n = 0;
  /** Whether a row has been retracted: the answer then comes from the exact sums. */
  retracted = false;
  /** Counts a row in (sign 1) or out (-1); true where the running form is to take it (a row added). */
  protected counted(sign: 1 | -1): boolean {
    if (sign > 0) {
      this.n++;
      return true;
    }
    this.retracted = true;
    this.n--;
    if (this.n === 0) this.reset();
    return false;
  }
  /** Forgets every row (the count aside), the retraction too. */
  protected abstract reset(): void;
}

/**
 * CORR(y, x), COVAR_POP, COVAR_SAMP and the REGR_ functions (the least-squares line of y over x),
 * over the rows where both are non-NULL. As Spread, two forms: while no row has been retracted,
 * the count, means, sums of squared deviations and of co-deviations updated row by row (Welford's
 * form, merged by Chan's formula; DuckDB's answer to the last digits); once one has, the answer
 * comes from the exact sums of x, y, x², y² and xy (exact-sum.ts), computed and rounded once, so
 * that values retracted leave no rounding behind. As DuckDB: NULL over no rows (REGR_COUNT 0);
 * COVAR_POP of one row 0 and COVAR_SAMP NULL; CORR NULL where either variance is 0; REGR_SLOPE,
 * REGR_INTERCEPT and REGR_R2 NULL where x does not vary, and REGR_R2 1 where only y does not.
 * After a retraction an infinite or NaN value makes NaN every result that reads it (REGR_SXX reads
 * x only, REGR_SYY y only).
 */
class CoMoments extends TwoForms implements Accumulator, Restorable {
  mx = 0;
  my = 0;
  dxx = 0;
  dyy = 0;
  dxy = 0;
  sx = new ExactSum();
  sy = new ExactSum();
  sxx = new ExactSum();
  syy = new ExactSum();
  sxy = new ExactSum();
  constructor(private readonly fn: CoMomentFn) {
    super();
  }
  add(y: unknown, x: unknown, sign: 1 | -1): undefined {
    if (y === null || y === undefined || x === null || x === undefined) return;
    const [a, b] = [Number(x), Number(y)];
    this.sx.add(a, sign);
    this.sy.add(b, sign);
    this.sxx.addProduct(a, a, sign);
    this.syy.addProduct(b, b, sign);
    this.sxy.addProduct(a, b, sign);
    if (!this.counted(sign)) return;
    const dx = a - this.mx;
    const dy = b - this.my;
    this.mx += dx / this.n;
    this.my += dy / this.n;
    this.dxx += dx * (a - this.mx);
    this.dyy += dy * (b - this.my);
    this.dxy += dx * (b - this.my);
  }
  protected reset(): void {
    this.mx = this.my = this.dxx = this.dyy = this.dxy = 0;
    this.retracted = false;
    for (const s of [this.sx, this.sy, this.sxx, this.syy, this.sxy]) s.reset();
  }
  merge(o: Accumulator): void {
    const other = o as CoMoments;
    this.sx.merge(other.sx);
    this.sy.merge(other.sy);
    this.sxx.merge(other.sxx);
    this.syy.merge(other.syy);
    this.sxy.merge(other.sxy);
    this.retracted ||= other.retracted;
    const n = this.n + other.n;
    if (n <= 0) {
      this.n = n;
      return this.reset();
    }
    if (other.n > 0 && this.n > 0) {
      const dx = other.mx - this.mx;
      const dy = other.my - this.my;
      const w = (this.n * other.n) / n;
      this.dxx += other.dxx + dx * dx * w;
      this.dyy += other.dyy + dy * dy * w;
      this.dxy += other.dxy + dx * dy * w;
      this.mx += (dx * other.n) / n;
      this.my += (dy * other.n) / n;
    } else if (other.n > 0) [this.mx, this.my, this.dxx, this.dyy, this.dxy] = [other.mx, other.my, other.dxx, other.dyy, other.dxy];
    this.n = n;
  }
  result(): number | null {
    const n = this.n;
    if (this.fn === 'regr_count') return Math.max(0, n);
    if (n < 1) return null;
    // REGR_AVGX and REGR_AVGY are sum / count, as DuckDB (a mean updated row by row would turn Infinity + Infinity into NaN).
    if (this.fn === 'regr_avgx') return this.sx.value() / n;
    if (this.fn === 'regr_avgy') return this.sy.value() / n;
    if (this.fn === 'covar_samp' && n < 2) return null;
    const nn = BigInt(n);
    // Sums of (co-)deviations: the running ones, or after a retraction the exact ones, rounded once
    // (NaN where an infinite or NaN value is among those they sum).
    const exact = (p: ExactSum, q: ExactSum, pq: ExactSum, den = nn) => (pq.hasNonFinite() ? NaN : coDeviation(n, p, q, pq, den));
    const [sxx, syy, sxy] = this.retracted ? [exact(this.sx, this.sx, this.sxx), exact(this.sy, this.sy, this.syy), exact(this.sx, this.sy, this.sxy)] : [this.dxx, this.dyy, this.dxy];
    switch (this.fn) {
      case 'covar_pop':
        return this.retracted ? exact(this.sx, this.sy, this.sxy, nn * nn) : sxy / n;
      case 'covar_samp':
        return this.retracted ? exact(this.sx, this.sy, this.sxy, nn * (nn - 1n)) : sxy / (n - 1);
      case 'corr':
        return n < 2 || sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
      case 'regr_slope':
        return sxx === 0 ? null : sxy / sxx;
      case 'regr_intercept':
        return sxx === 0 ? null : (this.retracted ? this.sy.value() / n : this.my) - (sxy / sxx) * (this.retracted ? this.sx.value() / n : this.mx);
      case 'regr_r2':
        return sxx === 0 ? null : syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
      // One value has no spread: 0, also an infinite or NaN one (as VAR_POP, and DuckDB).
      case 'regr_sxx':
        return n === 1 ? 0 : sxx;
      case 'regr_syy':
        return n === 1 ? 0 : syy;
      default:
        return sxy;
    }
  }
  save(): StateValue {
    return [this.n, this.mx, this.my, this.dxx, this.dyy, this.dxy, this.sx.save(), this.sy.save(), this.sxx.save(), this.syy.save(), this.sxy.save(), this.retracted];
  }
  load(s: StateValue): void {
    const v = s as unknown[];
    [this.n, this.mx, this.my, this.dxx, this.dyy, this.dxy] = v as [number, number, number, number, number, number];
    if (Array.isArray(v[6])) {
      [this.sx, this.sy, this.sxx, this.syy, this.sxy] = [6, 7, 8, 9, 10].map((k) => ExactSum.load(v[k])) as [ExactSum, ExactSum, ExactSum, ExactSum, ExactSum];
      this.retracted = v[11] === true;
      return;
    }
    // State saved in the running form alone (and later its plain sums of x and y): the exact sums
    // it implies, as near as its doubles hold them.
    const [n, mx, my, dxx, dyy, dxy, sx, sy] = v as [number, number, number, number, number, number, number?, number?];
    this.retracted = false;
    this.sx = ExactSum.of(sx ?? mx * n);
    this.sy = ExactSum.of(sy ?? my * n);
    this.sxx = ExactSum.of(dxx + n * mx * mx);
    this.syy = ExactSum.of(dyy + n * my * my);
    this.sxy = ExactSum.of(dxy + n * mx * my);
  }
}

/**
 * BIT_AND, BIT_OR, BIT_XOR of integers (two's complement, 64 bits): how many values have each bit
 * set, and how many there are, so that a retraction is exact; NULL over no non-NULL values. The
 * result has the argument's type.
 */
class Bits implements Accumulator, Restorable {
  n = 0;
  readonly ones = new Array<number>(64).fill(0);
  constructor(
    private readonly fn: 'bit_and' | 'bit_or' | 'bit_xor',
    private readonly bigint: boolean,
  ) {}
  add(a: unknown, _b: unknown, sign: 1 | -1): undefined {
    if (a === null || a === undefined) return;
    this.n += sign;
    let v = BigInt.asUintN(64, BigInt(a as number | bigint));
    for (let i = 0; v !== 0n; i++, v >>= 1n) if (v & 1n) this.ones[i]! += sign;
  }
  merge(o: Accumulator): void {
    const other = o as Bits;
    this.n += other.n;
    other.ones.forEach((c, i) => (this.ones[i]! += c));
  }
  result(): number | bigint | null {
    if (this.n <= 0) return null;
    let v = 0n;
    for (let i = 63; i >= 0; i--) {
      const c = this.ones[i]!;
      const set = this.fn === 'bit_and' ? c === this.n : this.fn === 'bit_or' ? c > 0 : c % 2 === 1;
      v = (v << 1n) | (set ? 1n : 0n);
    }
    const signed = BigInt.asIntN(64, v);
    // A final phase of two does not know the argument's type: a value past 2^53 is a BIGINT's.
    return this.bigint || !Number.isSafeInteger(Number(signed)) ? signed : Number(signed);
  }
  save(): StateValue {
    return [this.n, ...this.ones];
  }
  load(s: StateValue): void {
    const [n, ...ones] = s as number[];
    this.n = n!;
    ones.forEach((c, i) => (this.ones[i] = c));
  }
}

/**
 * The values of a group with their sort keys, in the order they came, for STRING_AGG and
 * ARRAY_AGG: read in that order, or sorted by key (NULLs last unless NULLS FIRST; ties in the
 * order they came). A retraction takes out the latest copy of its value (and key). Holds every
 * value of the group.
 */
abstract class Collected implements Accumulator, Restorable {
  /** The values and their keys by arrival number (a Map keeps that order). */
  private readonly order = new Map<number, [unknown, unknown]>();
  /** Arrival numbers of each value (and key), oldest first. */
  private readonly at = new Map<MapKey, number[]>();
  private next = 0;
  constructor(
    private readonly name: string,
    private readonly sortBy: AggregateOrder | undefined,
    /** Gives each value once (every copy is still kept, for retractions). */
    private readonly distinct = false,
  ) {}
  /** The value `a` as collected, or undefined to leave it out. */
  protected abstract take(a: unknown): unknown;
  add(a: unknown, key: unknown, sign: 1 | -1): string | undefined {
    const v = this.take(a);
    if (v === undefined) return undefined;
    const k = this.sortBy ? (key ?? null) : null;
    if (sign > 0) {
      this.push(v, k);
      return undefined;
    }
    const id = this.idOf(v, k);
    const seen = this.at.get(id);
    const last = seen?.pop();
    if (last === undefined) return `${this.name} cannot retract a value it never saw: ${stringifyExactJson(storable(v))}`;
    if (seen!.length === 0) this.at.delete(id);
    this.order.delete(last);
    return undefined;
  }
  private idOf(v: unknown, key: unknown): MapKey {
    // NULL apart from the string 'null', which mapKey would give for both.
    const value = v === null ? '\u0000null' : mapKey(v);
    return this.sortBy ? mapKey([value, storable(key)]) : value;
  }
  private push(v: unknown, key: unknown): void {
    // Collecting large values can fill the heap within one batch (see memory-guard.ts).
    if (isLarge(v)) checkMemory(this.name);
    const n = this.next++;
    this.order.set(n, [v, key]);
    const id = this.idOf(v, key);
    const seen = this.at.get(id);
    if (seen) seen.push(n);
    else this.at.set(id, [n]);
  }
  merge(o: Accumulator): void {
    for (const [v, key] of (o as Collected).order.values()) this.push(v, key);
  }
  /** The values in their order (arrival, or by key). */
  protected values(): unknown[] {
    const entries = [...this.order.values()];
    const by = this.sortBy;
    if (by) {
      // Array.prototype.sort is stable: ties keep their arrival order.
      entries.sort(([, x], [, y]) => {
        if (!by.keys) return compareKeys(x, y, by);
        // Several ORDER BY items: the key is a STRUCT of their values, compared field by field.
        const a = x as Record<string, unknown>;
        const b = y as Record<string, unknown>;
        for (let i = 0; i < by.keys.length; i++) {
          const c = compareKeys(a[`k${i}`] ?? null, b[`k${i}`] ?? null, by.keys[i]!);
          if (c !== 0) return c;
        }
        return 0;
      });
    }
    if (!this.distinct) return entries.map(([v]) => v);
    const seen = new Set<MapKey>();
    const out: unknown[] = [];
    for (const [v] of entries) {
      const id = v === null ? '\u0000null' : mapKey(v);
      if (!seen.has(id)) {
        seen.add(id);
        out.push(v);
      }
    }
    return out;
  }
  abstract result(): unknown;
  save(): StateValue {
    return this.sortBy ? [...this.order.values()].map(([v, key]) => [storable(v), storable(key)]) : [...this.order.values()].map(([v]) => [storable(v)]);
  }
  load(s: StateValue): void {
    for (const e of s as readonly StateValue[]) {
      // Saved before values were kept in pairs: a string of STRING_AGG.
      if (!Array.isArray(e)) this.push(e, null);
      else this.push(e[0], e.length > 1 ? e[1] : null);
    }
  }
}

/** Two sort keys in the order of one ORDER BY item: NULLs first or last, then the direction. */
function compareKeys(x: unknown, y: unknown, by: { readonly desc: boolean; readonly nullsFirst: boolean }): number {
  if (x === null || y === null) return x === y ? 0 : (x === null) === by.nullsFirst ? -1 : 1;
  const c = compareValues(x, y);
  return by.desc ? -c : c;
}

/** Characters of a collected string from which collecting it looks at the engine's memory first. */
const LARGE_VALUE = 4096;
/** The longest string STRING_AGG builds (a JavaScript string holds at most about 2^29). */
const MAX_STRING_AGG = 1 << 28;

/**
 * STRING_AGG(s [, separator] [ORDER BY key]) (GROUP_CONCAT, LISTAGG): the non-NULL strings
 * joined by the separator (',' by default; a NULL separator gives NULL), NULL when there are none.
 */
class StringAgg extends Collected {
  constructor(
    private readonly separator: string | null,
    sortBy?: AggregateOrder,
    distinct?: boolean,
  ) {
    super('STRING_AGG', sortBy, distinct);
  }
  protected take(a: unknown): unknown {
    return a === null || a === undefined ? undefined : String(a);
  }
  result(): unknown {
    const values = this.values();
    if (values.length === 0 || this.separator === null) return null;
    let length = this.separator.length * (values.length - 1);
    for (const v of values) length += (v as string).length;
    if (length > MAX_STRING_AGG) {
      throw new SluiceError('LIMIT_EXCEEDED', `STRING_AGG would build a string of ${length.toLocaleString('en-US')} characters, more than the ${MAX_STRING_AGG.toLocaleString('en-US')} a string may hold`, {
        hint: 'join fewer or shorter values (filter or group finer), or collect them with LIST',
      });
    }
    return values.join(this.separator);
  }
}

/**
 * ARRAY_AGG(x [ORDER BY key]) (LIST): the values, NULLs included (as DuckDB), as an array; NULL
 * over no rows. Each value comes in an array of one (see plan-select.ts): NULL is a row that
 * FILTER left out.
 */
class ArrayAgg extends Collected {
  constructor(sortBy?: AggregateOrder, distinct?: boolean) {
    super('ARRAY_AGG', sortBy, distinct);
  }
  protected take(a: unknown): unknown {
    return a === null || a === undefined ? undefined : ((a as ArrayLike<unknown>)[0] ?? null);
  }
  result(): unknown {
    const values = this.values();
    return values.length === 0 ? null : values;
  }
}

/** Adds `from`'s counts to `into`; returns how many values it added. */
function overflowText(fn: string, total: bigint): string {
  return `${fn} overflow: the sum ${total} is outside the BIGINT range [${BIGINT_MIN}, ${BIGINT_MAX}]; ${fn === 'SUM' ? 'SUM(CAST(x AS DOUBLE))' : 'SUM(DISTINCT CAST(x AS DOUBLE))'} gives an approximate sum`;
}

function mergeMultiset(into: Multiset, from: Multiset): number {
  let added = 0;
  for (const [k, [v, n]] of from) {
    const e = into.get(k);
    if (e) e[1] += n;
    else into.set(k, [v, n]);
    added += n;
  }
  return added;
}

/**
 * QUANTILE_DISC(x, q): the first of the n non-NULL values in SQL order whose cumulative share
 * reaches q, i.e. the one at 0-based position max(ceil(n * q) - 1, 0), as the SQL standard's
 * PERCENTILE_DISC and DuckDB's quantile_disc. Exact: a value -> count multiset, sorted when read.
 */
class QuantileDisc implements Accumulator, Restorable {
  readonly values = new Map<MapKey, [unknown, number]>();
  n = 0;
  /**
   * The values in order, each as often as it is counted, once read; kept up to date by each add
   * after that (a block of the bag moves, not the whole multiset), so that a window frame sliding
   * by a row costs a logarithmic search and a short move, not a sort of the frame (a MEDIAN over
   * a frame of 50,000 rows sorted each frame again: minutes for 100,000 rows).
   */
  private order: OrderedBag<unknown> | undefined;
  constructor(private readonly q: number) {}
  add(a: unknown, _b: unknown, sign: 1 | -1): string | undefined {
    if (a === null || a === undefined) return undefined;
    const err = countInMultiset(this.values, a, sign, 'QUANTILE_DISC');
    if (err === undefined) {
      this.n += sign;
      if (sign === 1) this.order?.insert(a);
      else this.order?.remove(a);
    }
    return err;
  }
  merge(o: Accumulator): void {
    this.n += mergeMultiset(this.values, (o as QuantileDisc).values);
    this.order = undefined;
  }
  /** The n values in order (see `order`). */
  protected sorted(): OrderedBag<unknown> {
    if (!this.order) {
      const order: unknown[] = [];
      for (const [v, k] of [...this.values.values()].sort((a, b) => compareValues(a[0], b[0]))) for (let i = 0; i < k; i++) order.push(v);
      this.order = OrderedBag.ofSorted(order, compareValues);
    }
    return this.order;
  }
  result(): unknown {
    if (this.n <= 0) return null;
    return this.sorted().at(Math.max(Math.ceil(this.n * this.q) - 1, 0)) ?? null;
  }
  save(): StateValue {
    return [...this.values.values()].map(([v, n]) => [storable(v), n]);
  }
  load(s: StateValue): void {
    for (const [v, n] of s as readonly (readonly [StateValue, number])[]) {
      this.values.set(mapKey(v), [v, n]);
      this.n += n;
    }
    this.order = undefined;
  }
}

/**
 * QUANTILE_CONT(x, q) and MEDIAN(x): over the n non-NULL values in order, the value at the
 * fractional 0-based position h = (n - 1) * q, interpolated linearly between its neighbours
 * (lo + (h - floor(h)) * (hi - lo)), as the SQL standard's PERCENTILE_CONT and DuckDB's
 * quantile_cont; of x's type as DuckDB's (see `interpolation`). The same exact multiset as
 * QUANTILE_DISC.
 */
class QuantileCont extends QuantileDisc {
  constructor(
    private readonly fraction: number,
    protected readonly between: Interpolate = linear,
  ) {
    super(fraction);
  }
  override result(): unknown {
    if (this.n <= 0) return null;
    const sorted = this.sorted();
    const h = (this.n - 1) * this.fraction;
    const lo = Math.floor(h);
    const low = Number(sorted.at(lo));
    return h === lo ? low : this.between(low, Number(sorted.at(lo + 1)), h - lo);
  }
}

/** The value a fraction `d` of the way from `lo` to `hi`. */
type Interpolate = (lo: number, hi: number, d: number) => number;

const linear: Interpolate = (lo, hi, d) => lo + d * (hi - lo);

/**
 * How QUANTILE_CONT, MEDIAN and MAD interpolate values of `type`, as DuckDB does: a DECIMAL in its
 * scaled integers, rounded down to its scale (the median of 0.01 and 0.02 is 0.01, of -0.01 and
 * -0.02 is -0.02); a FLOAT as a FLOAT; a DATE or TIMESTAMP as a timestamp, rounded down to the
 * millisecond; any other number as a DOUBLE.
 */
export function interpolation(type: DataType | undefined): Interpolate {
  const scale = type && decimalOf(type)?.scale;
  if (scale !== undefined) {
    const unit = 10 ** scale;
    return (lo, hi, d) => {
      const l = Math.round(lo * unit);
      return Math.floor(l + d * (Math.round(hi * unit) - l)) / unit + 0;
    };
  }
  // In FLOAT arithmetic: the difference rounded to a FLOAT first.
  if (type?.kind === 'FLOAT') return (lo, hi, d) => Math.fround(lo + d * Math.fround(hi - lo));
  if (type?.kind === 'DATE' || type?.kind === 'TIMESTAMP') return (lo, hi, d) => Math.floor(linear(lo, hi, d));
  return linear;
}

/**
 * Of `n` numbers given sorted as (value, count) pairs, the value at the fractional 0-based
 * position h = (n - 1) * q, interpolated between its neighbours.
 */
function interpolated(sorted: readonly (readonly [unknown, number])[], n: number, q: number, between: Interpolate): number {
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const at = (position: number): number => {
    let left = position;
    for (const [v, k] of sorted) {
      if (left < k) return Number(v);
      left -= k;
    }
    return NaN;
  };
  const low = at(lo);
  return h === lo ? low : between(low, at(lo + 1), h - lo);
}

/**
 * MAD(x): the median absolute deviation, the median of |x - m| where m is the median of the
 * non-NULL values (medians interpolated as QUANTILE_CONT's, in x's type); NULL over no values.
 * The exact multiset of QUANTILE_CONT.
 */
class Mad extends QuantileCont {
  /** `float`: of FLOAT values, whose deviations are FLOATs too. */
  constructor(
    between: Interpolate,
    private readonly float: boolean,
  ) {
    super(0.5, between);
  }
  override result(): unknown {
    const m = super.result();
    if (m === null) return null;
    const deviations = new Map<number, number>();
    for (const [v, n] of this.values.values()) {
      const away = Math.abs(Number(v) - (m as number));
      const d = this.float ? Math.fround(away) : away;
      deviations.set(d, (deviations.get(d) ?? 0) + n);
    }
    return interpolated([...deviations].sort((a, b) => compareValues(a[0], b[0])), this.n, 0.5, this.between);
  }
}

/**
 * VAR_SAMP, VAR_POP, STDDEV_SAMP, STDDEV_POP. Two forms are kept. While no row has been retracted,
 * the count, mean and sum of squared deviations updated row by row (Welford's method, as DuckDB,
 * merged by Chan's formula), whose answer is DuckDB's to the last digits; of integers the exact
 * form instead. And the exact sums of the values and of their squares (exact-sum.ts), from which
 * the answer is computed once a row has been retracted: a running form would keep the rounding of
 * values no longer there (1e10 added and retracted leaves an error of about 1e4 in the squared
 * deviations), the exact sums none. The sample forms of fewer than two values, and every form of
 * none, are NULL (as DuckDB); the population forms of one value are 0, whatever the value.
 * Infinite or NaN values among several give NaN.
 */
class Spread extends TwoForms implements Accumulator, Restorable {
  mean = 0;
  m2 = 0;
  sum = new ExactSum();
  squares = new ExactSum();
  constructor(private readonly fn: 'stddev_samp' | 'stddev_pop' | 'var_samp' | 'var_pop' | 'sem') {
    super();
  }
  add(a: unknown, _b: unknown, sign: 1 | -1): undefined {
    if (a === null || a === undefined) return;
    const x = Number(a);
    if (typeof a === 'bigint') {
      this.sum.addInteger(a, sign);
      this.squares.addInteger(a, sign, true);
    } else {
      this.sum.add(x, sign);
      this.squares.addProduct(x, x, sign);
    }
    if (!this.counted(sign)) return;
    const d = x - this.mean;
    this.mean += d / this.n;
    // One value has no spread: 0, also for an infinite one (where the update would give NaN).
    this.m2 = this.n === 1 ? 0 : this.m2 + d * (x - this.mean);
  }
  protected reset(): void {
    this.mean = this.m2 = 0;
    this.retracted = false;
    this.sum.reset();
    this.squares.reset();
  }
  merge(o: Accumulator): void {
    const other = o as Spread;
    this.sum.merge(other.sum);
    this.squares.merge(other.squares);
    this.retracted ||= other.retracted;
    const n = this.n + other.n;
    if (n <= 0) {
      this.n = n;
      return this.reset();
    }
    if (other.n > 0 && this.n > 0) {
      const d = other.mean - this.mean;
      this.m2 = this.m2 + other.m2 + (d * d * this.n * other.n) / n;
      this.mean += (d * other.n) / n;
    } else if (other.n > 0) [this.mean, this.m2] = [other.mean, other.m2];
    this.n = n;
  }
  result(): number | null {
    const sample = this.fn === 'var_samp' || this.fn === 'stddev_samp';
    const n = this.n;
    if (n < (sample ? 2 : 1)) return null;
    // One value has no spread: 0, also for an infinite one.
    let v: number;
    if (n === 1) v = 0;
    else if (this.squares.hasNonFinite()) v = NaN;
    // Integers, or after a retraction: from the exact sums. Else the running form, as DuckDB.
    else if (this.retracted || (this.sum.scale === 0 && this.squares.scale === 0)) v = coDeviation(n, this.sum, this.sum, this.squares, BigInt(n) * BigInt(sample ? n - 1 : n));
    else v = Math.max(0, this.m2) / (sample ? n - 1 : n);
    if (this.fn === 'sem') return Math.sqrt(v) / Math.sqrt(n);
    return this.fn === 'var_samp' || this.fn === 'var_pop' ? v : Math.sqrt(v);
  }
  save(): StateValue {
    return [this.n, this.mean, this.m2, this.sum.save(), this.squares.save(), this.retracted];
  }
  load(s: StateValue): void {
    const v = s as unknown[];
    this.n = v[0] as number;
    if (Array.isArray(v[3])) {
      [this.mean, this.m2] = [v[1] as number, v[2] as number];
      [this.sum, this.squares] = [ExactSum.load(v[3]), ExactSum.load(v[4])];
      this.retracted = v[5] === true;
      return;
    }
    // State saved in the running form alone: count, mean, squared deviations, and "sum:squares"
    // while every value was an integer; the exact sums are those it implies.
    const [n, mean, m2, sums] = v as [number, number, number, string | null | undefined];
    [this.mean, this.m2, this.retracted] = [mean, m2, false];
    const exact = sums?.split(':');
    this.sum = new ExactSum();
    this.squares = new ExactSum();
    if (exact) {
      this.sum.addInteger(BigInt(exact[0]!), 1);
      this.squares.addInteger(BigInt(exact[1]!), 1);
    } else {
      this.sum = ExactSum.of(mean * n);
      this.squares = ExactSum.of(m2 + n * mean * mean);
    }
  }
}

/** BOOL_AND / BOOL_OR: counts of TRUE and FALSE values, so that a retraction is exact. NULL over no values. */
class BoolFold implements Accumulator, Restorable {
  t = 0;
  f = 0;
  constructor(private readonly and: boolean) {}
  add(a: unknown, _b: unknown, sign: 1 | -1): undefined {
    if (a === true) this.t += sign;
    else if (a === false) this.f += sign;
  }
  merge(o: Accumulator): void {
    this.t += (o as BoolFold).t;
    this.f += (o as BoolFold).f;
  }
  result(): boolean | null {
    if (this.t + this.f <= 0) return null;
    return this.and ? this.f === 0 : this.t > 0;
  }
  save(): StateValue {
    return [this.t, this.f];
  }
  load(s: StateValue): void {
    [this.t, this.f] = s as [number, number];
  }
}

/**
 * SUM(DISTINCT x) and AVG(DISTINCT x): a value -> count multiset (so that retraction is exact);
 * the result sums each distinct value once, exactly as SUM and AVG do. As SUM does, a row whose
 * new BIGINT value would take the sum of the distinct values out of range is refused (a row
 * error), so the result never leaves a value out silently.
 */
class SumDistinct implements Accumulator, Restorable {
  readonly values: Multiset = new Map();
  /** The sum of the distinct BIGINT values held (SUM only). */
  private big = 0n;
  constructor(
    private readonly avg: boolean,
    private readonly integer: boolean | undefined,
    private readonly scale?: number,
  ) {}
  add(a: unknown, _b: unknown, sign: 1 | -1): string | undefined {
    if (a === null || a === undefined) return undefined;
    const k = mapKey(a);
    const e = this.values.get(k);
    const n = (e ? e[1] : 0) + sign;
    if (n < 0) return `${this.avg ? 'AVG' : 'SUM'}(DISTINCT) cannot retract a value it never saw: ${stringifyExactJson(storable(a))}`;
    if (!e && !this.avg && typeof a === 'bigint') {
      const next = this.big + a;
      if (next > BIGINT_MAX || next < BIGINT_MIN) return overflowText('SUM(DISTINCT)', next);
      this.big = next;
    }
    if (n === 0) {
      this.values.delete(k);
      if (!this.avg && typeof a === 'bigint') this.big -= a;
    } else if (e) e[1] = n;
    else this.values.set(k, [a, n]);
    return undefined;
  }
  mergeError(o: Accumulator): string | undefined {
    if (this.avg) return undefined;
    let total = this.big;
    for (const [k, [v]] of (o as SumDistinct).values) if (typeof v === 'bigint' && !this.values.has(k)) total += v;
    return total > BIGINT_MAX || total < BIGINT_MIN ? overflowText('SUM(DISTINCT)', total) : undefined;
  }
  merge(o: Accumulator): void {
    mergeMultiset(this.values, (o as SumDistinct).values);
    this.recount();
  }
  result(): unknown {
    const sum = new Sum(this.avg, this.integer, this.scale);
    for (const [v] of this.values.values()) sum.add(v, null, 1);
    return sum.result();
  }
  save(): StateValue {
    return [...this.values.values()].map(([v, n]) => [storable(v), n]);
  }
  load(s: StateValue): void {
    for (const [v, n] of s as readonly (readonly [StateValue, number])[]) this.values.set(mapKey(v), [v, n]);
    this.recount();
  }
  private recount(): void {
    this.big = 0n;
    if (!this.avg) for (const [v] of this.values.values()) if (typeof v === 'bigint') this.big += v;
  }
}

/** COUNT(DISTINCT x): value -> number of rows holding it. */
class CountDistinct implements Accumulator, Restorable {
  readonly values = new Map<MapKey, number>();
  add(a: unknown, _b: unknown, sign: 1 | -1): string | undefined {
    if (a === null || a === undefined) return undefined;
    if (isLarge(a)) checkMemory('COUNT(DISTINCT)');
    const k = mapKey(a);
    const n = (this.values.get(k) ?? 0) + sign;
    if (n < 0) return `COUNT(DISTINCT) cannot retract a value it never saw: ${stringifyExactJson(storable(a))}`;
    if (n === 0) this.values.delete(k);
    else this.values.set(k, n);
    return undefined;
  }
  merge(o: Accumulator): void {
    for (const [k, n] of (o as CountDistinct).values) this.values.set(k, (this.values.get(k) ?? 0) + n);
  }
  result(): bigint {
    return BigInt(this.values.size);
  }
  save(): StateValue {
    return [...this.values];
  }
  load(s: StateValue): void {
    for (const [k, n] of s as readonly (readonly [MapKey, number])[]) this.values.set(k, n);
  }
}

