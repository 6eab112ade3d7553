/** Binds AST expressions against a scope: resolves names, checks and infers types. */
import { canonicalUnit, DATE_PARTS, INTERVAL_PARTS, TRUNC_UNITS } from '../common/date-parts.js';
import { strftimeFormatError } from '../common/strftime.js';
import { SluiceError, didYouMean } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { MAX_DECIMAL_PRECISION, T, asDecimal, decimalOf, decimalType, isNumeric, mapTypes, typeToString, type DataType, type Field } from '../common/types.js';
import { castRefusal } from './cast-rules.js';
import { bindCompared, collated, collationKey, isCollateCall, keyedExprs, refuseCollation } from './collations.js';
import { PATH_SEPARATORS } from '../common/path-separators.js';
import { clockForm, geomeanAggregate, quantileListAggregate, rewriteCallForm, topNAggregate } from './call-forms.js';
import { LIST_AGGREGATE_CALL } from '../common/aggregate-names.js';
import { foldConstantArgs } from './aggregate-args.js';
import { bindListLambda, lambdaVar, type LambdaScope } from './list-lambdas.js';
import { normalizeName, type CallExpr, type ExistsExpr, type Expr, type InSubqueryExpr, type ScalarSubqueryExpr } from '../parser/ast.js';
import { windowCallExample } from '../parser/window-calls.js';
import { WINDOW_ONLY_FUNCTIONS } from './window-items.js';
import { ROW_CALL } from '../parser/to-ast-rows.js';
import { QUANTIFIED_ALL, QUANTIFIED_ANY } from '../parser/to-ast-quantified.js';
import type { BoundExpr } from './bound-expr.js';
import type { Catalog } from './catalog.js';
import { AGGREGATE_ALIASES, AGGREGATE_FUNCTIONS, MAP_KEY_FUNCTIONS, SCALAR_FUNCTIONS, commonType, type AggregateFn } from './functions.js';
import { intervalSql } from './limits.js';

/** One column visible to expressions: `qualifier.name`. Hidden columns are not matched by `*`. */
export interface ScopeColumn {
  readonly qualifier?: string;
  readonly name: string;
  readonly type: DataType;
  readonly hidden?: boolean;
}

export class Scope {
  constructor(readonly columns: readonly ScopeColumn[]) {}

  /** Resolves `[qualifier.]name` to a column index, with ambiguity and "did you mean" errors. */
  resolve(qualifier: string | undefined, name: string, span: Span): number {
    const n = normalizeName(name);
    const q = qualifier === undefined ? undefined : normalizeName(qualifier);
    const matches: number[] = [];
    this.columns.forEach((c, i) => {
      if (normalizeName(c.name) === n && (q === undefined || (c.qualifier !== undefined && normalizeName(c.qualifier) === q))) matches.push(i);
    });
    if (matches.length > 1 && q === undefined) {
      // A key column hidden by a lookup join without ON (USING-like) yields to the visible one.
      const visible = matches.filter((i) => !this.columns[i]!.hidden);
      if (visible.length === 1) return visible[0]!;
    }
    if (matches.length === 1) return matches[0]!;
    const full = qualifier ? `${qualifier}.${name}` : name;
    if (matches.length > 1) {
      const quals = matches.map((i) => this.columns[i]!.qualifier).filter((x) => x !== undefined);
      throw new SluiceError('AMBIGUOUS_COLUMN', `column '${full}' is ambiguous`, {
        span,
        hint: quals.length ? `qualify it: ${quals.map((x) => `${x}.${name}`).join(' or ')}` : 'give the columns distinct aliases',
      });
    }
    if (q !== undefined && !this.columns.some((c) => c.qualifier !== undefined && normalizeName(c.qualifier) === q)) {
      // Relations a query can name: not the planner's own (hidden columns, names that start with a space).
      const quals = [...new Set(this.columns.filter((c) => !c.hidden).map((c) => c.qualifier).filter((x): x is string => x !== undefined && !x.startsWith(' ')))];
      throw new SluiceError('UNKNOWN_RELATION', `no relation named '${qualifier}' in FROM`, {
        span,
        hint: didYouMean(qualifier!, quals) ?? (quals.length ? `relations in scope: ${quals.join(', ')}` : undefined),
      });
    }
    const candidates = this.columns
      .filter((c) => !c.hidden && (q === undefined || (c.qualifier !== undefined && normalizeName(c.qualifier) === q)))
      .map((c) => c.name);
    throw new SluiceError('UNKNOWN_COLUMN', `unknown column '${full}'`, {
      span,
      hint:
        (q === undefined ? clockHint(name) : undefined) ??
        quotedStringHint(name) ??
        didYouMean(name, candidates) ??
        prefixOf(name, candidates) ??
        (candidates.length ? `available columns: ${[...new Set(candidates)].join(', ')}` : undefined),
    });
  }
}

/**
 * `p.city` where no relation is named `p` but a STRUCT column is: its field, as DuckDB reads it.
 * Undefined otherwise (the name is then resolved, or refused, as a qualified column).
 */
function structField(e: Extract<Expr, { kind: 'ColumnRef' }>, scope: Scope): Expr | undefined {
  const q = normalizeName(e.qualifier!.name);
  if (scope.columns.some((c) => c.qualifier !== undefined && normalizeName(c.qualifier) === q)) return undefined;
  const col = scope.columns.filter((c) => !c.hidden && normalizeName(c.name) === q);
  if (col.length !== 1 || col[0]!.type.kind !== 'STRUCT') return undefined;
  return { kind: 'FieldAccess', operand: { kind: 'ColumnRef', column: e.qualifier!, span: e.qualifier!.span }, field: e.column, span: e.span };
}

/**
 * A "column" no unquoted name could spell (`"card-1"`) was written in double quotes, which name
 * columns; the string was meant.
 */
function quotedStringHint(name: string): string | undefined {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return undefined;
  return `double quotes name a column; a string takes single quotes: '${name.replace(/'/g, "''")}'`;
}

/** `card` for `card_id`: a column whose name starts with the one written. */
function prefixOf(name: string, candidates: readonly string[]): string | undefined {
  const n = normalizeName(name);
  const hit = n.length >= 2 ? candidates.find((c) => normalizeName(c).startsWith(n)) : undefined;
  return hit === undefined ? undefined : `did you mean '${hit}'?`;
}

/** Hooks for the calls the expression binder does not handle itself. */
export interface BindHooks {
  /** predict('model', ...) and model_version('model'). */
  readonly special?: (call: CallExpr, bind: (e: Expr) => BoundExpr) => BoundExpr | undefined;
  /** An aggregate call; absent means aggregates are not allowed here. */
  readonly aggregate?: (call: CallExpr, bind: (e: Expr) => BoundExpr) => BoundExpr;
  /** A subquery (IN (SELECT ...), EXISTS, a scalar subquery); absent means none is allowed here. */
  readonly subquery?: (e: InSubqueryExpr | ExistsExpr | ScalarSubqueryExpr) => BoundExpr;
  /** Where this expression is, for the "not allowed here" message. */
  readonly clause?: string;
  /** The parameters of the lambdas this expression is in, by name (list-lambdas.ts). */
  readonly lambdas?: LambdaScope;
}

/**
 * `cond` (of `clause`: WHERE, HAVING, ON, QUALIFY, FILTER) as a condition: a BOOLEAN as it is,
 * NULL as a condition never TRUE. Any other type is refused, as PostgreSQL does (DuckDB casts a
 * number or a string to BOOLEAN: docs/sql.md, "Deliberate differences"): `WHERE amount` is more
 * often a slip than a test for non-zero, and a condition that is not TRUE drops the row silently.
 */
export function asCondition(cond: BoundExpr, clause: string, span: Span | undefined): BoundExpr {
  const t = cond.type;
  if (t.kind === 'BOOLEAN') return cond;
  if (t.kind === 'NULL') return { kind: 'Cast', operand: cond, type: T.BOOLEAN, ...(cond.span ? { span: cond.span } : {}) };
  throw new SluiceError('TYPE_MISMATCH', `${clause} needs a BOOLEAN condition, got ${typeToString(t)}`, {
    span,
    hint: isNumeric(t) ? 'compare the value, e.g. x <> 0 or x > 0' : t.kind === 'STRING' ? "compare the value (x = 'yes') or CAST(x AS BOOLEAN)" : 'compare the value, or test it: x IS NOT NULL',
  });
}

