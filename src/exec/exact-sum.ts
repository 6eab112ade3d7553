/**
 * Exact sums of doubles, for aggregates whose input retracts rows. Every finite double is an
 * integer times a power of two, so a sum of them is one too: `num / 2^scale`, with `num` a bigint
 * and `scale` the most fraction bits any value added so far has needed. Adding and retracting a
 * value is then exact, in any order: `1e10 + 0.1 - 1e10` is 0.1, where a double sum keeps
 * 0.100000381... (the rounding of the 1e10 it no longer holds). Non-finite values are counted
 * apart, so a retracted Infinity leaves nothing behind either.
 *
 * Products (`addProduct`) are exact too, which the variances and covariances need: from exact
 * sums of x, y, x*y, their `n * sum(xy) - sum(x) * sum(y)` is exact, and rounded once.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Little-endian hosts keep a double's low word first. */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** Trailing zero bits of a nonzero 32-bit word. */
const ctz32 = (w: number): number => 31 - Math.clz32(w & -w);

/**
 * A finite double as `m * 2^e`, `m` a safe integer (odd unless 0) and `e` a whole number:
 * exact. Writes into `parts` to spare an allocation per value.
 */
function decompose(x: number, parts: { m: number; e: number }): void {
  if (Number.isSafeInteger(x)) {
    parts.m = x;
    parts.e = 0;
    return;
  }
  f64[0] = x;
  const hi = u32[HI]!;
  const lo = u32[LO]!;
  const biased = (hi >>> 20) & 0x7ff;
  let high = hi & 0xfffff;
  let e = -1074;
  if (biased !== 0) {
    high |= 0x100000;
    e = biased - 1075;
  }
  // Strip the mantissa's trailing zeros: 0.5 is 1 * 2^-1, not 2^52 * 2^-53.
  let shift = lo !== 0 ? ctz32(lo) : 32 + ctz32(high);
  let m: number;
  if (shift >= 32) m = high / 2 ** (shift - 32);
  else m = high * 2 ** (32 - shift) + (lo >>> shift);
  e += shift;
  parts.m = hi >>> 31 ? -m : m;
  parts.e = e;
}

/** BigInt(i), made once: a shift by a bigint count needs one per value otherwise. */
const BIG = Array.from({ length: 2300 }, (_, i) => BigInt(i));
const big = (i: number): bigint => BIG[i] ?? BigInt(i);

const scratch = { m: 0, e: 0 };
const scratch2 = { m: 0, e: 0 };

/** The bit length of |x| (0 for 0). */
export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  if (x === 0n) return 0;
  const hex = x.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)));
}

/** `num / den / 2^shift` as the double nearest it (den > 0): to within a unit in the last place. */
export function ratioToNumber(num: bigint, den: bigint, shift: number): number {
  if (num === 0n) return 0;
  // Keep 64 significant bits in the quotient, then scale by the powers of two left over.
  const k = 64 - bitLength(num) + bitLength(den);
  const q = k >= 0 ? (num << BigInt(k)) / den : num / (den << BigInt(-k));
  return scaleByPowerOfTwo(Number(q), -(k + shift));
}

/** `x * 2^p`, in steps that neither overflow nor underflow on the way. */
function scaleByPowerOfTwo(x: number, p: number): number {
  while (p > 1000) {
    x *= 2 ** 1000;
    p -= 1000;
  }
  while (p < -1000) {
    x *= 2 ** -1000;
    p += 1000;
  }
  return x * 2 ** p;
}

export class ExactSum {
  /** The sum of the finite values is `num / 2^scale`. */
  num = 0n;
  scale = 0;
  /** Values added less values retracted, by kind: +Infinity, -Infinity, NaN. */
  posInf = 0;
  negInf = 0;
  nan = 0;

  /** Adds (sign 1) or retracts (sign -1) `x`. */
  add(x: number, sign: 1 | -1): void {
    if (!Number.isFinite(x)) return this.special(x, sign);
    if (x === 0) return;
    decompose(x, scratch);
    this.addScaled(BigInt(sign * scratch.m), scratch.e);
  }

