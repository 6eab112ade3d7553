/**
 * Window functions in the select list (`ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts) AS rn`),
 * for queries whose result is finished before it is given: pull queries and bounded push
 * queries. The query is planned with a NULL in each window's place and the window's arguments,
 * partition and order keys as hidden columns after the selected ones; the engine fills the
 * windows in once the rows are final (src/engine/window-functions.ts), then sorts and cuts them.
 */
import { SluiceError } from '../common/errors.js';
import { T, isNumeric, typeToString, type DataType, type Field } from '../common/types.js';
import { normalizeName, type CallExpr, type Expr, type SelectItem, type SelectQuery } from '../parser/ast.js';
import type { OrderKey } from './order-by.js';
import type { WindowFn, WindowSpec } from './window-spec.js';

const RANKING: ReadonlySet<string> = new Set(['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist']);
const FUNCTIONS: ReadonlySet<string> = new Set([...RANKING, 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'count', 'sum', 'avg', 'min', 'max']);

interface WindowItem {
  readonly call: CallExpr;
  readonly fn: WindowFn;
  /** The name its column shows: the alias, else the function's name. */
  readonly display: string;
  readonly args: number;
  readonly offset?: number;
  readonly fallback?: unknown;
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

/**
 * The rewrite of `q`'s window functions, or undefined when it has none. `where` says whether the
 * query's result is final before it is given (a pull or bounded query), keeps running, or is a
 * subquery's.
 */
export function rewriteWindows(q: SelectQuery, where: 'finished' | 'continuous' | 'nested', walk: (e: Expr, f: (x: Expr) => void) => void): WindowRewrite | undefined {
  const windows: WindowItem[] = [];
  for (const item of q.items) {
    if (item.kind !== 'ExprItem') continue;
    const e = item.expr;
    if (e.kind === 'Call' && e.over) {
      for (const a of [...e.args, ...e.over.partitionBy, ...e.over.orderBy.map((o) => o.expr)]) if (hasWindowCall(a, walk)) nestedWindow(a);
      windows.push(windowItem(e, item.alias?.name));
    } else if (hasWindowCall(e, walk)) nestedWindow(e);
  }
  for (const e of [q.where, q.having, ...q.groupBy, ...q.orderBy.map((o) => o.expr)]) if (hasWindowCall(e, walk)) nestedWindow(e!);
  if (windows.length === 0) return undefined;
  const first = windows[0]!.call;
  if (where === 'nested') {
    throw new SluiceError('UNSUPPORTED', 'window functions (OVER) are supported in the outermost SELECT and in a subquery that is its whole FROM, not deeper', {
      span: first.over!.span,
      hint: 'make the subquery with the window function the FROM of the outermost query: SELECT ... FROM (SELECT ..., ROW_NUMBER() OVER (...) AS rn FROM t) q WHERE rn <= 3',
    });
  }
  if (where === 'continuous') {
    throw new SluiceError('UNSUPPORTED', 'window functions (OVER) are supported on a finished result: a pull query over a table or view, or a query run bounded', {
      span: first.over!.span,
      hint: 'a query over a stream that runs until cancelled has no final rows to rank; run it bounded (sluice run --bounded), keep its rows in a view and query that, or aggregate over time with GROUP BY over TABLE(TUMBLE(...)); window functions go in the outermost SELECT',
    });
  }
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
        return {
          fn: win.fn,
          output,
          type: windowType(win, args.map((i) => fields[i]!.type)),
          args,
          ...(win.offset !== undefined ? { offset: win.offset } : {}),
          ...(win.fallback !== undefined ? { fallback: win.fallback } : {}),
          partitionBy: win.call.over!.partitionBy.map((_, i) => at(`${PREFIX}${k}p${i}`)),
          orderBy,
        };
      });
      return { windows: specs, names: shown };
    },
  };
}

/** Names of the placeholders and hidden columns; no name in the query can be one. */
const PREFIX = '\u0000window';

function nestedWindow(e: Expr): never {
  throw new SluiceError('UNSUPPORTED', 'a window function (OVER) must be a select item of its own', {
    span: e.span,
    hint: 'select it as a column (ROW_NUMBER() OVER (...) AS rn) and compute with it in the client; ORDER BY may name its alias',
  });
}

function windowItem(call: CallExpr, alias: string | undefined): WindowItem {
  const fn = normalizeName(call.name.name);
  const name = call.name.name.toUpperCase();
  const refuse = (message: string, hint?: string): never => {
    throw new SluiceError('UNSUPPORTED', message, { span: call.span, ...(hint ? { hint } : {}) });
  };
  if (!FUNCTIONS.has(fn)) {
    refuse(`${name} is not a window function`, 'window functions: ROW_NUMBER, RANK, DENSE_RANK, PERCENT_RANK, CUME_DIST, NTILE, LAG, LEAD, FIRST_VALUE, LAST_VALUE, and COUNT, SUM, AVG, MIN, MAX over a window');
  }
  if (call.distinct || call.filter) refuse(`${call.distinct ? 'DISTINCT' : 'FILTER'} in a window function is not supported`);
  const n = call.args.length;
  const base = { call, fn: fn as WindowFn, display: alias ?? fn };
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
  return n === 1 ? { ...base, args: 1 } : wrongArgs('one argument');
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
      return win.fn === 'avg' || arg!.kind === 'FLOAT' || arg!.kind === 'DOUBLE' ? T.DOUBLE : T.BIGINT;
    default:
      return arg!.kind === 'NULL' ? T.STRING : arg!;
  }
}