export function bindExpr(e: Expr, scope: Scope, catalog: Catalog, hooks: BindHooks = {}): BoundExpr {
  const bind = (x: Expr): BoundExpr => bindExpr(x, scope, catalog, hooks);
  switch (e.kind) {
    case 'Literal': {
      if (e.literal === 'integer') return bindInteger(e.value as number | bigint, e.span);
      const type: DataType =
        e.literal === 'decimal' ? decimalLiteralType(e.digits ?? String(e.value))
        : e.literal === 'string' ? T.STRING
        : e.literal === 'boolean' ? T.BOOLEAN
        : T.NULL;
      return { kind: 'Literal', value: e.value, type, span: e.span };
    }
    case 'Interval':
      if (e.months !== 0) {
        throw new SluiceError('UNSUPPORTED', `${intervalSql(e)} counts calendar months: it is supported added to or subtracted from a DATE or TIMESTAMP`, {
          span: e.span,
          hint: "e.g. ts + INTERVAL '1' MONTH or DATE_ADD(d, INTERVAL 1 YEAR); a month has no fixed length to be a value of its own",
        });
      }
      return { kind: 'Literal', value: e.millis, type: T.INTERVAL, span: e.span };
    case 'TimestampLiteral':
      return { kind: 'Literal', value: e.millis, type: e.type === 'DATE' ? T.DATE : e.type === 'TIME' ? T.TIME : T.TIMESTAMP, span: e.span };
    case 'ColumnRef': {
      const field = e.qualifier && structField(e, scope);
      if (field) return bind(field);
      // CURRENT_TIMESTAMP, CURRENT_DATE, ... written without parentheses, where no column has the name.
      const clock = e.qualifier ? undefined : clockForm(e.column.name, e.span);
      if (clock && !scope.columns.some((c) => normalizeName(c.name) === normalizeName(e.column.name))) return bind(clock);
      const index = scope.resolve(e.qualifier?.name, e.column.name, e.column.span);
      const col = scope.columns[index]!;
      return { kind: 'Column', index, name: col.name, type: col.type, span: e.span };
    }
    case 'Binary': {
      const collatedSides = COMPARISONS.has(e.op) ? bindCompared([e.left, e.right], bind) : undefined;
      if (collatedSides) return bindBinary(e.op, collatedSides[0]!, collatedSides[1]!, e.span);
      return calendarArithmetic(e.op, e.left, e.right, bind, e.span) ?? bindBinary(e.op, bind(e.left), bind(e.right), e.span);
    }
    case 'Unary': {
      // -9223372036854775808 is BIGINT's minimum although 9223372036854775808 alone is out of range.
      if (e.op === '-' && e.operand.kind === 'Literal' && e.operand.literal === 'integer') {
        return bindInteger(-BigInt(e.operand.value as number | bigint), e.span);
      }
      const operand = bind(e.operand);
      if (e.op === 'NOT') {
        expectType(operand, 'BOOLEAN', 'NOT');
        return { kind: 'Unary', op: 'NOT', operand, type: T.BOOLEAN, span: e.span };
      }
      if (!isNumeric(operand.type) && operand.type.kind !== 'INTERVAL' && operand.type.kind !== 'NULL') {
        throw typeError(`cannot negate a value of type ${typeToString(operand.type)}`, e.span);
      }
      return { kind: 'Unary', op: '-', operand, type: operand.type, span: e.span };
    }
    case 'IsNull':
      return { kind: 'IsNull', operand: bind(e.operand), negated: e.negated, type: T.BOOLEAN, span: e.span };
    case 'InSubquery':
    case 'Exists':
    case 'ScalarSubquery':
      if (hooks.subquery) return hooks.subquery(e);
      throw new SluiceError('UNSUPPORTED', `a subquery is not supported in ${hooks.clause ?? 'this expression'}`, {
        span: e.span,
        hint:
          hooks.clause === 'ON'
            ? "a subquery is supported in an inner join's ON, not an outer join's: join the subquery's rows in FROM (LEFT JOIN (SELECT ...) q ON ...) or test it in WHERE"
            : 'a subquery is supported in WHERE, HAVING (of a query that names its columns, not *), the select list, GROUP BY and aggregate arguments of a query (not inside another subquery)',
      });
    case 'In': {
      const collatedItems = bindCompared([e.operand, ...e.list], bind);
      const operand = collatedItems?.[0] ?? bind(e.operand);
      const list = collatedItems?.slice(1) ?? e.list.map((x) => literalAs(operand, bind(x)));
      for (const item of list) comparable(operand, item, e.span);
      return { kind: 'In', operand, list, negated: e.negated, type: T.BOOLEAN, span: e.span };
    }
    case 'Between': {
      const collatedItems = bindCompared([e.operand, e.low, e.high], bind);
      const operand = collatedItems?.[0] ?? bind(e.operand);
      const low = collatedItems?.[1] ?? literalAs(operand, bind(e.low));
      const high = collatedItems?.[2] ?? literalAs(operand, bind(e.high));
      comparable(operand, low, e.span);
      comparable(operand, high, e.span);
      return { kind: 'Between', operand, low, high, negated: e.negated, type: T.BOOLEAN, span: e.span };
    }
    case 'Like': {
      // s COLLATE nocase LIKE p: the pattern matched against s's key, both as the collation has them (as DuckDB).
      const collatedSides = bindCompared([e.operand, e.pattern], bind);
      const operand = collatedSides?.[0] ?? bind(e.operand);
      const pattern = collatedSides?.[1] ?? bind(e.pattern);
      const escape = e.escape ? bind(e.escape) : undefined;
      const what = e.caseInsensitive ? 'ILIKE' : 'LIKE';
      for (const x of [operand, pattern, ...(escape ? [escape] : [])]) expectType(x, 'STRING', what);
      if (escape) checkLikeEscape(pattern, escape);
      return { kind: 'Like', operand, pattern, ...(escape ? { escape } : {}), caseInsensitive: e.caseInsensitive, negated: e.negated, type: T.BOOLEAN, span: e.span };
    }
    case 'Case': {
      // CASE x COLLATE nocase WHEN 'a' ...: the operand and each WHEN compared by their keys.
      const collatedWhens = e.operand ? bindCompared([e.operand, ...e.whens.map((w) => w.when)], bind) : undefined;
      const operand = collatedWhens?.[0] ?? (e.operand ? bind(e.operand) : undefined);
      const whens = e.whens.map((w, i) => {
        const when = collatedWhens?.[i + 1] ?? (operand ? literalAs(operand, bind(w.when)) : bind(w.when));
        if (operand) comparable(operand, when, w.when.span);
        else expectType(when, 'BOOLEAN', e.written === 'IF' ? 'the condition of IF' : 'CASE WHEN');
        return { when, then: bind(w.then) };
      });
      const results = literalsAsOthers([...whens.map((w) => w.then), ...(e.else ? [bind(e.else)] : [])]);
      whens.forEach((w, i) => (w.then = results[i]!));
      const elseExpr = e.else ? results[results.length - 1] : undefined;
      let type: DataType | undefined = T.NULL;
      for (const r of results) {
        const next: DataType | undefined = type && commonType(type, r.type);
        if (!next) throw typeError(`CASE branches have different types: ${typeToString(type!)} and ${typeToString(r.type)}`, r.span ?? e.span);
        type = next;
      }
      return { kind: 'Case', ...(operand ? { operand } : {}), whens, ...(elseExpr ? { else: elseExpr } : {}), type: type!, span: e.span };
    }
    case 'Cast': {
      // A decimal literal is exact text to DuckDB (a DECIMAL): CAST(2.5 AS INT) and INSERT of 2.5
      // into an INT round half away from zero (3), which the exact text parse does; a DOUBLE
      // value would round ties to even.
      const digits = e.type.kind === 'INT' || e.type.kind === 'BIGINT' ? decimalDigits(e.operand) : undefined;
      const operand: BoundExpr = digits !== undefined ? { kind: 'Literal', value: digits, type: T.STRING, span: e.operand.span } : bind(e.operand);
      if (operand.type.kind === 'TIMESTAMP' && e.type.kind === 'INT') {
        throw typeError('cannot cast TIMESTAMP to INT: epoch milliseconds do not fit in 32 bits', e.span, 'CAST to BIGINT for epoch milliseconds');
      }
      // CAST(text AS JSON) checks and normalises the text (JSON(text)); any other value becomes its JSON (TO_JSON(x)).
      if (e.type.kind === 'STRING' && e.type.json) {
        const fn = operand.type.kind === 'STRING' || operand.type.kind === 'NULL' ? 'json' : 'to_json';
        return { kind: 'Call', fn, args: [operand], type: T.STRING, span: e.span };
      }
      const refusal = castRefusal(operand.type, e.type);
      if (refusal) throw typeError(refusal, e.span, 'docs/sql.md lists the casts there are; CAST through STRING or compute the value with a function');
      return { kind: 'Cast', operand, type: e.type, ...(e.try ? { try: true } : {}), span: e.span };
    }
    case 'Call':
      if (isCollateCall(e)) {
        // Outside a comparison or an ORDER BY, the value itself (SELECT s COLLATE nocase is s).
        if (hooks.clause === 'GROUP BY' || hooks.clause === 'SELECT DISTINCT') refuseCollation(hooks.clause, e.span);
        const c = collated(e);
        if (!c) return bindCall(e, bind, catalog, hooks);
        return collationKey(bind(c.operand), []);
      }
      // s COLLATE nocase GLOB p: matched by their keys, as LIKE (DuckDB).
      if (e.name.name.toLowerCase() === 'glob' && e.args.some(isCollateCall)) {
        const keyed = keyedExprs(e.args);
        for (const a of e.args) collationKey(bind(collated(a)?.operand ?? a), []);
        if (keyed) return bindCall({ ...e, args: keyed }, bind, catalog, hooks);
      }
      if (e.over) {
        throw new SluiceError('UNSUPPORTED', `a window function (OVER) is not supported in ${hooks.clause ?? 'this expression'}`, {
          span: e.over.span,
          hint: 'window functions go in the select list, ORDER BY or QUALIFY of a SELECT (filter on them with QUALIFY, or in a query over a subquery that selects them)',
        });
      }
      // LIST_TRANSFORM(l, x -> ...), LIST_FILTER, LIST_REDUCE: a lambda over the list's elements.
      return (catalog.findFunction(e.name.name) ? undefined : bindListLambda(e, hooks, (x, h) => bindExpr(x, scope, catalog, h))) ?? bindCall(e, bind, catalog, hooks);
    case 'FieldAccess': {
      const operand = bind(e.operand);
      if (operand.type.kind !== 'STRUCT') {
        throw typeError(`cannot read field '${e.field.name}' of a ${typeToString(operand.type)} value`, e.field.span);
      }
      const f = operand.type.fields.find((x) => normalizeName(x.name) === normalizeName(e.field.name));
      if (!f) {
        throw new SluiceError('UNKNOWN_COLUMN', `no field '${e.field.name}' in ${typeToString(operand.type)}`, {
          span: e.field.span,
          hint: didYouMean(e.field.name, operand.type.fields.map((x) => x.name)),
        });
      }
      return { kind: 'FieldAccess', operand, field: f.name, type: f.type, span: e.span };
    }
    case 'Index': {
      const operand = bind(e.operand);
      const index = bind(e.index);
      // A string's i-th character (from the end where i < 0; '' past either end), as DuckDB:
      // the slice s[i:i].
      const numeric = isNumeric(index.type) || index.type.kind === 'NULL';
      if (operand.type.kind === 'STRING' && numeric) {
        return bind({ kind: 'Call', name: { name: 'array_slice', span: e.span }, args: [e.operand, e.index, e.index], distinct: false, star: false, span: e.span });
      }
      // s['name'] reads a STRUCT's field, as s.name (DuckDB).
      if (operand.type.kind === 'STRUCT' && e.index.kind === 'Literal' && typeof e.index.value === 'string') {
        return bind({ kind: 'FieldAccess', operand: e.operand, field: { name: e.index.value, span: e.index.span }, span: e.span });
      }
      // m[k]: the value of key k (cast to the key type), NULL where m has none, as DuckDB.
      const map = mapTypes(operand.type);
      if (map) return { kind: 'Call', fn: 'map_extract_value', args: [operand, castTo(index, map.key)], type: map.value, span: e.span };
      if (operand.type.kind !== 'ARRAY') throw typeError(`cannot index a ${typeToString(operand.type)} value`, e.span);
      if (!numeric) throw typeError('an array index must be a number', e.index.span);
      return { kind: 'Index', operand, index, type: operand.type.element, span: e.span };
    }
    case 'Lambda':
      // json -> 'path' (DuckDB's JSON arrow) where no lambda can stand: JSON_EXTRACT(json, 'path').
      if (e.params.length === 1 && e.body.kind === 'Literal' && (typeof e.body.value === 'string' || typeof e.body.value === 'number' || typeof e.body.value === 'bigint')) {
        const json: Expr = { kind: 'ColumnRef', column: e.params[0]!, span: e.params[0]!.span };
        return bind({ kind: 'Call', name: { name: 'json_extract', span: e.span }, args: [json, e.body], distinct: false, star: false, span: e.span });
      }
      throw new SluiceError('INVALID_ARGUMENT', 'a lambda (x -> ...) is an argument of LIST_TRANSFORM, LIST_FILTER or LIST_REDUCE', {
        span: e.span,
        hint: 'e.g. LIST_TRANSFORM(l, x -> x * 2), LIST_FILTER(l, x -> x > 0), LIST_REDUCE(l, (acc, x) -> acc + x)',
      });
    case 'LambdaRef':
      return lambdaVar(e, hooks.lambdas);
    case 'Array': {
      const elements = literalsAsOthers(e.elements.map(bind));
      let t: DataType | undefined = T.NULL;
      for (const x of elements) t = t && commonType(t, x.type);
      if (!t) throw typeError('array elements must share one type', e.span);
      return { kind: 'Array', elements, type: { kind: 'ARRAY', element: t, size: elements.length }, span: e.span };
    }
  }
}

