/**
 * Implementations of the built-in scalar functions named in src/planner/functions.ts. Each takes
 * non-null arguments unless noted (null in, null out is handled by the compiled code), and
 * throws an Error with a plain message for a value it cannot handle; the row then goes to the
 * query's dead-letter stream.
 */
import { createHash } from 'node:crypto';
import { fnv1a32 } from '../common/hash.js';
import { strftime } from '../common/strftime.js';
import { DAY_MS, utcMillis } from '../common/timestamp-text.js';
import { MAX_EPOCH_MS } from './casts.js';
import { regexpExtract, regexpExtractAll, regexpFullMatch, regexpMatches, regexpReplace, regexpSplit } from './regex-functions.js';
import { toBigint } from './integers.js';
import { compareValues, valuesEqual } from './sql-values.js';
import { STRING_IMPLS } from './string-functions.js';
import { LIST_IMPLS, elementKey, present } from './list-functions.js';
import { MAP_IMPLS } from './map-values.js';
import { PATH_IMPLS } from './path-functions.js';
import { JSON_IMPLS } from './json-functions.js';
import { damerauLevenshtein, hamming, jaccard, jaroSimilarity, jaroWinklerSimilarity } from './text-similarity.js';
import { VECTOR_IMPLS } from './vector-functions.js';
import { formatBraces, printfPercent } from './format-functions.js';
import { addMonths, dateDiff, datePart, dateSub, intervalPart, dateTrunc, dayName, lastDay, monthName, timeBucket } from './time-functions.js';
import { strptime } from '../common/strptime.js';

export type ScalarImpl = (...args: never[]) => unknown;

const num = (x: unknown): number => x as number;

function notDirect(name: string): () => never {
  return () => {
    throw new Error(`${name} is compiled with its argument types`);
  };
}

