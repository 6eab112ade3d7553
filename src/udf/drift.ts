/**
 * Drift: a model's reference distribution per feature and the population stability index (PSI)
 * of a window's values against it.
 *
 * Binning (docs/models.md, "Drift"): the reference sample of a feature, sorted, gives the cut
 * points of REFERENCE_BINS quantile bins: the values at positions floor(k * n / 10) for k = 1..9,
 * duplicates removed (a feature with few distinct values gets fewer bins). A value falls in bin
 * i = the number of cut points <= value, so bin 0 holds values below the first cut point and the
 * last bin values at or above the last. PSI = sum over bins of (a - e) * ln(a / e), where e and a
 * are the reference's and the window's share of rows in the bin, each raised to PSI_EPSILON when
 * smaller so an empty bin counts as a small share rather than dividing by zero.
 *
 * Features of a model: each scalar INPUT column by name, each element of an ARRAY input as
 * `name[i]` (1-based, as SQL indexes arrays), and each OUTPUT column by name (the score).
 */
import { SluiceError, didYouMean } from '../common/errors.js';
import type { Field } from '../common/types.js';

/** Quantile bins per feature. */
export const REFERENCE_BINS = 10;
/** The smallest share a bin counts with in PSI. */
export const PSI_EPSILON = 1e-4;

/** A feature's reference distribution: cut points and the reference's share of rows per bin. */
export interface ReferenceBins {
  readonly cuts: readonly number[];
  /** One share per bin (cuts.length + 1), summing to 1. */
  readonly expected: readonly number[];
  /** Rows the reference was built from. */
  readonly rows: number;
}

/** A reference per feature name. */
export type Reference = Readonly<Record<string, ReferenceBins>>;

/**
 * A feature's reference, fixed, or read when needed (one being collected: undefined until it is
 * complete); `version` is given where the reference is the one of the version that scored the
 * values (PSI's fourth argument).
 */
export type ReferenceSource = ReferenceBins | ((version?: number) => ReferenceBins | undefined);

/** Bins a sample (NaN and non-finite values left out); undefined for an empty sample. */
export function referenceBins(sample: ArrayLike<number>): ReferenceBins | undefined {
  // A typed array sorts numbers natively, many times faster than a comparator over an array.
  const finite = new Float64Array(sample.length);
  let n = 0;
  for (let i = 0; i < sample.length; i++) {
    const v = sample[i]!;
    if (Number.isFinite(v)) finite[n++] = v;
  }
  const sorted = finite.subarray(0, n).sort();
  if (n === 0) return undefined;
  const cuts: number[] = [];
  for (let k = 1; k < REFERENCE_BINS; k++) {
    const v = sorted[Math.floor((k * n) / REFERENCE_BINS)]!;
    if (cuts.length === 0 || v > cuts[cuts.length - 1]!) cuts.push(v);
  }
  // Sorted values fill the bins in order: the bin moves on past each cut point reached (binOf, in one pass).
  const counts = new Array<number>(cuts.length + 1).fill(0);
  let bin = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    while (bin < cuts.length && cuts[bin]! <= v) bin++;
    counts[bin]!++;
  }
  return { cuts, expected: counts.map((c) => c / n), rows: n };
}