function bindCall(e: CallExpr, bind: (e: Expr) => BoundExpr, catalog: Catalog, hooks: BindHooks): BoundExpr {
  const name = normalizeName(e.name.name);
  const special = hooks.special?.(e, bind);
  if (special) return special;
  if (Object.hasOwn(AGGREGATE_FUNCTIONS, name)) {
    // MAX(x, n), ARG_MAX(a, v, n), ...: a list of the n first, as a LIST aggregate ranked and cut.
    const form = catalog.findFunction(name) ? undefined : (topNAggregate(e) ?? quantileListAggregate(e) ?? geomeanAggregate(e));
    if (form) return bind(form);
    if (!hooks.aggregate) {
      throw new SluiceError('INVALID_ARGUMENT', `aggregate ${name.toUpperCase()}() is not allowed in ${hooks.clause ?? 'this clause'}`, {
        span: e.span,
        hint: 'aggregates belong in the SELECT list or HAVING of a query with GROUP BY',
      });
    }
    return hooks.aggregate(e, bind);
  }
  if (e.filter) {
    throw new SluiceError('INVALID_ARGUMENT', `FILTER (WHERE ...) applies to aggregates, and ${name.toUpperCase()} is not one`, { span: e.filter.span, hint: 'filter the rows with WHERE, or choose with CASE WHEN ... THEN ... END' });
  }
  // LIKE_ESCAPE(s, p, e), STRUCT_EXTRACT(x, 'f'), LIST_AGGREGATE(l, 'sum'), ...: another form of SQL.
  const form = catalog.findFunction(name) ? undefined : rewriteCallForm(e);
  if (form) return bind(form);
  if (name === LIST_AGGREGATE_CALL) return bindListAggregate(e, bind);
  // HOUR(ts), YEAR(ts), DAYOFWEEK(ts), ...: DuckDB's names for DATE_PART('hour', ts), ...
  const part = PART_FUNCTIONS[name];
  if (part !== undefined && !catalog.findFunction(name)) return bindPart(name, part, e.args.map(bind), e);
  // DATE_ADD(t, INTERVAL '1' MONTH): calendar months as `t + INTERVAL` adds them.
  if (name === 'date_add' && e.args.length === 2 && !catalog.findFunction(name)) {
    const added = calendarArithmetic('+', e.args[0]!, e.args[1]!, bind, e.span);
    if (added) return added;
    // DATE_ADD(d, n): n days later, a DATE (as d + n).
    const [time, days] = e.args.map(bind) as [BoundExpr, BoundExpr];
    if (time.type.kind === 'DATE' && isInteger(days.type.kind)) return bind({ kind: 'Binary', op: '+', left: e.args[0]!, right: e.args[1]!, span: e.span });
  }
  if (name === QUANTIFIED_ANY || name === QUANTIFIED_ALL) {
    const operand = e.args[0]?.kind === 'ScalarSubquery' ? '(SELECT ...)' : '(list)';
    throw new SluiceError('SYNTAX_ERROR', `${name === QUANTIFIED_ALL ? 'ALL' : 'ANY'} ${operand} must follow a comparison operator`, { span: e.span, hint: 'e.g. x > ALL (SELECT ...) or x = ANY (SELECT ...)' });
  }
  if (name === ROW_CALL) {
    throw new SluiceError('UNSUPPORTED', 'a row value (a, b, ...) is supported compared with another row value, or with IN', { span: e.span, hint: 'e.g. (a, b) = (1, 2), (a, b) IN ((1, 2), (3, 4)) or (a, b) IN (SELECT x, y FROM t)' });
  }
  const written = e.args.map(bind);
  const bound = ONE_TYPE_CALLS.has(name) && !catalog.findFunction(name) ? literalsAsOthers(written) : written;
  // TYPEOF(x): the name DuckDB gives x's type, known when the query is planned.
  if (name === 'typeof' && bound.length === 1 && !catalog.findFunction(name)) return { kind: 'Literal', value: duckTypeName(bound[0]!.type), type: T.STRING, span: e.span };
  if (name === 'struct_pack' && !catalog.findFunction(name)) return bindStruct(bound, e);
  if (name === 'struct_insert' && !catalog.findFunction(name)) return bindStructInsert(bound, e);
  // JSON_EXTRACT(j, '$.items[*].id') and JSON_EXTRACT(j, ['$.a', '$.b']) give a list, as DuckDB.
  if ((name === 'json_extract' || name === 'json_extract_string') && bound.length === 2 && !catalog.findFunction(name) && manyJsonPaths(bound[1]!)) {
    const fn = `${name}_many`;
    const t = SCALAR_FUNCTIONS[fn]!(bound.map((b) => b.type));
    if (typeof t === 'string') throw typeError(`${name.toUpperCase()}(${bound.map((b) => typeToString(b.type)).join(', ')}): ${name.toUpperCase()} ${t}`, e.span);
    return { kind: 'Call', fn, args: bound, type: t, span: e.span };
  }
  // EPOCH_MS(n) of an integer is the TIMESTAMP n milliseconds after 1970 (of a TIMESTAMP, its milliseconds), as DuckDB.
  if (name === 'epoch_ms' && bound.length === 1 && isInteger(bound[0]!.type.kind) && !catalog.findFunction(name)) return { kind: 'Cast', operand: bound[0]!, type: T.TIMESTAMP, span: e.span };
  // RANGE and GENERATE_SERIES of times by an INTERVAL step: a list of TIMESTAMPs, as DuckDB.
  if ((name === 'range' || name === 'generate_series') && bound.length === 3 && bound.slice(0, 2).every((b) => isTime(b.type.kind) || b.type.kind === 'NULL') && bound.some((b) => isTime(b.type.kind)) && (bound[2]!.type.kind === 'INTERVAL' || bound[2]!.type.kind === 'NULL') && !catalog.findFunction(name)) {
    return { kind: 'Call', fn: name === 'range' ? 'time_range' : 'time_series', args: bound, type: { kind: 'ARRAY', element: T.TIMESTAMP }, span: e.span };
  }
  // DATE_PART('epoch', ts) is seconds as a fraction (DOUBLE) where every other part is whole,
  // DATE_PART('julian', ts) the Julian day with its fraction: the functions EPOCH and JULIAN.
  const fraction = name === 'date_part' ? fractionPart(bound[0]) : undefined;
  const epoch = fraction !== undefined;
  if (name === 'date_part' && !epoch && bound.length === 2 && bound[1]!.type.kind === 'INTERVAL' && (bound[0]!.type.kind === 'STRING' || bound[0]!.type.kind === 'NULL') && !catalog.findFunction(name)) return intervalPart(bound[0]!, bound[1]!, e);
  if (name === 'date_part' && bound.length === 2 && bound[1]!.type.kind === 'TIME' && (bound[0]!.type.kind === 'STRING' || bound[0]!.type.kind === 'NULL') && !catalog.findFunction(name)) return timePart(bound[0]!, bound[1]!, e);
  const args = epoch ? bound.slice(1) : bound;
  const rule = SCALAR_FUNCTIONS[fraction ?? name];
  if (fraction && rule) {
    const t = rule(args.map((a) => a.type));
    if (typeof t === 'string') throw typeError(`DATE_PART('${fraction}', ${args.map((a) => typeToString(a.type)).join(', ')}): DATE_PART ${t}`, e.span);
    return { kind: 'Call', fn: fraction, args, type: t, span: e.span };
  }
  if (rule) {
    const t = rule(args.map((a) => a.type));
    if (typeof t === 'string') {
      // A bare NULL (a value of type NULL: NULL whatever the row) where the function wants a number,
      // list, ...: NULL of the type the call would have, as DuckDB's ROUND(NULL, 1) or LIST_SUM(NULL).
      const asNull = nullCallType(rule, args.map((a) => a.type));
      if (asNull) return { kind: 'Literal', value: null, type: asNull, span: e.span };
      throw typeError(`${name.toUpperCase()}(${args.map((a) => typeToString(a.type)).join(', ')}): ${name.toUpperCase()} ${t}`, e.span);
    }
    checkConstantUnit(name, args);
    const rounded = decimalRounding(name, args);
    if (rounded) return { kind: 'Call', fn: name === 'ceiling' ? 'ceil' : name, args, type: rounded, span: e.span };
    // DIVIDE (a // b) of numbers that are not both integers is a / b, as in DuckDB.
    if (name === 'divide' && t.kind === 'DOUBLE') return bindBinary('/', args[0]!, args[1]!, e.span);
    if (name === 'time_bucket') return bindTimeBucket(args, e);
    // The list and the value as the list type both fit in (an INT list with a BIGINT value is a BIGINT list).
    if (name === 'list_append' || name === 'list_prepend') {
      const [list, value] = name === 'list_append' ? [0, 1] : [1, 0];
      const typed = [...args];
      typed[list] = castTo(args[list]!, t);
      typed[value] = castTo(args[value]!, (t as Extract<DataType, { kind: 'ARRAY' }>).element);
      return { kind: 'Call', fn: name, args: typed, type: t, span: e.span };
    }
    // A key looked up in a MAP is cast to the map's key type first ('1' finds the INT key 1), as DuckDB.
    const map = MAP_KEY_FUNCTIONS.has(name) ? mapTypes(args[0]!.type) : undefined;
    if (map) return { kind: 'Call', fn: name === 'element_at' ? 'map_extract' : name, args: [args[0]!, castTo(args[1]!, map.key)], type: t, span: e.span };
    // The keys and values of MAP(keys, values) and MAP_CONCAT as the map's types.
    const made = name === 'map' || name === 'map_concat' ? mapTypes(t) : undefined;
    if (made && name === 'map' && args.length === 2) return { kind: 'Call', fn: name, args: [listOf(args[0]!, made.key), listOf(args[1]!, made.value)], type: t, span: e.span };
    if (made) return { kind: 'Call', fn: name, args: args.map((a) => castTo(a, t)), type: t, span: e.span };
    // Values written into text are written as CAST writes them; IFNULL is COALESCE of two.
    const typed = name === 'concat' ? args.map(asText) : name === 'concat_ws' ? [args[0]!, ...args.slice(1).map(asText)] : args;
    return { kind: 'Call', fn: name === 'ifnull' ? 'coalesce' : name, args: typed, type: t, span: e.span };
  }
  const udf = catalog.findFunction(name);
  if (udf) {
    if (udf.params.length !== args.length) {
      throw typeError(`${udf.name} takes ${udf.params.length} argument(s), got ${args.length}`, e.span);
    }
    udf.params.forEach((p, i) => {
      const a = args[i]!;
      if (!acceptsArgument(p.type, a.type)) {
        throw typeError(`argument ${i + 1} of ${udf.name} is ${typeToString(a.type)}, but its parameter ${p.name} is ${typeToString(p.type)}`, a.span ?? e.span, `use CAST(... AS ${typeToString(p.type)}) if the value converts`);
      }
    });
    // A function sees its declared parameter types: a BIGINT argument for a DOUBLE parameter arrives as a number.
    const typed = args.map((a, i): BoundExpr => {
      const p = udf.params[i]!.type;
      return isNumeric(p) && isNumeric(a.type) && p.kind !== a.type.kind ? { kind: 'Cast', operand: a, type: p, span: a.span } : a;
    });
    return { kind: 'Udf', name: udf.name, args: typed, type: udf.returns, span: e.span };
  }
  if (WINDOW_ONLY_FUNCTIONS.has(normalizeName(e.name.name))) {
    const name = e.name.name.toUpperCase();
    throw new SluiceError('INVALID_ARGUMENT', `${name} is a window function: it needs an OVER clause`, {
      span: e.span,
      hint: `e.g. ${name}(${RANKING_EXAMPLE_ARGS[normalizeName(e.name.name)] ?? ''}) OVER (PARTITION BY k ORDER BY ts) in the select list; to filter rows by it, use QUALIFY`,
    });
  }
  const known = [...Object.keys(SCALAR_FUNCTIONS), ...Object.keys(AGGREGATE_FUNCTIONS), 'predict', 'model_version', 'model_role', ...catalog.listFunctions().map((f) => f.name)];
  const window = windowCallExample(e.name.name);
  throw new SluiceError('UNKNOWN_FUNCTION', `unknown function '${e.name.name}'`, {
    span: e.name.span,
    hint: window
      ? `${e.name.name.toUpperCase()} is a window table function, used in FROM: FROM TABLE(${window}) ... GROUP BY window_start, window_end`
      : (clockHint(e.name.name) ?? didYouMean(e.name.name, known) ?? 'register it with CREATE FUNCTION'),
  });
}