export const SCALAR_IMPLS: Readonly<Record<string, { readonly fn: (...args: unknown[]) => unknown; readonly nullSafe?: boolean }>> = {
  ...JSON_IMPLS,
  ...VECTOR_IMPLS,
  hamming: { fn: (a, b) => hamming(a as string, b as string) },
  mismatches: { fn: (a, b) => hamming(a as string, b as string) },
  jaccard: { fn: (a, b) => jaccard(a as string, b as string) },
  jaro_similarity: { fn: (a, b) => jaroSimilarity(a as string, b as string) },
  jaro_winkler_similarity: { fn: (a, b) => jaroWinklerSimilarity(a as string, b as string) },
  damerau_levenshtein: { fn: (a, b) => damerauLevenshtein(a as string, b as string) },
  bit_length: { fn: (s) => BigInt(Buffer.byteLength(s as string, 'utf8') * 8) },
  url_encode: { fn: (s) => encodeURIComponent(s as string).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) },
  url_decode: {
    fn: (s) => {
      try {
        return decodeURIComponent((s as string).replace(/\+/g, ' '));
      } catch {
        throw new Error(`URL_DECODE: ${JSON.stringify(s)} does not decode to UTF-8 text`);
      }
    },
  },
  // The code point of the first character (-1 for the empty string), as DuckDB's UNICODE.
  ord: { fn: (s) => (s as string).codePointAt(0) ?? -1 },
  nfc_normalize: { fn: (s) => (s as string).normalize('NFC') },
  strip_accents: { fn: (s) => (s as string).normalize('NFD').replace(/\p{M}/gu, '') },
  factorial: { fn: (n) => factorial(toBigint(n as number | bigint)) },
  fdiv: { fn: (x, y) => divideBy(num(x), num(y), 'FDIV', (q) => Math.floor(q)) },
  fmod: { fn: (x, y) => divideBy(num(x), num(y), 'FMOD', (q) => num(x) - num(y) * Math.floor(q)) },
  array_has: { fn: (a, x) => contains(a as ArrayLike<unknown>, x) },
  list_has: { fn: (a, x) => contains(a as ArrayLike<unknown>, x) },
  list_resize: { fn: (a, n, fill) => resize(a as ArrayLike<unknown>, n, fill), nullSafe: true },
  array_resize: { fn: (a, n, fill) => resize(a as ArrayLike<unknown>, n, fill), nullSafe: true },
  list_grade_up: { fn: (a, order) => gradeUp(a as ArrayLike<unknown>, order) },
  array_grade_up: { fn: (a, order) => gradeUp(a as ArrayLike<unknown>, order) },
  // Compiled with the writers of their arguments' types (compile-expr.ts), never called as these.
  to_json: { fn: notDirect('to_json') },
  json_object: { fn: notDirect('json_object'), nullSafe: true },
  json_array: { fn: notDirect('json_array'), nullSafe: true },
  json_object_lists: { fn: notDirect('json_object_lists') },
  abs: { fn: (x) => Math.abs(num(x)) },
  floor: { fn: (x) => (typeof x === 'bigint' ? x : Math.floor(num(x))) },
  ceil: { fn: (x) => (typeof x === 'bigint' ? x : Math.ceil(num(x))) },
  ceiling: { fn: (x) => (typeof x === 'bigint' ? x : Math.ceil(num(x))) },
  round: {
    fn: (x, d) => {
      if (typeof x === 'bigint') return roundBigint(x, d === undefined ? 0 : num(d));
      const digits = d === undefined ? 0 : num(d);
      // Half away from zero; to tens and beyond by dividing, as DuckDB (x * 0.1 is not x / 10).
      if (digits < 0) {
        const m = 10 ** -digits;
        const v = num(x) / m;
        return Math.sign(v) * Math.round(Math.abs(v)) * m;
      }
      const p = 10 ** digits;
      const v = num(x) * p;
      return (Math.sign(v) * Math.round(Math.abs(v))) / p;
    },
  },
  sqrt: {
    fn: (x) => {
      if (num(x) < 0) throw new Error(`SQRT of a negative number (${String(x)})`);
      return Math.sqrt(num(x));
    },
  },
  ln: {
    fn: (x) => {
      if (num(x) <= 0) throw new Error(`LN of a non-positive number (${String(x)})`);
      return Math.log(num(x));
    },
  },
  log10: {
    fn: (x) => {
      if (num(x) <= 0) throw new Error(`LOG10 of a non-positive number (${String(x)})`);
      return Math.log10(num(x));
    },
  },
  log2: { fn: (x) => positiveLog('LOG2', Math.log2, x) },
  log: { fn: (x, y) => (y === undefined ? positiveLog('LOG', Math.log10, x) : baseLog(num(x), num(y))) },
  cbrt: { fn: (x) => Math.cbrt(num(x)) },
  sign: { fn: (x) => (typeof x === 'bigint' ? (x > 0n ? 1 : x < 0n ? -1 : 0) : num(x) > 0 ? 1 : num(x) < 0 ? -1 : 0) },
  trunc: { fn: (x, d) => truncTo(x, d === undefined ? 0 : num(d)) },
  sin: { fn: (x) => Math.sin(num(x)) },
  cos: { fn: (x) => Math.cos(num(x)) },
  tan: { fn: (x) => Math.tan(num(x)) },
  asin: { fn: (x) => unitDomain('ASIN', Math.asin, x) },
  acos: { fn: (x) => unitDomain('ACOS', Math.acos, x) },
  atan: { fn: (x) => Math.atan(num(x)) },
  atan2: { fn: (y, x) => Math.atan2(num(y), num(x)) },
  cot: {
    fn: (x) => {
      if (num(x) === 0) throw new Error('COT of 0 is undefined (the tangent is 0)');
      return 1 / Math.tan(num(x));
    },
  },
  sinh: { fn: (x) => Math.sinh(num(x)) },
  cosh: { fn: (x) => Math.cosh(num(x)) },
  tanh: { fn: (x) => Math.tanh(num(x)) },
  asinh: { fn: (x) => Math.asinh(num(x)) },
  acosh: { fn: (x) => Math.acosh(num(x)) },
  atanh: { fn: (x) => unitDomain('ATANH', Math.atanh, x) },
  gamma: { fn: (x) => (num(x) === 0 ? zeroGamma('GAMMA') : gamma(num(x))) },
  lgamma: { fn: (x) => (num(x) === 0 ? zeroGamma('LGAMMA') : logGamma(num(x))) },
  // The next DOUBLE after x toward y (y itself where they are equal); of two FLOATs, the next FLOAT.
  nextafter: { fn: (x, y) => nextAfter(num(x), num(y)) },
  nextafter_float: { fn: (x, y) => nextAfterFloat(num(x), num(y)) },
  signbit: { fn: (x) => (typeof x === 'bigint' ? x < 0n : num(x) < 0 || Object.is(x, -0)) },
  pi: { fn: () => Math.PI, nullSafe: true },
  error: {
    fn: (m) => {
      throw new Error(String(m));
    },
    nullSafe: true,
  },
  // As DuckDB computes them, to the last digit.
  degrees: { fn: (x) => num(x) * (180 / Math.PI) },
  radians: { fn: (x) => num(x) * (Math.PI / 180) },
  isnan: { fn: (x) => Number.isNaN(num(x)) },
  isinf: { fn: (x) => num(x) === Infinity || num(x) === -Infinity },
  isfinite: { fn: (x) => Number.isFinite(num(x)) },
  exp: { fn: (x) => Math.exp(num(x)) },
  power: { fn: (x, y) => num(x) ** num(y) },
  // INT values are numbers (JavaScript's bitwise operators work on 32 bits), BIGINT values bigints.
  // The bits set in the integer's two's complement (32 of an INT -1, 64 of a BIGINT -1).
  bit_count: { fn: (a) => bitCount(a as number | bigint) },
  bit_not: { fn: (a) => (typeof a === 'bigint' ? ~a : ~num(a)) },
  bitwise_and: { fn: (a, b) => (typeof a === 'bigint' ? a & (b as bigint) : num(a) & num(b)) },
  bitwise_or: { fn: (a, b) => (typeof a === 'bigint' ? a | (b as bigint) : num(a) | num(b)) },
  xor: { fn: (a, b) => (typeof a === 'bigint' ? a ^ (b as bigint) : num(a) ^ num(b)) },
  shift_left: { fn: (a, n) => shift(a as number | bigint, Number(n), 'left') },
  shift_right: { fn: (a, n) => shift(a as number | bigint, Number(n), 'right') },
  divide: {
    fn: (x, y) => {
      // Loose equality: y is a bigint for BIGINT arguments.
      if (y == 0) throw new Error('division by zero');
      // Integers only (DIVIDE of other numbers is bound as `/`): the quotient cut toward zero;
      // only the least integer divided by -1 leaves the range.
      if (typeof x === 'bigint') {
        if (x === -(2n ** 63n) && y === -1n) throw new Error(`BIGINT out of range: ${x} // ${y}`);
        return x / (y as bigint);
      }
      if (x === -2147483648 && y === -1) throw new Error(`INT out of range: ${x} // ${y}`);
      return Math.trunc(num(x) / num(y)) + 0;
    },
  },
  pow: { fn: (x, y) => num(x) ** num(y) },
  mod: {
    fn: (x, y) => {
      // Loose equality: y is a bigint for BIGINT arguments.
      if (y == 0) throw new Error('division by zero in MOD');
      return (x as number) % (y as number);
    },
  },
  ...STRING_IMPLS,
  ...LIST_IMPLS,
  ...MAP_IMPLS,
  ...PATH_IMPLS,
  // Compiled inline (lazily, see compile-logic.ts); these are for callers outside compiled code.
  coalesce: { fn: (...xs) => xs.find((x) => x !== null) ?? null, nullSafe: true },
  // Compiled around its argument (compile-expr's tryCode): what is left here is the value.
  try: { fn: (x) => x, nullSafe: true },
  // IFNULL(a, b) is bound as COALESCE(a, b); this is for callers outside compiled code.
  ifnull: { fn: (...xs) => xs.find((x) => x !== null) ?? null, nullSafe: true },
  nullif: { fn: (a, b) => (a === null || (b !== null && valuesEqual(a, b)) ? null : a), nullSafe: true },
  cardinality: { fn: (a) => (a as ArrayLike<unknown>).length },
  array_length: { fn: (a) => (a as ArrayLike<unknown>).length },
  list_concat: { fn: concatLists, nullSafe: true },
  array_concat: { fn: concatLists, nullSafe: true },
  list_cat: { fn: concatLists, nullSafe: true },
  len: { fn: (a) => (typeof a === 'string' ? STRING_IMPLS['length']!.fn(a) : (a as ArrayLike<unknown>).length) },
  array_contains: { fn: (a, x) => contains(a as ArrayLike<unknown>, x) },
  string_split: { fn: (s, sep) => splitString(s as string, sep as string) },
  str_split: { fn: (s, sep) => splitString(s as string, sep as string) },
  string_to_array: { fn: (s, sep) => splitString(s as string, sep as string) },
  // NULL elements are left out, as DuckDB.
  array_to_string: { fn: (a, sep) => Array.from(a as ArrayLike<unknown>).filter((e) => e !== null && e !== undefined).map(String).join(sep as string) },
  list_sort: { fn: (a, o, n) => sortElements(a as ArrayLike<unknown>, o ?? undefined, n ?? undefined) },
  list_reverse_sort: { fn: (a, n) => sortElements(a as ArrayLike<unknown>, 'DESC', n ?? undefined) },
  array_reverse_sort: { fn: (a, n) => sortElements(a as ArrayLike<unknown>, 'DESC', n ?? undefined) },
  list_distinct: { fn: (a) => distinctElements(a as ArrayLike<unknown>) },
  array_distinct: { fn: (a) => distinctElements(a as ArrayLike<unknown>) },
  range: { fn: (...xs) => series('RANGE', xs, false) },
  generate_series: { fn: (...xs) => series('GENERATE_SERIES', xs, true) },
  // RANGE and GENERATE_SERIES of times (the binder writes them): epoch milliseconds by a step of milliseconds.
  time_range: { fn: (start, stop, step) => timeSeries('RANGE', num(start), num(stop), num(step), false) },
  time_series: { fn: (start, stop, step) => timeSeries('GENERATE_SERIES', num(start), num(stop), num(step), true) },
  array_sort: { fn: (a, o, n) => sortElements(a as ArrayLike<unknown>, o ?? undefined, n ?? undefined) },
  array_slice: { fn: (a, b, e) => slice(a, Number(b), Number(e)) },
  list_slice: { fn: (a, b, e) => slice(a, Number(b), Number(e)) },
  list_avg: { fn: (a) => averageElements(a as ArrayLike<unknown>) },
  list_product: { fn: (a) => productElements(a as ArrayLike<unknown>) },
  list_count: { fn: (a) => BigInt(Array.from(a as ArrayLike<unknown>).filter((v) => v !== null && v !== undefined).length) },
  list_unique: { fn: (a) => BigInt(distinctCount(a as ArrayLike<unknown>)) },
  array_unique: { fn: (a) => BigInt(distinctCount(a as ArrayLike<unknown>)) },
  list_reverse: { fn: (a) => Array.from(a as ArrayLike<unknown>).reverse() },
  array_reverse: { fn: (a) => Array.from(a as ArrayLike<unknown>).reverse() },
  list_has_any: { fn: (a, b) => hasAny(a as ArrayLike<unknown>, b as ArrayLike<unknown>) },
  array_has_any: { fn: (a, b) => hasAny(a as ArrayLike<unknown>, b as ArrayLike<unknown>) },
  list_has_all: { fn: (a, b) => hasAll(a as ArrayLike<unknown>, b as ArrayLike<unknown>) },
  array_has_all: { fn: (a, b) => hasAll(a as ArrayLike<unknown>, b as ArrayLike<unknown>) },
  // NULL in, NULL out (the format or any value), as DuckDB.
  format: { fn: (f, ...xs) => formatBraces(String(f), ...xs) },
  printf: { fn: (f, ...xs) => printfPercent(String(f), ...xs) },
  // {'a': 1, 'b': x}: the names and values alternate (bind-expr.ts, bindStruct).
  struct_pack: { fn: (...xs) => structOf(xs), nullSafe: true },
  list_sum: { fn: (a) => sumElements(a as ArrayLike<unknown>) },
  list_min: { fn: (a) => extremeElement(a as ArrayLike<unknown>, -1) },
  list_max: { fn: (a) => extremeElement(a as ArrayLike<unknown>, 1) },
  levenshtein: { fn: (a, b) => levenshtein(a as string, b as string) },
  // EVEN(x): away from zero to the next even integer.
  even: { fn: (x) => (num(x) >= 0 ? 2 * Math.ceil(num(x) / 2) : -2 * Math.ceil(-num(x) / 2)) },
  list_contains: { fn: (a, x) => contains(a as ArrayLike<unknown>, x) },
  list_position: { fn: (a, x) => position(a, x), nullSafe: true },
  array_position: { fn: (a, x) => position(a, x), nullSafe: true },
  list_indexof: { fn: (a, x) => position(a, x), nullSafe: true },
  array_indexof: { fn: (a, x) => position(a, x), nullSafe: true },
  regexp_split_to_array: { fn: regexpSplit },
  string_split_regex: { fn: regexpSplit },
  gcd: { fn: (a, b) => gcd(toBigint(a as number | bigint), toBigint(b as number | bigint)) },
  lcm: {
    fn: (a, b) => {
      const [x, y] = [toBigint(a as number | bigint), toBigint(b as number | bigint)];
      if (x === 0n || y === 0n) return 0n;
      const v = (x / gcd(x, y)) * y;
      return v < 0n ? -v : v;
    },
  },
  date_add: { fn: (ts, iv) => timestampOf(num(ts) + num(iv), 'DATE_ADD') },
  regexp_matches: { fn: regexpMatches },
  regexp_full_match: { fn: regexpFullMatch },
  regexp_replace: { fn: regexpReplace },
  regexp_extract: { fn: regexpExtract },
  regexp_extract_all: { fn: regexpExtractAll },
  proctime: { fn: () => Date.now(), nullSafe: true },
  // Signed, so that every hash fits the INT it is declared as (FNV-1a's 32 bits, two's complement).
  hash_code: { fn: (x) => fnv1a32(String(x)) | 0 },
  date_trunc: { fn: (unit, ts) => dateTrunc(unit, num(ts)) },
  // BIGINT values are bigints.
  date_part: { fn: (part, ts) => BigInt(datePart(part, num(ts))) },
  // DATE_PART of an INTERVAL (bound from date_part and EXTRACT; not a name of its own).
  interval_part: { fn: (part, ms) => BigInt(intervalPart(part, num(ms)) || 0) },
  epoch: { fn: (ts) => num(ts) / 1000 },
  date_diff: { fn: (unit, start, end) => BigInt(dateDiff(unit, num(start), num(end))) },
  datediff: { fn: (unit, start, end) => BigInt(dateDiff(unit, num(start), num(end))) },
  date_sub: { fn: (unit, start, end) => BigInt(dateSub(unit, num(start), num(end))) },
  // The third argument is an origin (a TIMESTAMP) or an offset (an INTERVAL), told apart when bound (time_bucket_offset).
  time_bucket: { fn: (width, ts, origin) => timestampOf(timeBucket(num(width), num(ts), origin === undefined ? undefined : num(origin)), 'TIME_BUCKET') },
  time_bucket_offset: { fn: (width, ts, offset) => timestampOf(timeBucket(num(width), num(ts) - num(offset)) + num(offset), 'TIME_BUCKET') },
  strptime: { fn: (text, format) => readTime(String(text), format, false) },
  try_strptime: { fn: (text, format) => readTime(String(text), format, true) },
  // Cut toward zero to the millisecond, as DuckDB's microseconds read to the millisecond.
  interval_scale: { fn: (iv, n) => intervalOf(n, num(iv), 'INTERVAL * n', Math.trunc) },
  interval_divide: {
    fn: (iv, n) => {
      if (Number(n) === 0) throw new Error('division of an INTERVAL by zero');
      return intervalOf(num(iv) / Number(n), 1, 'INTERVAL / n', Math.trunc);
    },
  },
  // TO_DAYS(n), TO_HOURS(n), ...: an INTERVAL of n units (milliseconds here).
  to_weeks: { fn: (n) => intervalOf(n, 7 * DAY_MS, 'TO_WEEKS') },
  to_days: { fn: (n) => intervalOf(n, DAY_MS, 'TO_DAYS') },
  to_hours: { fn: (n) => intervalOf(n, 3_600_000, 'TO_HOURS') },
  to_minutes: { fn: (n) => intervalOf(n, 60_000, 'TO_MINUTES') },
  to_seconds: { fn: (n) => intervalOf(n, 1000, 'TO_SECONDS') },
  to_milliseconds: { fn: (n) => intervalOf(n, 1, 'TO_MILLISECONDS') },
  // Microseconds to the millisecond an INTERVAL holds, rounded down (as a TIMESTAMP's are).
  to_microseconds: { fn: (n) => intervalOf(n, 0.001, 'TO_MICROSECONDS', Math.floor) },
  epoch_ms: { fn: (ts) => BigInt(num(ts)) },
  epoch_us: { fn: (ts) => BigInt(num(ts)) * 1000n },
  epoch_ns: { fn: (ts) => BigInt(num(ts)) * 1_000_000n },
  // 1970-01-01 is Julian day 2,440,588 (DuckDB's count, whole at midnight).
  julian: { fn: (ts) => num(ts) / 86_400_000 + 2_440_588 },
  to_timestamp: { fn: (x) => timestampOf(microsToMillis(Math.round(Number(x) * 1e6)), 'TO_TIMESTAMP') },
  make_timestamp_ms: { fn: (ms) => timestampOf(Number(ms), 'MAKE_TIMESTAMP_MS') },
  make_timestamp: { fn: (...parts) => (parts.length === 1 ? timestampOf(microsToMillis(Number(parts[0])), 'MAKE_TIMESTAMP') : makeTimestamp(parts.map(Number))) },
  strftime: { fn: (ts, format) => strftime(num(ts), String(format)) },
  last_day: { fn: (ts) => lastDay(num(ts)) },
  dayname: { fn: (ts) => dayName(num(ts)) },
  monthname: { fn: (ts) => monthName(num(ts)) },
  make_date: { fn: (y, m, d) => makeDate(Number(y), Number(m), Number(d)) },
  make_time: { fn: (h, m, s) => makeTime(Number(h), Number(m), Number(s)) },
  // TIME + INTERVAL, around the clock (the binder writes it).
  time_add: { fn: (t, iv) => (((num(t) + num(iv)) % DAY_MS) + DAY_MS) % DAY_MS },
  add_months: { fn: (ts, months) => timestampOf(addMonths(num(ts), Number(months)), 'adding months') },
  add_days: { fn: (date, days) => timestampOf(num(date) + Number(days) * DAY_MS, 'DATE + days') },
  md5: { fn: (s) => createHash('md5').update(String(s), 'utf8').digest('hex') },
  sha256: { fn: (s) => createHash('sha256').update(String(s), 'utf8').digest('hex') },
  sha1: { fn: (s) => createHash('sha1').update(String(s), 'utf8').digest('hex') },
  to_base64: { fn: (b) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b as Uint8Array)).toString('base64') },
  from_base64: { fn: (s) => fromBase64(String(s)) },
  blob_concat: { fn: (a, b) => Buffer.concat([a as Uint8Array, b as Uint8Array]) },
  octet_length: { fn: (b) => BigInt(typeof b === 'string' ? Buffer.byteLength(b, 'utf8') : (b as Uint8Array).length) },
};

