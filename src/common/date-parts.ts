/** The units of DATE_TRUNC and the parts of DATE_PART and EXTRACT (see src/exec/time-functions.ts). */
export const TRUNC_UNITS = ['millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'decade', 'century', 'millennium', 'isoyear'] as const;
export const DATE_PARTS = [
  'year', 'quarter', 'month', 'week', 'day', 'doy', 'dow', 'isodow', 'hour', 'minute', 'second', 'millisecond', 'microsecond', 'nanosecond',
  'isoyear', 'yearweek', 'decade', 'century', 'millennium', 'era', 'dayofweek', 'weekday', 'dayofyear', 'dayofmonth', 'weekofyear',
] as const;
/** The parts DATE_PART and EXTRACT take of an INTERVAL (as DuckDB; its length has no months here). */
export const INTERVAL_PARTS = ['year', 'quarter', 'month', 'day', 'hour', 'minute', 'second', 'millisecond', 'microsecond', 'decade', 'century', 'millennium'] as const;

/**
 * The other names DuckDB takes for a unit or part (`hours`, `hr`, `mins`, `us`, `y`, ...), by
 * the name used here.
 */
const UNIT_ALIASES: Readonly<Record<string, string>> = {
  y: 'year', yr: 'year', yrs: 'year', years: 'year',
  mon: 'month', mons: 'month', months: 'month',
  w: 'week', weeks: 'week',
  d: 'day', days: 'day',
  h: 'hour', hr: 'hour', hrs: 'hour', hours: 'hour',
  m: 'minute', min: 'minute', mins: 'minute', minutes: 'minute',
  s: 'second', sec: 'second', secs: 'second', seconds: 'second',
  ms: 'millisecond', msec: 'millisecond', msecs: 'millisecond', msecond: 'millisecond', mseconds: 'millisecond', milliseconds: 'millisecond',
  us: 'microsecond', usec: 'microsecond', usecs: 'microsecond', usecond: 'microsecond', useconds: 'microsecond', microseconds: 'microsecond',
  ns: 'nanosecond', nanoseconds: 'nanosecond',
  quarters: 'quarter',
  dec: 'decade', decs: 'decade', decades: 'decade',
  c: 'century', cent: 'century', centuries: 'century',
  mil: 'millennium', mils: 'millennium', millennia: 'millennium', millenia: 'millennium', millenium: 'millennium',
};

/** A unit or part as written (any case, DuckDB's other names too) as the name used here. */
export function canonicalUnit(text: string): string {
  const name = text.trim().toLowerCase();
  // No unit's own name ends in s: any other plural (`dows`) is its singular.
  return UNIT_ALIASES[name] ?? (name.length > 2 && name.endsWith('s') ? name.slice(0, -1) : name);
}
