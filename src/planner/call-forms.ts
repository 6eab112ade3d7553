/**
 * Calls that are another form of SQL already bound elsewhere, as DuckDB has them:
 * `LIKE_ESCAPE(s, p, e)` is `s LIKE p ESCAPE e`, `STRUCT_EXTRACT(x, 'f')` is `x.f`,
 * `LIST_AGGREGATE(l, 'sum')` is `LIST_SUM(l)`, `ARRAY_PUSH_BACK` is `LIST_APPEND`. Rewriting the
 * call keeps one binder and one implementation for each.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { T } from '../common/types.js';
import { isAggregateName, LIST_AGGREGATE_CALL } from '../common/aggregate-names.js';
import { normalizeName, type CallExpr, type Expr } from '../parser/ast.js';

/** Other names of scalar functions, as DuckDB spells them. */
const SAME_AS: Readonly<Record<string, string>> = {
  array_append: 'list_append',
  array_push_back: 'list_append',
  array_prepend: 'list_prepend',
  list_intersect: 'array_intersect',
  array_where: 'list_where',
  datesub: 'date_sub',
  json_extract_path: 'json_extract',
  json_extract_path_text: 'json_extract_string',
  ucase: 'upper',
  // PostgreSQL's names of TO_JSON; MAKE_TIMESTAMPTZ, as a TIMESTAMPTZ is a TIMESTAMP here.
  array_to_json: 'to_json',
  row_to_json: 'to_json',
  make_timestamptz: 'make_timestamp',
  lcase: 'lower',
  character_length: 'char_length',
  datepart: 'date_part',
  datetrunc: 'date_trunc',
  greatest_common_divisor: 'gcd',
  least_common_multiple: 'lcm',
  split: 'string_split',
  array_cat: 'list_concat',
  grade_up: 'list_grade_up',
  base64: 'to_base64',
  editdist3: 'levenshtein',
  json_quote: 'to_json',
  str_split_regex: 'regexp_split_to_array',
};

/** Function forms of operators, as DuckDB has them: ADD(a, b) is a + b. */
const OPERATOR_FORMS: Readonly<Record<string, '+' | '-' | '*'>> = { add: '+', subtract: '-', multiply: '*' };

/** Function forms of `list[i]` (also of a string's i-th character). */
const INDEX_FORMS: ReadonlySet<string> = new Set(['list_extract', 'array_extract', 'list_element']);

/** The aggregates LIST_AGGREGATE(list, 'name') takes, and the list function each is. */
const LIST_AGGREGATES: Readonly<Record<string, string>> = {
  sum: 'list_sum',
  min: 'list_min',
  max: 'list_max',
  avg: 'list_avg',
  mean: 'list_avg',
  product: 'list_product',
  count: 'list_count',
  first: 'list_first',
  last: 'list_last',
  any_value: 'list_any_value',
  string_agg: 'list_string_agg',
};

/** Aggregates of two values per row (or of a model's rows), which a list of values cannot feed. */
const TWO_VALUE_AGGREGATES: ReadonlySet<string> = new Set([
  'arg_max', 'arg_min', 'argmax', 'argmin', 'max_by', 'min_by', 'arg_max_null', 'arg_min_null', 'corr', 'covar_pop', 'covar_samp',
  'regr_slope', 'regr_intercept', 'regr_r2', 'regr_count', 'regr_avgx', 'regr_avgy', 'regr_sxx', 'regr_syy', 'regr_sxy',
  'auc', 'log_loss', 'brier', 'precision_at', 'recall_at', 'psi', 'array_agg', 'list', 'string_agg', 'group_concat', 'listagg', 'json_group_array', 'json_group_object',
]);

/** DuckDB's LIST_<aggregate>(l) macros that are LIST_AGGREGATE(l, '<aggregate>'). */
const LIST_AGGREGATE_MACROS: ReadonlySet<string> = new Set([
  'median', 'mode', 'stddev_samp', 'stddev_pop', 'var_samp', 'var_pop', 'bool_and', 'bool_or', 'bit_and', 'bit_or', 'bit_xor',
  'entropy', 'kurtosis', 'kurtosis_pop', 'skewness', 'sem', 'mad', 'histogram', 'approx_count_distinct',
]);