/** STRPTIME(text, format or list of formats): the first format that reads the text; TRY_STRPTIME gives NULL where none does. */
function readTime(text: string, formats: unknown, orNull: boolean): number | null {
  const list = typeof formats === 'string' ? [formats] : Array.from(formats as ArrayLike<unknown>).map(String);
  let why = 'no format given';
  for (const format of list) {
    const read = strptime(text, format);
    if (typeof read === 'number') return timestampOf(read, 'STRPTIME');
    why = read;
  }
  if (orNull) return null;
  throw new Error(`STRPTIME: ${why}`);
}

/** n units of `unitMs` milliseconds as an INTERVAL, rounded to the millisecond. */
function intervalOf(n: unknown, unitMs: number, fn: string, toMs: (x: number) => number = Math.round): number {
  const ms = toMs(Number(n) * unitMs) + 0;
  if (!Number.isSafeInteger(ms)) throw new Error(`${fn}(${String(n)}) is outside the INTERVAL range`);
  return ms;
}

/** Microseconds as whole milliseconds, rounded down (a TIMESTAMP holds milliseconds). */
function microsToMillis(micros: number): number {
  return Math.floor(micros / 1000);
}

/** `ms` as a TIMESTAMP value: a row error past the range a TIMESTAMP can hold. */
function timestampOf(ms: number, fn: string): number {
  if (!(Math.abs(ms) <= MAX_EPOCH_MS)) throw new Error(`${fn} is outside the TIMESTAMP range (${ms} ms since 1970)`);
  return ms;
}

