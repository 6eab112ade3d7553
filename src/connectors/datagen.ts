/**
 * Deterministic data for the fraud demo and for skew benchmarks.
 *
 * `txEvent(n)` is transaction `n` of stream `tx(tx_id, card_id, amount, features, ts)`. Like the
 * Nexmark generator, every transaction draws from its own random stream, so it is a pure function
 * of `(n, config)`. Cards are chosen with Zipf skew; the 30 features follow the per-class summary
 * statistics of the Wisconsin diagnostic breast-cancer data set (the data the demo's model is
 * trained on), mixed between the benign and malignant profiles by a per-transaction severity, so
 * a model trained on that data gives a spread of scores, high for the fraud-like subset.
 */

import { SluiceError } from '../common/errors.js';
import { T, arrayOf, type DataType } from '../common/types.js';
import { Rng, hashString32 } from './rng.js';

// ---------------------------------------------------------------- Zipf

/**
 * Samples ranks 0 .. n-1 with P(k) proportional to 1 / (k + 1)^s, rank 0 the hottest, by binary
 * search over a precomputed cumulative distribution.
 */
export class ZipfSampler {
  readonly n: number;
  readonly s: number;
  private readonly cdf: Float64Array;

  constructor(n: number, s: number) {
    if (!Number.isSafeInteger(n) || n < 1) throw new SluiceError('INVALID_ARGUMENT', `zipf: n must be a positive integer, got ${n}`);
    if (!(s >= 0) || !Number.isFinite(s)) throw new SluiceError('INVALID_ARGUMENT', `zipf: s must be >= 0, got ${s}`);
    this.n = n;
    this.s = s;
    const cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += Math.pow(k + 1, -s);
      cdf[k] = total;
    }
    for (let k = 0; k < n; k++) cdf[k] = (cdf[k] ?? 0) / total;
    cdf[n - 1] = 1;
    this.cdf = cdf;
  }

  /** Probability of rank k. */
  probability(k: number): number {
    if (k < 0 || k >= this.n) return 0;
    return (this.cdf[k] ?? 0) - (k === 0 ? 0 : (this.cdf[k - 1] ?? 0));
  }

  /** The rank for a uniform draw u in [0, 1): the first k with cdf[k] > u. */
  rank(u: number): number {
    const cdf = this.cdf;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] ?? 1) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  sample(rng: Rng): number {
    return this.rank(rng.nextDouble());
  }
}

const samplers = new Map<string, ZipfSampler>();

/** A cached sampler: building the CDF is O(n), so it happens once per (n, s). */
export function zipfSampler(n: number, s: number): ZipfSampler {
  const key = `${n}:${s}`;
  let z = samplers.get(key);
  if (z === undefined) {
    z = new ZipfSampler(n, s);
    samplers.set(key, z);
  }
  return z;
}

/** `count` Zipf-distributed ranks in [0, keys), rank 0 the hottest. */
export function zipfKeys(count: number, keys: number, s?: number, seed?: number): Int32Array;
/** `count` Zipf-distributed picks from `keys`, `keys[0]` the hottest. */
export function zipfKeys<K>(count: number, keys: readonly K[], s?: number, seed?: number): K[];
export function zipfKeys<K>(count: number, keys: number | readonly K[], s = 1.1, seed = 0): Int32Array | K[] {
  const n = typeof keys === 'number' ? keys : keys.length;
  const z = zipfSampler(n, s);
  const rng = new Rng(seed);
  if (typeof keys === 'number') {
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = z.sample(rng);
    return out;
  }
  const out = new Array<K>(count);
  for (let i = 0; i < count; i++) out[i] = keys[z.sample(rng)] as K;
  return out;
}

// ---------------------------------------------------------------- feature profiles

/**
 * Per-feature mean and standard deviation of the benign (B) and malignant (M) classes, and the
 * overall minimum and maximum, in the data set's column order: mean, standard error and worst of
 * radius, texture, perimeter, area, smoothness, compactness, concavity, concave points,
 * symmetry and fractal dimension. Values are the published summary statistics, rounded.
 */