/** The arguments of a window-only function in the OVER example of its error. */
const RANKING_EXAMPLE_ARGS: Readonly<Record<string, string>> = { ntile: '4', lag: 'x', lead: 'x', first_value: 'x', last_value: 'x', nth_value: 'x, 2' };

/** The list `x` as a list of `element`: itself where its elements already are (whatever its length), or NULL. */
function listOf(x: BoundExpr, element: DataType): BoundExpr {
  return x.type.kind === 'ARRAY' && typeToString(x.type.element) === typeToString(element) ? x : castTo(x, { kind: 'ARRAY', element });
}

/** `x` as type `t`: itself where it already is one, or NULL. */
function castTo(x: BoundExpr, t: DataType): BoundExpr {
  return x.type.kind === 'NULL' || typeToString(x.type) === typeToString(t) ? x : { kind: 'Cast', operand: x, type: t, span: x.span };
}

/**
 * TIME_BUCKET(width, ts[, origin | offset]): a third argument that is an INTERVAL moves the
 * default origin (time_bucket_offset); the bucket of a DATE is a DATE, as DuckDB's.
 */
function bindTimeBucket(args: readonly BoundExpr[], e: CallExpr): BoundExpr {
  const offset = args[2]?.type.kind === 'INTERVAL';
  const call: BoundExpr = { kind: 'Call', fn: offset ? 'time_bucket_offset' : 'time_bucket', args, type: T.TIMESTAMP, span: e.span };
  return args[1]!.type.kind === 'DATE' ? { kind: 'Cast', operand: call, type: T.DATE, span: e.span } : call;
}