/**
 * `a << n` and `a >> n` of an INT (a number) or BIGINT (a bigint), as DuckDB: a negative `n`, a
 * left shift by the type's width or more, and one whose result leaves the type are row errors; a
 * right shift by the width or more gives 0 (also of a negative `a`, as DuckDB).
 */
function shift(a: number | bigint, n: number, side: 'left' | 'right'): number | bigint {
  const bits = typeof a === 'bigint' ? 64 : 32;
  if (n < 0) throw new Error(`cannot ${side}-shift by a negative number (${n})`);
  const x = BigInt(a);
  let r: bigint;
  if (side === 'right') r = n >= bits ? 0n : x >> BigInt(n);
  else {
    if (n >= bits) throw new Error(`left-shift by ${n} is out of range for ${bits === 32 ? 'INT' : 'BIGINT'}`);
    r = x << BigInt(n);
    const max = (1n << BigInt(bits - 1)) - 1n;
    if (r > max || r < -max - 1n) throw new Error(`${bits === 32 ? 'INT' : 'BIGINT'} out of range: ${a} << ${n}`);
  }
  return typeof a === 'bigint' ? r : Number(r);
}

/** LIST_CONCAT: the elements of both lists; a NULL list adds none. */
function concatLists(...lists: unknown[]): unknown[] {
  // A NULL list reads as empty (DuckDB).
  return lists.flatMap((x) => (x === null || x === undefined ? [] : Array.from(x as ArrayLike<unknown>)));
}