// prettier-ignore
const FEATURE_STATS: readonly (readonly [bMean: number, bStd: number, mMean: number, mStd: number, min: number, max: number])[] = [
  [12.15, 1.78, 17.46, 3.20, 6.981, 28.11],
  [17.91, 4.00, 21.60, 3.78, 9.71, 39.28],
  [78.08, 11.8, 115.4, 21.9, 43.79, 188.5],
  [462.8, 134.3, 978.4, 368.0, 143.5, 2501],
  [0.0925, 0.0134, 0.1029, 0.0126, 0.0526, 0.1634],
  [0.0801, 0.0337, 0.1452, 0.0540, 0.0194, 0.3454],
  [0.0461, 0.0434, 0.1608, 0.0750, 0, 0.4268],
  [0.0257, 0.0159, 0.0880, 0.0344, 0, 0.2012],
  [0.1742, 0.0248, 0.1929, 0.0276, 0.106, 0.304],
  [0.0629, 0.0067, 0.0627, 0.0076, 0.0500, 0.0974],
  [0.2841, 0.1125, 0.6091, 0.3450, 0.1115, 2.873],
  [1.220, 0.589, 1.211, 0.483, 0.3602, 4.885],
  [2.000, 0.771, 4.324, 2.569, 0.757, 21.98],
  [21.14, 8.84, 72.67, 61.36, 6.802, 542.2],
  [0.00720, 0.00306, 0.00678, 0.00289, 0.00171, 0.03113],
  [0.02144, 0.01635, 0.03228, 0.01830, 0.00225, 0.1354],
  [0.02600, 0.03291, 0.04182, 0.02161, 0, 0.396],
  [0.00986, 0.00571, 0.01506, 0.00552, 0, 0.05279],
  [0.02058, 0.00700, 0.02047, 0.01007, 0.00788, 0.07895],
  [0.00364, 0.00294, 0.00406, 0.00204, 0.00089, 0.02984],
  [13.38, 1.98, 21.13, 4.28, 7.93, 36.04],
  [23.52, 5.49, 29.32, 5.43, 12.02, 49.54],
  [87.01, 13.53, 141.4, 29.5, 50.41, 251.2],
  [558.9, 163.6, 1422, 598, 185.2, 4254],
  [0.1250, 0.0200, 0.1448, 0.0219, 0.0712, 0.2226],
  [0.1827, 0.0922, 0.3748, 0.1705, 0.0273, 1.058],
  [0.1662, 0.1404, 0.4506, 0.1813, 0, 1.252],
  [0.0744, 0.0358, 0.1822, 0.0462, 0, 0.291],
  [0.2702, 0.0418, 0.3235, 0.0746, 0.1565, 0.6638],
  [0.0794, 0.0138, 0.0915, 0.0216, 0.0550, 0.2075],
];

export const FEATURE_COUNT = FEATURE_STATS.length;

/**
 * FEATURE_STATS flattened for the inner loop, per feature: benign mean, malignant minus benign
 * mean, benign std, malignant minus benign std, min, max.
 */
const STATS = Float64Array.from(FEATURE_STATS.flatMap(([bMean, bStd, mMean, mStd, min, max]) => [bMean, mMean - bMean, bStd, mStd - bStd, min, max]));

/**
 * Writes 30 features at `severity` (0 = the benign profile, 1 = the malignant one) into
 * `out[at .. at + 30)`. The noise is a shared component (the features of one case are strongly
 * correlated, e.g. radius, perimeter and area) plus a per-feature one; values are clamped to the
 * observed range and rounded to FLOAT precision (by the Float32Array).
 */
function drawFeatures(rng: Rng, severity: number, out: Float32Array, at: number): void {
  const shared = rng.nextGaussian();
  for (let i = 0, s = 0; i < FEATURE_COUNT; i++, s += 6) {
    const mean = STATS[s]! + severity * STATS[s + 1]!;
    const std = STATS[s + 2]! + severity * STATS[s + 3]!;
    const z = 0.6 * shared + 0.5 * rng.nextGaussian();
    const v = mean + std * z;
    const min = STATS[s + 4]!;
    const max = STATS[s + 5]!;
    out[at + i] = v < min ? min : v > max ? max : v;
  }
}

