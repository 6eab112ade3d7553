/**
 * Model-quality aggregates over (score, label) pairs: AUC, LOG_LOSS, BRIER, PRECISION_AT and
 * RECALL_AT; and PSI(value, 'model', 'feature'), the drift of a value against a model's reference.
 *
 * Shared rules (docs/sql.md, "Aggregates"): a pair with a NULL score or a NULL label is ignored;
 * a label is positive when it is TRUE or a number > 0, anything else is negative; a NaN score is
 * a row error. Every accumulator retracts exactly what it added and merges another of its kind.
 * An aggregate that is undefined on the rows it holds (no rows, no positives for RECALL_AT, no
 * predicted positives for PRECISION_AT, one class only for AUC) is NULL.
 */
import { stringifyExactJson } from '../../common/exact-json.js';
import type { StateValue } from '../../state/index.js';
import { binOf, psi, type ReferenceBins, type ReferenceSource } from '../../udf/drift.js';
import type { Accumulator } from './accumulator.js';

/** LOG_LOSS clips scores to [LOG_LOSS_EPSILON, 1 - LOG_LOSS_EPSILON] so that ln never sees 0. */
export const LOG_LOSS_EPSILON = 1e-15;

/** A label counts as positive when it is TRUE or a number > 0. */
export function isPositiveLabel(label: unknown): boolean {
  return label === true || (typeof label === 'number' && label > 0) || (typeof label === 'bigint' && label > 0n);
}

/** The score as a number, or the row error when it is not one. */
function scoreOf(fn: string, score: unknown): number | string {
  if (typeof score === 'bigint') return Number(score);
  const s = Number(score);
  if (Number.isNaN(s)) return `${fn} score is not a number: ${stringifyExactJson(typeof score === 'bigint' ? score : (score as StateValue))}`;
  return s;
}

const absent = (v: unknown): boolean => v === null || v === undefined;

/**
 * AUC(score, label): area under the ROC curve, i.e. the probability that a random positive
 * scores above a random negative (ties count one half). Exact: keeps a score -> [positives,
 * negatives] histogram.
 */
export class Auc implements Accumulator {
  readonly hist = new Map<number, [number, number]>();
  add(score: unknown, label: unknown, sign: 1 | -1): string | undefined {
    if (absent(score) || absent(label)) return undefined;
    const s = scoreOf('AUC', score);
    if (typeof s === 'string') return s;
    const e = this.hist.get(s) ?? [0, 0];
    const i = isPositiveLabel(label) ? 0 : 1;
    if (e[i] + sign < 0) return `AUC cannot retract a pair it never saw`;
    e[i] += sign;
    if (e[0] === 0 && e[1] === 0) this.hist.delete(s);
    else this.hist.set(s, e);
    return undefined;
  }
  merge(o: Accumulator): void {
    for (const [s, [p, n]] of (o as Auc).hist) {
      const e = this.hist.get(s) ?? [0, 0];
      e[0] += p;
      e[1] += n;
      this.hist.set(s, e);
    }
  }
  result(): number | null {
    const scores = [...this.hist.keys()].sort((a, b) => a - b);
    let negBelow = 0;
    let pairs = 0;
    let P = 0;
    for (const s of scores) {
      const [p, n] = this.hist.get(s) ?? [0, 0];
      pairs += p * negBelow + 0.5 * p * n;
      negBelow += n;
      P += p;
    }
    if (P === 0 || negBelow === 0) return null;
    return pairs / (P * negBelow);
  }
  save(): StateValue {
    return [...this.hist].map(([s, [p, n]]) => [s, p, n]);
  }
  load(s: StateValue): void {
    for (const [score, p, n] of s as readonly (readonly [number, number, number])[]) this.hist.set(score, [p, n]);
  }
}

/**
 * A mean of a per-pair loss: LOG_LOSS is -(y ln p + (1 - y) ln(1 - p)) with p clipped to
 * [1e-15, 1 - 1e-15]; BRIER is (p - y)^2 with p as given. y is 1 for a positive label, else 0.
 */
export class MeanLoss implements Accumulator {
  sum = 0;
  n = 0;
  constructor(private readonly fn: 'log_loss' | 'brier') {}

  private loss(p: number, y: 0 | 1): number {
    if (this.fn === 'brier') return (p - y) * (p - y);
    const q = Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
    return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
  }