/** A type as DuckDB names it (TYPEOF): INTEGER, VARCHAR, BLOB, TIMESTAMP, INTEGER[], STRUCT(a INTEGER). */
function duckTypeName(t: DataType): string {
  switch (t.kind) {
    case 'INT':
      return 'INTEGER';
    case 'STRING':
      return 'VARCHAR';
    case 'BYTES':
      return 'BLOB';
    case 'TIMESTAMP':
      return 'TIMESTAMP';
    case 'TIME':
      return 'TIME';
    // DuckDB quotes this one name.
    case 'NULL':
      return '"NULL"';
    case 'ARRAY': {
      const map = mapTypes(t);
      return map ? `MAP(${duckTypeName(map.key)}, ${duckTypeName(map.value)})` : `${duckTypeName(t.element)}[]`;
    }
    case 'STRUCT':
      return `STRUCT(${t.fields.map((f) => `${f.name} ${duckTypeName(f.type)}`).join(', ')})`;
    case 'DOUBLE':
      return typeToString(t);
    default:
      return t.kind;
  }
}

/**
 * STRUCT_INSERT(s, c := x) (the struct, then names and values): the fields of s, then the new
 * ones, as DuckDB; of a NULL s, its fields NULL.
 */
function bindStructInsert(args: readonly BoundExpr[], e: CallExpr): BoundExpr {
  const struct = args[0];
  if (!struct || struct.type.kind !== 'STRUCT') {
    throw typeError(`STRUCT_INSERT takes a STRUCT, then the fields to add by name${struct ? `, got ${typeToString(struct.type)}` : ''}`, struct?.span ?? e.span, 'e.g. STRUCT_INSERT(s, c := 3)');
  }
  if (args.length < 3) throw typeError('STRUCT_INSERT takes at least one field to add (name := value)', e.span, 'e.g. STRUCT_INSERT(s, c := 3)');
  const own = struct.type.fields.flatMap((f): BoundExpr[] => [
    { kind: 'Literal', value: f.name, type: T.STRING, span: e.span },
    { kind: 'FieldAccess', operand: struct, field: f.name, type: f.type, span: e.span },
  ]);
  return bindStruct([...own, ...args.slice(1)], e);
}

/** Types a bare NULL argument is tried as, in turn, when a function refuses the NULL type itself. */
const NULL_ARGUMENT_TYPES: readonly DataType[] = [T.INT, T.BIGINT, T.DOUBLE, T.STRING, T.BOOLEAN, T.TIMESTAMP, T.DATE, { kind: 'ARRAY', element: T.BIGINT }, { kind: 'ARRAY', element: T.DOUBLE }, { kind: 'ARRAY', element: T.STRING }];

/**
 * The type of a call some of whose arguments are of type NULL (always NULL) and which the
 * function's rule refuses as they are: the rule's type with those arguments of the first type in
 * NULL_ARGUMENT_TYPES it takes, or undefined when none does (the call is wrong for other reasons).
 */
function nullCallType(rule: (types: readonly DataType[]) => DataType | string, types: readonly DataType[]): DataType | undefined {
  if (!types.some((t) => t.kind === 'NULL')) return undefined;
  for (const candidate of NULL_ARGUMENT_TYPES) {
    const t = rule(types.map((x) => (x.kind === 'NULL' ? candidate : x)));
    if (typeof t !== 'string') return t;
  }
  return undefined;
}

/** `{'a': x, 'b': y}` (STRUCT_PACK('a', x, 'b', y)): a STRUCT of those fields, each named once. */
function bindStruct(args: readonly BoundExpr[], e: CallExpr): BoundExpr {
  const fields: Field[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]!;
    const value = args[i + 1];
    if (key.kind !== 'Literal' || typeof key.value !== 'string' || !value) {
      throw typeError('a STRUCT value is written {name: value, ...}', key.span ?? e.span, "e.g. {'city': 'Oslo', 'zip': 150}");
    }
    if (fields.some((f) => normalizeName(f.name) === normalizeName(key.value as string))) {
      throw typeError(`field '${key.value}' is named twice in this STRUCT`, key.span ?? e.span, 'give each field its own name');
    }
    fields.push({ name: key.value, type: value.type.kind === 'NULL' ? T.INT : value.type, nullable: true });
  }
  if (fields.length === 0) throw typeError('a STRUCT value needs at least one field', e.span, "e.g. {'a': 1}");
  return { kind: 'Call', fn: 'struct_pack', args, type: { kind: 'STRUCT', fields }, span: e.span };
}

/**
 * ROUND, TRUNC, FLOOR and CEIL of a DECIMAL, as DuckDB types them: the same digits, at the
 * decimals asked for (a constant `d` from 0 to the scale; none for FLOOR, CEIL and one argument).
 */
function decimalRounding(name: string, args: readonly BoundExpr[]): DataType | undefined {
  const d = args[0] && decimalOf(args[0].type);
  if (!d || !['round', 'trunc', 'floor', 'ceil', 'ceiling'].includes(name)) return undefined;
  const digits = args[1];
  if (!digits) return decimalType(d.precision, 0);
  if (digits.kind !== 'Literal' || typeof digits.value !== 'number') return args[0]!.type;
  return decimalType(d.precision, Math.min(d.scale, Math.max(0, digits.value)));
}

/**
 * The type of a number literal with a point, as DuckDB's: DECIMAL of as many digits as written
 * (`1.50` is DECIMAL(3, 2), `0.001` DECIMAL(4, 3)); with an exponent, or past 38 digits, a DOUBLE.
 */
function decimalLiteralType(text: string): DataType {
  const t = text.replace(/_/g, '').replace(/^[+-]/, '');
  if (/[eE]/.test(t)) return T.DOUBLE;
  const [whole = '', fraction = ''] = t.split('.');
  const precision = whole.length + fraction.length;
  return precision > MAX_DECIMAL_PRECISION ? T.DOUBLE : decimalType(precision, fraction.length);
}

/** The exact text of a decimal literal, or of a negated one; undefined for anything else. */
function decimalDigits(e: Expr): string | undefined {
  if (e.kind === 'Literal' && e.literal === 'decimal') return e.digits ?? String(e.value);
  if (e.kind === 'Unary' && e.op === '-') {
    const inner = decimalDigits(e.operand);
    return inner === undefined ? undefined : inner.startsWith('-') ? inner.slice(1) : `-${inner}`;
  }
  return undefined;
}