/** MAKE_DATE(year, month, day): a valid date, or a row error (2024-02-30 is not rolled over). */
function makeDate(year: number, month: number, day: number): number {
  const ms = utcMillis(year, month, day);
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) throw new Error(`MAKE_DATE: ${year}-${month}-${day} is not a date`);
  return timestampOf(ms, 'MAKE_DATE');
}

/** MAKE_TIMESTAMP(year, month, day, hour, minute, seconds): each part in its range, or a row error. */
function makeTimestamp([year, month, day, hour, minute, seconds]: number[]): number {
  const days = new Date(Date.UTC(2000, month!, 0)).getUTCDate();
  const check = (what: string, v: number, lo: number, hi: number) => {
    if (!(v >= lo && v <= hi) || (what !== 'seconds' && !Number.isInteger(v))) throw new Error(`MAKE_TIMESTAMP: ${what} ${v} is out of range (${lo} to ${hi})`);
  };
  check('year', year!, -271821, 275760);
  check('month', month!, 1, 12);
  check('day', day!, 1, month === 2 && !isLeap(year!) ? 28 : days);
  check('hour', hour!, 0, 23);
  check('minute', minute!, 0, 59);
  if (!(seconds! >= 0 && seconds! < 60)) throw new Error(`MAKE_TIMESTAMP: seconds ${seconds} is out of range (0 to below 60)`);
  const midnight = Date.UTC(2000, month! - 1, day!, hour!, minute!);
  const at = new Date(midnight);
  at.setUTCFullYear(year!);
  return timestampOf(at.getTime() + microsToMillis(Math.round(seconds! * 1e6)), 'MAKE_TIMESTAMP');
}

