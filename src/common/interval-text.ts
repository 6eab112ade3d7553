/**
 * INTERVAL as text: the string of `INTERVAL '1 day 2 hours'` and of a CAST from text, and the text
 * of a CAST to text. An INTERVAL value is a number of milliseconds; months and years only appear
 * in literals (added to a time by calendar, docs/sql.md "Intervals").
 */

export type IntervalUnit = 'MILLISECOND' | 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';

/** Milliseconds of each fixed unit; months of each calendar one. */
export const UNIT_MILLIS: Readonly<Partial<Record<IntervalUnit, number>>> = {
  MILLISECOND: 1,
  SECOND: 1_000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
  WEEK: 7 * 86_400_000,
};
export const UNIT_MONTHS: Readonly<Partial<Record<IntervalUnit, number>>> = { MONTH: 1, QUARTER: 3, YEAR: 12 };

/** Unit spellings accepted inside the string of `INTERVAL '5 seconds'`. */
const UNIT_WORDS: Readonly<Record<string, IntervalUnit>> = {
  ms: 'MILLISECOND', millisecond: 'MILLISECOND', milliseconds: 'MILLISECOND',
  s: 'SECOND', sec: 'SECOND', secs: 'SECOND', second: 'SECOND', seconds: 'SECOND',
  m: 'MINUTE', min: 'MINUTE', mins: 'MINUTE', minute: 'MINUTE', minutes: 'MINUTE',
  h: 'HOUR', hr: 'HOUR', hrs: 'HOUR', hour: 'HOUR', hours: 'HOUR',
  d: 'DAY', day: 'DAY', days: 'DAY',
  w: 'WEEK', week: 'WEEK', weeks: 'WEEK',
  mon: 'MONTH', mons: 'MONTH', month: 'MONTH', months: 'MONTH',
  quarter: 'QUARTER', quarters: 'QUARTER',
  y: 'YEAR', yr: 'YEAR', yrs: 'YEAR', year: 'YEAR', years: 'YEAR',
};

/** An interval's text read: its fixed length, its calendar months, and the units it named. */
export interface IntervalValue {
  readonly millis: number;
  readonly months: number;
  readonly units: readonly IntervalUnit[];
}

/** Why a text is not an interval: a bare number, not the form, or a fraction of a month. */
export type IntervalTextError = 'no-unit' | 'invalid' | 'fractional-months';

const AMOUNT = String.raw`[+-]?\d+(?:\.\d+)?`;
/** `[+-]H:MM[:SS[.fff]]`, the time part DuckDB writes (hours may pass 24). */
const CLOCK = String.raw`([+-])?(\d+):([0-5]?\d)(?::([0-5]?\d(?:\.\d+)?))?`;
const PARTS = new RegExp(String.raw`^\s*((?:${AMOUNT}\s*[A-Za-z]+\s*)*)(?:${CLOCK})?\s*$`);

/**
 * Reads `'1 day 2 hours'`, `'90 minutes'`, `'01:30:00'`, `'-3 days 02:00:00.5'` (amounts with
 * units, then an optional clock time); an amount may have a fraction, as may the seconds.
 */
export function parseIntervalText(text: string): IntervalValue | IntervalTextError {
  if (new RegExp(String.raw`^\s*${AMOUNT}\s*$`).test(text)) return 'no-unit';
  const m = PARTS.exec(text);
  if (!m || (!m[1]!.trim() && m[3] === undefined)) return 'invalid';
  let millis = 0;
  let months = 0;
  const units: IntervalUnit[] = [];
  for (const [, amount, word] of m[1]!.matchAll(new RegExp(String.raw`(${AMOUNT})\s*([A-Za-z]+)`, 'g'))) {
    const unit = UNIT_WORDS[word!.toLowerCase()];
    if (!unit) return 'invalid';
    units.push(unit);
    const perMonth = UNIT_MONTHS[unit];
    if (perMonth === undefined) {
      millis += Math.round(Number(amount) * UNIT_MILLIS[unit]!);
      continue;
    }
    const n = Number(amount) * perMonth;
    if (!Number.isInteger(n)) return 'fractional-months';
    months += n;
  }
  if (m[3] !== undefined) {
    const clock = Number(m[3]) * 3_600_000 + Number(m[4]) * 60_000 + Math.round(Number(m[5] ?? 0) * 1000);
    millis += m[2] === '-' ? -clock : clock;
    units.push(m[5] !== undefined ? 'SECOND' : 'MINUTE');
  }
  return { millis, months, units };
}

const DAY_MS = 86_400_000;

/**
 * An interval of `ms` milliseconds as DuckDB writes one: whole days, then the rest as a clock
 * (`14 days 10:00:00`, `-1 day -02:00:00.5`, `00:00:00`). A length here has no separate count of
 * days, so every 24 hours are a day (DuckDB writes `INTERVAL 36 HOUR` as `36:00:00`; here it is
 * `1 day 12:00:00`, the same length).
 */
export function intervalText(ms: number): string {
  const days = Math.trunc(ms / DAY_MS);
  const rest = ms - days * DAY_MS;
  const out: string[] = [];
  if (days !== 0) out.push(`${days} ${Math.abs(days) === 1 ? 'day' : 'days'}`);
  if (rest !== 0 || days === 0) {
    const abs = Math.abs(rest);
    const pad = (n: number) => String(n).padStart(2, '0');
    const h = Math.floor(abs / 3_600_000);
    const min = Math.floor((abs % 3_600_000) / 60_000);
    const sec = Math.floor((abs % 60_000) / 1000);
    const frac = abs % 1000;
    const fraction = frac ? `.${String(frac).padStart(3, '0').replace(/0+$/, '')}` : '';
    out.push(`${rest < 0 ? '-' : ''}${pad(h)}:${pad(min)}:${pad(sec)}${fraction}`);
  }
  return out.join(' ');
}