/** The bin of `v`: how many cut points are <= v. */
export function binOf(cuts: readonly number[], v: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** PSI of per-bin row counts against the reference; null when there are no rows. */
export function psi(ref: ReferenceBins, counts: readonly number[]): number | null {
  const total = counts.reduce((s, c) => s + c, 0);
  if (total <= 0) return null;
  let sum = 0;
  for (let i = 0; i < ref.expected.length; i++) {
    const e = Math.max(ref.expected[i]!, PSI_EPSILON);
    const a = Math.max((counts[i] ?? 0) / total, PSI_EPSILON);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** The drift features of a model signature, in order. */
export function featureNames(inputs: readonly Field[], outputs: readonly Field[]): string[] {
  const names: string[] = [];
  for (const f of inputs) {
    if (f.type.kind === 'ARRAY') for (let i = 1; i <= (f.type.size ?? 0); i++) names.push(`${f.name}[${i}]`);
    else names.push(f.name);
  }
  for (const f of outputs) names.push(f.name);
  return names;
}

/** A row's value of each drift feature (NaN where it is missing or not a number). */
export function featureValues(inputs: readonly Field[], outputs: readonly Field[], row: Readonly<Record<string, unknown>>): number[] {
  const out: number[] = [];
  for (const f of inputs) {
    const v = row[f.name];
    if (f.type.kind === 'ARRAY') {
      const arr = Array.isArray(v) || ArrayBuffer.isView(v) ? (v as ArrayLike<unknown>) : [];
      for (let i = 0; i < (f.type.size ?? 0); i++) out.push(toNumber(arr[i]));
    } else out.push(toNumber(v));
  }
  for (const f of outputs) out.push(toNumber(row[f.name]));
  return out;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

/**
 * Reads a reference file (CSV with a header row, or NDJSON: one JSON object per line, chosen by
 * the file name's extension) into a reference per feature. CSV columns are named like the
 * features (`features[3]`, `score`); NDJSON objects carry the model's columns (arrays whole).
 * A feature missing from the file gets no reference; a file with no usable row is an error.
 */
export function parseReference(model: string, file: string, text: string, inputs: readonly Field[], outputs: readonly Field[]): Reference {
  const names = featureNames(inputs, outputs);
  const samples: number[][] = names.map(() => []);
  const ndjson = /\.(nd)?jsonl?$/i.test(file);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const where = (line: number) => `reference file '${file}' of model '${model}', line ${line}`;
  if (ndjson) {
    lines.forEach((line, k) => {
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (err) {
        throw new SluiceError('INVALID_ARGUMENT', `${where(k + 1)}: not a JSON object (${err instanceof Error ? err.message : String(err)})`, { hint: 'write one JSON object per line' });
      }
      if (typeof row !== 'object' || row === null) throw new SluiceError('INVALID_ARGUMENT', `${where(k + 1)}: not a JSON object`, { hint: 'write one JSON object per line' });
      featureValues(inputs, outputs, row as Record<string, unknown>).forEach((v, i) => samples[i]!.push(v));
    });
  } else {
    const header = (lines[0] ?? '').split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
    const columns = names.map((n) => header.indexOf(n));
    const unknown = header.filter((h) => h !== '' && !names.includes(h));
    if (columns.every((c) => c < 0)) {
      throw new SluiceError('INVALID_ARGUMENT', `${where(1)}: the header names none of the model's features (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', ...' : ''})`, {
        hint: `name the columns like the features: ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}${unknown[0] ? `${didYouMean(unknown[0], names) ? `; ${didYouMean(unknown[0], names)}` : ''}` : ''}`,
      });
    }
    for (let k = 1; k < lines.length; k++) {
      const cells = lines[k]!.split(',');
      columns.forEach((c, i) => {
        if (c >= 0) samples[i]!.push(toNumber(cells[c]));
      });
    }
  }
  const reference = binSamples(names, samples);
  if (Object.keys(reference).length === 0) {
    throw new SluiceError('INVALID_ARGUMENT', `reference file '${file}' of model '${model}' has no numeric value of any feature`, { hint: `features: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}` });
  }
  return reference;
}

/**
 * Builds a reference from the first rows a version scores: collects up to `limit` rows
 * (`reference.rows`), then freezes and hands the reference to `onFrozen` (which keeps it). Used
 * when a model has no reference file; one kept before starts frozen (`restored`).
 */
export class ReferenceCollector {
  /** One sample per feature, `seen` values each (grown as rows come, up to `limit`). */
  #samples: Float64Array[];
  private seen = 0;
  #frozen: Reference | undefined;

  constructor(
    private readonly inputs: readonly Field[],
    private readonly outputs: readonly Field[],
    private readonly limit: number,
    restored?: Reference,
    private readonly onFrozen?: (reference: Reference) => void,
  ) {
    this.#samples = restored ? [] : featureNames(inputs, outputs).map(() => new Float64Array(Math.min(limit, 1024)));
    if (restored) {
      this.#frozen = restored;
      this.seen = Math.max(0, ...Object.values(restored).map((b) => b.rows));
    }
  }

  /** Adds one scored row (inputs and outputs by column name); a no-op once frozen. */
  add(row: Readonly<Record<string, unknown>>): void {
    if (this.#frozen) return;
    this.reserve(1);
    featureValues(this.inputs, this.outputs, row).forEach((v, i) => (this.#samples[i]![this.seen] = v));
    if (++this.seen >= this.limit) this.freeze();
  }

  /**
   * Adds a scored batch: `inputs` holds `rows` rows of the model's input values packed in
   * feature order (`width` per row), `outputs` each output column's values by name.
   */
  addBatch(inputs: ArrayLike<number>, width: number, rows: number, outputs: Readonly<Record<string, ArrayLike<unknown> | undefined>>): void {
    if (this.#frozen) return;
    const take = Math.min(rows, this.limit - this.seen);
    this.reserve(take);
    const nIn = featureNames(this.inputs, []).length;
    const at = this.seen;
    for (let i = 0; i < nIn; i++) {
      const sample = this.#samples[i]!;
      for (let r = 0; r < take; r++) sample[at + r] = i < width ? Number(inputs[r * width + i]) : Number.NaN;
    }
    // A scalar output has one value per row; an array output is not a drift feature value.
    this.outputs.forEach((f, k) => {
      const sample = this.#samples[nIn + k]!;
      const values = outputs[f.name];
      for (let r = 0; r < take; r++) sample[at + r] = f.type.kind === 'ARRAY' ? Number.NaN : toNumber(values?.[r]);
    });
    this.seen += take;
    if (this.seen >= this.limit) this.freeze();
  }

  /** The reference once `limit` rows were seen. */
  get reference(): Reference | undefined {
    return this.#frozen;
  }

  get rows(): number {
    return this.seen;
  }

  /** Room in every sample for `more` values past the ones seen. */
  private reserve(more: number): void {
    const need = this.seen + more;
    if (need <= (this.#samples[0]?.length ?? need)) return;
    const size = Math.min(this.limit, Math.max(need, 2 * this.#samples[0]!.length));
    this.#samples = this.#samples.map((old) => {
      const grown = new Float64Array(size);
      grown.set(old.subarray(0, this.seen));
      return grown;
    });
  }

  private freeze(): void {
    this.#frozen = binSamples(
      featureNames(this.inputs, this.outputs),
      this.#samples.map((s) => s.subarray(0, this.seen)),
    );
    this.#samples = [];
    this.onFrozen?.(this.#frozen);
  }
}

/** A reference per feature from one sample per feature (features without a number left out). */
function binSamples(names: readonly string[], samples: readonly ArrayLike<number>[]): Reference {
  const reference: Record<string, ReferenceBins> = {};
  names.forEach((n, i) => {
    const bins = referenceBins(samples[i] ?? []);
    if (bins) reference[n] = bins;
  });
  return reference;
}