/** MAKE_TIME(hour, minute, seconds): a TIME, each field range-checked (seconds may have a fraction). */
function makeTime(hour: number, minute: number, seconds: number): number {
  const check = (what: string, v: number, lo: number, hi: number) => {
    if (!(v >= lo && v <= hi) || !Number.isInteger(v)) throw new Error(`MAKE_TIME: ${what} ${v} is out of range (${lo} to ${hi})`);
  };
  check('hour', hour, 0, 23);
  check('minute', minute, 0, 59);
  if (!(seconds >= 0 && seconds < 60)) throw new Error(`MAKE_TIME: seconds ${seconds} is out of range (0 to below 60)`);
  return (hour * 60 + minute) * 60_000 + microsToMillis(Math.round(seconds * 1e6));
}

/** STRING_SPLIT as DuckDB: an empty separator splits into characters (code points). */
function splitString(s: string, sep: string): string[] {
  return sep === '' ? (s === '' ? [''] : Array.from(s)) : s.split(sep);
}

/** Ascending in SQL order, NULLs last (as DuckDB's LIST_SORT). */
/** LIST_SORT(a [, 'ASC' | 'DESC' [, 'NULLS FIRST' | 'NULLS LAST']]): NULLs last unless asked, as DuckDB. */
function sortElements(a: ArrayLike<unknown>, order: unknown = 'ASC', nulls: unknown = 'NULLS LAST'): unknown[] {
  const dir = String(order).trim().toUpperCase();
  const where = String(nulls).trim().toUpperCase().replace(/\s+/g, ' ');
  if (dir !== 'ASC' && dir !== 'DESC') throw new Error(`LIST_SORT: the order is 'ASC' or 'DESC', got '${String(order)}'`);
  if (where !== 'NULLS FIRST' && where !== 'NULLS LAST') throw new Error(`LIST_SORT: NULLs go 'NULLS FIRST' or 'NULLS LAST', got '${String(nulls)}'`);
  const present = Array.from(a).filter((e) => e !== null && e !== undefined);
  const sorted = present.sort(dir === 'DESC' ? (x, y) => compareValues(y, x) : compareValues);
  const missing = new Array<null>(a.length - present.length).fill(null);
  return where === 'NULLS FIRST' ? [...missing, ...sorted] : [...sorted, ...missing];
}

/** LIST_DISTINCT: each non-NULL value once, where it first comes (DuckDB leaves the order unspecified). */
function distinctElements(a: ArrayLike<unknown>): unknown[] {
  const seen = new Set<unknown>();
  return present(a).filter((v) => {
    const k = elementKey(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** ARRAY_SLICE of a list, or of a string's characters (`'hello'[2:3]` is 'el'). */
function slice(a: unknown, begin: number, end: number): unknown {
  return typeof a === 'string' ? sliceElements([...a], begin, end).join('') : sliceElements(a as ArrayLike<unknown>, begin, end);
}

/** LIST_AVG: the mean of the non-NULL elements, NULL when there are none. */
function averageElements(a: ArrayLike<unknown>): number | null {
  const xs = present(a);
  return xs.length === 0 ? null : xs.reduce((s: number, v) => s + Number(v), 0) / xs.length;
}

/** LIST_PRODUCT: the non-NULL elements multiplied, NULL when there are none. */
function productElements(a: ArrayLike<unknown>): number | null {
  const xs = present(a);
  return xs.length === 0 ? null : xs.reduce((p: number, v) => p * Number(v), 1);
}

/** LIST_UNIQUE: how many distinct non-NULL elements. */
function distinctCount(a: ArrayLike<unknown>): number {
  return new Set(present(a).map(elementKey)).size;
}

function hasAny(a: ArrayLike<unknown>, b: ArrayLike<unknown>): boolean {
  const keys = new Set(present(a).map(elementKey));
  return present(b).some((v) => keys.has(elementKey(v)));
}

function hasAll(a: ArrayLike<unknown>, b: ArrayLike<unknown>): boolean {
  const keys = new Set(present(a).map(elementKey));
  return present(b).every((v) => keys.has(elementKey(v)));
}

function structOf(pairs: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[String(pairs[i])] = pairs[i + 1] ?? null;
  return out;
}

/** ARRAY_SLICE(a, begin, end) as DuckDB: 1-based, both ends included; a negative index counts from the end. */
function sliceElements(a: ArrayLike<unknown>, begin: number, end: number): unknown[] {
  const n = a.length;
  const from = begin < 0 ? Math.max(0, n + begin) : Math.max(0, begin - 1);
  const to = end < 0 ? n + end + 1 : Math.min(n, end);
  return Array.from(a).slice(from, Math.max(from, to));
}

/** LIST_SUM: the non-NULL elements added (exact for integers), NULL when there are none. */
function sumElements(a: ArrayLike<unknown>): unknown {
  let sum: number | bigint | null = null;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v === null || v === undefined) continue;
    if (typeof v === 'bigint' || typeof sum === 'bigint') sum = BigInt(sum ?? 0) + BigInt(v as number);
    else sum = (sum ?? 0) + (v as number);
  }
  return sum;
}

/** LIST_MIN (sign -1) and LIST_MAX (1): NULL when no element is non-NULL. */
function extremeElement(a: ArrayLike<unknown>, sign: 1 | -1): unknown {
  let best: unknown = null;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v === null || v === undefined) continue;
    if (best === null || sign * compareValues(v, best) > 0) best = v;
  }
  return best;
}

