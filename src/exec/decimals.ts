/**
 * DECIMAL(p, s) values. A DECIMAL is held as the double nearest its exact value (see `Decimal` in
 * common/types.ts): every operation that makes one rounds to its scale here, half away from zero
 * as DuckDB does, so sums, products and comparisons give the decimal answer (`0.1 + 0.2 = 0.3`)
 * while the value stays a number for Arrow, JSON and models. Exact while `|value| * 10^s` stays
 * below 2^53 (about 15 significant digits); past that a value is the double it computes to.
 */
import type { Decimal } from '../common/types.js';

const POW10: readonly number[] = Array.from({ length: 39 }, (_, i) => 10 ** i);
const EXACT = 2 ** 53;

/** `m` rounded to an integer, ties away from zero. */
function roundHalfAway(m: number): number {
  return m < 0 ? -Math.round(-m) : Math.round(m);
}

/**
 * `x` rounded to `scale` decimals, half away from zero, where `x` approximates a value that has
 * at most `from` decimals (a DECIMAL of scale `from`, or the exact result of adding or multiplying
 * such values): its digits are recovered exactly before the last ones are dropped, so the DECIMAL
 * 2.675 rounds to 2.68 although the double nearest it is 2.67499999...
 */
export function rescale(x: number, from: number, scale: number): number {
  if (!Number.isFinite(x)) return x;
  const m = x * POW10[from]!;
  if (!(Math.abs(m) < EXACT)) return from <= scale ? x : roundHalfAway(x * POW10[scale]!) / POW10[scale]!;
  const digits = roundHalfAway(m);
  if (from <= scale) return digits / POW10[from]! + 0;
  // A true tie is k + 0.5 exactly: a quotient of small integers by a power of ten rounds to it.
  return roundHalfAway(digits / POW10[from - scale]!) / POW10[scale]! + 0;
}

/** A DOUBLE as a DECIMAL of `scale` decimals: its value rounded half away from zero, as DuckDB's CAST. */
export function toScale(x: number, scale: number): number {
  if (!Number.isFinite(x)) return x;
  const m = x * POW10[scale]!;
  return Math.abs(m) < EXACT ? roundHalfAway(m) / POW10[scale]! + 0 : x;
}

/** The remainder of two DECIMALs of `scale` decimals, exact (as the integers they are at that scale). */
export function decimalRemainder(a: number, b: number, scale: number): number {
  const f = POW10[scale]!;
  const ma = a * f;
  const mb = b * f;
  if (!(Math.abs(ma) < EXACT && Math.abs(mb) < EXACT)) return a % b;
  return (roundHalfAway(ma) % roundHalfAway(mb)) / f + 0;
}

/**
 * A number as DECIMAL(p, s): rounded to `s` decimals, and an error when it needs more than `p - s`
 * digits before the point (DuckDB: "value is out of range"), or is not a finite number.
 */
export function toDecimal(x: number, d: Decimal, fromScale?: number): number {
  if (!Number.isFinite(x)) throw new Error(`cannot cast ${String(x)} to DECIMAL(${d.precision},${d.scale}): a DECIMAL is a finite number`);
  const v = fromScale === undefined ? toScale(x, d.scale) : rescale(x, fromScale, d.scale);
  if (Math.abs(v) >= POW10[d.precision - d.scale]!) {
    throw new Error(`cannot cast ${String(x)} to DECIMAL(${d.precision},${d.scale}): it needs more than ${d.precision - d.scale} digits before the decimal point`);
  }
  return v;
}

/** A DECIMAL's text with all its `scale` decimals, as DuckDB prints it: 3.0, 0.05, -1.50. */
export function fixedPointText(x: number, scale: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) < 1e21) return x.toFixed(scale).replace(/^-(0\.?0*)$/, '$1');
  const whole = BigInt(Math.round(x)).toString();
  return scale === 0 ? whole : `${whole}.${'0'.repeat(scale)}`;
}

/**
 * ROUND(x, digits) of a DECIMAL of `scale` decimals, half away from zero, from its exact digits
 * (a negative `digits` rounds to tens, hundreds, ...).
 */
export function roundDecimal(x: number, scale: number, digits: number): number {
  return dropDigits(x, scale, digits, roundHalfAway);
}

/** TRUNC(x, digits) of a DECIMAL of `scale` decimals: toward zero, from its exact digits. */
export function truncDecimal(x: number, scale: number, digits: number): number {
  return dropDigits(x, scale, digits, Math.trunc);
}

function dropDigits(x: number, scale: number, digits: number, whole: (m: number) => number): number {
  const n = Math.trunc(Number(digits));
  if (!Number.isFinite(x) || n >= scale) return x;
  const m = x * POW10[scale]!;
  const k = scale - n;
  if (!(Math.abs(m) < EXACT) || k > 38) return k > 38 ? 0 : whole(x * 10 ** n) / 10 ** n + 0;
  const kept = whole(roundHalfAway(m) / POW10[k]!);
  return (n >= 0 ? kept / POW10[n]! : kept * POW10[-n]!) + 0;
}

/** 10^n, for n from 0 to 38. */
export function pow10(n: number): number {
  return POW10[n]!;
}