/** The aggregates that take a count as their last argument, as DuckDB: the value, and how it is ranked. */
const TOP_N: Readonly<Record<string, { readonly byOther: boolean; readonly desc: boolean }>> = {
  max: { byOther: false, desc: true },
  min: { byOther: false, desc: false },
  arg_max: { byOther: true, desc: true },
  argmax: { byOther: true, desc: true },
  max_by: { byOther: true, desc: true },
  arg_min: { byOther: true, desc: false },
  argmin: { byOther: true, desc: false },
  min_by: { byOther: true, desc: false },
};

/** The quantile aggregates that take a list of fractions as DuckDB does. */
const QUANTILES: ReadonlySet<string> = new Set(['quantile_cont', 'quantile_disc', 'quantile']);

/**
 * `QUANTILE_CONT(x, [0.25, 0.75])` (also QUANTILE_DISC, QUANTILE): the list of the quantiles at
 * those fractions, as DuckDB; NULL, not a list of NULLs, where the group has no value. Undefined
 * for other calls.
 */
export function quantileListAggregate(e: CallExpr): Expr | undefined {
  const name = normalizeName(e.name.name);
  const fractions = e.args[1];
  if (!QUANTILES.has(name) || e.args.length !== 2 || fractions?.kind !== 'Array' || e.star) return undefined;
  if (fractions.elements.length === 0) throw new SluiceError('INVALID_ARGUMENT', `${name.toUpperCase()} takes at least one fraction`, { span: fractions.span, hint: `e.g. ${name.toUpperCase()}(x, [0.25, 0.75])` });
  const span = e.span;
  const each = fractions.elements.map((f): Expr => ({ ...e, args: [e.args[0]!, f] }));
  const list: Expr = { kind: 'Array', elements: each, span };
  return { kind: 'Case', whens: [{ when: { kind: 'IsNull', operand: each[0]!, negated: true, span }, then: list }], span };
}

/**
 * `GEOMEAN(x)` (`GEOMETRIC_MEAN`), as DuckDB: `EXP(AVG(LN(x)))`; a value of 0 or less is a row
 * error (LN's), where DuckDB fails the statement. Undefined for other calls.
 */
export function geomeanAggregate(e: CallExpr): Expr | undefined {
  const name = normalizeName(e.name.name);
  if ((name !== 'geomean' && name !== 'geometric_mean') || e.args.length !== 1 || e.star || e.distinct) return undefined;
  const call = (fn: string, args: readonly Expr[], rest: Partial<CallExpr> = {}): CallExpr => ({ kind: 'Call', name: { name: fn, span: e.name.span }, args, distinct: false, star: false, ...rest, span: e.span });
  const avg = call('avg', [call('ln', [e.args[0]!])], { ...(e.filter ? { filter: e.filter } : {}), ...(e.over ? { over: e.over } : {}) });
  return call('exp', [avg]);
}

/** Whether the call is one of the aggregates with a count (see topNAggregate). */
export function isTopNCall(e: CallExpr): boolean {
  const form = TOP_N[normalizeName(e.name.name)];
  return form !== undefined && !e.star && e.args.length === (form.byOther ? 3 : 2);
}

/**
 * `MAX(x, n)` and `MIN(x, n)` (the n largest or smallest values of x), `ARG_MAX(a, v, n)` /
 * `MAX_BY` and `ARG_MIN(a, v, n)` / `MIN_BY` (the a of the n rows of largest or smallest v), as
 * DuckDB: a list, first the value ranked first; rows where a value is NULL do not count; NULL when
 * no row does. They are `LIST(a ORDER BY v DESC) FILTER (WHERE a IS NOT NULL AND v IS NOT NULL)`
 * cut to n, so a view keeps them current as rows come and go. Undefined for the plain aggregates.
 */