/**
 * Edits (insert, delete, substitute one character) from `a` to `b`, by code point. Its time is
 * the product of the lengths: past 10 million (two strings of about 3,000 characters) a row error.
 */
function levenshtein(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length * y.length > 10_000_000) throw new Error(`LEVENSHTEIN of strings of ${x.length} and ${y.length} characters: their product is more than the 10000000 allowed`);
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length]!;
}

/** Whether an element of `a` equals `x` (not NULL: a NULL `x` gives NULL before this is called, as DuckDB). */
/** The 1-based place of the first element of `a` equal to `x` (a NULL finds a NULL), or NULL. */
function position(a: unknown, x: unknown): number | null {
  if (a === null || a === undefined) return null;
  const list = a as ArrayLike<unknown>;
  for (let i = 0; i < list.length; i++) {
    const v = list[i] ?? null;
    if (x === null || x === undefined ? v === null : v !== null && valuesEqual(v, x)) return i + 1;
  }
  return null;
}

function contains(a: ArrayLike<unknown>, x: unknown): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== null && a[i] !== undefined && valuesEqual(a[i], x)) return true;
  return false;
}

/** The greatest common divisor, 0 for (0, 0), never negative. */
function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** LOG(base, x): log10(x) / log10(base), as DuckDB computes it; a base of 1 or a non-positive value is a row error. */
function baseLog(base: number, x: number): number {
  if (base <= 0 || x <= 0) throw new Error(`LOG of a non-positive number (base ${base}, value ${x})`);
  if (base === 1) throw new Error(`LOG to base 1 of ${x} is undefined (a division by zero)`);
  return Math.log10(x) / Math.log10(base);
}

/** TRUNC(x, digits): toward zero at `digits` decimals; an integer keeps its type (digits < 0 clears its last ones). */
function truncTo(x: unknown, digits: number): unknown {
  if (typeof x === 'bigint') return digits >= 0 ? x : (x / 10n ** BigInt(-digits)) * 10n ** BigInt(-digits);
  const v = num(x);
  if (Number.isInteger(v) && digits >= 0) return v;
  if (digits < 0) {
    // To tens and beyond by dividing, as ROUND.
    const m = 10 ** -digits;
    return Math.trunc(v / m) * m;
  }
  const p = 10 ** digits;
  return Math.trunc(v * p) / p;
}

/** A logarithm of a positive number; zero or less is a row error, as in DuckDB. */
function positiveLog(name: string, log: (x: number) => number, x: unknown): number {
  if (num(x) <= 0) throw new Error(`${name} of a non-positive number (${String(x)})`);
  return log(num(x));
}

/** ASIN / ACOS, defined on [-1, 1] only: outside it a row error, as in DuckDB. */
function unitDomain(name: string, f: (x: number) => number, x: unknown): number {
  if (!(num(x) >= -1 && num(x) <= 1)) throw new Error(`${name} is undefined outside [-1, 1] (got ${String(x)})`);
  return f(num(x));
}

function zeroGamma(name: string): never {
  throw new Error(`${name} of 0 is undefined (a pole of the gamma function)`);
}

/** Lanczos coefficients (g = 7, n = 9): the gamma function to about 15 significant digits. */
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** The gamma function; NaN at the negative integers (its poles), as DuckDB's. */
function gamma(x: number): number {
  if (Number.isInteger(x) && x < 0) return NaN;
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  if (Number.isInteger(x) && x <= 171) {
    let f = 1;
    for (let i = 2; i < x; i++) f *= i;
    return f;
  }
  // Below the overflow, from gamma of x's fraction in [1, 2) by gamma(v + 1) = v gamma(v): each
  // product rounds once, where the series alone loses digits as x grows.
  if (x > 2 && x < 172) {
    const r = x - Math.floor(x) + 1;
    let g = lanczos(r);
    for (let v = r; v < x - 0.5; v++) g *= v;
    return g;
  }
  return lanczos(x);
}

function lanczos(x: number): number {
  const t = x - 1 + 7.5;
  let a = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (x - 1 + i);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, (x - 0.5) / 2) * Math.exp(-t) * Math.pow(t, (x - 0.5) / 2) * a;
}

/** The natural logarithm of |gamma(x)|; Infinity at the negative integers. */
function logGamma(x: number): number {
  if (Number.isInteger(x) && x < 0) return Infinity;
  // Where gamma(x) is a finite double, its logarithm (exact 0 at 1 and 2).
  if (x > 0 && x < 171) return Math.log(gamma(x));
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const t = x - 1 + 7.5;
  let a = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (x - 1 + i);
  return 0.5 * Math.log(2 * Math.PI) + (x - 0.5) * Math.log(t) - t + Math.log(a);
}

/** FROM_BASE64: the bytes of base64 text; text that is not base64 is a row error. */
function fromBase64(s: string): Uint8Array {
  const t = s.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) throw new Error(`FROM_BASE64: '${s.length > 40 ? `${s.slice(0, 40)}...` : s}' is not base64`);
  return new Uint8Array(Buffer.from(t, 'base64'));
}

/** ROUND of a BIGINT to `digits` (negative: tens, hundreds...), half away from zero, exact. */
function roundBigint(x: bigint, digits: number): bigint {
  if (digits >= 0) return x;
  if (digits < -19) return 0n;
  const p = 10n ** BigInt(-digits);
  const q = x / p;
  const r = x % p;
  const away = (r < 0n ? -r : r) * 2n >= p ? (x < 0n ? -1n : 1n) : 0n;
  const v = (q + away) * p;
  return toBigint(v);
}


