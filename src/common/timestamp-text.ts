/**
 * TIMESTAMP text, read strictly: 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM[:SS[.fff]]' with a space or 'T'
 * between date and time, one- or two-digit month, day and hour (as DuckDB reads them), up to 9
 * fraction digits (cut to milliseconds), and an optional 'Z', 'UTC' or ±HH[:MM] offset; without
 * one the time is UTC. Every field is range-checked: 2024-02-30 or hour 25 is refused, never
 * rolled over into the next month or day.
 */
const TIMESTAMP_TEXT = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch milliseconds of `text`, or undefined when it is not a valid timestamp (see module doc). */
export function parseTimestampText(text: string): number | undefined {
  const m = TIMESTAMP_TEXT.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const utc = utcMillis(y, mo, d) + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  return utc - offsetMillis(m[8]);
}

function daysInMonth(y: number, mo: number): number {
  return new Date(utcMillis(y, mo + 1, 0)).getUTCDate();
}

/** Epoch milliseconds of the midnight (UTC) of a day; years 0-99 are those years (Date.UTC would read 1900-1999). */
export function utcMillis(y: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(y, month - 1, day);
  return d.getTime();
}

function offsetMillis(zone: string | undefined): number {
  if (zone === undefined || /^(z|utc)$/i.test(zone)) return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * 60_000;
}

/**
 * TIMESTAMP text as every output writes it: ISO-8601 in UTC with milliseconds,
 * `2026-12-02T14:00:00.123Z`. Years beyond 9999 take the extended form (`+010000-...`); a value
 * outside the range of dates is written as its number.
 */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/**
 * TIMESTAMP text as SQL writes it (CAST to STRING, `||`, CONCAT), as DuckDB and PostgreSQL do:
 * `2026-12-02 14:00:00.12`, the fraction cut of its trailing zeros and left out when it is
 * zero (`2026-12-02 14:00:00`). A value outside the range of dates is written as its number.
 */
export function timestampSqlText(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const iso = d.toISOString();
  const t = iso.indexOf('T');
  const frac = iso.slice(-4, -1).replace(/0+$/, '');
  return `${iso.slice(0, t)} ${iso.slice(t + 1, -5)}${frac ? `.${frac}` : ''}`;
}

/** Milliseconds in a day: a DATE value is a multiple of it (the epoch milliseconds of its midnight, UTC). */
export const DAY_MS = 86_400_000;

/** The DATE of a TIMESTAMP: the midnight (UTC) that starts its day. */
export function dateOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * DATE text, read as DuckDB reads it: any timestamp text `parseTimestampText` takes
 * ('2024-01-15', '2024-1-5', '2024-01-15 10:00:00'), of which the date as written is the value
 * (a time and offset after it are checked, then left out). Undefined when it is not valid.
 */
export function parseDateText(text: string): number | undefined {
  if (parseTimestampText(text) === undefined) return undefined;
  const m = TIMESTAMP_TEXT.exec(text.trim())!;
  return utcMillis(Number(m[1]), Number(m[2]), Number(m[3]));
}

/**
 * DATE text as SQL and every output write it: `2026-12-02`. Years beyond 9999 take the extended
 * form (`+010000-01-01`); a value outside the range of dates is written as its number.
 */
export function dateSqlText(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const iso = d.toISOString();
  return iso.slice(0, iso.indexOf('T'));
}

const TIME_TEXT = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

/**
 * TIME text, read as DuckDB reads it: 'HH:MM[:SS[.fff]]' (one- or two-digit hour, up to 9 fraction
 * digits cut to milliseconds; 24:00:00 is the end of a day), or a timestamp text whose time of day
 * is the value. Milliseconds since midnight; undefined when it is not a valid time.
 */
export function parseTimeText(text: string): number | undefined {
  const trimmed = text.trim();
  const m = TIME_TEXT.exec(trimmed);
  if (!m) {
    const ts = parseTimestampText(trimmed);
    return ts === undefined || !/[ T]\d/.test(trimmed) ? undefined : ts - dateOf(ts);
  }
  const [h, mi, s] = [1, 2, 3].map((i) => Number(m[i] ?? 0)) as [number, number, number];
  const ms = Number((m[4] ?? '').padEnd(3, '0').slice(0, 3));
  if (mi > 59 || s > 59) return undefined;
  const v = ((h * 60 + mi) * 60 + s) * 1000 + ms;
  return v > DAY_MS ? undefined : v;
}

/**
 * TIME text as SQL and every output write it, as DuckDB does: `14:00:05`, with the fraction cut
 * of its trailing zeros (`14:00:05.12`) and left out when it is zero.
 */
export function timeSqlText(ms: number): string {
  const whole = Math.floor(ms / 1000);
  const frac = String(ms - whole * 1000).padStart(3, '0').replace(/0+$/, '');
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(whole / 3600))}:${two(Math.floor(whole / 60) % 60)}:${two(whole % 60)}${frac ? `.${frac}` : ''}`;
}

/** The time of day of a TIMESTAMP, as a TIME value (milliseconds since midnight, UTC). */
export function timeOf(ms: number): number {
  return ms - dateOf(ms);
}