export function topNAggregate(e: CallExpr): Expr | undefined {
  if (!isTopNCall(e)) return undefined;
  const name = normalizeName(e.name.name);
  const form = TOP_N[name]!;
  const label = name.toUpperCase();
  const n = e.args[e.args.length - 1]!;
  if (n.kind !== 'Literal' || typeof n.value !== 'number' || !Number.isInteger(n.value) || n.value < 1) {
    throw new SluiceError('INVALID_ARGUMENT', `${label} takes how many values it keeps as a positive constant integer`, { span: n.span, hint: form.byOther ? `e.g. ${label}(id, price, 3)` : `e.g. ${label}(price, 3)` });
  }
  if (e.distinct || e.orderBy?.length) {
    throw new SluiceError('UNSUPPORTED', `${label} with a count takes neither DISTINCT nor ORDER BY`, { span: e.span, hint: 'write LIST(DISTINCT ...) or LIST(... ORDER BY ...) and slice it' });
  }
  const span = e.span;
  const value = e.args[0]!;
  const rank = form.byOther ? e.args[1]! : value;
  const notNull = (x: Expr): Expr => ({ kind: 'IsNull', operand: x, negated: true, span: x.span });
  const both = (a: Expr, b: Expr): Expr => ({ kind: 'Binary', op: 'AND', left: a, right: b, span });
  let counted = form.byOther ? both(notNull(value), notNull(rank)) : notNull(value);
  if (e.filter) counted = both(e.filter, counted);
  const list: CallExpr = {
    kind: 'Call',
    name: { name: 'list', span: e.name.span },
    args: [value],
    distinct: false,
    star: false,
    filter: counted,
    orderBy: [{ expr: rank, desc: form.desc, nullsFirst: false }],
    ...(e.over ? { over: e.over } : {}),
    span,
  };
  const one: Expr = { kind: 'Literal', literal: 'integer', value: 1, span: n.span };
  return { kind: 'Call', name: { name: 'list_slice', span: e.name.span }, args: [list, one, n], distinct: false, star: false, span };
}

/**
 * The current time as SQL and DuckDB name it (`NOW()`, `CURRENT_TIMESTAMP`, `CURRENT_DATE`,
 * `TODAY()`, `CURRENT_TIME`, also written without parentheses): PROCTIME(), the time the row is
 * processed, as a TIMESTAMP, DATE or TIME.
 */
const CLOCK_FORMS: Readonly<Record<string, 'TIMESTAMP' | 'DATE' | 'TIME'>> = {
  now: 'TIMESTAMP',
  current_timestamp: 'TIMESTAMP',
  get_current_timestamp: 'TIMESTAMP',
  transaction_timestamp: 'TIMESTAMP',
  localtimestamp: 'TIMESTAMP',
  current_date: 'DATE',
  today: 'DATE',
  current_time: 'TIME',
  get_current_time: 'TIME',
  localtime: 'TIME',
};

/** The current time named `name` (see CLOCK_FORMS), or undefined for another name. */
export function clockForm(name: string, span: Span): Expr | undefined {
  const kind = CLOCK_FORMS[normalizeName(name)];
  if (kind === undefined) return undefined;
  const now: Expr = { kind: 'Call', name: { name: 'proctime', span }, args: [], distinct: false, star: false, span };
  return kind === 'TIMESTAMP' ? now : { kind: 'Cast', operand: now, type: kind === 'DATE' ? T.DATE : T.TIME, span };
}

