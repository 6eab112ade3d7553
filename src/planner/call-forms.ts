/**
 * Calls that are another form of SQL already bound elsewhere, as DuckDB has them:
 * `LIKE_ESCAPE(s, p, e)` is `s LIKE p ESCAPE e`, `STRUCT_EXTRACT(x, 'f')` is `x.f`,
 * `LIST_AGGREGATE(l, 'sum')` is `LIST_SUM(l)`, `ARRAY_PUSH_BACK` is `LIST_APPEND`. Rewriting the
 * call keeps one binder and one implementation for each.
 */
import { SluiceError } from '../common/errors.js';
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

/** The call as the form it stands for, or undefined when it is a call of its own. */
export function rewriteCallForm(e: CallExpr): Expr | undefined {
  const name = normalizeName(e.name.name);
  // DATE_PART(['year', 'month'], t) is {'year': DATE_PART('year', t), 'month': DATE_PART('month', t)}
  // (NULL when t is).
  if ((name === 'date_part' || name === 'datepart') && e.args.length === 2 && e.args[0]!.kind === 'Array') return partsStruct(e, e.args[0]!.elements, e.args[1]!);
  const same = SAME_AS[name];
  if (same !== undefined) return { ...e, name: { ...e.name, name: same } };
  const op = OPERATOR_FORMS[name];
  if (op !== undefined && e.args.length === 2 && !e.distinct && !e.star) return { kind: 'Binary', op, left: e.args[0]!, right: e.args[1]!, span: e.span };
  if (INDEX_FORMS.has(name) && e.args.length === 2 && !e.distinct && !e.star) return { kind: 'Index', operand: e.args[0]!, index: e.args[1]!, span: e.span };
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
  return undefined;
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
  const fn = which.kind === 'Literal' && typeof which.value === 'string' ? LIST_AGGREGATES[which.value.trim().toLowerCase()] : undefined;
  if (fn === undefined) {
    throw new SluiceError('INVALID_ARGUMENT', `LIST_AGGREGATE takes the aggregate's name as a constant string, one of ${Object.keys(LIST_AGGREGATES).join(', ')}`, {
      span: which.span,
      hint: "e.g. LIST_AGGREGATE(l, 'sum'), or call LIST_SUM(l) directly",
    });
  }
  const rest = e.args.slice(2);
  if (fn !== 'list_string_agg' && rest.length > 0) {
    throw new SluiceError('INVALID_ARGUMENT', `LIST_AGGREGATE with '${fn.slice('list_'.length)}' takes no further arguments`, { span: rest[0]!.span });
  }
  return { ...e, name: { ...e.name, name: fn }, args: [e.args[0]!, ...rest] };
}
