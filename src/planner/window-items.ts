/**
 * Window functions in the select list (`ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts) AS rn`).
 * The query is planned with a NULL in each window's place and the window's arguments, partition
 * and order keys as hidden columns after the selected ones. A finished query's (pull, bounded)
 * windows are filled in by the engine once the rows are final (src/exec/window-functions.ts),
 * which then sorts and cuts them; a continuous query's and a subquery's by an operator as the
 * rows come (LogicalOver, plan-select.ts).
 */
import { SluiceError } from '../common/errors.js';
import { T, decimalOf, isNumeric, typeToString, type DataType, type Field } from '../common/types.js';
import type { Span } from '../common/span.js';
import { normalizeName, type CallExpr, type Expr, type FrameBound, type SelectItem, type SelectQuery } from '../parser/ast.js';
import type { OrderKey } from './order-by.js';
import { isTopNCall } from './call-forms.js';
import { fixedMillis } from './limits.js';
import { AGGREGATE_ALIASES, AGGREGATE_FUNCTIONS, type AggregateFn } from './functions.js';
import type { AggregateCall } from './logical.js';
import type { FrameSpec, WindowFn, WindowSpec } from './window-spec.js';

const RANKING: ReadonlySet<string> = new Set(['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist']);
/** The functions that exist only as window functions (with OVER). */
export const WINDOW_ONLY_FUNCTIONS: ReadonlySet<string> = new Set([...RANKING, 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value']);
const FUNCTIONS: ReadonlySet<string> = new Set([...WINDOW_ONLY_FUNCTIONS, 'count', 'sum', 'avg', 'min', 'max']);

interface WindowItem {
  readonly call: CallExpr;
  readonly fn: WindowFn;
  /** The name its column shows: the alias, else the function's name. */
  readonly display: string;
  readonly args: number;
  readonly offset?: number;
  readonly fallback?: unknown;
  /** Its frame, checked but for the ORDER BY key's type (see `frameSpec`). */
  readonly frame: FrameSpec;
  /** An aggregate other than COUNT, SUM, AVG, MIN and MAX: its accumulator's name. */
  readonly aggregate?: AggregateFn;
}

export interface WindowRewrite {
  /** The query with a NULL placeholder for each window and its inputs as hidden items at the end. */
  readonly query: SelectQuery;
  /** How many hidden items it added. */
  readonly hidden: number;
  /** The windows over the planned query's output columns, and its output names with the windows' shown names. */
  resolve(names: readonly string[], fields: readonly Field[]): { windows: WindowSpec[]; names: string[] };
}

/** Whether `e` holds a call with OVER. */
export function hasWindowCall(e: Expr | undefined, walk: (e: Expr, f: (x: Expr) => void) => void): boolean {
  let found = false;
  if (e) {
    walk(e, (x) => {
      if (x.kind === 'Call' && x.over) found = true;
    });
  }
  return found;
}

/** The rewrite of `q`'s window functions, or undefined when it has none. */
export function rewriteWindows(q: SelectQuery, walk: (e: Expr, f: (x: Expr) => void) => void): WindowRewrite | undefined {
  const windows: WindowItem[] = [];
  const first = firstWindowCall(q, walk);
  if (first === undefined) return undefined;
  for (const item of q.items) {
    if (item.kind !== 'ExprItem') continue;
    const e = item.expr;
    if (e.kind === 'Call' && e.over) {
      for (const a of [...e.args, ...e.over.partitionBy, ...e.over.orderBy.map((o) => o.expr)]) if (hasWindowCall(a, walk)) nestedWindow(a, 'inside another window function');
      windows.push(windowItem(e, item.alias?.name));
    } else if (hasWindowCall(e, walk)) nestedWindow(e, 'inside an expression here');
  }
  for (const [e, clause] of [[q.where, 'WHERE'], [q.having, 'HAVING'], ...q.groupBy.map((g) => [g, 'GROUP BY'] as const)] as const) if (hasWindowCall(e, walk)) nestedWindow(e!, `in ${clause}`);
  for (const o of q.orderBy) if (hasWindowCall(o.expr, walk)) nestedWindow(o.expr, 'in ORDER BY here');
  if (windows.length === 0) return undefined;
  if (q.distinct) {
    throw new SluiceError('UNSUPPORTED', 'window functions (OVER) with SELECT DISTINCT are not supported', { span: first.span, hint: 'remove DISTINCT, or GROUP BY the selected columns' });
  }
  const hiddenItems: SelectItem[] = [];
  const hide = (expr: Expr, name: string) => hiddenItems.push({ kind: 'ExprItem', expr, alias: { name, span: expr.span }, span: expr.span });
  let w = 0;
  const items = q.items.map((item): SelectItem => {
    if (item.kind !== 'ExprItem' || item.expr.kind !== 'Call' || !item.expr.over) return item;
    const k = w++;
    const { call } = windows[k]!;
    call.args.slice(0, windows[k]!.args).forEach((a, i) => hide(a, `${PREFIX}${k}a${i}`));
    call.over!.partitionBy.forEach((p, i) => hide(p, `${PREFIX}${k}p${i}`));
    call.over!.orderBy.forEach((o, i) => hide(o.expr, `${PREFIX}${k}o${i}`));
    return { kind: 'ExprItem', expr: { kind: 'Literal', literal: 'null', value: null, span: call.span }, alias: { name: `${PREFIX}${k}`, span: call.span }, span: item.span };
  });
  return {
    query: { ...q, items: [...items, ...hiddenItems] },
    hidden: hiddenItems.length,
    resolve(names, fields) {
      const at = (name: string): number => names.indexOf(name);
      const shown = [...names];
      const specs = windows.map((win, k): WindowSpec => {
        const args = Array.from({ length: win.args }, (_, i) => at(`${PREFIX}${k}a${i}`));
        const orderBy = win.call.over!.orderBy.map((o, i): OrderKey => ({ index: at(`${PREFIX}${k}o${i}`), desc: o.desc, nullsFirst: o.nullsFirst }));
        const output = at(`${PREFIX}${k}`);
        shown[output] = win.display;
        const aggregate = win.aggregate ? aggregateOver(win, win.aggregate, args, fields) : undefined;
        return {
          fn: win.fn,
          output,
          type: aggregate ? aggregateType(win, args.map((i) => fields[i]!.type)) : windowType(win, args.map((i) => fields[i]!.type)),
          args,
          ...(aggregate ? { aggregate } : {}),
          ...(win.offset !== undefined ? { offset: win.offset } : {}),
          ...(win.fallback !== undefined ? { fallback: win.fallback } : {}),
          ...(win.call.ignoreNulls ? { ignoreNulls: true } : {}),
          ...(win.call.distinct ? { distinct: true } : {}),
          partitionBy: win.call.over!.partitionBy.map((_, i) => at(`${PREFIX}${k}p${i}`)),
          orderBy,
          frame: checkRangeKey(win, orderBy.map((o) => fields[o.index]!.type)),
        };
      });
      return { windows: specs, names: shown };
    },
  };
}

/** Names of the placeholders and hidden columns; no name in the query can be one. */
const PREFIX = '\u0000window';

/** Whether an output column is a window's hidden input (an argument, partition or order key). */
export function isWindowInput(name: string): boolean {
  return /^\u0000window\d+[apo]\d+$/.test(name);
}

function nestedWindow(e: Expr, where: string): never {
  throw new SluiceError('UNSUPPORTED', `a window function (OVER) is not supported ${where}`, {
    span: e.span,
    hint: where.startsWith('in WHERE') || where.startsWith('in HAVING') || where.startsWith('in GROUP BY')
      ? 'window functions are computed after WHERE, GROUP BY and HAVING: filter on them with QUALIFY, or select them in a subquery and filter outside it'
      : 'select it as a column of a subquery (ROW_NUMBER() OVER (...) AS rn) and compute with it outside',
  });
}

/** The first window function call of `q` outside its subqueries, if any. */
function firstWindowCall(q: SelectQuery, walk: (e: Expr, f: (x: Expr) => void) => void): CallExpr | undefined {
  let first: CallExpr | undefined;
  const exprs = [...q.items.flatMap((i) => (i.kind === 'ExprItem' ? [i.expr] : [])), q.where, q.having, q.qualify, ...q.groupBy, ...q.orderBy.map((o) => o.expr)];
  for (const e of exprs) {
    if (e) walk(e, (x) => {
      if (first === undefined && x.kind === 'Call' && x.over) first = x;
    });
  }
  return first;
}

const DISTINCT_OVER_FRAME: ReadonlySet<string> = new Set(['count', 'sum', 'avg', 'min', 'max']);

/** Aggregates that skip NULL values (of their first argument): see withoutFilter. */
const SKIPS_NULLS: ReadonlySet<string> = new Set(['count', 'sum', 'avg', 'min', 'max', 'stddev', 'stddev_samp', 'stddev_pop', 'variance', 'var_samp', 'var_pop', 'median', 'quantile_cont', 'quantile_disc', 'quantile', 'mad', 'string_agg', 'bool_and', 'bool_or', 'product', 'count_if']);

/**
 * `agg(x, ...) FILTER (WHERE c) OVER (...)` of an aggregate that skips NULLs is
 * `agg(CASE WHEN c THEN x END, ...) OVER (...)` (`COUNT(*)`: of `CASE WHEN c THEN 1 END`): the
 * rows where `c` is not TRUE count as NULLs, which it skips. Other calls are left as they are.
 */
function withoutFilter(call: CallExpr): CallExpr {
  if (!call.filter || !SKIPS_NULLS.has(normalizeName(call.name.name))) return call;
  const span = call.span;
  const value: Expr | undefined = call.star ? { kind: 'Literal', literal: 'integer', value: 1, span } : call.args[0];
  if (!value) return call;
  const { filter, ...rest } = call;
  return { ...rest, star: false, args: [{ kind: 'Case', whens: [{ when: filter, then: value }], span }, ...call.args.slice(1)] };
}

function windowItem(written: CallExpr, alias: string | undefined): WindowItem {
  const call = withoutFilter(written);
  const fn = normalizeName(call.name.name);
  const name = call.name.name.toUpperCase();
  const refuse = (message: string, hint?: string): never => {
    throw new SluiceError('UNSUPPORTED', message, { span: call.span, ...(hint ? { hint } : {}) });
  };
  const refuseFilter = (): never =>
    refuse(`FILTER in a window function is not supported by ${name}`, 'over a window, FILTER goes with the aggregates that skip NULLs: COUNT, SUM, AVG, MIN, MAX, STDDEV, VARIANCE, MEDIAN, QUANTILE, MAD, STRING_AGG, BOOL_AND, BOOL_OR, PRODUCT, COUNT_IF');
  if (fn === 'geomean' || fn === 'geometric_mean') refuse(`${name} over a window is not supported`, 'write EXP(AVG(LN(x))) OVER (...)');
  if (isTopNCall(call)) refuse(`${name} with a count over a window is not supported`, `group by the window's partition instead, or take ${name} of one value`);
  const aggregate = FUNCTIONS.has(fn) ? undefined : windowAggregate(fn);
  if (!FUNCTIONS.has(fn) && !aggregate) {
    refuse(`${name} is not a window function`, 'window functions: ROW_NUMBER, RANK, DENSE_RANK, PERCENT_RANK, CUME_DIST, NTILE, LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE, and the aggregates (COUNT, SUM, STRING_AGG, LIST, STDDEV, MEDIAN, ARG_MAX, ...) over a window');
  }
  if (aggregate) {
    if (call.orderBy?.length) refuse(`${name}(... ORDER BY ...) over a window is not supported`, 'the window\'s own ORDER BY orders its rows');
    if (call.filter) refuseFilter();
    if (call.distinct) refuse('DISTINCT in a window function is not supported but by COUNT, SUM, AVG, MIN and MAX');
    if (call.star) throw new SluiceError('TYPE_MISMATCH', `${name} takes arguments, not *`, { span: call.span });
    return { call, fn: 'aggregate', display: alias ?? fn, frame: frameSpec(call), args: call.args.length, aggregate };
  }
  // COUNT, SUM and AVG (DISTINCT x) over a frame count each value once; MIN and MAX are the same either way.
  if (call.filter) refuseFilter();
  if (call.distinct && !DISTINCT_OVER_FRAME.has(fn)) refuse('DISTINCT in a window function is not supported but by COUNT, SUM, AVG, MIN and MAX');
  if (call.ignoreNulls && !['first_value', 'last_value', 'nth_value', 'lag', 'lead'].includes(fn)) {
    refuse(`IGNORE NULLS is not supported by ${name}`, 'IGNORE NULLS goes with FIRST_VALUE, LAST_VALUE, NTH_VALUE, LAG and LEAD');
  }
  const n = call.args.length;
  const base = { call, fn: fn as WindowFn, display: alias ?? fn, frame: frameSpec(call) };
  const wrongArgs = (want: string): never => {
    throw new SluiceError('TYPE_MISMATCH', `${name} takes ${want}, got ${call.star ? '*' : `${n} argument${n === 1 ? '' : 's'}`}`, { span: call.span });
  };
  if (RANKING.has(fn)) return n === 0 && !call.star ? { ...base, args: 0 } : wrongArgs('no arguments');
  if (fn === 'count') return call.star ? { ...base, args: 0 } : n === 1 ? { ...base, args: 1 } : wrongArgs('one argument or *');
  if (call.star) wrongArgs('an argument');
  if (fn === 'ntile') {
    const buckets = n === 1 ? constantInteger(call.args[0]!) : undefined;
    if (buckets === undefined || buckets < 1) refuse('NTILE takes a constant number of buckets of at least 1', 'e.g. NTILE(4) OVER (ORDER BY amount)');
    return { ...base, args: 0, offset: buckets! };
  }
  if (fn === 'lag' || fn === 'lead') {
    if (n < 1 || n > 3) wrongArgs('(value [, offset [, default]])');
    const offset = n >= 2 ? constantInteger(call.args[1]!) : 1;
    if (offset === undefined || offset < 0) refuse(`the offset of ${name} must be a constant integer of 0 or more`);
    const fallback = n === 3 ? constantValue(call.args[2]!) : undefined;
    if (n === 3 && fallback === undefined) refuse(`the default of ${name} must be a constant`);
    return { ...base, args: 1, offset: offset!, ...(fallback !== undefined ? { fallback: fallback.value } : {}) };
  }
  if (fn === 'nth_value') {
    if (n !== 2) wrongArgs('(value, n)');
    const nth = constantInteger(call.args[1]!);
    if (nth === undefined || nth < 1) refuse('the n of NTH_VALUE must be a constant integer of 1 or more', 'NTH_VALUE(x, 2) is the second row of the frame');
    return { ...base, args: 1, offset: nth! };
  }
  return n === 1 ? { ...base, args: 1 } : wrongArgs('one argument');
}

/**
 * The frame of `call`'s window: its frame clause checked (bounds in order, constant offsets of
 * the right kind, ORDER BY where the unit needs it), or SQL's default: the whole partition
 * without ORDER BY, else from its start to the current row's last peer.
 */
function frameSpec(call: CallExpr): FrameSpec {
  const over = call.over!;
  const f = over.frame;
  if (!f) return over.orderBy.length ? { unit: 'range', start: -Infinity, end: 0 } : { unit: 'rows', start: -Infinity, end: Infinity };
  const refuse = (span: Span, message: string, hint?: string): never => {
    throw new SluiceError('INVALID_ARGUMENT', message, { span, ...(hint ? { hint } : {}) });
  };
  if (f.start.kind === 'unbounded following') refuse(f.start.span, 'a window frame cannot start at UNBOUNDED FOLLOWING');
  if (f.end.kind === 'unbounded preceding') refuse(f.end.span, 'a window frame cannot end at UNBOUNDED PRECEDING');
  const unit = f.unit.toUpperCase();
  const offset = (b: FrameBound): number => {
    switch (b.kind) {
      case 'unbounded preceding':
        return -Infinity;
      case 'unbounded following':
        return Infinity;
      case 'current row':
        return 0;
      default: {
        const e = b.offset!;
        const v = e.kind === 'Interval' ? fixedMillis(e, `the offset of ${b.kind.toUpperCase()}`) : constantValue(e)?.value;
        const n = typeof v === 'bigint' ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isFinite(n)) return refuse(e.span, `the offset of ${b.kind.toUpperCase()} in a window frame must be a constant`, `e.g. ${unit} BETWEEN 2 PRECEDING AND CURRENT ROW`);
        if (n < 0) refuse(e.span, `the offset of ${b.kind.toUpperCase()} in a window frame must not be negative`);
        if (f.unit !== 'range' && !Number.isInteger(n)) refuse(e.span, `the offset of ${b.kind.toUpperCase()} in a ${unit} frame must be a whole number of ${f.unit === 'rows' ? 'rows' : 'peer groups'}`);
        if (f.unit !== 'range' && e.kind === 'Interval') refuse(e.span, `an INTERVAL offset needs a RANGE frame over a TIMESTAMP key, not ${unit}`, `e.g. RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW`);
        return b.kind === 'preceding' ? -n : n;
      }
    }
  };
  const start = offset(f.start);
  const end = offset(f.end);
  // As PostgreSQL: a frame cannot start after its end is bound to be, whatever the rows.
  if (f.start.kind === 'current row' && f.end.kind === 'preceding') refuse(f.span, 'a window frame starting at CURRENT ROW cannot end at a PRECEDING row');
  if (f.start.kind === 'following' && (f.end.kind === 'preceding' || f.end.kind === 'current row')) refuse(f.span, 'a window frame starting at a FOLLOWING row cannot end at CURRENT ROW or a PRECEDING row');
  if (f.unit === 'groups' && over.orderBy.length === 0) refuse(f.span, 'a GROUPS frame needs ORDER BY in the window', 'peer groups are rows equal on every ORDER BY key');
  const offsets = [f.start, f.end].some((b) => b.offset !== undefined);
  if (f.unit === 'range' && offsets && over.orderBy.length !== 1) {
    refuse(f.span, `a RANGE frame with an offset needs exactly one ORDER BY key in the window, got ${over.orderBy.length}`, 'use ROWS to count rows, or order by one number or timestamp');
  }
  const exclude = f.exclude && f.exclude.mode !== 'no others' ? f.exclude.mode : undefined;
  return { unit: f.unit, start, end, ...(exclude ? { exclude } : {}) };
}

/** The frame of `win`, once its ORDER BY keys' types are known: a RANGE offset must suit its key. */
function checkRangeKey(win: WindowItem, keys: readonly DataType[]): FrameSpec {
  const f = win.call.over!.frame;
  if (!f || f.unit !== 'range') return win.frame;
  const bound = [f.start, f.end].find((b) => b.offset !== undefined);
  if (!bound) return win.frame;
  const key = keys[0]!;
  const interval = bound.offset!.kind === 'Interval';
  // A DATE is its midnight's instant, so it takes an INTERVAL as a TIMESTAMP does (DuckDB).
  const time = key.kind === 'TIMESTAMP' || key.kind === 'DATE';
  const wanted = time ? 'an INTERVAL' : isNumeric(key) ? 'a number' : undefined;
  if (wanted === undefined) {
    throw new SluiceError('TYPE_MISMATCH', `a RANGE frame with an offset needs an ORDER BY key that is a number, a timestamp or a date, not ${typeToString(key)}`, { span: bound.span, hint: 'use ROWS to count rows, or GROUPS to count groups of equal keys' });
  }
  if (time !== interval) {
    throw new SluiceError('TYPE_MISMATCH', `the offset of a RANGE frame ordered by a ${typeToString(key)} must be ${wanted}`, {
      span: bound.offset!.span,
      hint: time ? "e.g. RANGE BETWEEN INTERVAL '10' MINUTE PRECEDING AND CURRENT ROW" : 'e.g. RANGE BETWEEN 5 PRECEDING AND CURRENT ROW',
    });
  }
  return win.frame;
}

function constantInteger(e: Expr): number | undefined {
  const v = constantValue(e);
  return v && typeof v.value === 'number' && Number.isInteger(v.value) ? v.value : undefined;
}

/** A literal (a negative number too), or undefined when `e` is not one. */
function constantValue(e: Expr): { value: unknown } | undefined {
  if (e.kind === 'Literal') return { value: e.value };
  if (e.kind === 'Unary' && e.op === '-' && e.operand.kind === 'Literal' && (typeof e.operand.value === 'number' || typeof e.operand.value === 'bigint')) {
    return { value: -(e.operand.value as number) };
  }
  return undefined;
}

/** The accumulator of an aggregate over a window, by any of its names; PSI (a model's reference) is not one. */
function windowAggregate(fn: string): AggregateFn | undefined {
  if (!Object.hasOwn(AGGREGATE_FUNCTIONS, fn) || fn === 'psi') return undefined;
  return AGGREGATE_ALIASES[fn] ?? (fn as AggregateFn);
}

/** The aggregate call of a window over the query's output columns: its constant arguments (a separator, a fraction) as constants. */
function aggregateOver(win: WindowItem, fn: AggregateFn, args: readonly number[], fields: readonly Field[]): AggregateCall {
  const bound = win.call.args.map((a, i) => {
    const c = constantValue(a);
    const type = fields[args[i]!]!.type;
    return c && i > 0 ? { kind: 'Literal' as const, value: c.value, type } : { kind: 'Column' as const, index: args[i]!, name: fields[args[i]!]!.name, type };
  });
  return { fn, args: bound, name: win.display };
}

/** An aggregate's type over a window: as in GROUP BY (STRING_AGG of any value joins its text). */
function aggregateType(win: WindowItem, args: readonly DataType[]): DataType {
  const name = normalizeName(win.call.name.name);
  const typed = win.aggregate === 'string_agg' && args.length ? [T.STRING, ...args.slice(1)] : args;
  const t = AGGREGATE_FUNCTIONS[name]!(typed);
  if (typeof t === 'string') throw new SluiceError('TYPE_MISMATCH', `${name.toUpperCase()} ${t}`, { span: win.call.span });
  return t;
}

function windowType(win: WindowItem, args: readonly DataType[]): DataType {
  const arg = args[0];
  switch (win.fn) {
    case 'row_number':
    case 'rank':
    case 'dense_rank':
    case 'ntile':
    case 'count':
      return T.BIGINT;
    case 'percent_rank':
    case 'cume_dist':
      return T.DOUBLE;
    case 'sum':
    case 'avg':
      if (!isNumeric(arg!) && arg!.kind !== 'NULL') throw new SluiceError('TYPE_MISMATCH', `${win.fn.toUpperCase()} over a window expects a number, got ${typeToString(arg!)}`, { span: win.call.span });
      if (win.fn === 'sum' && decimalOf(arg!)) return AGGREGATE_FUNCTIONS['sum']!([arg!]) as DataType;
      return win.fn === 'avg' || arg!.kind === 'FLOAT' || arg!.kind === 'DOUBLE' ? T.DOUBLE : T.BIGINT;
    default:
      return arg!.kind === 'NULL' ? T.STRING : arg!;
  }
}
