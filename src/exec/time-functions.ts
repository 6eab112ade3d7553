/**
 * DATE_TRUNC and DATE_PART (EXTRACT) over TIMESTAMP values (epoch milliseconds, UTC), with
 * DuckDB's units and results: weeks are ISO weeks starting on Monday, DATE_PART's `millisecond`
 * counts the milliseconds within the minute, `dow` runs from 0 (Sunday), `isodow` from 1 (Monday).
 */

import { DATE_PARTS, TRUNC_UNITS } from '../common/date-parts.js';
import { DAY_MS, utcMillis } from '../common/timestamp-text.js';

type TruncUnit = (typeof TRUNC_UNITS)[number];
type DatePart = (typeof DATE_PARTS)[number];


function unitOf<U extends string>(text: unknown, units: readonly U[], what: string): U {
  const name = String(text).trim().toLowerCase();
  const unit = (units as readonly string[]).includes(name) ? name : name.endsWith('s') && (units as readonly string[]).includes(name.slice(0, -1)) ? name.slice(0, -1) : undefined;
  if (unit === undefined) throw new Error(`unknown ${what} unit '${String(text)}'; use one of ${units.join(', ')}`);
  return unit as U;
}

/** Days since 1970-01-01 of the Monday on or before day `days` (1970-01-01 was a Thursday). */
function mondayOf(days: number): number {
  return days - ((days + 3) % 7 + 7) % 7;
}

/** The instant `ts` cut down to the start of its `unit` (UTC). */
export function dateTrunc(unitText: unknown, ts: number): number {
  const unit: TruncUnit = unitOf(unitText, TRUNC_UNITS, 'DATE_TRUNC');
  const floorTo = (ms: number) => Math.floor(ts / ms) * ms;
  switch (unit) {
    case 'millisecond':
      return ts;
    case 'second':
      return floorTo(1000);
    case 'minute':
      return floorTo(60_000);
    case 'hour':
      return floorTo(3_600_000);
    case 'day':
      return floorTo(DAY_MS);
    case 'week':
      return mondayOf(Math.floor(ts / DAY_MS)) * DAY_MS;
  }
  const d = new Date(ts);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  if (unit === 'month') return utcMillis(year, month + 1, 1);
  if (unit === 'quarter') return utcMillis(year, month - (month % 3) + 1, 1);
  return utcMillis(year, 1, 1);
}

/** LAST_DAY: the DATE of the last day of the month of `ts`. */
export function lastDay(ts: number): number {
  const d = new Date(ts);
  return utcMillis(d.getUTCFullYear(), d.getUTCMonth() + 2, 0);
}

/**
 * `ts` moved by whole calendar months (UTC): the same day of the month and time of day, or the
 * last day of the month where it has fewer days (as DuckDB: 2024-01-31 + 1 month is 2024-02-29).
 */
export function addMonths(ts: number, months: number): number {
  const d = new Date(ts);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  const timeOfDay = ts - utcMillis(y, m + 1, day);
  const total = y * 12 + m + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const last = new Date(utcMillis(year, month + 2, 0)).getUTCDate();
  return utcMillis(year, month + 1, Math.min(day, last)) + timeOfDay;
}

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** DAYNAME: the English name of the weekday of `ts` (UTC). */
export function dayName(ts: number): string {
  return DAY_NAMES[new Date(ts).getUTCDay()]!;
}

/** MONTHNAME: the English name of the month of `ts` (UTC). */
export function monthName(ts: number): string {
  return MONTH_NAMES[new Date(ts).getUTCMonth()]!;
}

/**
 * DATE_DIFF(unit, start, end): the `unit` boundaries between two instants, as DuckDB's date_diff:
 * for millisecond to day the difference of the instants floored to the unit, so 23:59 to 00:01
 * is one day; for weeks the whole weeks in the difference of their days (rounded toward zero);
 * for months, quarters and years the difference of their calendar numbers (Jan 31 to Feb 1 is
 * one month). Negative when `end` is before `start`.
 */
export function dateDiff(unitText: unknown, start: number, end: number): number {
  const unit: TruncUnit = unitOf(unitText, TRUNC_UNITS, 'DATE_DIFF');
  const steps = (ms: number) => Math.floor(end / ms) - Math.floor(start / ms);
  switch (unit) {
    case 'millisecond':
      return end - start;
    case 'second':
      return steps(1000);
    case 'minute':
      return steps(60_000);
    case 'hour':
      return steps(3_600_000);
    case 'day':
      return steps(DAY_MS);
    case 'week':
      return Math.trunc(steps(DAY_MS) / 7);
  }
  const a = new Date(start);
  const b = new Date(end);
  const years = b.getUTCFullYear() - a.getUTCFullYear();
  if (unit === 'year') return years;
  if (unit === 'quarter') return years * 4 + Math.floor(b.getUTCMonth() / 3) - Math.floor(a.getUTCMonth() / 3);
  return years * 12 + b.getUTCMonth() - a.getUTCMonth();
}

/** ISO 8601 week number (1-53) of day `days` since 1970-01-01: the week holding its Thursday. */
function isoWeek(days: number): number {
  const thursday = mondayOf(days) + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Math.floor(Date.UTC(year, 0, 1) / DAY_MS);
  return Math.floor((thursday - jan1) / 7) + 1;
}

/** The `part` of the instant `ts` (UTC), as a whole number. */
export function datePart(partText: unknown, ts: number): number {
  const part: DatePart = unitOf(partText, DATE_PARTS, 'DATE_PART');
  const d = new Date(ts);
  const days = Math.floor(ts / DAY_MS);
  switch (part) {
    case 'year':
      return d.getUTCFullYear();
    case 'quarter':
      return Math.floor(d.getUTCMonth() / 3) + 1;
    case 'month':
      return d.getUTCMonth() + 1;
    case 'week':
      return isoWeek(days);
    case 'day':
      return d.getUTCDate();
    case 'doy':
      return days - Math.floor(Date.UTC(d.getUTCFullYear(), 0, 1) / DAY_MS) + 1;
    case 'dow':
      return d.getUTCDay();
    case 'isodow':
      return d.getUTCDay() === 0 ? 7 : d.getUTCDay();
    case 'hour':
      return d.getUTCHours();
    case 'minute':
      return d.getUTCMinutes();
    case 'second':
      return d.getUTCSeconds();
    case 'millisecond':
      return d.getUTCSeconds() * 1000 + d.getUTCMilliseconds();
  }
}
