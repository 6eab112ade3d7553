/** Durations in options: `'retention' = '7d'`, `'allowed.lateness' = '5s'`, `'batch.max_wait' = '5ms'`. */
import { SluiceError } from './errors.js';

const DURATION_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration in milliseconds: a number (milliseconds) or a string like '5ms', '1.5s',
 * '250us', '1m', '12h', '7d'. Throws INVALID_ARGUMENT naming the option `key`.
 */
export function parseDuration(key: string, value: string | number | boolean): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h|d)?\s*$/i.exec(value);
    if (m) return Number(m[1]) * (DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()] ?? 1);
  }
  throw new SluiceError('INVALID_ARGUMENT', `option '${key}' must be a duration such as '5ms' or '1s', got ${JSON.stringify(value)}`);
}