const oneRow = new Float32Array(FEATURE_COUNT);

/** drawFeatures as a new array of numbers. */
function featureArray(rng: Rng, severity: number): number[] {
  drawFeatures(rng, severity, oneRow, 0);
  const out = new Array<number>(FEATURE_COUNT);
  for (let i = 0; i < FEATURE_COUNT; i++) out[i] = oneRow[i]!;
  return out;
}

// ---------------------------------------------------------------- transactions

/** Parameters of the transaction stream. */
export interface TxConfig {
  readonly seed: number;
  /** Event time of transaction 0, epoch ms. */
  readonly baseTime: number;
  /** Transaction `n` is at `baseTime + floor(n * 1000 / eventsPerSecond)`. */
  readonly eventsPerSecond: number;
  /** Cards are 'card-1' .. 'card-<numCards>'; card-1 is the hottest. */
  readonly numCards: number;
  /** Zipf exponent of the card choice. */
  readonly zipfS: number;
  /** Share of fraud-like transactions (malignant-like features, larger amounts). */
  readonly fraudRate: number;
}

export const DEFAULT_TX_CONFIG: TxConfig = Object.freeze({
  seed: 0,
  baseTime: Date.UTC(2024, 0, 1),
  eventsPerSecond: 1000,
  numCards: 1000,
  zipfS: 1.1,
  fraudRate: 0.05,
});

/** A full config from defaults plus overrides. */
export function txConfig(overrides: Partial<TxConfig> = {}): TxConfig {
  const c: TxConfig = { ...DEFAULT_TX_CONFIG, ...overrides };
  if (!(c.eventsPerSecond > 0)) throw new SluiceError('INVALID_ARGUMENT', `datagen: eventsPerSecond must be positive`);
  if (!(c.fraudRate >= 0 && c.fraudRate <= 1)) throw new SluiceError('INVALID_ARGUMENT', `datagen: fraudRate must be in [0, 1]`);
  zipfSampler(c.numCards, c.zipfS);
  return Object.freeze(c);
}

/** A row of stream `tx`. */
export interface TxRow {
  tx_id: string;
  card_id: string;
  amount: number;
  features: number[];
  ts: number;
}

/** A row of table `card_features` (primary key card_id). */
export interface CardFeatureRow {
  card_id: string;
  avg_amount_30d: number;
  features: number[];
}

/** Column names and DDL types of `tx` and `card_features`. */
export const datagenSchemas: Readonly<Record<'tx' | 'card_features', readonly { readonly name: string; readonly sqlType: string; readonly type: DataType }[]>> = {
  tx: [
    { name: 'tx_id', sqlType: 'STRING', type: T.STRING },
    { name: 'card_id', sqlType: 'STRING', type: T.STRING },
    { name: 'amount', sqlType: 'DOUBLE', type: T.DOUBLE },
    { name: 'features', sqlType: 'ARRAY<FLOAT>', type: arrayOf(T.FLOAT) },
    { name: 'ts', sqlType: 'TIMESTAMP(3)', type: T.TIMESTAMP },
  ],
  card_features: [
    { name: 'card_id', sqlType: 'STRING', type: T.STRING },
    { name: 'avg_amount_30d', sqlType: 'DOUBLE', type: T.DOUBLE },
    { name: 'features', sqlType: 'ARRAY<FLOAT>', type: arrayOf(T.FLOAT) },
  ],
};

const TX_SALT = 0x7a3d;
const CARD_SALT = 0x1c4f;
const rng = new Rng();
const cardNames: string[] = [];

function cardName(rank: number): string {
  let name = cardNames[rank];
  if (name === undefined) {
    name = `card-${rank + 1}`;
    cardNames[rank] = name;
  }
  return name;
}