/** The call as the form it stands for, or undefined when it is a call of its own. */
export function rewriteCallForm(e: CallExpr): Expr | undefined {
  const name = normalizeName(e.name.name);
  if (e.args.length === 0 && !e.star && !e.over) {
    const clock = clockForm(name, e.span);
    if (clock) return clock;
  }
  // DATE_PART(['year', 'month'], t) is {'year': DATE_PART('year', t), 'month': DATE_PART('month', t)}
  // (NULL when t is).
  if ((name === 'date_part' || name === 'datepart') && e.args.length === 2 && e.args[0]!.kind === 'Array') return partsStruct(e, e.args[0]!.elements, e.args[1]!);
  const same = SAME_AS[name];
  if (same !== undefined) return { ...e, name: { ...e.name, name: same } };
  const op = OPERATOR_FORMS[name];
  if (op !== undefined && e.args.length === 2 && !e.distinct && !e.star) return { kind: 'Binary', op, left: e.args[0]!, right: e.args[1]!, span: e.span };
  if (INDEX_FORMS.has(name) && e.args.length === 2 && !e.distinct && !e.star) return { kind: 'Index', operand: e.args[0]!, index: e.args[1]!, span: e.span };
  if (name === 'round_even' && e.args.length === 2 && !e.distinct && !e.star) return roundEven(e, e.args[0]!, e.args[1]!);
  if (name === 'regexp_extract' && e.args.length === 3 && e.args[2]!.kind === 'Array') return namedGroups(e, e.args[2]!.elements);
  // ARRAY_PUSH_FRONT(list, x) is LIST_PREPEND(x, list).
  if (name === 'array_push_front' && e.args.length === 2) return { ...e, name: { ...e.name, name: 'list_prepend' }, args: [e.args[1]!, e.args[0]!] };
  const like = LIKE_FORMS[name];
  if (like && e.args.length === 3) {
    const [operand, pattern, escape] = e.args as [Expr, Expr, Expr];
    return { kind: 'Like', operand, pattern, escape, ...like, span: e.span };
  }
  if ((name === 'struct_extract' || name === 'struct_extract_at') && e.args.length === 2) {
    const field = e.args[1]!;
    if (field.kind !== 'Literal' || typeof field.value !== 'string') {
      throw new SluiceError('INVALID_ARGUMENT', `${name.toUpperCase()} takes the field's name as a constant string`, { span: field.span, hint: "e.g. STRUCT_EXTRACT(s, 'city'), or write s.city" });
    }
    return { kind: 'FieldAccess', operand: e.args[0]!, field: { name: field.value, span: field.span }, span: e.span };
  }
  if ((name === 'list_aggregate' || name === 'array_aggregate' || name === 'list_aggr' || name === 'aggregate') && e.args.length >= 2) return listAggregate(e);
  // LIST_MEDIAN(l), LIST_STDDEV_SAMP(l), ...: LIST_AGGREGATE(l, 'median'), ...
  const macro = name.startsWith('list_') ? name.slice('list_'.length) : undefined;
  if (macro !== undefined && LIST_AGGREGATE_MACROS.has(macro) && e.args.length === 1) {
    return listAggregate({ ...e, args: [e.args[0]!, { kind: 'Literal', literal: 'string', value: macro, span: e.name.span }] });
  }
  return undefined;
}

/**
 * ROUND_EVEN(x, n): half to even, as DuckDB defines it (a macro there):
 * `CASE ((ABS(x) * POWER(10, n + 1)) % POWER(10, 1)) WHEN 5 THEN ROUND(x / 2, n) * 2 ELSE ROUND(x, n) END`,
 * so ROUND_EVEN(2.5, 0) is 2 and (3.5, 0) is 4, a DOUBLE.
 */
function roundEven(e: CallExpr, x: Expr, n: Expr): Expr {
  const span = e.span;
  const int = (value: number): Expr => ({ kind: 'Literal', literal: 'integer', value, span });
  const call = (name: string, args: readonly Expr[]): Expr => ({ kind: 'Call', name: { name, span: e.name.span }, args, distinct: false, star: false, span });
  const bin = (op: '+' | '*' | '/' | '%', left: Expr, right: Expr): Expr => ({ kind: 'Binary', op, left, right, span });
  const half = bin('%', bin('*', call('abs', [x]), call('power', [int(10), bin('+', n, int(1))])), call('power', [int(10), int(1)]));
  return { kind: 'Case', operand: half, whens: [{ when: int(5), then: bin('*', call('round', [bin('/', x, int(2)), n]), int(2)) }], else: call('round', [x, n]), span };
}

/**
 * REGEXP_EXTRACT(s, pattern, ['x', 'y']): a STRUCT of the capture groups 1, 2, ... under those
 * names, as DuckDB (empty strings where the pattern does not match; NULL where s is NULL).
 */