  /** Adds (sign 1) or retracts (sign -1) `x * y`, exactly (with Infinity * 0 NaN, as a double product). */
  addProduct(x: number, y: number, sign: 1 | -1): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return this.special(x * y, sign);
    if (x === 0 || y === 0) return;
    decompose(x, scratch);
    decompose(y, scratch2);
    const m = scratch.m * scratch2.m;
    const e = scratch.e + scratch2.e;
    // A product below 2^53 is exact as a double (the usual case of small integers).
    this.addScaled(Number.isSafeInteger(m) ? BigInt(sign * m) : BigInt(sign * scratch.m) * BigInt(scratch2.m), e);
  }

  /** Adds (sign 1) or retracts (sign -1) `x^k`, exactly. */
  addPower(x: number, k: number, sign: 1 | -1): void {
    if (!Number.isFinite(x)) return this.special(x ** k, sign);
    if (x === 0) return;
    decompose(x, scratch);
    const m = BigInt(scratch.m) ** big(k);
    this.addScaled(sign > 0 ? m : -m, scratch.e * k);
  }

  /** Adds (sign 1) or retracts (sign -1) the integer `m`, and with `square` its square. */
  addInteger(m: bigint, sign: 1 | -1, square = false): void {
    const v = square ? m * m : m;
    this.addScaled(sign > 0 ? v : -v, 0);
  }

  private special(x: number, sign: 1 | -1): void {
    if (x === Infinity) this.posInf += sign;
    else if (x === -Infinity) this.negInf += sign;
    else this.nan += sign;
  }

  /** Adds `m * 2^e`. */
  private addScaled(m: bigint, e: number): void {
    const at = e + this.scale;
    if (at >= 0) {
      this.num += at === 0 ? m : m << big(at);
      return;
    }
    // More fraction bits than any value so far: widen the scale.
    this.num = (this.num << big(-at)) + m;
    this.scale = -e;
  }

  merge(o: ExactSum): void {
    if (o.scale > this.scale) {
      this.num = (this.num << BigInt(o.scale - this.scale)) + o.num;
      this.scale = o.scale;
    } else this.num += o.scale === this.scale ? o.num : o.num << BigInt(this.scale - o.scale);
    this.posInf += o.posInf;
    this.negInf += o.negInf;
    this.nan += o.nan;
  }

  /** Whether a non-finite value is among those added. */
  hasNonFinite(): boolean {
    return this.posInf > 0 || this.negInf > 0 || this.nan > 0;
  }

  /** The sum, rounded once: NaN with a NaN or both infinities among the values, else the infinity there is. */
  value(): number {
    if (this.nan > 0 || (this.posInf > 0 && this.negInf > 0)) return NaN;
    if (this.posInf > 0) return Infinity;
    if (this.negInf > 0) return -Infinity;
    return this.scale === 0 ? Number(this.num) : ratioToNumber(this.num, 1n, this.scale);
  }

  /** `num` at another scale (at least this one). */
  numAt(scale: number): bigint {
    return scale === this.scale ? this.num : this.num << BigInt(scale - this.scale);
  }

  reset(): void {
    this.num = 0n;
    this.scale = 0;
    this.posInf = this.negInf = this.nan = 0;
  }

  save(): [bigint, number, number, number, number] {
    return [this.num, this.scale, this.posInf, this.negInf, this.nan];
  }

  static load(s: unknown): ExactSum {
    const v = s as [bigint, number, number, number, number];
    const x = new ExactSum();
    [x.num, x.scale, x.posInf, x.negInf, x.nan] = v;
    return x;
  }

  /** An exact sum holding one double `x` (state saved before exact sums were kept). */
  static of(x: number): ExactSum {
    const s = new ExactSum();
    s.add(x, 1);
    return s;
  }
}

/**
 * `(n * sxy - sx * sy) / den`, exact until rounded once: with the exact sums of n values x and y
 * and of their products, the sum of co-deviations times n (or, with sx = sy and sxy the sum of
 * squares, of squared deviations). Over n * n it is the population covariance (or variance),
 * over n * (n - 1) the sample one, over n the sum of co-deviations. Finite sums only.
 */
export function coDeviation(n: number, sx: ExactSum, sy: ExactSum, sxy: ExactSum, den: bigint): number {
  const scale = Math.max(sx.scale + sy.scale, sxy.scale);
  const num = BigInt(n) * sxy.numAt(scale) - ((sx.num * sy.num) << BigInt(scale - sx.scale - sy.scale));
  return ratioToNumber(num, den, scale);
}

/** An exact rational `num / 2^scale`, for sums of products of exact sums. */
export type Dyadic = readonly [num: bigint, scale: number];

export const dyadic = (s: ExactSum): Dyadic => [s.num, s.scale];

export function mulDyadic(a: Dyadic, b: Dyadic): Dyadic {
  return [a[0] * b[0], a[1] + b[1]];
}

/** Σ coefficient * term, exact. */
export function sumDyadic(terms: readonly (readonly [bigint, Dyadic])[]): Dyadic {
  const scale = Math.max(...terms.map(([, t]) => t[1]));
  let num = 0n;
  for (const [c, [n, s]] of terms) num += c * (s === scale ? n : n << big(scale - s));
  return [num, scale];
}

/** `d / den` as the nearest double. */
export function dyadicToNumber(d: Dyadic, den: bigint): number {
  return ratioToNumber(d[0], den, d[1]);
}