/** Draws the fraud decision first, so `txLabel` needs one draw and agrees with `txEvent`. */
function isFraudLike(config: TxConfig): boolean {
  return rng.nextDouble() < config.fraudRate;
}

/** Whether transaction `n` was drawn from the fraud-like profile (1) or not (0): a label for AUC. */
export function txLabel(n: number, config: TxConfig = DEFAULT_TX_CONFIG): 0 | 1 {
  rng.seedEvent(config.seed ^ TX_SALT, n);
  return isFraudLike(config) ? 1 : 0;
}

/** What `drawTx` drew for one transaction, before its features. */
const drawn = { card: 0, severity: 0, amount: 0 };

/**
 * Seeds the generator for transaction `n` and draws its card, severity and amount into `drawn`;
 * the features are the next draws.
 */
function drawTx(n: number, config: TxConfig, zipf: ZipfSampler): void {
  rng.seedEvent(config.seed ^ TX_SALT, n);
  const fraud = isFraudLike(config);
  drawn.card = zipf.sample(rng);
  // Severity: legitimate cases mostly near the benign profile with a tail, fraud-like ones high.
  const u = rng.nextDouble();
  drawn.severity = fraud ? 0.5 + 0.5 * u : 0.45 * u * u * u;
  drawn.amount = Math.round(Math.exp(3.5 + (fraud ? 1.2 : 0) + 0.9 * rng.nextGaussian()) * 100) / 100;
}

function txTime(n: number, config: TxConfig): number {
  return config.baseTime + Math.floor((n * 1000) / config.eventsPerSecond);
}

/** Transaction `n` (a non-negative safe integer). */
export function txEvent(n: number, config?: TxConfig): TxRow;
/**
 * Transaction `n` without its features, for a stream that does not declare the column: drawing
 * 30 of them is most of an event's cost. The other columns are those of `txEvent(n, config)`
 * (the features are drawn last).
 */
export function txEvent(n: number, config: TxConfig, columns: { readonly features: false }): Omit<TxRow, 'features'>;
export function txEvent(n: number, config: TxConfig = DEFAULT_TX_CONFIG, columns?: { readonly features: false }): TxRow | Omit<TxRow, 'features'> {
  drawTx(n, config, zipfSampler(config.numCards, config.zipfS));
  if (columns) return { tx_id: `tx-${n}`, card_id: cardName(drawn.card), amount: drawn.amount, ts: txTime(n, config) };
  return { tx_id: `tx-${n}`, card_id: cardName(drawn.card), amount: drawn.amount, features: featureArray(rng, drawn.severity), ts: txTime(n, config) };
}

/** Strings as UTF-8 bytes, laid out as an Arrow Utf8 column: string i is bytes[offsets[i] .. offsets[i + 1]). */
export interface Utf8Strings {
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
}

/**
 * Transactions [from, to) as columns, for a source that builds column batches: row `i` holds
 * exactly the values of `txEvent(from + i, config)`, the ids as UTF-8 bytes (no string per
 * event). `features` is row-major, FEATURE_COUNT values per row, or undefined when not asked for
 * (then none are drawn, as with txEvent).
 */
export interface TxColumns {
  readonly length: number;
  readonly tx_id: Utf8Strings;
  readonly card_id: Utf8Strings;
  readonly amount: Float64Array;
  readonly features: Float32Array | undefined;
  readonly ts: Float64Array;
}

/** Longest decimal of a safe integer. */
const MAX_DIGITS = 16;
const TX_PREFIX = 'tx-';
const CARD_PREFIX = 'card-';

/** Writes `prefix` (ASCII) and the decimal digits of the non-negative safe integer `n` at `pos`; returns the end. */
function writeId(bytes: Uint8Array, pos: number, prefix: string, n: number): number {
  for (let k = 0; k < prefix.length; k++) bytes[pos++] = prefix.charCodeAt(k);
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  // % and the division of a multiple of 10 are exact for any safe integer.
  for (let k = pos + digits - 1, x = n; k >= pos; k--) {
    const d = x % 10;
    bytes[k] = 48 + d;
    x = (x - d) / 10;
  }
  return pos + digits;
}