/**
 * An integer literal: INT when it fits 32 bits, else BIGINT (a bigint value), as DuckDB types
 * literals. Beyond 64 bits DuckDB would make a HUGEINT; Sluice has none, so it is an error.
 */
function bindInteger(value: number | bigint, span: Span): BoundExpr {
  if (value >= -2147483648 && value <= 2147483647) return { kind: 'Literal', value: Number(value), type: T.INT, span };
  const big = BigInt(value);
  if (big < -(2n ** 63n) || big > 2n ** 63n - 1n) {
    throw new SluiceError('TYPE_MISMATCH', `integer literal ${big} is out of range for BIGINT [-9223372036854775808, 9223372036854775807]`, {
      span,
      hint: 'for a number this large write a DOUBLE, e.g. 9.3e18 (approximate)',
    });
  }
  return { kind: 'Literal', value: big, type: T.BIGINT, span };
}

/**
 * An operand of `||` or CONCAT as text: a value of another type is written as CAST(x AS STRING)
 * writes it (DOUBLE 3 as `3.0`, a TIMESTAMP as `2024-01-01 10:00:00`, an array as JSON), as
 * DuckDB does, not as its number or JavaScript's text.
 */
export function asText(a: BoundExpr): BoundExpr {
  if (a.type.kind === 'STRING' || a.type.kind === 'NULL' || castRefusal(a.type, T.STRING) !== undefined) return a;
  return { kind: 'Cast', operand: a, type: T.STRING, ...(a.span ? { span: a.span } : {}) };
}

function bindBinary(op: import('../parser/ast.js').BinaryOp, boundLeft: BoundExpr, boundRight: BoundExpr, span: Span): BoundExpr {
  const comparison = COMPARISONS.has(op);
  const left = comparison ? literalAs(boundRight, boundLeft) : boundLeft;
  const right = comparison ? literalAs(boundLeft, boundRight) : boundRight;
  const mk = (type: DataType): BoundExpr => ({ kind: 'Binary', op, left, right, type, span });
  switch (op) {
    case 'AND':
    case 'OR':
      expectType(left, 'BOOLEAN', op);
      expectType(right, 'BOOLEAN', op);
      return mk(T.BOOLEAN);
    case '=':
    case '<>':
    case '<':
    case '<=':
    case '>':
    case '>=':
    case 'IS DISTINCT FROM':
    case 'IS NOT DISTINCT FROM':
      comparable(left, right, span);
      return mk(T.BOOLEAN);
    case '||': {
      // Of two lists, || is their concatenation (DuckDB), not text; NULL when either is NULL
      // (LIST_CONCAT itself reads a NULL list as empty).
      if (left.type.kind === 'ARRAY' || right.type.kind === 'ARRAY') {
        const t = SCALAR_FUNCTIONS['list_concat']!([left.type, right.type]);
        if (typeof t === 'string') throw typeError(`cannot apply '||' to ${typeToString(left.type)} and ${typeToString(right.type)}: || of lists ${t}`, span);
        const isNull = (x: BoundExpr): BoundExpr => ({ kind: 'IsNull', operand: x, negated: false, type: T.BOOLEAN });
        const either: BoundExpr = { kind: 'Binary', op: 'OR', left: isNull(left), right: isNull(right), type: T.BOOLEAN };
        return { kind: 'Case', whens: [{ when: either, then: { kind: 'Literal', value: null, type: t } }], else: { kind: 'Call', fn: 'list_concat', args: [left, right], type: t, span }, type: t, span };
      }
      // Of two BLOBs, their bytes one after the other (DuckDB).
      const bytes = (x: BoundExpr): boolean => x.type.kind === 'BYTES' || x.type.kind === 'NULL';
      if ((left.type.kind === 'BYTES' || right.type.kind === 'BYTES') && bytes(left) && bytes(right)) return { kind: 'Call', fn: 'blob_concat', args: [left, right], type: T.BYTES, span };
      return { kind: 'Binary', op, left: asText(left), right: asText(right), type: T.STRING, span };
    }
    case '+':
    case '-': {
      const l = left.type.kind;
      const r = right.type.kind;
      const dates = dateArithmetic(op, left, right, span) ?? timeArithmetic(op, left, right, span);
      if (dates) return dates;
      if (isTime(l) && (r === 'INTERVAL' || r === 'NULL')) return mk(T.TIMESTAMP);
      if (op === '+' && l === 'INTERVAL' && isTime(r)) return mk(T.TIMESTAMP);
      if (op === '-' && isTime(l) && isTime(r)) return mk(T.INTERVAL);
      if (l === 'INTERVAL' && r === 'INTERVAL') return mk(T.INTERVAL);
      return mk(arith(op, left, right, span));
    }
    case '*':
    case '%':
      if (op === '*') {
        // INTERVAL * n and n * INTERVAL: the interval n times (DuckDB).
        const scaled = intervalScaled(left, right, false, span) ?? intervalScaled(right, left, false, span);
        if (scaled) return scaled;
      }
      return mk(arith(op, left, right, span));
    case '/':
      {
        const divided = intervalScaled(left, right, true, span);
        if (divided) return divided;
      }
      // A FLOAT divided by a FLOAT or an exact number is a FLOAT division, as DuckDB's.
      return mk(arith(op, left, right, span).kind === 'FLOAT' ? T.FLOAT : T.DOUBLE);
  }
}

/** `interval * n` or `interval / n` (to the millisecond), or undefined when `interval` is not an INTERVAL and `n` a number. */
function intervalScaled(interval: BoundExpr, n: BoundExpr, divide: boolean, span: Span): BoundExpr | undefined {
  if (interval.type.kind !== 'INTERVAL' || !(isNumeric(n.type) || n.type.kind === 'NULL')) return undefined;
  return { kind: 'Call', fn: divide ? 'interval_divide' : 'interval_scale', args: [interval, n], type: T.INTERVAL, span };
}

const isTime = (k: DataType['kind']): boolean => k === 'TIMESTAMP' || k === 'DATE';

/**
 * `t + INTERVAL '1 month 2 days'`, `INTERVAL ... + t`, `t - INTERVAL ...` with calendar months, as
 * DuckDB adds them: the months first (the same day of the month, or the month's last day where
 * it has fewer: 2024-01-31 + 1 month is 2024-02-29), then the rest; a TIMESTAMP (a DATE is its
 * midnight). Undefined when no operand is such an interval.
 */
function calendarArithmetic(op: string, left: Expr, right: Expr, bind: (e: Expr) => BoundExpr, span: Span): BoundExpr | undefined {
  const months = (e: Expr): e is Extract<Expr, { kind: 'Interval' }> => e.kind === 'Interval' && e.months !== 0;
  if (op !== '+' && op !== '-') return undefined;
  const [interval, timeAst] = months(right) ? [right, left] : op === '+' && months(left) ? [left, right] : [undefined, undefined];
  if (!interval || !timeAst) return undefined;
  const time = bind(timeAst);
  if (!isTime(time.type.kind) && time.type.kind !== 'NULL') {
    throw typeError(`cannot ${op === '+' ? 'add' : 'subtract'} ${intervalSql(interval)} ${op === '+' ? 'to' : 'from'} ${typeToString(time.type)}`, span, 'months are added to a DATE or TIMESTAMP');
  }
  const sign = op === '-' ? -1 : 1;
  const shifted: BoundExpr = { kind: 'Call', fn: 'add_months', args: [time, { kind: 'Literal', value: sign * interval.months, type: T.INT, span: interval.span }], type: T.TIMESTAMP, span };
  if (interval.millis === 0) return shifted;
  return bindBinary('+', shifted, { kind: 'Literal', value: sign * interval.millis, type: T.INTERVAL, span: interval.span }, span);
}
const isInteger = (k: DataType['kind']): boolean => k === 'INT' || k === 'BIGINT';

/**
 * Day arithmetic of DATEs, as DuckDB has it: `date + n`, `n + date` and `date - n` are the DATE n
 * days on (ADD_DAYS), `date - date` the BIGINT number of days between them. A DATE with an
 * INTERVAL is the TIMESTAMP of its midnight (left to the caller), as in DuckDB.
 */
function dateArithmetic(op: '+' | '-', left: BoundExpr, right: BoundExpr, span: Span): BoundExpr | undefined {
  const [l, r] = [left.type.kind, right.type.kind];
  const call = (fn: string, args: BoundExpr[], type: DataType): BoundExpr => ({ kind: 'Call', fn, args, type, span });
  if (l === 'DATE' && isInteger(r)) return call('add_days', [left, op === '+' ? right : { kind: 'Unary', op: '-', operand: right, type: right.type, span }], T.DATE);
  if (op === '+' && isInteger(l) && r === 'DATE') return call('add_days', [right, left], T.DATE);
  if (op === '-' && l === 'DATE' && r === 'DATE') return call('date_diff', [{ kind: 'Literal', value: 'day', type: T.STRING, span }, right, left], T.BIGINT);
  return undefined;
}