  add(score: unknown, label: unknown, sign: 1 | -1): string | undefined {
    if (absent(score) || absent(label)) return undefined;
    const s = scoreOf(this.fn.toUpperCase(), score);
    if (typeof s === 'string') return s;
    if (sign < 0 && this.n === 0) return `${this.fn.toUpperCase()} cannot retract a pair it never saw`;
    this.sum += sign * this.loss(s, isPositiveLabel(label) ? 1 : 0);
    this.n += sign;
    if (this.n === 0) this.sum = 0;
    return undefined;
  }
  merge(o: Accumulator): void {
    const other = o as MeanLoss;
    this.sum += other.sum;
    this.n += other.n;
    if (this.n === 0) this.sum = 0;
  }
  result(): number | null {
    return this.n > 0 ? this.sum / this.n : null;
  }
  save(): StateValue {
    return [this.sum, this.n];
  }
  load(s: StateValue): void {
    [this.sum, this.n] = s as [number, number];
  }
}

/**
 * PRECISION_AT(score, label, t) and RECALL_AT(score, label, t): a pair is predicted positive when
 * score >= t. Precision is TP / (TP + FP), NULL with no predicted positive; recall is
 * TP / (TP + FN), NULL with no positive label. Keeps the confusion counts.
 */
export class ThresholdRate implements Accumulator {
  tp = 0;
  fp = 0;
  fn = 0;
  tn = 0;
  constructor(
    private readonly which: 'precision_at' | 'recall_at',
    private readonly threshold: number,
  ) {}

  add(score: unknown, label: unknown, sign: 1 | -1): string | undefined {
    if (absent(score) || absent(label)) return undefined;
    const s = scoreOf(this.which.toUpperCase(), score);
    if (typeof s === 'string') return s;
    const predicted = s >= this.threshold;
    const key = isPositiveLabel(label) ? (predicted ? 'tp' : 'fn') : predicted ? 'fp' : 'tn';
    if (this[key] + sign < 0) return `${this.which.toUpperCase()} cannot retract a pair it never saw`;
    this[key] += sign;
    return undefined;
  }
  merge(o: Accumulator): void {
    const other = o as ThresholdRate;
    this.tp += other.tp;
    this.fp += other.fp;
    this.fn += other.fn;
    this.tn += other.tn;
  }
  result(): number | null {
    const denominator = this.which === 'precision_at' ? this.tp + this.fp : this.tp + this.fn;
    return denominator > 0 ? this.tp / denominator : null;
  }
  save(): StateValue {
    return [this.tp, this.fp, this.fn, this.tn];
  }
  load(s: StateValue): void {
    [this.tp, this.fp, this.fn, this.tn] = s as [number, number, number, number];
  }
}

/**
 * PSI(value, 'model', 'feature'): counts values per bin of the reference distribution resolved at
 * plan time (src/udf/drift.ts) and answers their population stability index; NULL values are
 * ignored, NULL over no values. In a final phase (merging partials) the reference may be absent:
 * then the counts are kept by bin index as the partials give them. A reference still being
 * collected (`reference.rows`) is read at each value: values before it is complete are not
 * counted (they are the rows it is made of), and PSI is NULL until it is.
 */
export class Psi implements Accumulator {
  counts: number[];
  /** With a version argument: the version of the values counted (one per group). */
  private version: number | undefined;
  constructor(private readonly source: ReferenceSource | undefined) {
    this.counts = new Array<number>((typeof source === 'object' ? source.cuts.length : 0) + 1).fill(0);
  }
  private get reference(): ReferenceBins | undefined {
    return typeof this.source === 'function' ? this.source(this.version) : this.source;
  }
  add(value: unknown, version: unknown, sign: 1 | -1): string | undefined {
    if (absent(value)) return undefined;
    if (!absent(version)) {
      const n = Number(version);
      if (this.version !== undefined && this.version !== n) return `PSI compares one version's values with its reference; got versions ${this.version} and ${n} in one group (GROUP BY the version)`;
      this.version = n;
    }
    const v = scoreOf('PSI', value);
    if (typeof v === 'string') return v;
    const reference = this.reference;
    if (!reference && this.source !== undefined) return undefined;
    // A collected reference arrives after the counts were made: one count per bin from then on.
    while (reference && this.counts.length <= reference.cuts.length) this.counts.push(0);
    const bin = binOf(reference?.cuts ?? [], v);
    if ((this.counts[bin] ?? 0) + sign < 0) return `PSI cannot retract a value it never saw`;
    this.counts[bin] = (this.counts[bin] ?? 0) + sign;
    return undefined;
  }
  merge(o: Accumulator): void {
    (o as Psi).counts.forEach((c, i) => (this.counts[i] = (this.counts[i] ?? 0) + c));
    this.version ??= (o as Psi).version;
  }
  result(): number | null {
    const reference = this.reference;
    return reference ? psi(reference, this.counts) : null;
  }
  save(): StateValue {
    return this.version === undefined ? [...this.counts] : { counts: [...this.counts], version: this.version };
  }
  load(s: StateValue): void {
    if (Array.isArray(s)) this.counts = [...(s as number[])];
    else {
      const o = s as { counts: number[]; version: number };
      this.counts = [...o.counts];
      this.version = o.version;
    }
  }
}