function namedGroups(e: CallExpr, names: readonly Expr[]): Expr {
  const span = e.span;
  const args: Expr[] = [];
  names.forEach((n, i) => {
    if (n.kind !== 'Literal' || typeof n.value !== 'string') {
      throw new SluiceError('INVALID_ARGUMENT', 'REGEXP_EXTRACT takes the names of its groups as constant strings', { span: n.span, hint: "e.g. REGEXP_EXTRACT(s, '(\\d+)-(\\d+)', ['from', 'to'])" });
    }
    const group: Expr = { kind: 'Literal', literal: 'integer', value: i + 1, span: n.span };
    args.push(n, { ...e, args: [e.args[0]!, e.args[1]!, group] });
  });
  const struct: Expr = { kind: 'Call', name: { name: 'struct_pack', span: e.name.span }, args, distinct: false, star: false, span };
  return { kind: 'Case', whens: [{ when: { kind: 'IsNull', operand: e.args[0]!, negated: true, span }, then: struct }], span };
}

function partsStruct(e: CallExpr, parts: readonly Expr[], operand: Expr): Expr {
  const args: Expr[] = [];
  for (const part of parts) {
    if (part.kind !== 'Literal' || typeof part.value !== 'string') {
      throw new SluiceError('INVALID_ARGUMENT', 'DATE_PART takes a list of constant part names', { span: part.span, hint: "e.g. DATE_PART(['year', 'month'], ts)" });
    }
    args.push(part, { kind: 'Call', name: { name: 'date_part', span: e.name.span }, args: [part, operand], distinct: false, star: false, span: e.span });
  }
  const struct: Expr = { kind: 'Call', name: { name: 'struct_pack', span: e.name.span }, args, distinct: false, star: false, span: e.span };
  // NULL for a NULL time, not a STRUCT of NULLs.
  return { kind: 'Case', whens: [{ when: { kind: 'IsNull', operand, negated: true, span: e.span }, then: struct }], span: e.span };
}

const LIKE_FORMS: Readonly<Record<string, { readonly caseInsensitive: boolean; readonly negated: boolean }>> = {
  like_escape: { caseInsensitive: false, negated: false },
  not_like_escape: { caseInsensitive: false, negated: true },
  ilike_escape: { caseInsensitive: true, negated: false },
  not_ilike_escape: { caseInsensitive: true, negated: true },
};

function listAggregate(e: CallExpr): Expr {
  const which = e.args[1]!;
  const named = which.kind === 'Literal' && typeof which.value === 'string' ? which.value.trim().toLowerCase() : undefined;
  const fn = named === undefined ? undefined : LIST_AGGREGATES[named];
  // Any other aggregate of one value (MEDIAN, MODE, STDDEV, QUANTILE_CONT(x, 0.9), ...): its
  // accumulator over the elements (bind-expr.ts binds it, compile-expr.ts runs it).
  if (fn === undefined && named !== undefined && isAggregateName(named) && !TWO_VALUE_AGGREGATES.has(named)) {
    return { ...e, name: { ...e.name, name: LIST_AGGREGATE_CALL }, args: [e.args[0]!, { kind: 'Literal', literal: 'string', value: named, span: which.span }, ...e.args.slice(2)] };
  }
  if (fn === undefined) {
    throw new SluiceError('INVALID_ARGUMENT', `LIST_AGGREGATE takes the name of an aggregate of one value as a constant string (${Object.keys(LIST_AGGREGATES).join(', ')}, median, mode, stddev_samp, ...)`, {
      span: which.span,
      hint: "e.g. LIST_AGGREGATE(l, 'median'), or call LIST_SUM(l) directly",
    });
  }
  const rest = e.args.slice(2);
  if (fn !== 'list_string_agg' && rest.length > 0) {
    throw new SluiceError('INVALID_ARGUMENT', `LIST_AGGREGATE with '${fn.slice('list_'.length)}' takes no further arguments`, { span: rest[0]!.span });
  }
  return { ...e, name: { ...e.name, name: fn }, args: [e.args[0]!, ...rest] };
}