/**
 * TIME arithmetic, as DuckDB has it: `time ± interval` and `interval + time` are the TIME that
 * far on, around the clock (23:00 + 2 hours is 01:00); `time - time` the INTERVAL between them;
 * `date + time` and `time + date` the TIMESTAMP of that date at that time.
 */
function timeArithmetic(op: '+' | '-', left: BoundExpr, right: BoundExpr, span: Span): BoundExpr | undefined {
  const [l, r] = [left.type.kind, right.type.kind];
  if (l !== 'TIME' && r !== 'TIME') return undefined;
  const add = (time: BoundExpr, interval: BoundExpr): BoundExpr => ({ kind: 'Call', fn: 'time_add', args: [time, interval], type: T.TIME, span });
  const minus = (x: BoundExpr): BoundExpr => ({ kind: 'Unary', op: '-', operand: x, type: x.type, span });
  if (l === 'TIME' && (r === 'INTERVAL' || r === 'NULL')) return add(left, op === '+' ? right : minus(right));
  if (op === '+' && l === 'INTERVAL' && r === 'TIME') return add(right, left);
  if (op === '-' && l === 'TIME' && r === 'TIME') return { kind: 'Binary', op, left, right, type: T.INTERVAL, span };
  if (op === '+' && ((l === 'DATE' && r === 'TIME') || (l === 'TIME' && r === 'DATE'))) return { kind: 'Binary', op, left, right, type: T.TIMESTAMP, span };
  throw typeError(`cannot apply '${op}' to ${typeToString(left.type)} and ${typeToString(right.type)}`, span, 'a TIME takes an INTERVAL added or subtracted, another TIME subtracted, or a DATE added');
}

/** A constant ESCAPE is one character or empty, and a constant pattern does not end with a lone escape. */
function checkLikeEscape(pattern: BoundExpr, escape: BoundExpr): void {
  if (escape.kind !== 'Literal' || typeof escape.value !== 'string') return;
  const c = escape.value;
  if ([...c].length > 1) {
    throw new SluiceError('INVALID_ARGUMENT', `the ESCAPE of LIKE must be one character or empty, got '${c}'`, { span: escape.span, hint: "write e.g. ESCAPE '\\' and put it before a % or _ that stands for itself" });
  }
  if (c === '' || pattern.kind !== 'Literal' || typeof pattern.value !== 'string') return;
  let escaped = false;
  for (const ch of pattern.value) escaped = !escaped && ch === c;
  if (escaped) {
    throw new SluiceError('INVALID_ARGUMENT', `the LIKE pattern ends with the escape character '${c}'`, { span: pattern.span, hint: `write ${c}${c} for the escape character itself` });
  }
}

function arith(op: string, left: BoundExpr, right: BoundExpr, span: Span): DataType {
  const t = isNumeric(left.type) || left.type.kind === 'NULL' ? commonType(left.type, right.type) : undefined;
  if (!t || !(isNumeric(t) || t.kind === 'NULL')) {
    throw typeError(`cannot apply '${op}' to ${typeToString(left.type)} and ${typeToString(right.type)}`, span, 'use CAST to convert one side');
  }
  return t.kind === 'NULL' ? T.DOUBLE : decimalArithmetic(op, left.type, right.type) ?? t;
}

/**
 * The DECIMAL that `a op b` gives where both are DECIMALs or integers and one a DECIMAL, as
 * DuckDB types it: + and - one digit more than the wider side, * the digits and decimals of both
 * added, % the wider side; undefined otherwise (a FLOAT or DOUBLE makes a DOUBLE).
 */
function decimalArithmetic(op: string, a: DataType, b: DataType): DataType | undefined {
  if (a.kind !== 'DOUBLE' && b.kind !== 'DOUBLE') return undefined;
  const x = a.kind === 'NULL' ? asDecimal(b) : asDecimal(a);
  const y = b.kind === 'NULL' ? asDecimal(a) : asDecimal(b);
  if (!x || !y) return undefined;
  const scale = Math.max(x.scale, y.scale);
  const whole = Math.max(x.precision - x.scale, y.precision - y.scale);
  switch (op) {
    case '+':
    case '-':
      return decimalType(whole + scale + 1, scale);
    case '*':
      return decimalType(x.precision + y.precision, x.scale + y.scale);
    case '%':
      return decimalType(whole + scale, scale);
    default:
      return undefined;
  }
}

/** Whether a value of type `arg` can be passed for a function parameter of type `param`: the same kind, any number for a number, NULL for anything. */
function acceptsArgument(param: DataType, arg: DataType): boolean {
  if (arg.kind === 'NULL') return true;
  if (isNumeric(param)) return isNumeric(arg);
  if (param.kind === 'ARRAY') {
    return arg.kind === 'ARRAY' && (param.size === undefined || arg.size === undefined || param.size === arg.size) && acceptsArgument(param.element, arg.element);
  }
  return param.kind === arg.kind;
}

