/**
 * Exact integers in the executor. INT values are JS numbers (always in int32 range); BIGINT
 * values are JS bigints (always in int64 range), so they stay exact beyond 2^53. Every operation
 * that could leave the range throws, and the row goes to the dead-letter stream: SQL integers
 * never wrap and never round.
 */
import { isNumeric, type DataType } from '../common/types.js';

export const INT_MIN = -2147483648;
export const INT_MAX = 2147483647;
export const BIGINT_MIN = -(2n ** 63n);
export const BIGINT_MAX = 2n ** 63n - 1n;

/** The integer kinds, for messages: INT is 32-bit, BIGINT 64-bit. */
export type IntKind = 'INT' | 'BIGINT';

const OP_NAMES: Readonly<Record<string, string>> = { '+': 'addition', '-': 'subtraction', '*': 'multiplication', '%': 'modulo' };

/** Throws the overflow error of `a op b` in `kind` (called only once the result is known to be out of range). */
export function overflow(kind: IntKind, op: string, a: unknown, b: unknown): never {
  throw new Error(overflowMessage(kind, op, a, b));
}

export function overflowMessage(kind: IntKind, op: string, a: unknown, b: unknown): string {
  return `overflow in ${OP_NAMES[op] ?? op} of ${kind} (${String(a)} ${op} ${String(b)}): the result is outside the ${kind} range ${rangeText(kind)}; CAST an operand to ${kind === 'INT' ? 'BIGINT' : 'DOUBLE'} for a wider result`;
}

/** Whether an exact integer fits `kind`. */
export function fits(v: number | bigint, kind: IntKind): boolean {
  return kind === 'INT' ? v >= INT_MIN && v <= INT_MAX : v >= BIGINT_MIN && v <= BIGINT_MAX;
}

export function negationOverflow(kind: IntKind, a: unknown): never {
  throw new Error(`overflow in negation of ${kind} (-(${String(a)})): the result is outside the ${kind} range ${rangeText(kind)}`);
}

export function rangeText(kind: IntKind): string {
  return kind === 'INT' ? `[${INT_MIN}, ${INT_MAX}]` : `[${BIGINT_MIN}, ${BIGINT_MAX}]`;
}

export function outOfRange(value: unknown, kind: IntKind | 'FLOAT'): Error {
  return new Error(`${String(value)} is out of range for ${kind}`);
}

/** An exact integer (number or bigint) as an INT value, or an error when it does not fit. */
export function toInt(v: number | bigint): number {
  if (v > INT_MAX || v < INT_MIN) throw outOfRange(v, 'INT');
  return Number(v);
}

/** An exact integer (number or bigint) as a BIGINT value, or an error when it does not fit. */
export function toBigint(v: number | bigint): bigint {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  if (b > BIGINT_MAX || b < BIGINT_MIN) throw outOfRange(b, 'BIGINT');
  return b;
}

/**
 * A double rounded to an integer the way DuckDB casts DOUBLE to INTEGER/BIGINT: to the nearest,
 * ties to even (2.5 -> 2, 3.5 -> 4); NaN and infinities are errors.
 */
export function roundDouble(x: number, kind: IntKind): number | bigint {
  if (!Number.isFinite(x)) throw outOfRange(x, kind);
  const f = Math.floor(x);
  const d = x - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  if (kind === 'INT') {
    if (r > INT_MAX || r < INT_MIN) throw outOfRange(x, kind);
    // An INT has no negative zero: -0.0 and -0.4 round to 0.
    return r + 0;
  }
  // 2^63 is exact in a double; BIGINT's largest value is not, so the upper bound is exclusive.
  if (r >= 2 ** 63 || r < -(2 ** 63)) throw outOfRange(x, kind);
  // Doubles from 2^53 up are integers already, so BigInt(r) is the exact value.
  return BigInt(r);
}

/** Converts a value of `from` (a non-null executor value) to the executor representation of `to`, for implicit widening. */
export function widenCode(code: string, from: DataType, to: DataType): string {
  if (from.kind === to.kind || from.kind === 'NULL') return code;
  if (to.kind === 'BIGINT' && from.kind === 'INT') return `BigInt(${code})`;
  // A number that meets a FLOAT becomes the nearest FLOAT (16777217 is 16777216), as DuckDB casts it.
  if (to.kind === 'FLOAT' && isNumeric(from)) return `Math.fround(${from.kind === 'BIGINT' ? `Number(${code})` : code})`;
  if (from.kind === 'BIGINT' && to.kind === 'DOUBLE') return `Number(${code})`;
  return code;
}
