/**
 * DATE_TRUNC and DATE_PART (EXTRACT) over TIMESTAMP values (epoch milliseconds, UTC), with
 * DuckDB's units and results: weeks are ISO weeks starting on Monday, DATE_PART's `millisecond`
 * counts the milliseconds within the minute, `dow` runs from 0 (Sunday), `isodow` from 1 (Monday).
 */

import { canonicalUnit, DATE_PARTS, INTERVAL_PARTS, TRUNC_UNITS } from '../common/date-parts.js';
import { DAY_MS, utcMillis } from '../common/timestamp-text.js';

type TruncUnit = (typeof TRUNC_UNITS)[number];
type DatePart = (typeof DATE_PARTS)[number];


function unitOf<U extends string>(text: unknown, units: readonly U[], what: string): U {
  const name = canonicalUnit(String(text));
  const unit = (units as readonly string[]).includes(name) ? name : undefined;
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
  if (unit === 'isoyear') return isoYearStart(isoYear(Math.floor(ts / DAY_MS))) * DAY_MS;
  // As DuckDB: the year cut down toward zero to a multiple of 10, 100 or 1000 (2021 to 2000, 1999 to 1000).
  const span = unit === 'decade' ? 10 : unit === 'century' ? 100 : unit === 'millennium' ? 1000 : 1;
  return utcMillis(Math.trunc(year / span) * span, 1, 1);
}

/** Days since 1970-01-01 of the Monday that starts ISO year `year` (the week holding January 4). */
function isoYearStart(year: number): number {
  return mondayOf(Math.floor(Date.UTC(year, 0, 4) / DAY_MS));
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
  if (unit === 'isoyear') return isoYear(Math.floor(end / DAY_MS)) - isoYear(Math.floor(start / DAY_MS));
  // As DuckDB: the difference of the years divided (toward zero) by 10, 100 or 1000.
  if (unit === 'decade' || unit === 'century' || unit === 'millennium') {
    const span = unit === 'decade' ? 10 : unit === 'century' ? 100 : 1000;
    return Math.trunc(b.getUTCFullYear() / span) - Math.trunc(a.getUTCFullYear() / span);
  }
  if (unit === 'quarter') return years * 4 + Math.floor(b.getUTCMonth() / 3) - Math.floor(a.getUTCMonth() / 3);
  return years * 12 + b.getUTCMonth() - a.getUTCMonth();
}

/**
 * DATE_SUB(unit, start, end), as DuckDB: the whole units that fit between the two instants
 * (unlike DATE_DIFF's crossed boundaries, so 23:59 to 00:01 is no day). Months, quarters and
 * years count whole months, where a month ending on the last day of the end's month is whole
 * (Jan 31 to Feb 29 is one month). Negative when `end` is before `start`.
 */
export function dateSub(unitText: unknown, start: number, end: number): number {
  const unit: TruncUnit = unitOf(unitText, TRUNC_UNITS, 'DATE_SUB');
  const whole = (ms: number) => Math.trunc((end - start) / ms);
  switch (unit) {
    case 'millisecond':
      return end - start;
    case 'second':
      return whole(1000);
    case 'minute':
      return whole(60_000);
    case 'hour':
      return whole(3_600_000);
    case 'day':
      return whole(DAY_MS);
    case 'week':
      return whole(7 * DAY_MS);
  }
  const months = start > end ? -wholeMonths(end, start) : wholeMonths(start, end);
  const perUnit = { month: 1, quarter: 3, year: 12, isoyear: 12, decade: 120, century: 1200, millennium: 12_000 }[unit];
  return Math.trunc(months / perUnit);
}

/** The whole months from `start` to a later `end`. */
function wholeMonths(start: number, end: number): number {
  const a = new Date(start);
  const b = new Date(end);
  const endDay = b.getUTCDate();
  const lastOfEnd = endDay === new Date(Date.UTC(b.getUTCFullYear(), b.getUTCMonth() + 1, 0)).getUTCDate();
  // From the 31st to the last day of a shorter month is a whole month.
  const startDay = lastOfEnd && a.getUTCDate() > endDay ? endDay : a.getUTCDate();
  const timeOf = (d: Date) => d.getTime() - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
  const short = endDay < startDay || (endDay === startDay && timeOf(b) < timeOf(a));
  return months - (short ? 1 : 0);
}