const LITERAL_TARGETS: ReadonlySet<string> = new Set(['TIMESTAMP', 'DATE', 'TIME', 'BOOLEAN', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE']);
const COMPARISONS: ReadonlySet<string> = new Set(['=', '<>', '<', '<=', '>', '>=', 'IS DISTINCT FROM', 'IS NOT DISTINCT FROM']);

/**
 * A string literal compared with a TIMESTAMP, number or BOOLEAN, as that type (`ts >= '2024-01-01'`,
 * `i = '7'`), as DuckDB reads it: a CAST of the literal to the other side's type, done once, so
 * text that does not convert fails the statement with a caret. As in DuckDB, an INT side reads
 * '7.5' as the INT 8 (so `7 = '7.5'` is FALSE and `-3 < '-2.5'` is FALSE too).
 */
function literalAs(other: BoundExpr, x: BoundExpr): BoundExpr {
  return literalAsType(other.type, x);
}

function literalAsType(type: DataType, x: BoundExpr): BoundExpr {
  if (!isTextLiteral(x) || !LITERAL_TARGETS.has(type.kind)) return x;
  return { kind: 'Cast', operand: x, type, ...(x.span ? { span: x.span } : {}) };
}

function isTextLiteral(x: BoundExpr): boolean {
  return x.kind === 'Literal' && x.type.kind === 'STRING' && typeof x.value === 'string';
}

/** Functions whose arguments become one value of one type. */
const ONE_TYPE_CALLS: ReadonlySet<string> = new Set(['coalesce', 'ifnull', 'nullif', 'greatest', 'least']);

/**
 * Values that become one (CASE's results, COALESCE's arguments, a list's elements, a VALUES column): string
 * literals among them take the type the others share when it is a time, number or BOOLEAN, as
 * DuckDB reads them (`COALESCE(d, '2024-01-01')` is a DATE, `CASE ... ELSE '0' END` beside INT
 * results an INT); text that does not convert fails the statement with a caret.
 */
export function literalsAsOthers(xs: BoundExpr[]): BoundExpr[] {
  if (!xs.some(isTextLiteral) || xs.every(isTextLiteral)) return xs;
  let type: DataType | undefined = T.NULL;
  for (const x of xs) if (!isTextLiteral(x)) type = type && commonType(type, x.type);
  return type ? xs.map((x) => literalAsType(type, x)) : xs;
}

export function comparable(a: BoundExpr, b: BoundExpr, span: Span): void {
  if (commonType(a.type, b.type)) return;
  throw typeError(`cannot compare ${typeToString(a.type)} with ${typeToString(b.type)}`, span, 'use CAST to convert one side');
}

function expectType(e: BoundExpr, kind: DataType['kind'], where: string): void {
  if (e.type.kind !== kind && e.type.kind !== 'NULL') {
    throw typeError(`${where} expects ${kind}, got ${typeToString(e.type)}`, e.span);
  }
}

function typeError(message: string, span: Span | undefined, hint?: string): SluiceError {
  return new SluiceError('TYPE_MISMATCH', message, { span, hint });
}

/**
 * LIST_AGGREGATE(list, 'name', constants...) of an aggregate without a list function of its own
 * (call-forms.ts): the aggregate over the list's elements, typed as the aggregate of a column of
 * the element type. The call carries the aggregate (its canonical name) and its constant
 * arguments; compile-expr.ts runs its accumulator over each row's list.
 */
function bindListAggregate(e: CallExpr, bind: (e: Expr) => BoundExpr): BoundExpr {
  const [list, which, ...rest] = e.args.map(bind);
  const element = list!.type.kind === 'ARRAY' ? list!.type.element : list!.type.kind === 'NULL' ? T.NULL : undefined;
  if (!element) throw typeError(`LIST_AGGREGATE expects a list, got ${typeToString(list!.type)}`, e.args[0]!.span);
  const name = String((which as { value: unknown }).value);
  const fn: AggregateFn = AGGREGATE_ALIASES[name] ?? (name as AggregateFn);
  const column: BoundExpr = { kind: 'Column', index: 0, name: 'x', type: element };
  const args = foldConstantArgs(fn, [column, ...rest]);
  const t = AGGREGATE_FUNCTIONS[name]!(args.map((a) => a.type));
  if (typeof t === 'string') throw typeError(`LIST_AGGREGATE(${typeToString(list!.type)}, '${name}'): ${name.toUpperCase()} ${t}`, e.span);
  const extra = args.slice(1);
  if (extra.some((a) => a.kind !== 'Literal')) throw new SluiceError('INVALID_ARGUMENT', `LIST_AGGREGATE's arguments after the aggregate's name must be constants`, { span: e.args[2]?.span ?? e.span });
  return { kind: 'Call', fn: LIST_AGGREGATE_CALL, args: [list!, { kind: 'Literal', value: fn, type: T.STRING }, ...extra], type: t, span: e.span };
}

/** Names other engines give the current time that Sluice does not (NOW() and its kin are PROCTIME(): call-forms.ts). */
const CLOCKS = new Set(['getdate', 'sysdate']);

/** The hint for the current time asked for as SQL Server or Oracle do. */
function clockHint(name: string): string | undefined {
  if (!CLOCKS.has(normalizeName(name))) return undefined;
  return 'the current time is NOW() (CURRENT_TIMESTAMP, PROCTIME()): the time each row is processed';
}

/** Functions of one timestamp that are DATE_PART of a fixed part, as DuckDB has them. */
const PART_FUNCTIONS: Readonly<Record<string, string>> = {
  year: 'year', quarter: 'quarter', month: 'month', week: 'week', weekofyear: 'week', day: 'day', dayofmonth: 'day',
  dayofyear: 'doy', dayofweek: 'dow', weekday: 'dow', isodow: 'isodow', hour: 'hour', minute: 'minute', second: 'second', millisecond: 'millisecond',
  microsecond: 'microsecond', nanosecond: 'nanosecond', isoyear: 'isoyear', yearweek: 'yearweek', decade: 'decade', century: 'century', millennium: 'millennium', era: 'era',
};

/** `name(ts)` as DATE_PART(part, ts): BIGINT, and an error names the function as written. */
function bindPart(name: string, part: string, args: readonly BoundExpr[], e: CallExpr): BoundExpr {
  const ts = args[0];
  if (args.length === 1 && ts!.type.kind === 'INTERVAL') return intervalPart({ kind: 'Literal', value: part, type: T.STRING, span: e.name.span }, ts!, e);
  if (args.length === 1 && ts!.type.kind === 'TIME') return timePart({ kind: 'Literal', value: part, type: T.STRING, span: e.name.span }, ts!, e);
  if (args.length !== 1 || (!isTime(ts!.type.kind) && ts!.type.kind !== 'NULL')) {
    throw typeError(`${name.toUpperCase()}(${args.map((a) => typeToString(a.type)).join(', ')}): ${name.toUpperCase()} expects one timestamp, e.g. ${name.toUpperCase()}(ts)`, e.span);
  }
  return { kind: 'Call', fn: 'date_part', args: [{ kind: 'Literal', value: part, type: T.STRING, span: e.name.span }, ts!], type: T.BIGINT, span: e.span };
}

/** DATE_PART(part, interval), EXTRACT(part FROM interval), HOUR(interval), ...: BIGINT. */
function intervalPart(part: BoundExpr, interval: BoundExpr, e: CallExpr): BoundExpr {
  if (part.kind === 'Literal' && typeof part.value === 'string') {
    const units: readonly string[] = INTERVAL_PARTS;
    if (!units.includes(canonicalUnit(part.value))) {
      throw new SluiceError('INVALID_ARGUMENT', `an INTERVAL has no part '${part.value}'`, { span: part.span ?? e.span, hint: `use one of ${INTERVAL_PARTS.join(', ')}, epoch` });
    }
  }
  return { kind: 'Call', fn: 'interval_part', args: [part, interval], type: T.BIGINT, span: e.span };
}

/** Whether a JSON path argument gives many values: a list of paths, or a constant path with a wildcard (`[*]`, `.*`). */
function manyJsonPaths(path: BoundExpr): boolean {
  if (path.type.kind === 'ARRAY') return true;
  return path.kind === 'Literal' && typeof path.value === 'string' && path.value.startsWith('$') && /\[\s*\*\s*\]|\.\*/.test(path.value);
}

/** The parts of a TIME (DATE_PART, EXTRACT, HOUR(...)); 'epoch' is its seconds since midnight. */
const TIME_PARTS: readonly string[] = ['hour', 'minute', 'second', 'millisecond', 'microsecond', 'epoch'];

/**
 * DATE_PART(part, time), EXTRACT(part FROM time), HOUR(time), ...: BIGINT (a DOUBLE for 'epoch'),
 * read as the parts of that time on 1970-01-01. A part of a date (a day, a month) is refused.
 */
function timePart(part: BoundExpr, time: BoundExpr, e: CallExpr): BoundExpr {
  if (part.kind === 'Literal' && typeof part.value === 'string') {
    const text = canonicalUnit(part.value);
    const unit = TIME_PARTS.includes(text) ? text : undefined;
    if (unit === undefined) throw new SluiceError('INVALID_ARGUMENT', `a TIME has no part '${part.value}'`, { span: part.span ?? e.span, hint: `use one of ${TIME_PARTS.join(', ')}` });
    if (unit === 'epoch') return { kind: 'Call', fn: 'epoch', args: [time], type: T.DOUBLE, span: e.span };
  }
  return { kind: 'Call', fn: 'date_part', args: [part, time], type: T.BIGINT, span: e.span };
}

/** A DATE_PART's part when it is the constant 'epoch' or 'julian' (see bindCall). */
function fractionPart(part: BoundExpr | undefined): 'epoch' | 'julian' | undefined {
  if (part?.kind !== 'Literal' || typeof part.value !== 'string') return undefined;
  // As DuckDB: no plural or other name for these two.
  const name = part.value.trim().toLowerCase();
  return name === 'epoch' || name === 'julian' ? name : undefined;
}

/** The units a function takes as its first argument, where they are fixed. */
const UNIT_ARGUMENTS: Readonly<Record<string, readonly string[]>> = { date_trunc: TRUNC_UNITS, date_part: DATE_PARTS, date_diff: TRUNC_UNITS, datediff: TRUNC_UNITS, date_sub: TRUNC_UNITS };

/**
 * A unit given as a constant that the function does not take is refused with the statement,
 * instead of failing every row (a unit computed per row can only fail per row).
 */
function checkConstantUnit(name: string, args: readonly BoundExpr[]): void {
  const format = args[1];
  if (name === 'strftime' && format?.kind === 'Literal' && typeof format.value === 'string') {
    const bad = strftimeFormatError(format.value);
    if (bad) throw new SluiceError('INVALID_ARGUMENT', bad, { span: format.span });
  }
  // PARSE_PATH(p, 'forward_slash') and its kin: a separator written out must be one there is.
  const separator = name.startsWith('parse_') ? args.slice(1).find((a) => a.kind === 'Literal' && typeof a.value === 'string') : undefined;
  if (separator?.kind === 'Literal' && !Object.hasOwn(PATH_SEPARATORS, String(separator.value).toLowerCase())) {
    throw new SluiceError('INVALID_ARGUMENT', `${name.toUpperCase()} has no separator '${String(separator.value)}'`, { span: separator.span, hint: `use one of ${Object.keys(PATH_SEPARATORS).join(', ')}` });
  }
  const units = UNIT_ARGUMENTS[name];
  const first = args[0];
  if (!units || first?.kind !== 'Literal' || typeof first.value !== 'string') return;
  if (units.includes(canonicalUnit(first.value))) return;
  const epoch = name === 'date_part' ? ', epoch' : '';
  throw new SluiceError('INVALID_ARGUMENT', `${name.toUpperCase()} has no unit '${first.value}'`, { span: first.span, hint: `use one of ${units.join(', ')}${epoch}` });
}