function utf8Ids(length: number, prefix: string): { offsets: Int32Array; bytes: Uint8Array } {
  return { offsets: new Int32Array(length + 1), bytes: new Uint8Array(length * (prefix.length + MAX_DIGITS)) };
}

export function txColumns(from: number, to: number, config: TxConfig, withFeatures: boolean): TxColumns {
  const length = Math.max(0, to - from);
  const zipf = zipfSampler(config.numCards, config.zipfS);
  const txIds = utf8Ids(length, TX_PREFIX);
  const cardIds = utf8Ids(length, CARD_PREFIX);
  const cols = {
    length,
    amount: new Float64Array(length),
    features: withFeatures ? new Float32Array(length * FEATURE_COUNT) : undefined,
    ts: new Float64Array(length),
  };
  let txEnd = 0;
  let cardEnd = 0;
  for (let i = 0; i < length; i++) {
    const n = from + i;
    drawTx(n, config, zipf);
    txIds.offsets[i + 1] = txEnd = writeId(txIds.bytes, txEnd, TX_PREFIX, n);
    cardIds.offsets[i + 1] = cardEnd = writeId(cardIds.bytes, cardEnd, CARD_PREFIX, drawn.card + 1);
    cols.amount[i] = drawn.amount;
    cols.ts[i] = txTime(n, config);
    if (cols.features) drawFeatures(rng, drawn.severity, cols.features, i * FEATURE_COUNT);
  }
  return { ...cols, tx_id: { offsets: txIds.offsets, bytes: txIds.bytes.subarray(0, txEnd) }, card_id: { offsets: cardIds.offsets, bytes: cardIds.bytes.subarray(0, cardEnd) } };
}

/** A row of the demo's `labels` stream: the truth about a transaction, known later. */
export interface TxLabelRow {
  tx_id: string;
  is_fraud: boolean;
  ts: number;
}

/**
 * Event `m` of the labels stream: the label of transaction m - delay * rate, stamped `delayMs`
 * after it, so that at the same rate it is delivered that much later than its transaction too;
 * undefined for the first delay * rate events (no transaction is that old yet).
 */
export function txLabelEvent(m: number, delayMs: number, config: TxConfig = DEFAULT_TX_CONFIG): TxLabelRow | undefined {
  const n = m - Math.round((delayMs * config.eventsPerSecond) / 1000);
  if (n < 0) return undefined;
  return { tx_id: `tx-${n}`, is_fraud: txLabel(n, config) === 1, ts: txTime(n, config) + delayMs };
}

/** Transactions [from, to), in order; nothing is generated until pulled. */
export function* txRange(from: number, to: number, config: TxConfig = DEFAULT_TX_CONFIG): Generator<TxRow, void, undefined> {
  for (let n = from; n < to; n++) yield txEvent(n, config);
}

/**
 * The card_features row of `cardId` (any string; 'card-k' for generated cards): a typical amount
 * and a benign-leaning feature profile, both a pure function of the id and the seed.
 */
export function cardFeatureRow(cardId: string, config: Pick<TxConfig, 'seed'> = DEFAULT_TX_CONFIG): CardFeatureRow {
  rng.seedEvent(config.seed ^ CARD_SALT, hashString32(cardId));
  const avg = Math.round(Math.exp(3.5 + 0.5 * rng.nextGaussian()) * 100) / 100;
  return { card_id: cardId, avg_amount_30d: avg, features: featureArray(rng, 0.25 * rng.nextDouble()) };
}

/** The card_features rows of every generated card, 'card-1' .. 'card-<numCards>'. */
export function cardFeatureRows(config: Pick<TxConfig, 'seed' | 'numCards'> = DEFAULT_TX_CONFIG): CardFeatureRow[] {
  const rows: CardFeatureRow[] = [];
  for (let k = 0; k < config.numCards; k++) rows.push(cardFeatureRow(cardName(k), config));
  return rows;
}
