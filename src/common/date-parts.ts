/** The units of DATE_TRUNC and the parts of DATE_PART and EXTRACT (see src/exec/time-functions.ts). */
export const TRUNC_UNITS = ['millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
export const DATE_PARTS = [
  'year', 'quarter', 'month', 'week', 'day', 'doy', 'dow', 'isodow', 'hour', 'minute', 'second', 'millisecond', 'microsecond', 'nanosecond',
  'isoyear', 'yearweek', 'decade', 'century', 'millennium', 'era', 'dayofweek', 'weekday', 'dayofyear', 'dayofmonth', 'weekofyear',
] as const;
/** The parts DATE_PART and EXTRACT take of an INTERVAL (as DuckDB; its length has no months here). */
export const INTERVAL_PARTS = ['year', 'quarter', 'month', 'day', 'hour', 'minute', 'second', 'millisecond', 'microsecond', 'decade', 'century', 'millennium'] as const;