/** TIME_BUCKET's default origin, as DuckDB's: Monday 2000-01-03, so that weeks start on Mondays. */
const BUCKET_ORIGIN = Date.UTC(2000, 0, 3);

/**
 * TIME_BUCKET(width, ts[, origin | offset]): the start of the bucket of `width` milliseconds that
 * holds `ts`, buckets counted from `origin` (default Monday 2000-01-03), or from the default
 * origin moved by `offset`. A width of calendar months has no fixed length and is refused when
 * the query is planned.
 */
export function timeBucket(width: number, ts: number, origin: number = BUCKET_ORIGIN): number {
  if (!(width > 0)) throw new Error(`TIME_BUCKET: the bucket width must be positive, got ${width} ms`);
  return origin + Math.floor((ts - origin) / width) * width;
}

/** ISO 8601 week number (1-53) of day `days` since 1970-01-01: the week holding its Thursday. */
function isoWeek(days: number): number {
  const thursday = mondayOf(days) + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Math.floor(Date.UTC(year, 0, 1) / DAY_MS);
  return Math.floor((thursday - jan1) / 7) + 1;
}

/** The ISO week-based year of a day: the year of its week's Thursday. */
function isoYear(days: number): number {
  return new Date((mondayOf(days) + 3) * DAY_MS).getUTCFullYear();
}

/** Which century (span 100) or millennium (span 1000) a year is in: 1 from the year 1, -1 up to the year 0. */
function ordinalSpan(year: number, span: number): number {
  return year > 0 ? Math.trunc((year - 1) / span) + 1 : Math.trunc(year / span) - 1;
}

/** The `part` of the instant `ts` (UTC), as a whole number. */
/**
 * A part of an INTERVAL of `ms` milliseconds, as DuckDB takes it from one of days and a time:
 * whole days, then the parts of the rest (every 24 hours a day, see interval-text.ts), each with
 * the interval's sign; no months, so a year, month, decade, ... is 0 and the quarter 1.
 */
export function intervalPart(partText: unknown, ms: number): number {
  const part = unitOf(partText, INTERVAL_PARTS, 'DATE_PART of an INTERVAL');
  const rest = ms % DAY_MS;
  switch (part) {
    case 'day':
      return Math.trunc(ms / DAY_MS);
    case 'hour':
      return Math.trunc(rest / 3_600_000);
    case 'minute':
      return Math.trunc((rest % 3_600_000) / 60_000);
    case 'second':
      return Math.trunc((rest % 60_000) / 1000);
    case 'millisecond':
      return rest % 60_000;
    case 'microsecond':
      return (rest % 60_000) * 1000;
    case 'quarter':
      return 1;
    default:
      return 0;
  }
}

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
    case 'weekofyear':
      return isoWeek(days);
    case 'isoyear':
      return isoYear(days);
    // The ISO year and week as one number: 202501 for 2024-12-30.
    case 'yearweek':
      return isoYear(days) * 100 + isoWeek(days);
    case 'day':
    case 'dayofmonth':
      return d.getUTCDate();
    case 'doy':
    case 'dayofyear':
      return days - Math.floor(Date.UTC(d.getUTCFullYear(), 0, 1) / DAY_MS) + 1;
    case 'dow':
    case 'dayofweek':
    case 'weekday':
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
    case 'microsecond':
      return (d.getUTCSeconds() * 1000 + d.getUTCMilliseconds()) * 1000;
    case 'nanosecond':
      return (d.getUTCSeconds() * 1000 + d.getUTCMilliseconds()) * 1_000_000;
    // As DuckDB counts them: the years 1 to 100 are the first century, the year 0 the last before it.
    case 'decade':
      return Math.trunc(d.getUTCFullYear() / 10);
    case 'century':
      return ordinalSpan(d.getUTCFullYear(), 100);
    case 'millennium':
      return ordinalSpan(d.getUTCFullYear(), 1000);
    case 'era':
      return d.getUTCFullYear() > 0 ? 1 : 0;
  }
}
