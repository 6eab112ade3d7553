/**
 * Built-in scalar and aggregate functions: names and typing rules. The executor holds the
 * implementations (src/exec/scalar-functions.ts) under the same names; a test keeps them in step.
 */
import { isAggregateName, type AggregateName } from '../common/aggregate-names.js';
import { MAX_DECIMAL_PRECISION, T, arrayOf, asDecimal, decimalOf, decimalType, isNumeric, mapOf, mapTypes, type DataType } from '../common/types.js';

/** Returns the result type, or a message saying why the argument types do not fit. */
export type TypeRule = (args: readonly DataType[]) => DataType | string;

const numericWidening: DataType['kind'][] = ['INT', 'BIGINT', 'FLOAT', 'DOUBLE'];

/** The smallest numeric type both fit in; NULL fits anything. */
export function commonType(a: DataType, b: DataType): DataType | undefined {
  if (a.kind === 'NULL') return b;
  if (b.kind === 'NULL') return a;
  if (isNumeric(a) && isNumeric(b)) {
    if (decimalOf(a) || decimalOf(b)) return commonDecimal(a, b);
    return numericWidening.indexOf(a.kind) >= numericWidening.indexOf(b.kind) ? a : b;
  }
  if (a.kind === b.kind) return a;
  // A DATE meets a TIMESTAMP as the timestamp of its midnight (the same milliseconds), as in DuckDB.
  if (a.kind === 'DATE' && b.kind === 'TIMESTAMP') return b;
  if (a.kind === 'TIMESTAMP' && b.kind === 'DATE') return a;
  return undefined;
}

/**
 * Where a DECIMAL meets another number: the DECIMAL that holds both (the most digits before the
 * point and the most after it, an INT counting 10 digits and a BIGINT 19, as DuckDB), a FLOAT
 * where the other is a FLOAT (DuckDB ranks FLOAT above DECIMAL: `f = 1.1` compares as FLOATs),
 * or a DOUBLE where it is a DOUBLE.
 */
function commonDecimal(a: DataType, b: DataType): DataType {
  const x = asDecimal(a);
  const y = asDecimal(b);
  if (!x || !y) return a.kind === 'FLOAT' || b.kind === 'FLOAT' ? T.FLOAT : T.DOUBLE;
  const scale = Math.max(x.scale, y.scale);
  return decimalType(Math.max(x.precision - x.scale, y.precision - y.scale) + scale, scale);
}

const numeric1: TypeRule = (a) => (a.length === 1 && (isNumeric(a[0]!) || a[0]!.kind === 'NULL') ? a[0]! : 'expects one number');
const double1: TypeRule = (a) => (a.length === 1 && (isNumeric(a[0]!) || a[0]!.kind === 'NULL') ? T.DOUBLE : 'expects one number');
const string1: TypeRule = (a) => (a.length === 1 && (isString(a[0]!) || a[0]!.kind === 'NULL') ? T.STRING : 'expects one string');
const stringChars: TypeRule = (a) => (a.length >= 1 && a.length <= 2 && a.every((t) => t.kind === 'STRING' || t.kind === 'NULL') ? T.STRING : 'expects (string[, characters])');
const sameType: TypeRule = (a) => {
  if (a.length === 0) return 'expects at least one argument';
  let t: DataType | undefined = a[0]!;
  for (const x of a.slice(1)) {
    t = t && commonType(t, x);
  }
  return t ?? 'expects arguments of one type';
};