/** Most elements RANGE and GENERATE_SERIES make as a list value. */
const MAX_SERIES = 1_000_000;

/** The integer series of RANGE or GENERATE_SERIES (`fn`): its first value, step and number of values. */
export interface SeriesBounds {
  readonly start: bigint;
  readonly step: bigint;
  readonly count: number;
}

/**
 * The series of `fn` over its arguments (stop, or start, stop [, step]; `inclusive` of stop or
 * not), of at most `max` values: more is a row error naming the limit.
 */
export function seriesBounds(fn: string, xs: readonly unknown[], inclusive: boolean, max: number): SeriesBounds {
  const args = xs.map((x) => toBigint(x as number | bigint));
  const [start, stop] = args.length === 1 ? [0n, args[0]!] : [args[0]!, args[1]!];
  const step = args[2] ?? 1n;
  if (step === 0n) throw new Error(`${fn} with a step of 0`);
  const span = (stop - start) / step + (inclusive || (stop - start) % step !== 0n ? 1n : 0n);
  const n = span > 0n ? span : 0n;
  if (n > BigInt(max)) throw new Error(`${fn} of ${n} elements: more than the ${max} allowed`);
  return { start, step, count: Number(n) };
}

/** The integers from start (0) by step (1) up to stop, `inclusive` of it or not, as BIGINTs. */
function series(fn: string, xs: readonly unknown[], inclusive: boolean): bigint[] {
  const { start, step, count } = seriesBounds(fn, xs, inclusive, MAX_SERIES);
  const out: bigint[] = [];
  for (let v = start, k = 0; k < count; k++, v += step) out.push(v);
  return out;
}

/** The times from `start` by `step` milliseconds up to `stop` (included when `inclusive`), as DuckDB; at most MAX_SERIES. */
function timeSeries(fn: string, start: number, stop: number, step: number, inclusive: boolean): number[] {
  if (step === 0) throw new Error(`${fn} with a step of 0`);
  const n = Math.max(0, Math.floor((stop - start) / step) + (inclusive || (stop - start) % step !== 0 ? 1 : 0));
  if (n > MAX_SERIES) throw new Error(`${fn} of ${n} elements: more than the ${MAX_SERIES} allowed`);
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(start + k * step);
  return out;
}

function bitCount(a: number | bigint): number {
  let x = typeof a === 'bigint' ? BigInt.asUintN(64, a) : BigInt(a >>> 0);
  let n = 0;
  for (; x > 0n; x >>= 1n) n += Number(x & 1n);
  return n;
}

/** n! exact; past BIGINT a row error (21! does not fit). */
function factorial(n: bigint): bigint {
  if (n < 0n) throw new Error(`FACTORIAL of a negative number (${n})`);
  let f = 1n;
  for (let i = 2n; i <= n; i++) {
    f *= i;
    if (f > 9223372036854775807n) throw new Error(`FACTORIAL(${n}) is out of range for BIGINT`);
  }
  return f;
}

function divideBy(x: number, y: number, name: string, of: (q: number) => number): number {
  if (y === 0) throw new Error(`${name}: division by zero`);
  return of(x / y);
}

/** LIST_RESIZE(list, n[, fill]): the first n elements, or the list filled up to n with `fill` (NULL by default). */
function resize(a: ArrayLike<unknown> | null | undefined, n: unknown, fill: unknown): unknown[] | null {
  if (a === null || a === undefined || n === null || n === undefined) return null;
  const size = Number(n);
  if (!(size >= 0) || size > 1_000_000) throw new Error(`LIST_RESIZE: ${String(n)} is not a size from 0 to 1000000`);
  const out = Array.from(a).slice(0, size);
  while (out.length < size) out.push(fill ?? null);
  return out;
}

/** LIST_GRADE_UP(list[, 'ASC' | 'DESC']): the 1-based places of the elements in sorted order (NULLs last, ties by place). */
function gradeUp(a: ArrayLike<unknown>, order: unknown): bigint[] {
  const desc = order !== undefined && order !== null && String(order).trim().toUpperCase() === 'DESC';
  const places = Array.from({ length: a.length }, (_, i) => i);
  places.sort((i, j) => {
    const x = a[i];
    const y = a[j];
    const xNull = x === null || x === undefined;
    const yNull = y === null || y === undefined;
    if (xNull || yNull) return xNull === yNull ? i - j : xNull ? 1 : -1;
    const c = compareValues(x, y);
    return (desc ? -c : c) || i - j;
  });
  return places.map((i) => BigInt(i + 1));
}

const nextBits = new Float64Array(1);
const nextWords = new BigInt64Array(nextBits.buffer);

function nextAfter(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === y) return y;
  if (x === 0) return y > 0 ? 5e-324 : -5e-324;
  nextBits[0] = x;
  // Away from zero is one step up of the bits' magnitude, toward zero one step down.
  nextWords[0]! += (y > x) === (x > 0) ? 1n : -1n;
  return nextBits[0]!;
}

const floatBits = new Float32Array(1);
const floatWords = new Int32Array(floatBits.buffer);

function nextAfterFloat(x: number, y: number): number {
  floatBits[0] = x;
  const fx = floatBits[0]!;
  floatBits[0] = y;
  const fy = floatBits[0]!;
  if (Number.isNaN(fx) || Number.isNaN(fy)) return NaN;
  if (fx === fy) return fy;
  if (fx === 0) return y > 0 ? 1.401298464324817e-45 : -1.401298464324817e-45;
  floatBits[0] = fx;
  floatWords[0]! += (fy > fx) === (fx > 0) ? 1 : -1;
  return floatBits[0]!;
}