const isString = (t: DataType): boolean => t.kind === 'STRING' || t.kind === 'NULL';
const isNumberArg = (t: DataType): boolean => isNumeric(t) || t.kind === 'NULL';
const isIntegerArg = (t: DataType): boolean => t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'NULL';
const stringInt: TypeRule = (a) => (a.length === 2 && isString(a[0]!) && isNumberArg(a[1]!) ? T.STRING : 'expects (string, count)');
const stringIntString: TypeRule = (a) => (a.length === 3 && isString(a[0]!) && isNumberArg(a[1]!) && isString(a[2]!) ? T.STRING : 'expects (string, length, fill)');
const twoStrings = (result: DataType): TypeRule => (a) => (a.length === 2 && a.every(isString) ? result : 'expects two strings');
const isJsonPath = (t: DataType): boolean => isString(t) || isIntegerArg(t);
const jsonAtPath = (result: DataType): TypeRule => (a) => (a.length === 2 && isString(a[0]!) && isJsonPath(a[1]!) ? result : "expects (json, path), e.g. (payload, '$.user.id')");
const jsonMaybeAtPath = (result: DataType): TypeRule => (a) => ((a.length === 1 || a.length === 2) && isString(a[0]!) && (a.length === 1 || isJsonPath(a[1]!)) ? result : 'expects (json[, path])');
/** Two lists of numbers of one length (checked per row): DOUBLE, or FLOAT when both hold FLOATs, as DuckDB. */
const vectorPair: TypeRule = (a) => {
  if (a.length !== 2 || !a.every((t) => t.kind === 'NULL' || (t.kind === 'ARRAY' && (isNumeric(t.element) || t.element.kind === 'NULL')))) return 'expects two arrays of numbers';
  return a.every((t) => t.kind === 'ARRAY' && t.element.kind === 'FLOAT') ? T.FLOAT : T.DOUBLE;
};
const resizeRule: TypeRule = (a) => ((a.length === 2 || a.length === 3) && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') && isIntegerArg(a[1]!) ? a[0]! : 'expects (array, size[, fill])');
const gradeUpRule: TypeRule = (a) => ((a.length === 1 || a.length === 2) && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') && (a.length === 1 || isString(a[1]!)) ? { kind: 'ARRAY', element: T.BIGINT } : "expects (array[, 'ASC' | 'DESC'])");
const isTime = (t: DataType): boolean => t.kind === 'TIMESTAMP' || t.kind === 'DATE' || t.kind === 'NULL';
/** Functions of one TIMESTAMP or DATE. */
const oneString = (result: DataType, what: string): TypeRule => (a) => (a.length === 1 && isString(a[0]!) ? result : `expects one string of ${what}`);
const listSelect: TypeRule = (a) =>
  a.length === 2 && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') && ((a[1]!.kind === 'ARRAY' && isInteger(a[1]!.element)) || a[1]!.kind === 'NULL') ? a[0]! : 'expects (list, list of positions)';
const ofTime = (result: DataType, what: string): TypeRule => (a) => (a.length === 1 && isTime(a[0]!) ? result : `expects one timestamp or date${what}`);
const isInteger = (t: DataType): boolean => t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'NULL';
/** GCD, LCM: BIGINT of two integers, as DuckDB. */
const integerPair: TypeRule = (a) => (a.length === 2 && a.every(isInteger) ? T.BIGINT : 'expects two integers');
const series: TypeRule = (a) => (a.length >= 1 && a.length <= 3 && a.every(isInteger) ? arrayOf(T.BIGINT) : 'expects integers: (stop), (start, stop) or (start, stop, step)');
const stringSplit: TypeRule = (a) => (a.length === 2 && a.every(isString) ? arrayOf(T.STRING) : 'expects (string, separator)');
/** LIST_SORT(array): ascending, NULLs last; ARRAY_SLICE(array, begin, end): 1-based, both ends in. */
const sortedArray: TypeRule = (a) =>
  a.length >= 1 && a.length <= 3 && a[0]!.kind === 'ARRAY' && a[0]!.element.kind !== 'ARRAY' && a[0]!.element.kind !== 'STRUCT' && a.slice(1).every(isString)
    ? arrayOf(a[0]!.element)
    : "expects an array of numbers, strings, booleans or timestamps [, 'ASC' | 'DESC' [, 'NULLS FIRST' | 'NULLS LAST']]";
const reverseSorted: TypeRule = (a) => (a.length <= 2 && a.slice(1).every(isString) ? sortedArray(a.slice(0, 1)) : "expects an array [, 'NULLS FIRST' | 'NULLS LAST']");
/** ARRAY_SLICE(list or string, begin, end): the elements or characters from begin to end, both in. */
const slicedArray: TypeRule = (a) => {
  if (a.length !== 3 || !isInteger(a[1]!) || !isInteger(a[2]!)) return 'expects (array or string, begin, end)';
  if (a[0]!.kind === 'ARRAY') return arrayOf(a[0]!.element);
  return isString(a[0]!) ? T.STRING : 'expects (array or string, begin, end)';
};
const reversedArray: TypeRule = (a) => (a.length === 1 && a[0]!.kind === 'ARRAY' ? arrayOf(a[0]!.element) : 'expects one array');
const twoLists: TypeRule = (a) => (a.length === 2 && a.every((t) => t.kind === 'ARRAY' || t.kind === 'NULL') ? T.BOOLEAN : 'expects two arrays');
const numbersOf = (result: DataType): TypeRule => (a) => (a.length === 1 && a[0]!.kind === 'ARRAY' && isNumeric(a[0]!.element) ? result : 'expects an array of numbers');
const arrayElement: TypeRule = (a) => (a.length === 1 && a[0]!.kind === 'ARRAY' && a[0]!.element.kind !== 'ARRAY' && a[0]!.element.kind !== 'STRUCT' ? a[0]!.element : 'expects one array of numbers, strings, booleans or timestamps');
/** ARRAY_CONTAINS(array, x) (LIST_CONTAINS): whether an element equals x. */
const listPosition: TypeRule = (a) => (a.length === 2 && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') ? T.INT : 'expects (array, value)');
const arrayContains: TypeRule = (a) => (a.length === 2 && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') ? T.BOOLEAN : 'expects (array, value)');
/** (string, pattern[, options]) of REGEXP_MATCHES and REGEXP_FULL_MATCH. */
const regexMatch: TypeRule = (a) => ((a.length === 2 || a.length === 3) && a.every(isString) ? T.BOOLEAN : 'expects (string, pattern[, options])');
const dateDiffRule: TypeRule = (a) => (a.length === 3 && isString(a[0]!) && isTime(a[1]!) && isTime(a[2]!) ? T.BIGINT : "expects (unit, start, end), e.g. DATE_DIFF('day', t1, t2)");
/** LIST_CONCAT(a, b, ...): of one or more lists, as DuckDB (a NULL list reads as empty). */
const concatLists: TypeRule = (a) => {
  if (a.length === 0 || !a.every((t) => t.kind === 'ARRAY' || t.kind === 'NULL')) return 'expects arrays';
  let element: DataType | undefined = T.NULL;
  for (const t of a) element = element && commonType(element, t.kind === 'ARRAY' ? t.element : T.NULL);
  return element ? arrayOf(element) : 'expects arrays of one element type';
};

/** HEX(x), BIN(x): of an integer or a string. */
const digits: TypeRule = (a) => (a.length === 1 && (isIntegerArg(a[0]!) || isString(a[0]!)) ? T.STRING : 'expects one integer or string');
/** STRPTIME(text, format or list of formats). */
const timeText: TypeRule = (a) =>
  a.length === 2 && isString(a[0]!) && (isString(a[1]!) || (a[1]!.kind === 'ARRAY' && isString(a[1]!.element))) ? T.TIMESTAMP : "expects (text, format), e.g. STRPTIME(s, '%d/%m/%Y %H:%M')";
const intervalOf: TypeRule = (a) => (a.length === 1 && isNumberArg(a[0]!) ? T.INTERVAL : 'expects one number');
const calendarInterval: TypeRule = () => "is not supported: an INTERVAL value here is a fixed length; add calendar months to a time as ts + INTERVAL 'n' MONTH";
/** A list's element (LIST_FIRST, LIST_LAST, LIST_ANY_VALUE). */
const listValue: TypeRule = (a) => (a.length === 1 && a[0]!.kind === 'ARRAY' ? a[0]!.element : 'expects one list');
/** LIST_APPEND(list, x): a list of the type both fit in. */
function appendedList(list: DataType, x: DataType): DataType | string {
  if (list.kind !== 'ARRAY' && list.kind !== 'NULL') return 'expects a list and a value';
  const element = commonType(list.kind === 'ARRAY' ? list.element : T.NULL, x);
  return element ? arrayOf(element) : `cannot add a ${x.kind} to a list of ${list.kind === 'ARRAY' ? list.element.kind : 'NULL'}`;
}

// ---------------------------------------------------------------- MAP (see mapOf)

/** A MAP argument's key and value types (NULL ones for a NULL argument), or undefined. */
function mapArg(t: DataType): { readonly key: DataType; readonly value: DataType } | undefined {
  return t.kind === 'NULL' ? { key: T.NULL, value: T.NULL } : mapTypes(t);
}
/** MAP(keys, values), MAP(): the keys and values lists paired up (MAP {k: v} is written this way). */
const mapOfLists: TypeRule = (a) => {
  if (a.length === 0) return mapOf(T.NULL, T.NULL);
  const [k, v] = a.map((t) => (t.kind === 'ARRAY' && !t.map ? t.element : t.kind === 'NULL' ? T.NULL : undefined));
  return a.length === 2 && k && v ? mapOf(k, v) : 'expects (list of keys, list of values), e.g. MAP([1, 2], [\'a\', \'b\'])';
};
/** MAP_FROM_ENTRIES(list of two-field structs): the first field the key, the second the value. */
const mapFromEntries: TypeRule = (a) => {
  const e = a.length === 1 && a[0]!.kind === 'ARRAY' ? a[0]!.element : undefined;
  return e?.kind === 'STRUCT' && e.fields.length === 2 ? mapOf(e.fields[0]!.type, e.fields[1]!.type) : "expects one list of (key, value) structs, e.g. MAP_FROM_ENTRIES([{'k': 1, 'v': 'x'}])";
};
/** A rule of one MAP argument (and `more` others), giving `result` of its key and value types. */
function mapRule(more: number, result: (m: { readonly key: DataType; readonly value: DataType }) => DataType, args: string): TypeRule {
  return (a) => {
    const m = a.length === more + 1 ? mapArg(a[0]!) : undefined;
    return m ? result(m) : `expects ${args}`;
  };
}
/** MAP_CONCAT(m1, m2, ...): the entries of all, a later map's value winning for a key in several. */
const mapConcat: TypeRule = (a) => {
  const ms = a.map(mapArg);
  if (a.length === 0 || ms.some((m) => m === undefined)) return 'expects maps';
  let key: DataType | undefined = T.NULL;
  let value: DataType | undefined = T.NULL;
  for (const m of ms) {
    key = key && commonType(key, m!.key);
    value = value && commonType(value, m!.value);
  }
  return key && value ? mapOf(key, value) : 'expects maps of one key type and one value type';
};

const MAP_RULES: Readonly<Record<string, TypeRule>> = {
  map: mapOfLists,
  map_from_entries: mapFromEntries,
  map_keys: mapRule(0, (m) => arrayOf(m.key), 'one map'),
  map_values: mapRule(0, (m) => arrayOf(m.value), 'one map'),
  map_entries: mapRule(0, (m) => arrayOf({ kind: 'STRUCT', fields: [{ name: 'key', type: m.key, nullable: false }, { name: 'value', type: m.value, nullable: true }] }), 'one map'),
  // MAP_EXTRACT(m, k) (ELEMENT_AT): the value of k as a list, [] where m has no k; m[k] and
  // MAP_EXTRACT_VALUE give the value itself, NULL where m has no k (as DuckDB).
  map_extract: mapRule(1, (m) => arrayOf(m.value), '(map, key)'),
  element_at: mapRule(1, (m) => arrayOf(m.value), '(map, key)'),
  map_extract_value: mapRule(1, (m) => m.value, '(map, key)'),
  map_contains: mapRule(1, () => T.BOOLEAN, '(map, key)'),
  map_contains_value: mapRule(1, () => T.BOOLEAN, '(map, value)'),
  map_concat: mapConcat,
};

/** Functions of a MAP whose second argument is a key: it is cast to the map's key type. */
export const MAP_KEY_FUNCTIONS: ReadonlySet<string> = new Set(['map_extract', 'element_at', 'map_extract_value', 'map_contains']);

/** PARSE_PATH and its kin: (path[, separator]); PARSE_FILENAME also (path, trim_extension[, separator]). */
function pathRule(result: DataType, extra: number): TypeRule {
  return (a) => {
    const ok = a.length >= 1 && a.length <= 1 + extra && isString(a[0]!) && a.slice(1).every((t, i) => isString(t) || (extra === 2 && i === 0 && (t.kind === 'BOOLEAN' || t.kind === 'NULL')));
    return ok ? result : `expects (path${extra === 2 ? '[, trim_extension]' : ''}[, separator]), e.g. ('/a/b.txt', 'forward_slash')`;
  };
}

/** Two integers: the wider integer type (INT for two NULLs). */
const integerOp: TypeRule = (a) => (a.length === 2 && a.every(isIntegerArg) ? (commonType(a[0]!, a[1]!)!.kind === 'NULL' ? T.INT : commonType(a[0]!, a[1]!)!) : 'expects two integers (INT or BIGINT)');
const numberTest: TypeRule = (a) => (a.length === 1 && isNumberArg(a[0]!) ? T.BOOLEAN : 'expects one number');

export const SCALAR_FUNCTIONS: Readonly<Record<string, TypeRule>> = {
  abs: numeric1,
  sign: (a) => (a.length === 1 && isNumberArg(a[0]!) ? T.INT : 'expects one number'),
  // TRUNC(x[, digits]): toward zero, to `digits` decimals (negative: tens, hundreds, ...).
  trunc: (a) => (a.length === 1 ? numeric1(a) : a.length === 2 && (isNumeric(a[0]!) || a[0]!.kind === 'NULL') && isIntegerArg(a[1]!) ? a[0]! : 'expects (number[, digits])'),
  cbrt: double1,
  // LOG(x) is base 10; LOG(b, x) is base b, as DuckDB's.
  log: (a) => (a.length === 1 ? double1(a) : a.length === 2 && a.every(isNumberArg) ? T.DOUBLE : 'expects (number) or (base, number)'),
  log2: double1,
  sin: double1,
  cos: double1,
  tan: double1,
  asin: double1,
  acos: double1,
  atan: double1,
  atan2: (a) => (a.length === 2 && a.every(isNumberArg) ? T.DOUBLE : 'expects (y, x)'),
  cot: double1,
  sinh: double1,
  cosh: double1,
  tanh: double1,
  asinh: double1,
  acosh: double1,
  atanh: double1,
  gamma: double1,
  lgamma: double1,
  signbit: numberTest,
  pi: (a) => (a.length === 0 ? T.DOUBLE : 'takes no arguments'),
  // ERROR(message) (as DuckDB): fails the row with the message; a NULL of any type where it does not run.
  error: (a) => (a.length === 1 && isString(a[0]!) ? T.NULL : 'expects one string, the message'),
  degrees: double1,
  radians: double1,
  isnan: numberTest,
  // Of a DATE or TIMESTAMP too (as DuckDB): none here is infinite.
  isinf: (a) => (a.length === 1 && isTime(a[0]!) ? T.BOOLEAN : numberTest(a)),
  isfinite: (a) => (a.length === 1 && isTime(a[0]!) ? T.BOOLEAN : numberTest(a)),
  left: stringInt,
  right: stringInt,
  repeat: stringInt,
  lpad: stringIntString,
  rpad: stringIntString,
  reverse: string1,
  split_part: (a) => (a.length === 3 && isString(a[0]!) && isString(a[1]!) && isNumberArg(a[2]!) ? T.STRING : 'expects (string, delimiter, index)'),
  strpos: twoStrings(T.BIGINT),
  instr: twoStrings(T.BIGINT),
  starts_with: twoStrings(T.BOOLEAN),
  prefix: twoStrings(T.BOOLEAN),
  suffix: twoStrings(T.BOOLEAN),
  ends_with: twoStrings(T.BOOLEAN),
  contains: twoStrings(T.BOOLEAN),
  unicode: (a) => (a.length === 1 && isString(a[0]!) ? T.INT : 'expects one string'),
  ascii: (a) => (a.length === 1 && isString(a[0]!) ? T.INT : 'expects one string'),
  chr: (a) => (a.length === 1 && isNumberArg(a[0]!) ? T.STRING : 'expects one code point'),
  concat_ws: (a) => (a.length >= 2 && isString(a[0]!) ? T.STRING : 'expects (separator, value, ...)'),
  ifnull: (a) => (a.length === 2 && commonType(a[0]!, a[1]!) ? commonType(a[0]!, a[1]!)! : 'expects two arguments of one type'),
  floor: numeric1,
  ceil: numeric1,
  ceiling: numeric1,
  round: (a) => (a.length >= 1 && a.length <= 2 && isNumeric(a[0]!) ? a[0]!.kind === 'INT' || a[0]!.kind === 'BIGINT' || a[0]!.kind === 'FLOAT' ? a[0]! : T.DOUBLE : 'expects (number[, digits])'),
  sqrt: double1,
  ln: double1,
  log10: double1,
  exp: double1,
  power: (a) => (a.length === 2 && a.every(isNumberArg) ? T.DOUBLE : 'expects (number, number)'),
  pow: (a) => (a.length === 2 && a.every(isNumberArg) ? T.DOUBLE : 'expects (number, number)'),
  // a & b, a | b, XOR(a, b), a << n, a >> n: integers, as DuckDB (a shift out of the type's range is a row error).
  bit_not: (a) => (a.length === 1 && isIntegerArg(a[0]!) ? (a[0]!.kind === 'NULL' ? T.INT : a[0]!) : 'expects one integer (INT or BIGINT)'),
  bitwise_and: integerOp,
  bitwise_or: integerOp,
  xor: integerOp,
  shift_left: integerOp,
  shift_right: integerOp,
  // a // b: integers divide to an integer, cut toward zero (-7 // 2 is -3); other numbers as a / b (DuckDB).
  divide: (a) => (a.length === 2 && a.every(isNumberArg) ? (a.every(isIntegerArg) ? (commonType(a[0]!, a[1]!)!.kind === 'NULL' ? T.INT : commonType(a[0]!, a[1]!)!) : T.DOUBLE) : 'expects (number, number)'),
  mod: (a) => (a.length === 2 && a.every(isNumeric) ? commonType(a[0]!, a[1]!)! : 'expects (number, number)'),
  lower: string1,
  upper: string1,
  trim: stringChars,
  ltrim: stringChars,
  rtrim: stringChars,
  length: (a) => (a.length === 1 && isString(a[0]!) ? T.INT : 'expects one string'),
  char_length: (a) => (a.length === 1 && isString(a[0]!) ? T.INT : 'expects one string'),
  substring: (a) => (a.length >= 2 && a.length <= 3 && isString(a[0]!) && a.slice(1).every(isNumeric) ? T.STRING : 'expects (string, start[, length])'),
  substr: (a) => (a.length >= 2 && a.length <= 3 && isString(a[0]!) && a.slice(1).every(isNumeric) ? T.STRING : 'expects (string, start[, length])'),
  regexp_matches: regexMatch,
  regexp_full_match: regexMatch,
  regexp_replace: (a) => ((a.length === 3 || a.length === 4) && a.every(isString) ? T.STRING : 'expects (string, pattern, replacement[, options])'),
  regexp_extract: (a) => ((a.length === 2 && a.every(isString)) || (a.length === 3 && isString(a[0]!) && isString(a[1]!) && isInteger(a[2]!)) ? T.STRING : 'expects (string, pattern[, group])'),
  replace: (a) => (a.length === 3 && a.every(isString) ? T.STRING : 'expects (string, from, to)'),
  translate: (a) => (a.length === 3 && a.every(isString) ? T.STRING : 'expects (string, from characters, to characters)'),
  concat: (a) => (a.length >= 1 ? T.STRING : 'expects at least one argument'),
  coalesce: sameType,
  // TRY(x): x, or NULL where computing it fails for a row (compiled around x, see compile-expr).
  try: (a) => (a.length === 1 ? a[0]! : 'expects one expression'),
  nullif: (a) => (a.length === 2 && commonType(a[0]!, a[1]!) ? a[0]! : 'expects two arguments of one type'),
  greatest: sameType,
  least: sameType,
  // CARDINALITY(x): the entries of a MAP, the elements of a list.
  cardinality: (a) => (a.length === 1 && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') ? T.INT : 'expects one map or list'),
  array_length: (a) => (a.length === 1 && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') ? T.INT : 'expects one array'),
  // LEN(x): characters of a string, elements of an array (as DuckDB).
  len: (a) => (a.length === 1 && (a[0]!.kind === 'ARRAY' || isString(a[0]!)) ? T.INT : 'expects one string or array'),
  array_contains: arrayContains,
  // LIST_POSITION(list, x) (ARRAY_POSITION, LIST_INDEXOF): the 1-based place of the first element equal to x (NULL finds NULL).
  list_position: listPosition,
  array_position: listPosition,
  list_indexof: listPosition,
  array_indexof: listPosition,
  // REGEXP_SPLIT_TO_ARRAY(s, pattern) (STRING_SPLIT_REGEX): the parts between the pattern's matches.
  regexp_split_to_array: (a) => (a.length === 2 && a.every(isString) ? { kind: 'ARRAY', element: T.STRING } : 'expects (string, pattern)'),
  string_split_regex: (a) => (a.length === 2 && a.every(isString) ? { kind: 'ARRAY', element: T.STRING } : 'expects (string, pattern)'),
  // STRING_SPLIT(s, sep) (STR_SPLIT, STRING_TO_ARRAY): the parts between separators; '' splits into characters.
  string_split: stringSplit,
  str_split: stringSplit,
  string_to_array: stringSplit,
  ...Object.fromEntries(['array', 'list'].flatMap((p) => ['cosine_similarity', 'cosine_distance', 'distance', 'inner_product', 'dot_product', 'negative_inner_product', 'negative_dot_product'].map((f) => [`${p}_${f}`, vectorPair]))),
  hamming: twoStrings(T.BIGINT),
  mismatches: twoStrings(T.BIGINT),
  jaccard: twoStrings(T.DOUBLE),
  jaro_similarity: twoStrings(T.DOUBLE),
  jaro_winkler_similarity: twoStrings(T.DOUBLE),
  damerau_levenshtein: twoStrings(T.BIGINT),
  bit_length: (a) => (a.length === 1 && isString(a[0]!) ? T.BIGINT : 'expects one string'),
  url_encode: string1,
  url_decode: string1,
  ord: (a) => (a.length === 1 && isString(a[0]!) ? T.INT : 'expects one string'),
  nfc_normalize: string1,
  strip_accents: string1,
  factorial: (a) => (a.length === 1 && isIntegerArg(a[0]!) ? T.BIGINT : 'expects one integer'),
  fdiv: (a) => (a.length === 2 && a.every(isNumberArg) ? T.DOUBLE : 'expects two numbers'),
  fmod: (a) => (a.length === 2 && a.every(isNumberArg) ? T.DOUBLE : 'expects two numbers'),
  array_has: arrayContains,
  list_has: arrayContains,
  list_resize: resizeRule,
  array_resize: resizeRule,
  list_grade_up: gradeUpRule,
  array_grade_up: gradeUpRule,
  // JSON text (src/exec/json-functions.ts): a path is text ('$.a[0]', '/a/0', 'a') or an array index.
  json_extract: jsonAtPath(T.STRING),
  json_extract_string: jsonAtPath(T.STRING),
  // JSON_EXTRACT(_STRING) with a wildcard path or a list of paths, as the binder writes it.
  json_extract_many: (a) => (a.length === 2 && isString(a[0]!) && (isString(a[1]!) || a[1]!.kind === 'ARRAY') ? arrayOf(T.STRING) : 'expects (json, paths)'),
  json_extract_string_many: (a) => (a.length === 2 && isString(a[0]!) && (isString(a[1]!) || a[1]!.kind === 'ARRAY') ? arrayOf(T.STRING) : 'expects (json, paths)'),
  json_exists: jsonAtPath(T.BOOLEAN),
  json_valid: (a) => (a.length === 1 && isString(a[0]!) ? T.BOOLEAN : 'expects one string'),
  json_value: jsonAtPath(T.STRING),
  // Paths and sizes as text (src/exec/path-functions.ts).
  parse_path: pathRule(arrayOf(T.STRING), 1),
  parse_dirname: pathRule(T.STRING, 1),
  parse_dirpath: pathRule(T.STRING, 1),
  parse_filename: pathRule(T.STRING, 2),
  format_bytes: (a) => (a.length === 1 && isIntegerArg(a[0]!) ? T.STRING : 'expects one integer, a number of bytes'),
  formatreadablesize: (a) => (a.length === 1 && isIntegerArg(a[0]!) ? T.STRING : 'expects one integer, a number of bytes'),
  formatreadabledecimalsize: (a) => (a.length === 1 && isIntegerArg(a[0]!) ? T.STRING : 'expects one integer, a number of bytes'),
  parse_formatted_bytes: (a) => (a.length === 1 && isString(a[0]!) ? T.BIGINT : "expects one string, e.g. '2 KiB'"),
  bar: (a) => ((a.length === 3 || a.length === 4) && a.every(isNumberArg) ? T.STRING : 'expects (x, min, max[, width])'),
  length_grapheme: (a) => (a.length === 1 && isString(a[0]!) ? T.INT : 'expects one string'),
  left_grapheme: stringInt,
  right_grapheme: stringInt,
  substring_grapheme: (a) => (a.length >= 2 && a.length <= 3 && isString(a[0]!) && a.slice(1).every(isNumeric) ? T.STRING : 'expects (string, start[, length])'),
  json_contains: (a) => (a.length === 2 && a.every(isString) ? T.BOOLEAN : 'expects (json, needle json)'),
  json_merge_patch: (a) => (a.length >= 2 && a.every(isString) ? T.STRING : 'expects (json, patch json, ...)'),
  json_pretty: (a) => (a.length === 1 && isString(a[0]!) ? T.STRING : 'expects one string of JSON'),
  json: (a) => (a.length === 1 && isString(a[0]!) ? T.STRING : 'expects one string of JSON'),
  json_type: jsonMaybeAtPath(T.STRING),
  json_array_length: jsonMaybeAtPath(T.BIGINT),
  json_keys: jsonMaybeAtPath({ kind: 'ARRAY', element: T.STRING }),
  to_json: (a) => (a.length === 1 ? T.STRING : 'expects one value'),
  json_object: (a) => (a.length % 2 === 0 && a.every((t, i) => i % 2 === 1 || isString(t)) ? T.STRING : 'expects (key, value, ...) with text keys'),
  json_array: () => T.STRING,
  // JSON_GROUP_OBJECT(k, v) as an object of LIST(k) and LIST(v) (to-ast-expr.ts).
  json_object_lists: (a) => (a.length === 2 && a.every((t) => t.kind === 'ARRAY' || t.kind === 'NULL') ? T.STRING : 'expects (keys, values), two lists'),
  array_to_string: (a) => (a.length === 2 && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') && isString(a[1]!) ? T.STRING : 'expects (array, separator)'),
  list_sort: sortedArray,
  array_sort: sortedArray,
  list_reverse_sort: reverseSorted,
  array_reverse_sort: reverseSorted,
  // LIST_DISTINCT(a): each non-NULL value once, where it first comes.
  list_distinct: reversedArray,
  array_distinct: reversedArray,
  // RANGE(stop), RANGE(start, stop [, step]) (stop left out), GENERATE_SERIES(start, stop [, step]) (stop kept): BIGINTs, as DuckDB.
  range: series,
  generate_series: series,
  array_slice: slicedArray,
  list_slice: slicedArray,
  // LIST_AVG, LIST_PRODUCT: DOUBLE of the non-NULL elements; LIST_COUNT and LIST_UNIQUE count them (distinct, for UNIQUE).
  list_avg: numbersOf(T.DOUBLE),
  list_product: numbersOf(T.DOUBLE),
  list_count: (a) => (a.length === 1 && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') ? T.BIGINT : 'expects one array'),
  list_unique: (a) => (a.length === 1 && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') ? T.BIGINT : 'expects one array'),
  array_unique: (a) => (a.length === 1 && (a[0]!.kind === 'ARRAY' || a[0]!.kind === 'NULL') ? T.BIGINT : 'expects one array'),
  list_reverse: reversedArray,
  array_reverse: reversedArray,
  // LIST_HAS_ANY(a, b): some element of a equals one of b; LIST_HAS_ALL(a, b): every non-NULL element of b is in a.
  list_has_any: twoLists,
  array_has_any: twoLists,
  list_has_all: twoLists,
  array_has_all: twoLists,
  // FORMAT('{} and {}', ...) (fmt's braces) and PRINTF('%d and %s', ...) (C's percent forms), as DuckDB.
  format: (a) => (a.length >= 1 && isString(a[0]!) ? T.STRING : 'expects (format, values...)'),
  printf: (a) => (a.length >= 1 && isString(a[0]!) ? T.STRING : 'expects (format, values...)'),
  // A STRUCT value {'a': 1}: bound by its own rule (bind-expr.ts, bindStruct).
  struct_pack: () => "is written {'name': value, ...}",
  list_sum: (a) => (a.length === 1 && a[0]!.kind === 'ARRAY' && isNumeric(a[0]!.element) ? (a[0]!.element.kind === 'FLOAT' || a[0]!.element.kind === 'DOUBLE' ? T.DOUBLE : T.BIGINT) : 'expects an array of numbers'),
  list_min: arrayElement,
  list_max: arrayElement,
  levenshtein: (a) => (a.length === 2 && a.every(isString) ? T.BIGINT : 'expects two strings'),
  even: (a) => (a.length === 1 && (isNumeric(a[0]!) || a[0]!.kind === 'NULL') ? T.DOUBLE : 'expects one number'),
  list_contains: arrayContains,
  // LIST_CONCAT(a, b) (ARRAY_CONCAT, LIST_CAT, and a || b of arrays): a's elements then b's; a NULL list adds none (DuckDB).
  list_concat: concatLists,
  array_concat: concatLists,
  list_cat: concatLists,
  gcd: integerPair,
  lcm: integerPair,
  date_add: (a) => (a.length === 2 && isTime(a[0]!) && (a[1]!.kind === 'INTERVAL' || a[1]!.kind === 'NULL') ? T.TIMESTAMP : "expects (timestamp, interval), e.g. DATE_ADD(ts, INTERVAL '1' HOUR)"),
  proctime: (a) => (a.length === 0 ? T.TIMESTAMP : 'takes no arguments'),
  hash_code: (a) => (a.length === 1 ? T.INT : 'expects one argument'),
  date_trunc: (a) => (a.length === 2 && isString(a[0]!) && isTime(a[1]!) ? T.TIMESTAMP : "expects (unit, timestamp), e.g. DATE_TRUNC('hour', ts)"),
  date_part: (a) => (a.length === 2 && isString(a[0]!) && isTime(a[1]!) ? T.BIGINT : "expects (part, timestamp), e.g. DATE_PART('hour', ts)"),
  date_diff: dateDiffRule,
  datediff: dateDiffRule,
  // EPOCH of an INTERVAL: its length in seconds (DuckDB).
  epoch: (a) => (a.length === 1 && (isTime(a[0]!) || a[0]!.kind === 'INTERVAL' || a[0]!.kind === 'TIME') ? T.DOUBLE : 'expects one timestamp, date, time or interval: seconds since 1970-01-01 00:00:00 UTC, since midnight, or the interval in seconds'),
  epoch_ms: ofTime(T.BIGINT, ': milliseconds since 1970-01-01 00:00:00 UTC'),
  epoch_us: ofTime(T.BIGINT, ': microseconds since 1970-01-01 00:00:00 UTC'),
  epoch_ns: ofTime(T.BIGINT, ': nanoseconds since 1970-01-01 00:00:00 UTC'),
  julian: ofTime(T.DOUBLE, ': its Julian day (days since noon of 24 November 4714 BC, with the fraction of the day)'),
  // LAST_DAY: the DATE of the last day of the month; DAYNAME, MONTHNAME: English names, as DuckDB.
  last_day: ofTime(T.DATE, ''),
  dayname: ofTime(T.STRING, ''),
  monthname: ofTime(T.STRING, ''),
  make_date: (a) => (a.length === 3 && a.every(isIntegerArg) ? T.DATE : 'expects (year, month, day), e.g. MAKE_DATE(2024, 2, 29)'),
  make_time: (a) => (a.length === 3 && isIntegerArg(a[0]!) && isIntegerArg(a[1]!) && isNumberArg(a[2]!) ? T.TIME : 'expects (hour, minute, seconds), e.g. MAKE_TIME(13, 30, 5.5)'),
  // TIME + INTERVAL, as the binder writes it.
  time_add: (a) => (a.length === 2 && (a[0]!.kind === 'TIME' || a[0]!.kind === 'NULL') && (a[1]!.kind === 'INTERVAL' || a[1]!.kind === 'NULL') ? T.TIME : 'expects (time, interval)'),
  // DATE + n and DATE - n (n days), as the binder writes them.
  add_months: (a) => (a.length === 2 && isTime(a[0]!) && isIntegerArg(a[1]!) ? T.TIMESTAMP : 'expects (timestamp, months)'),
  add_days: (a) => (a.length === 2 && (a[0]!.kind === 'DATE' || a[0]!.kind === 'NULL') && isIntegerArg(a[1]!) ? T.DATE : 'expects (date, days)'),
  // TO_TIMESTAMP(seconds since 1970), MAKE_TIMESTAMP(year, month, day, hour, minute, seconds) or (microseconds since 1970).
  to_timestamp: (a) => (a.length === 1 && isNumberArg(a[0]!) ? T.TIMESTAMP : 'expects seconds since 1970-01-01 00:00:00 UTC'),
  make_timestamp_ms: (a) => (a.length === 1 && isIntegerArg(a[0]!) ? T.TIMESTAMP : 'expects milliseconds since 1970-01-01 00:00:00 UTC'),
  make_timestamp: (a) => ((a.length === 6 && a.every(isNumberArg)) || (a.length === 1 && isIntegerArg(a[0]!)) ? T.TIMESTAMP : 'expects (year, month, day, hour, minute, seconds), or microseconds since 1970-01-01 00:00:00 UTC'),
  strftime: (a) => (a.length === 2 && isTime(a[0]!) && isString(a[1]!) ? T.STRING : "expects (timestamp, format), e.g. STRFTIME(ts, '%Y-%m-%d %H:%M')"),
  // s GLOB pattern, as the parser writes it.
  glob: twoStrings(T.BOOLEAN),
  // INTERVAL * n, INTERVAL / n, as the binder writes them.
  interval_scale: (a) => (a.length === 2 && a[0]!.kind === 'INTERVAL' && isNumberArg(a[1]!) ? T.INTERVAL : 'expects (interval, number)'),
  interval_divide: (a) => (a.length === 2 && a[0]!.kind === 'INTERVAL' && isNumberArg(a[1]!) ? T.INTERVAL : 'expects (interval, number)'),
  bit_count: (a) => (a.length === 1 && isIntegerArg(a[0]!) ? T.INT : 'expects one integer'),
  strlen: (a) => (a.length === 1 && isString(a[0]!) ? T.BIGINT : 'expects one string'),
  hex: digits,
  to_hex: digits,
  bin: digits,
  to_binary: digits,
  to_base: (a) => ((a.length === 2 || a.length === 3) && a.every(isIntegerArg) ? T.STRING : 'expects (number, radix[, minimum length]): integers'),
  regexp_extract_all: (a) => ((a.length === 2 && a.every(isString)) || (a.length === 3 && isString(a[0]!) && isString(a[1]!) && isInteger(a[2]!)) ? arrayOf(T.STRING) : 'expects (string, pattern[, group])'),
  date_sub: (a) => (dateDiffRule(a) === T.BIGINT ? T.BIGINT : "expects (unit, start, end), e.g. DATE_SUB('month', t1, t2)"),
  // TIME_BUCKET(width, ts[, origin or offset]): a DATE's bucket is a DATE (bind-expr.ts tells origin from offset).
  time_bucket: (a) =>
    (a.length === 2 || a.length === 3) && (a[0]!.kind === 'INTERVAL' || a[0]!.kind === 'NULL') && isTime(a[1]!) && (a.length === 2 || isTime(a[2]!) || a[2]!.kind === 'INTERVAL')
      ? T.TIMESTAMP
      : "expects (width, timestamp[, origin timestamp or offset interval]), e.g. TIME_BUCKET(INTERVAL '15' MINUTE, ts)",
  time_bucket_offset: () => 'is written TIME_BUCKET(width, ts, offset)',
  strptime: timeText,
  try_strptime: timeText,
  to_weeks: intervalOf,
  to_days: intervalOf,
  to_hours: intervalOf,
  to_minutes: intervalOf,
  to_seconds: intervalOf,
  to_milliseconds: intervalOf,
  to_microseconds: intervalOf,
  to_months: calendarInterval,
  to_quarters: calendarInterval,
  to_years: calendarInterval,
  to_decades: calendarInterval,
  to_centuries: calendarInterval,
  to_millennia: calendarInterval,
  list_append: (a) => (a.length === 2 ? appendedList(a[0]!, a[1]!) : 'expects (list, value)'),
  list_prepend: (a) => (a.length === 2 ? appendedList(a[1]!, a[0]!) : 'expects (value, list)'),
  array_pop_back: reversedArray,
  array_pop_front: reversedArray,
  flatten: (a) => (a.length === 1 && a[0]!.kind === 'NULL' ? T.NULL : a.length === 1 && a[0]!.kind === 'ARRAY' && (a[0]!.element.kind === 'ARRAY' || a[0]!.element.kind === 'NULL') ? (a[0]!.element.kind === 'ARRAY' ? a[0]!.element : arrayOf(T.NULL)) : 'expects one list of lists'),
  array_intersect: (a) => (a.length === 2 && a.every((t) => t.kind === 'ARRAY' || t.kind === 'NULL') ? concatLists(a) : 'expects two lists'),
  list_where: (a) => (a.length === 2 && a[0]!.kind === 'ARRAY' && a[1]!.kind === 'ARRAY' && (a[1]!.element.kind === 'BOOLEAN' || a[1]!.element.kind === 'NULL') ? a[0]! : 'expects (list, list of BOOLEAN)'),
  list_first: listValue,
  list_last: listValue,
  list_any_value: listValue,
  list_string_agg: (a) => ((a.length === 1 || a.length === 2) && a[0]!.kind === 'ARRAY' && isString(a[0]!.element) && a.slice(1).every(isString) ? T.STRING : 'expects (list of strings[, separator])'),
  md5: (a) => (a.length === 1 && isString(a[0]!) ? T.STRING : 'expects one string'),
  sha256: (a) => (a.length === 1 && isString(a[0]!) ? T.STRING : 'expects one string'),
  sha1: (a) => (a.length === 1 && isString(a[0]!) ? T.STRING : 'expects one string'),
  // TO_BASE64(bytes) (BASE64), FROM_BASE64(text); text given to TO_BASE64 is its UTF-8 bytes.
  to_base64: (a) => (a.length === 1 && (a[0]!.kind === 'BYTES' || isString(a[0]!)) ? T.STRING : 'expects one BLOB'),
  octet_length: (a) => (a.length === 1 && (a[0]!.kind === 'BYTES' || isString(a[0]!)) ? T.BIGINT : 'expects one BLOB'),
  // a || b of two BLOBs (the binder writes it).
  blob_concat: (a) => (a.length === 2 && a.every((t) => t.kind === 'BYTES' || t.kind === 'NULL') ? T.BYTES : 'expects two BLOBs'),
  from_base64: (a) => (a.length === 1 && isString(a[0]!) ? T.BYTES : 'expects one string of base64'),
  unhex: oneString(T.BYTES, 'hex digits'),
  from_hex: oneString(T.BYTES, 'hex digits'),
  unbin: oneString(T.BYTES, 'binary digits'),
  from_binary: oneString(T.BYTES, 'binary digits'),
  encode: oneString(T.BYTES, 'text'),
  decode: (a) => (a.length === 1 && (a[0]!.kind === 'BYTES' || a[0]!.kind === 'NULL') ? T.STRING : 'expects one BLOB'),
  regexp_escape: oneString(T.STRING, 'text'),
  nextafter: (a) => (a.length === 2 && a.every(isNumeric) ? (a.every((t) => t.kind === 'FLOAT') ? T.FLOAT : T.DOUBLE) : 'expects two numbers: (x, toward)'),
  list_select: listSelect,
  array_select: listSelect,
  ...MAP_RULES,
};

export type AggregateFn =
  | 'count' | 'count_if' | 'sum' | 'avg' | 'min' | 'max' | 'count_distinct' | 'auc' | 'log_loss' | 'brier' | 'precision_at' | 'recall_at' | 'psi' | 'quantile_disc' | 'quantile_cont'
  | 'stddev_samp' | 'stddev_pop' | 'var_samp' | 'var_pop' | 'bool_and' | 'bool_or' | 'sum_distinct' | 'avg_distinct'
  | 'arg_max' | 'arg_min' | 'any_value' | 'string_agg' | 'array_agg' | 'mode' | 'bit_and' | 'bit_or' | 'bit_xor'
  | 'corr' | 'covar_pop' | 'covar_samp' | 'regr_slope' | 'regr_intercept' | 'regr_r2' | 'regr_count'
  | 'regr_avgx' | 'regr_avgy' | 'regr_sxx' | 'regr_syy' | 'regr_sxy' | 'skewness' | 'kurtosis' | 'kurtosis_pop' | 'entropy' | 'product' | 'histogram'
  | 'sem' | 'mad' | 'arg_max_null' | 'arg_min_null';

/** Other names of aggregates, as DuckDB and PostgreSQL spell them. */
export const AGGREGATE_ALIASES: Readonly<Record<string, AggregateFn>> = {
  stddev: 'stddev_samp',
  // EVERY(cond), the SQL standard's name.
  every: 'bool_and',
  variance: 'var_samp',
  median: 'quantile_cont',
  max_by: 'arg_max',
  min_by: 'arg_min',
  group_concat: 'string_agg',
  argmax: 'arg_max',
  argmin: 'arg_min',
  arbitrary: 'any_value',
  countif: 'count_if',
  mean: 'avg',
  // DuckDB's QUANTILE is its QUANTILE_DISC.
  quantile: 'quantile_disc',
  // Sums that DuckDB computes with compensation (Kahan): a DOUBLE sum here is exact to its last
  // digit as DuckDB's plain SUM is (see docs/sql.md).
  fsum: 'sum',
  kahan_sum: 'sum',
  sumkahan: 'sum',
  favg: 'avg',
  listagg: 'string_agg',
  list: 'array_agg',
  // An exact count is a valid approximation: the distinct values are kept anyway for retractions.
  approx_count_distinct: 'count_distinct',
};

/** (value, by) of ARG_MAX and ARG_MIN: any value, by a value that has an order. */
const argExtreme: TypeRule = (a) => (a.length === 2 && a[1]!.kind !== 'ARRAY' && a[1]!.kind !== 'STRUCT' ? a[0]! : 'expects (value, ordering value)');

/** (y, x) of CORR, COVAR_ and REGR_: two numbers. */
const pair = (result: DataType): TypeRule => (a) => (a.length === 2 && a.every((t) => isNumeric(t) || t.kind === 'NULL') ? result : 'expects (y, x): two numbers');
const bits: TypeRule = (a) => (a.length === 1 && (a[0]!.kind === 'INT' || a[0]!.kind === 'BIGINT' || a[0]!.kind === 'NULL') ? (a[0]!.kind === 'NULL' ? T.INT : a[0]!) : 'expects one integer');

const arrayAgg: TypeRule = (a) => (a.length === 1 ? arrayOf(a[0]!.kind === 'NULL' ? T.STRING : a[0]!) : 'expects one argument');

function sumOfDouble(t: DataType): DataType {
  const d = decimalOf(t);
  return d ? decimalType(MAX_DECIMAL_PRECISION, d.scale) : T.DOUBLE;
}

const spread: TypeRule = (a) => (a.length === 1 && (isNumeric(a[0]!) || a[0]!.kind === 'NULL') ? T.DOUBLE : 'expects one number');
const logic: TypeRule = (a) => (a.length === 1 && (a[0]!.kind === 'BOOLEAN' || a[0]!.kind === 'NULL') ? T.BOOLEAN : 'expects one BOOLEAN');

/** (score, label): a number and a number or BOOLEAN label. */
const scoreLabel = (a: readonly DataType[]): boolean => isNumeric(a[0]!) && (isNumeric(a[1]!) || a[1]!.kind === 'BOOLEAN');

// COUNT_IF(cond): the rows where cond is TRUE (DuckDB); NULL and FALSE are not counted.
const countIf: TypeRule = (a) => (a.length === 1 && (a[0]!.kind === 'BOOLEAN' || a[0]!.kind === 'NULL') ? T.BIGINT : 'expects one BOOLEAN condition');
// SUM(NULL) and AVG(NULL) are NULL, as in DuckDB and PostgreSQL.
// SUM of a DECIMAL(p, s) is a DECIMAL(38, s), as DuckDB's.
const sum: TypeRule = (a) => (a.length === 1 && (isNumeric(a[0]!) || a[0]!.kind === 'NULL') ? (a[0]!.kind === 'FLOAT' || a[0]!.kind === 'DOUBLE' ? sumOfDouble(a[0]!) : T.BIGINT) : 'expects one number');
const mean: TypeRule = (a) => (a.length === 1 && (isNumeric(a[0]!) || a[0]!.kind === 'NULL') ? T.DOUBLE : 'expects one number');

/** Exactly the names of AGGREGATE_NAMES: the compiler keeps the two in step. */
const AGGREGATE_RULES: Readonly<Record<AggregateName, TypeRule>> = {
  count: () => T.BIGINT,
  approx_count_distinct: (a) => (a.length === 1 ? T.BIGINT : 'expects one argument'),
  // COUNT_IF(cond): the rows where cond is TRUE (DuckDB); NULL and FALSE are not counted.
  count_if: countIf,
  sum,
  avg: mean,
  mean,
  favg: mean,
  fsum: sum,
  kahan_sum: sum,
  sumkahan: sum,
  countif: countIf,
  argmax: argExtreme,
  argmin: argExtreme,
  arbitrary: (a) => (a.length === 1 ? a[0]! : 'expects one argument'),
  stddev: spread,
  stddev_samp: spread,
  stddev_pop: spread,
  variance: spread,
  var_samp: spread,
  var_pop: spread,
  bool_and: logic,
  bool_or: logic,
  every: logic,
  min: (a) => (a.length === 1 ? a[0]! : 'expects one argument'),
  arg_max: argExtreme,
  arg_min: argExtreme,
  // ARG_MAX_NULL(value, by), ARG_MIN_NULL: as ARG_MAX, but a row whose value is NULL counts too.
  arg_max_null: argExtreme,
  arg_min_null: argExtreme,
  // SEM(x): the standard error of the mean, STDDEV_POP(x) / SQRT(COUNT(x)), as DuckDB.
  sem: spread,
  // MAD(x): the median absolute deviation, the median of |x - MEDIAN(x)|.
  mad: (a) => (a.length === 1 ? (interpolatedType(a[0]!, false) ?? 'expects one number') : 'expects one number'),
  max_by: argExtreme,
  min_by: argExtreme,
  any_value: (a) => (a.length === 1 ? a[0]! : 'expects one argument'),
  // ARRAY_AGG(x [ORDER BY key]) (LIST): every value, NULLs included, as an array.
  array_agg: arrayAgg,
  list: arrayAgg,
  // MODE(x): the most frequent value; of tied values, the first that came.
  mode: (a) => (a.length === 1 && a[0]!.kind !== 'ARRAY' && a[0]!.kind !== 'STRUCT' ? a[0]! : 'expects one value'),
  bit_and: bits,
  bit_or: bits,
  bit_xor: bits,
  corr: pair(T.DOUBLE),
  covar_pop: pair(T.DOUBLE),
  covar_samp: pair(T.DOUBLE),
  regr_slope: pair(T.DOUBLE),
  regr_intercept: pair(T.DOUBLE),
  regr_r2: pair(T.DOUBLE),
  regr_count: pair(T.BIGINT),
  regr_avgx: pair(T.DOUBLE),
  regr_avgy: pair(T.DOUBLE),
  regr_sxx: pair(T.DOUBLE),
  regr_syy: pair(T.DOUBLE),
  regr_sxy: pair(T.DOUBLE),
  // STRING_AGG(s [, separator]): the non-NULL strings joined in arrival order, ',' by default.
  string_agg: (a) => stringAgg(a),
  group_concat: (a) => stringAgg(a),
  listagg: (a) => stringAgg(a),
  max: (a) => (a.length === 1 ? a[0]! : 'expects one argument'),
  auc: (a) => (a.length === 2 && scoreLabel(a) ? T.DOUBLE : 'expects (score, label)'),
  log_loss: (a) => (a.length === 2 && scoreLabel(a) ? T.DOUBLE : 'expects (score, label)'),
  brier: (a) => (a.length === 2 && scoreLabel(a) ? T.DOUBLE : 'expects (score, label)'),
  precision_at: (a) => (a.length === 3 && scoreLabel(a) && isNumeric(a[2]!) ? T.DOUBLE : 'expects (score, label, threshold)'),
  recall_at: (a) => (a.length === 3 && scoreLabel(a) && isNumeric(a[2]!) ? T.DOUBLE : 'expects (score, label, threshold)'),
  quantile_disc: quantileDisc,
  quantile: quantileDisc,
  skewness: mean,
  product: mean,
  // Written as EXP(AVG(LN(x))) before it is planned (see call-forms' geomeanAggregate).
  geomean: mean,
  geometric_mean: mean,
  kurtosis: mean,
  kurtosis_pop: mean,
  entropy: (a) => (a.length === 1 && a[0]!.kind !== 'ARRAY' && a[0]!.kind !== 'STRUCT' ? T.DOUBLE : 'expects one value'),
  // HISTOGRAM(x): how many times each non-NULL value came, as a MAP(x's type, BIGINT) in key order.
  histogram: (a) => (a.length === 1 && a[0]!.kind !== 'ARRAY' && a[0]!.kind !== 'STRUCT' ? mapOf(a[0]!.kind === 'NULL' ? T.INT : a[0]!, T.BIGINT) : 'expects one value'),
  quantile_cont: (a) => (a.length === 2 && isNumeric(a[1]!) ? (interpolatedType(a[0]!, true) ?? 'expects (number, date or timestamp, fraction)') : 'expects (number, date or timestamp, fraction)'),
  // MEDIAN(x) is QUANTILE_CONT(x, 0.5).
  // MEDIAN of strings is their lower middle value (QUANTILE_DISC's), as DuckDB's.
  median: (a) => (a.length === 1 ? (interpolatedType(a[0]!, true) ?? (a[0]!.kind === 'STRING' ? T.STRING : 'expects one number, date, timestamp or string')) : 'expects one number, date, timestamp or string'),
  psi: (a) =>
    (a.length === 3 || (a.length === 4 && (['INT', 'BIGINT'].includes(a[3]!.kind) || a[3]!.kind === 'NULL'))) && (isNumeric(a[0]!) || a[0]!.kind === 'NULL') && a[1]!.kind === 'STRING' && a[2]!.kind === 'STRING'
      ? T.DOUBLE
      : "expects (value, 'model', 'feature'[, version])",
};

/**
 * What QUANTILE_CONT, MEDIAN and MAD give over values of type `x`, as DuckDB: a DECIMAL or FLOAT
 * its own type, a DATE or TIMESTAMP (`times`: not MAD, whose deviations would be intervals) a
 * TIMESTAMP, any other number a DOUBLE; undefined where it takes no such values.
 */
function interpolatedType(x: DataType, times: boolean): DataType | undefined {
  if (decimalOf(x) || x.kind === 'FLOAT') return x;
  if (times && (x.kind === 'DATE' || x.kind === 'TIMESTAMP')) return T.TIMESTAMP;
  return isNumeric(x) || x.kind === 'NULL' ? T.DOUBLE : undefined;
}

export const AGGREGATE_FUNCTIONS: Readonly<Record<string, TypeRule>> = AGGREGATE_RULES;

function quantileDisc(a: readonly DataType[]): DataType | string {
  return a.length === 2 && a[0]!.kind !== 'ARRAY' && a[0]!.kind !== 'STRUCT' && isNumeric(a[1]!) ? a[0]! : 'expects (value, fraction)';
}

function stringAgg(a: readonly DataType[]): DataType | string {
  const text = (t: DataType) => t.kind === 'STRING' || t.kind === 'NULL';
  return (a.length === 1 || a.length === 2) && a.every(text) ? T.STRING : 'expects (value [, separator string]): a value of a type that has text (not an array or struct)';
}

/** Aggregate arguments that must be constants, by position (the threshold of PRECISION_AT). */
export const CONSTANT_AGGREGATE_ARGS: Readonly<Partial<Record<AggregateFn, readonly number[]>>> = {
  precision_at: [2],
  recall_at: [2],
  quantile_disc: [1],
  quantile_cont: [1],
  string_agg: [1],
};

export { isAggregateName };
