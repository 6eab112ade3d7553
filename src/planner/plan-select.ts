/** Plans a SELECT: FROM, predict(), WHERE, GROUP BY/aggregates, HAVING, the select list. */
import { collatedMinMax, isCollateCall, orderByKey } from './collations.js';
import { SluiceError, didYouMean } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { T, arrayOf, isNumeric, typeToString, type DataType, type Field } from '../common/types.js';
import { isSubquery, normalizeName, type CallExpr, type Expr, type Ident, type SelectItem, type SelectQuery, type SubqueryExpr } from '../parser/ast.js';
import { asCondition, asText, bindExpr, Scope, type BindHooks, type ScopeColumn } from './bind-expr.js';
import { exprKey, exprToString, mapChildren, visit, type BoundExpr } from './bound-expr.js';
import type { Catalog, ModelSignature } from './catalog.js';
import { AGGREGATE_ALIASES, AGGREGATE_FUNCTIONS, type AggregateFn } from './functions.js';
import { foldConstantArgs, psiReference } from './aggregate-args.js';
import type { AggregateCall, AggregateOrder, LogicalPlan, PredictRowInfo } from './logical.js';
import { lookupCommaJoins } from './comma-joins.js';
import { isGroupingName, lowerGroupingSets } from './grouping-sets.js';
import { isAllWord, resolveGroupByRefs, resolveHavingAliases } from './group-by-refs.js';
import { orderOutputIndex, resolveOrderBy, type OrderKey } from './order-by.js';
import { constantScan, planFrom, type Planned } from './plan-from.js';
import { expandColumnsCalls } from './columns-expr.js';
import { ungroupedRef } from './grouped-subqueries.js';
import { planSubqueries, queryHasSubquery } from './subqueries.js';
import { implicitName } from './item-names.js';
import { limitedAsQualify } from './limited-subquery.js';
import { isWindowInput, rewriteWindows } from './window-items.js';
import { inputColumns, isQualifyCondition, liftWindows, mapChildren as mapAst } from './window-lift.js';
import { liftHavingSubqueries } from './having-lift.js';
import { inlineFromlessSubqueries } from './fromless-subqueries.js';
import { liftOnSubqueries } from './on-subqueries.js';
import { orderAggregatesByInput } from './ordered-input.js';
import type { WindowSpec } from './window-spec.js';

/** Index given to input columns that are neither grouped nor aggregated, so checks catch them. */
const UNGROUPED = 1 << 30;

export interface PlannedQuery {
  readonly plan: LogicalPlan;
  /** Output column names (unique). */
  readonly names: readonly string[];
  /** An aggregate without GROUP BY: exactly one row, identified by the empty key. */
  readonly singleRow?: boolean;
  /**
   * GROUP BY expressions the select list leaves out, so that the group keys in the output do not
   * identify a row (window_start and window_end stand for each other). Absent when complete.
   */
  readonly unselectedKeys?: readonly UnselectedKey[];
  readonly limit?: number;
  readonly offset?: number;
  /** Pull and bounded push queries only (continuous queries refuse ORDER BY). */
  readonly orderBy?: readonly OrderKey[];
  /** Output columns at the end that only ORDER BY and window functions read: dropped once the rows are final. */
  readonly hiddenColumns?: number;
  /** Window functions, filled in once the rows are final (pull and bounded queries). */
  readonly windows?: readonly WindowSpec[];
}

/**
 * Most SELECTs nested in one another (subqueries in FROM, UNION without ALL, common tables used
 * by others): each level is a few frames of recursion here and in every planner pass, so a
 * deeper query fails with a clear error instead of running out of stack.
 */
export const MAX_QUERY_NESTING = 128;
let nesting = 0;

export function planSelect(q: SelectQuery, catalog: Catalog, opts: SelectOptions = {}): PlannedQuery {
  if (nesting >= MAX_QUERY_NESTING) {
    throw new SluiceError('EXPRESSION_TOO_COMPLEX', `query nested more than ${MAX_QUERY_NESTING} levels deep (subqueries, UNION, WITH)`, {
      span: q.span,
      hint: 'use fewer levels: the branches of one UNION do not nest, but each subquery in FROM, and each common table read by another, adds one',
    });
  }
  nesting++;
  try {
    // Subqueries without FROM are expressions over the query's own row (fromless-subqueries.ts).
    q = inlineFromlessSubqueries(q);
    // A subquery in an inner join's ON: a condition of the WHERE (on-subqueries.ts).
    q = liftOnSubqueries(q);
    // STRING_AGG and its kin over a subquery that orders its rows take that order (ordered-input.ts).
    q = orderAggregatesByInput(q);
    // HAVING with a subquery: a WHERE over the query's groups (having-lift.ts).
    const havingLifted = liftHavingSubqueries(q);
    if (havingLifted) return planSelect(havingLifted, catalog, opts);
    // ROLLUP, CUBE, GROUPING SETS: the union of the query grouped by each set.
    // A plain GROUP BY that GROUPING(...) reads is its one grouping set (where GROUPING is 0).
    const sets = q.groupingSets ?? (q.groupBy.length && callsGrouping(q) ? [q.groupBy] : undefined);
    if (sets) return planOrdered(lowerGroupingSets({ ...q, groupingSets: sets }, (name) => Object.hasOwn(AGGREGATE_FUNCTIONS, name)), catalog, opts);
    // Over streams a table is looked up by key: `FROM s, t WHERE s.k = t.key` is that lookup join.
    return planOrdered(opts.pull ? q : lookupCommaJoins(q, catalog), catalog, opts);
  } finally {
    nesting--;
  }
}

/** What planSelect needs to know of where the query runs. */
interface SelectOptions {
  /** A pull query: over tables and views, answered once. */
  readonly pull?: boolean;
  /** A push query that ends with its input: its ORDER BY sorts all its rows at the end. */
  readonly bounded?: boolean;
  /** A subquery (in FROM or WITH): its rows are not the result's. */
  readonly nested?: boolean;
}

/**
 * The query with its ORDER BY resolved. An ORDER BY expression that is not an output column
 * (ORDER BY amount when only the name is selected) becomes a hidden output column after the
 * selected ones, which the rows are sorted by and then lose (QueryPlan.hiddenColumns).
 */
function planOrdered(asWritten: SelectQuery, catalog: Catalog, opts: SelectOptions): PlannedQuery {
  // ORDER BY x COLLATE c sorts by x's collation key, MIN and MAX of x COLLATE c are by it too (collations.ts).
  const collatedAggs = collatedMinMax(asWritten, mapAst);
  const written = collatedAggs.orderBy.some((o) => isCollateCall(o.expr)) ? { ...collatedAggs, orderBy: collatedAggs.orderBy.map((o) => ({ ...o, expr: orderByKey(o.expr) })) } : collatedAggs;
  // DISTINCT ON's ORDER BY picks each row kept (window-items.ts); a continuous query's rows have
  // no order beyond that.
  const continuous = !opts.pull && !opts.bounded;
  const q = continuous && written.distinctOn && written.limit === undefined ? { ...written, orderBy: [] } : written;
  if (q.orderBy.length && continuous) {
    throw new SluiceError('UNSUPPORTED', 'ORDER BY is not supported on a continuous query', {
      span: q.orderBy[0]!.expr.span,
      hint: 'a query over a stream that runs until cancelled has no last row to sort by; order the results of a pull query, a bounded run (sluice run --bounded) or in the client; keep a top-N that stays current in a materialized view (CREATE MATERIALIZED VIEW top AS SELECT ... ORDER BY ... LIMIT n)',
    });
  }
  // Window functions computed by an operator (a continuous query's, or a subquery's) are lifted
  // out of expressions, QUALIFY and DISTINCT as a finished query's are (window-lift.ts).
  const byOperator = opts.nested === true || (!opts.pull && !opts.bounded);
  if (byOperator) {
    const lifted = liftWindows(q, inputColumns(q.from, (name) => catalog.findRelation(name)));
    if (lifted) return planOrdered(lifted, catalog, opts);
  }
  // Window functions: a NULL in each one's place and its inputs as hidden columns (window-items.ts).
  const windows = rewriteWindows(q, walkAst);
  // A finished query's QUALIFY has become the WHERE of a query over it (window-lift.ts).
  if (q.qualify) {
    throw new SluiceError('UNSUPPORTED', 'QUALIFY is supported in the outermost SELECT of a finished result: a pull query over a table or view, or a query run bounded', {
      span: q.qualify.span,
      hint: 'filter with WHERE and HAVING here, or run the query bounded (sluice run --bounded)',
    });
  }
  let base = windows?.query ?? q;
  const withWindows = (p: PlannedQuery): PlannedQuery => {
    if (!windows) return p;
    const { windows: specs, names } = windows.resolve(p.names, p.plan.fields);
    if (byOperator) return overPlan(p, specs, names);
    return { ...p, names, windows: specs, hiddenColumns: (p.hiddenColumns ?? 0) + windows.hidden };
  };
  const planned = withWindows(planSelectAt(base, catalog, opts));
  // ORDER BY ALL (as DuckDB): every output column, left to right, in the direction given.
  const all = base.orderBy.length === 1 && isAllWord(base.orderBy[0]!.expr, (n) => planned.names.some((x) => normalizeName(x) === n)) ? base.orderBy[0]! : undefined;
  if (all) {
    const shown = planned.names.length - (planned.hiddenColumns ?? 0);
    const orderBy = Array.from({ length: shown }, (_, i) => ({ ...all, expr: { kind: 'Literal', literal: 'integer', value: i + 1, span: all.expr.span } as const }));
    base = { ...base, orderBy };
  }
  if (!base.orderBy.length) return withLimit(base, planned);
  const hidden = base.orderBy.filter((o) => orderOutputIndex(base, o.expr, planned.names) === undefined);
  if (hidden.length === 0) return withLimit(base, planned);
  if (q.distinct) {
    throw new SluiceError('UNSUPPORTED', 'ORDER BY of a SELECT DISTINCT must name a selected column', {
      span: hidden[0]!.expr.span,
      hint: 'select the expression too, or order by a selected column',
    });
  }
  const names = hidden.map((_, i) => `${HIDDEN_ORDER_PREFIX}${i}`);
  const extended: SelectQuery = {
    ...base,
    items: [...base.items, ...hidden.map((o, i): SelectItem => ({ kind: 'ExprItem', expr: o.expr, alias: { name: names[i]!, span: o.expr.span }, span: o.expr.span }))],
    orderBy: base.orderBy.map((o) => {
      const at = hidden.indexOf(o);
      return at < 0 ? o : { ...o, expr: { kind: 'ColumnRef', column: { name: names[at]!, span: o.expr.span }, span: o.expr.span } };
    }),
  };
  const ordered = withWindows(planSelectAt(extended, catalog, opts));
  return { ...withLimit(extended, ordered), hiddenColumns: (ordered.hiddenColumns ?? 0) + hidden.length };
}

/**
 * The query's rows with its window functions computed by an operator (LogicalOver), kept current
 * as rows come and go, and without the windows' inputs (hidden columns, see window-items.ts).
 * The operator's partitions are the columns every window partitions by.
 */
function overPlan(p: PlannedQuery, windows: readonly WindowSpec[], names: readonly string[]): PlannedQuery {
  const input = p.plan.fields;
  const fields = input.map((f, i): Field => {
    const w = windows.find((x) => x.output === i);
    return w ? { name: names[i]!, type: w.type, nullable: true } : f;
  });
  const partitionBy = windows[0]!.partitionBy.filter((c) => windows.every((w) => w.partitionBy.includes(c)));
  const over: LogicalPlan = { kind: 'LogicalOver', input: p.plan, windows, partitionBy, fields };
  const kept = fields.flatMap((f, i) => (isWindowInput(names[i]!) ? [] : [i]));
  const plan: LogicalPlan = {
    kind: 'LogicalProject',
    input: over,
    exprs: kept.map((i): BoundExpr => ({ kind: 'Column', index: i, name: fields[i]!.name, type: fields[i]!.type })),
    fields: kept.map((i) => fields[i]!),
  };
  const hidden = p.hiddenColumns ?? 0;
  return {
    plan,
    names: kept.map((i) => names[i]!),
    ...(p.limit !== undefined ? { limit: p.limit } : {}),
    ...(p.offset !== undefined ? { offset: p.offset } : {}),
    ...(p.orderBy ? { orderBy: p.orderBy.map((o) => ({ ...o, index: kept.indexOf(o.index) })) } : {}),
    ...(hidden ? { hiddenColumns: hidden } : {}),
  };
}

/** Names of hidden ORDER BY columns; no select item can take one (uniqueNames would rename a clash). */
const HIDDEN_ORDER_PREFIX = '\u0000order_';

function planSelectAt(q: SelectQuery, catalog: Catalog, opts: SelectOptions): PlannedQuery {
  // A subquery gives a query without FROM its rows to follow: SELECT (SELECT MAX(v) FROM s).
  if (!q.from && !opts.pull && !opts.nested && !queryHasSubquery(q)) {
    throw new SluiceError('UNSUPPORTED', 'a streaming query needs FROM', { span: q.span, hint: 'select from a stream, table or view; a SELECT without FROM runs on its own, as a query that answers once' });
  }
  // Without FROM: one row of no columns, as SQL's SELECT 1 + 1 (in a subquery of a continuous
  // query too: a constant row given once).
  const from: Planned = q.from
    ? planFrom(q.from, catalog, (sub) => planSelect(checkSubquery(sub), catalog, { ...opts, nested: true }), opts.pull === true)
    : { plan: constantScan([[]], []), scope: new Scope([]) };
  let plan = from.plan;
  let scope = from.scope;
  // COLUMNS('regex'), COLUMNS(*): one select item per column it picks, now that FROM's columns are known.
  q = expandColumnsCalls(q, scope);

  // Subqueries in WHERE and the select list: a lookup join each, under everything else.
  const subs = collectSubqueries([q.where, ...q.items.map((i) => (i.kind === 'ExprItem' ? i.expr : undefined)), ...q.groupBy]);
  let subquery: BindHooks['subquery'];
  if (subs.length) {
    const joined = planSubqueries(subs, plan, scope, catalog, containsAggregate, (sub) => planSelect(checkSubquery(sub), catalog, { ...opts, nested: true }), opts.pull === true, q.from);
    ({ plan, scope } = joined);
    subquery = (e) => joined.bound.get(e) ?? refuseNestedSubquery(e);
  }

  // predict(): one LogicalPredict per distinct call, appended after FROM (filters are pushed below later).
  const predicts = collectPredicts(q);
  const predictColumns = new Map<string, { output: number; version: number; role: number }>();
  for (const call of predicts) {
    const key = predictKey(call);
    if (predictColumns.has(key)) continue;
    const ref = modelRefOf(call);
    const sig = catalog.model(ref.name, ref.span);
    if (ref.version !== undefined && sig.live && !sig.live.hasVersion(ref.version)) {
      throw new SluiceError('UNKNOWN_VERSION', `model '${sig.name}' has no version ${ref.version}`, { span: ref.span, hint: `DESCRIBE MODEL ${sig.name} lists its versions` });
    }
    const args = call.args.slice(1).map((a) => bindExpr(a, scope, catalog, { clause: 'predict() arguments' }));
    const width = checkPredictArgs(call, sig.name, sig.inputs, args);
    const outType: DataType = sig.outputs.length === 1 ? sig.outputs[0]!.type : { kind: 'STRUCT', fields: sig.outputs };
    const base = scope.columns.length;
    const outFields: Field[] = [
      { name: `predict_${sig.name}`, type: outType, nullable: true },
      { name: `model_version_${sig.name}`, type: T.INT, nullable: true },
      { name: `model_role_${sig.name}`, type: T.STRING, nullable: true },
    ];
    const rowInfo = predictRowInfo(call, sig, from, catalog);
    plan = { kind: 'LogicalPredict', input: plan, keep: plan.fields.map((_, i) => i), model: sig.name, ...(ref.version !== undefined ? { version: ref.version } : {}), rowInfo, args, width, outputs: sig.outputs, fields: [...plan.fields, ...outFields] };
    scope = new Scope([...scope.columns, ...outFields.map((f): ScopeColumn => ({ name: f.name, type: f.type, hidden: true }))]);
    predictColumns.set(key, { output: base, version: base + 1, role: base + 2 });
  }
  // UNNEST(array) in the select list: its element, a column of the LogicalUnnest added below.
  const unnestColumns = new Map<CallExpr, number>();
  const special: BindHooks['special'] = (call) => {
    const name = normalizeName(call.name.name);
    if (name === 'unnest' && !call.over) {
      const at = unnestColumns.get(call);
      if (at === undefined) {
        throw new SluiceError('UNSUPPORTED', 'UNNEST is supported in the select list, not here', { span: call.span, hint: 'unnest in a subquery in FROM and filter or aggregate its rows outside it' });
      }
      const c = scope.columns[at]!;
      return { kind: 'Column', index: at, name: c.name, type: c.type, span: call.span };
    }
    if (name === 'predict') {
      const cols = predictColumns.get(predictKey(call))!;
      const c = scope.columns[cols.output]!;
      return { kind: 'Column', index: cols.output, name: c.name, type: c.type, span: call.span };
    }
    if (name === 'model_version' || name === 'model_role') {
      const model = modelNameOf(call);
      const entry = [...predictColumns.entries()].find(([k]) => k.startsWith(normalizeName(model) + '\u0000'));
      if (!entry) {
        throw new SluiceError('INVALID_ARGUMENT', `${name}('${model}') needs a predict('${model}', ...) in the same query`, { span: call.span });
      }
      const index = name === 'model_version' ? entry[1].version : entry[1].role;
      const c = scope.columns[index]!;
      return { kind: 'Column', index, name: c.name, type: c.type, span: call.span };
    }
    return undefined;
  };

  if (q.where && q.from?.kind === 'Window' && q.from.fn === 'SESSION') {
    // Which rows exist decides where sessions split: a WHERE after the window would either
    // change the sessions or keep rows out of sessions they shaped. Filter before it instead.
    throw new SluiceError('UNSUPPORTED', 'WHERE directly over a SESSION window is not supported', {
      span: q.where.span,
      hint: 'filter the rows before they form sessions: TABLE(SESSION(TABLE (SELECT * FROM s WHERE ...), DESCRIPTOR(ts), gap)), or filter sessions with HAVING',
    });
  }
  if (q.where) {
    // A finished query's QUALIFY is the WHERE of a query over it (window-lift.ts).
    const clause = isQualifyCondition(q.where) ? 'QUALIFY' : 'WHERE';
    const bound = bindExpr(whereAliases(q.where, q.items, scope), scope, catalog, { special, subquery, clause });
    // WHERE NULL is a condition that is never TRUE, as in DuckDB and PostgreSQL.
    const predicate = asCondition(bound, clause, q.where.span);
    plan = { kind: 'LogicalFilter', input: plan, predicate, fields: plan.fields };
  }

  ({ plan, scope } = planUnnest(q, plan, scope, catalog, special, unnestColumns));
  const items = expandItems(q, scope, catalog, special);
  const hasAggregates = items.some((i) => i.ast && containsAggregate(i.ast)) || (q.having !== undefined) || q.groupBy.length > 0 || q.distinct;
  if (!hasAggregates) {
    const exprs = items.map((i) => i.bind({ special, subquery, clause: 'SELECT' }));
    const names = uniqueNames(items.map((i, k) => i.name ?? defaultName(exprs[k]!, k)));
    const fields = exprs.map((e, k) => ({ name: names[k]!, type: e.type, nullable: true }));
    return { plan: { kind: 'LogicalProject', input: plan, exprs, fields }, names };
  }

  // Aggregation: group keys, then aggregate calls; select and having are rebound over them.
  const groupAst = q.distinct ? [] : resolveGroupByRefs(q.groupBy, items, scope, containsAggregate);
  const groupBy = q.distinct ? items.map((i) => i.bind({ special, subquery, clause: 'SELECT DISTINCT' })) : groupAst.map((g) => bindExpr(g, scope, catalog, { special, subquery, clause: 'GROUP BY' }));
  const groupKeys = groupBy.map(exprKey);
  const aggregates: AggregateCall[] = [];
  const aggKeys: string[] = [];
  const aggregate: BindHooks['aggregate'] = (call, bind) => {
    const name = normalizeName(call.name.name);
    // COUNT(*) FILTER (WHERE c) counts the rows where c is TRUE: COUNT_IF(c).
    const starFilter = call.star && call.filter !== undefined;
    const fn: AggregateFn = starFilter ? 'count_if' : call.distinct ? distinctFn(name, call.span) : (AGGREGATE_ALIASES[name] ?? (name as AggregateFn));
    if (name === 'count' && !call.star && call.args.length !== 1) {
      throw new SluiceError('TYPE_MISMATCH', `COUNT${call.distinct ? '(DISTINCT ...)' : ''} takes one argument${call.distinct ? '' : ' or *'}, got ${call.args.length}`, {
        span: call.span,
        hint: call.args.length > 1 ? 'COUNT(DISTINCT x) counts the distinct values of one expression' : 'COUNT(*) counts rows',
      });
    }
    const args0 = call.star ? [] : call.args.map((a) => bindExpr(a, scope, catalog, { special, subquery, clause: `${name.toUpperCase()}()` }));
    // STRING_AGG of numbers or times joins their text, as CAST writes it (DuckDB).
    const unfiltered = fn === 'string_agg' && args0.length > 0 ? [asText(args0[0]!), ...args0.slice(1)] : args0;
    // ARRAY_AGG keeps NULLs: each value travels in an array of one, so that a row FILTER leaves out (NULL) differs from a NULL value.
    const collected = fn === 'array_agg' && unfiltered.length === 1 ? [singleton(unfiltered[0]!)] : unfiltered;
    const bound = call.filter ? filtered(collected, bindExpr(call.filter, scope, catalog, { special, subquery, clause: 'FILTER (WHERE ...)' }), call.filter.span) : collected;
    const rule = AGGREGATE_FUNCTIONS[starFilter ? 'count_if' : name]!;
    const type = rule((fn === 'array_agg' ? unfiltered : bound).map((a) => a.type));
    if (typeof type === 'string') throw new SluiceError('TYPE_MISMATCH', `${name.toUpperCase()} ${type}`, { span: call.span });
    const folded = foldConstantArgs(fn, bound);
    const ordered = aggregateOrder(call, fn, (e) => bindExpr(e, scope, catalog, { special, subquery, clause: `${name.toUpperCase()}(... ORDER BY)` }));
    // Each distinct value once: its place in the order must be its own (DuckDB's rule).
    const distinct = call.distinct && (fn === 'string_agg' || fn === 'array_agg');
    if (distinct && ordered && exprKey(ordered.key) !== exprKey(args0[0]!)) {
      throw new SluiceError('INVALID_ARGUMENT', `${name.toUpperCase()}(DISTINCT x ORDER BY ...) must order by x itself: each value is given once`, { span: call.orderBy![0]!.expr.span, hint: `order by ${exprToString(args0[0]!)}, or leave out DISTINCT` });
    }
    // STRING_AGG(s, sep ORDER BY key) takes (s, key, sep): the key travels with each string.
    const args = ordered ? [folded[0]!, ordered.key, ...(folded[1] ? [folded[1]] : [])] : folded;
    const reference = fn === 'psi' ? psiReference(args, catalog, call.span) : undefined;
    return addAggregate({ fn, args, name: '', ...(reference ? { reference } : {}), ...(ordered ? { order: ordered.order } : {}), ...(distinct ? { distinct: true as const } : {}) }, type, `${name}(${args.map(exprToString).join(', ')})`, call.span);
  };
  /** The aggregate's column (one per distinct call), over the aggregate's output as `overAggregate` places it. */
  const addAggregate = (call: AggregateCall, type: DataType, display: string, span: Span | undefined): BoundExpr => {
    const key = call.fn + (call.distinct ? ' distinct' : '') + JSON.stringify(call.args.map(exprKey)) + (call.order ? JSON.stringify(call.order) : '');
    let idx = aggKeys.indexOf(key);
    if (idx < 0) {
      idx = aggregates.length;
      aggKeys.push(key);
      aggregates.push({ ...call, name: `${call.fn}_${idx}` });
      aggTypes.push(type);
    }
    return { kind: 'Column', index: -1 - idx, name: display, type, ...(span ? { span } : {}) };
  };
  // A subquery of the select list that reads no column of the row but the group's keys has one
  // value per group: read through ANY_VALUE (grouped-subqueries.ts).
  const groupedSubquery: BindHooks['subquery'] =
    subquery &&
    ((e) => {
      // GROUP BY (SELECT ...) itself: a group key, read as one.
      if (groupAst.some((g) => g === e || astKey(g) === astKey(e))) return subquery!(e);
      const ungrouped = ungroupedRef(e.query, groupAst, catalog);
      if (ungrouped) {
        const name = `${ungrouped.qualifier ? `${ungrouped.qualifier.name}.` : ''}${ungrouped.column.name}`;
        throw new SluiceError('INVALID_ARGUMENT', `the subquery reads column '${name}' of the row, which must appear in GROUP BY: a grouped query has one row per group`, {
          span: ungrouped.span,
          hint: `group by ${name} too, or compute the subquery in a query below the grouping`,
        });
      }
      const value = subquery!(e);
      return addAggregate({ fn: 'any_value', args: [value], name: '' }, value.type, exprToString(value), e.span);
    });
  const aggTypes: DataType[] = [];
  /** Rewrites an expression over the aggregate's output: group keys and aggregates by position. */
  const overAggregate = (e: BoundExpr): BoundExpr => {
    const g = groupKeys.indexOf(exprKey(e));
    if (g >= 0) {
      const src = groupBy[g]!;
      return { kind: 'Column', index: g, name: src.kind === 'Column' ? src.name : exprToString(src), type: e.type, ...(e.span ? { span: e.span } : {}) };
    }
    if (e.kind === 'Column') return e.index < 0 ? { ...e, index: groupBy.length + (-1 - e.index) } : { ...e, index: UNGROUPED + e.index };
    return mapChildren(e, overAggregate);
  };
  const selectExprs = items.map((i) => i.bind({ special, subquery: groupedSubquery, aggregate, clause: 'SELECT' }));
  const having = q.having ? asCondition(bindExpr(resolveHavingAliases(q.having, items, scope), scope, catalog, { special, aggregate, clause: 'HAVING' }), 'HAVING', q.having.span) : undefined;
  const finalSelect = selectExprs.map(overAggregate);
  const finalHaving = having ? overAggregate(having) : undefined;
  for (const [k, e] of [...finalSelect.map((e, k) => [k, e] as const), ...(finalHaving ? [[-1, finalHaving] as const] : [])]) {
    checkGrouped(e, selectExprs[k] ?? having!, groupBy.length + aggregates.length, scope, k < 0 ? 'HAVING' : 'SELECT');
  }
  const aggFields: Field[] = [
    ...groupBy.map((g, i) => ({ name: g.kind === 'Column' ? g.name : `group_${i}`, type: g.type, nullable: true })),
    ...aggregates.map((a, i) => ({ name: a.name, type: aggTypes[i]!, nullable: true })),
  ];
  plan = { kind: 'LogicalAggregate', input: plan, groupBy, aggregates, fields: aggFields };
  if (finalHaving) plan = { kind: 'LogicalFilter', input: plan, predicate: finalHaving, fields: aggFields };
  const names = uniqueNames(items.map((i, k) => i.name ?? defaultName(selectExprs[k]!, k)));
  const fields = finalSelect.map((e, k) => ({ name: names[k]!, type: e.type, nullable: true }));
  const selectedKeys = new Set(finalSelect.flatMap((e) => (e.kind === 'Column' && e.index < groupBy.length ? [e.index] : [])));
  const unselectedKeys = unselectedGroupKeys(groupBy, selectedKeys);
  return {
    plan: { kind: 'LogicalProject', input: plan, exprs: finalSelect, fields },
    names,
    ...(groupBy.length === 0 ? { singleRow: true } : {}),
    ...(unselectedKeys.length ? { unselectedKeys } : {}),
  };
}

/** A GROUP BY expression left out of the select list, and where it is written. */
export interface UnselectedKey {
  readonly text: string;
  readonly span?: Span;
}

/** GROUP BY expressions whose position is not in `selected`; a selected window bound covers the other one. */
function unselectedGroupKeys(groupBy: readonly BoundExpr[], selected: ReadonlySet<number>): UnselectedKey[] {
  const windowBound = (g: BoundExpr | undefined) => g?.kind === 'Column' && (g.name === 'window_start' || g.name === 'window_end');
  const windowSelected = groupBy.some((g, i) => selected.has(i) && windowBound(g));
  return groupBy.flatMap((g, i) => (selected.has(i) || (windowSelected && windowBound(g)) ? [] : [{ text: exprToString(g), ...(g.span ? { span: g.span } : {}) }]));
}

/**
 * An aggregate's own ORDER BY: STRING_AGG's, by one key. An aggregate whose result does not
 * depend on the order of its rows ignores it (as DuckDB); ARG_MAX, ARG_MIN and ANY_VALUE, whose
 * ties it would decide, refuse it.
 */
function aggregateOrder(call: CallExpr, fn: AggregateFn, bind: (e: Expr) => BoundExpr): { key: BoundExpr; order: AggregateOrder } | undefined {
  const items = call.orderBy;
  if (!items?.length) return undefined;
  if (fn !== 'string_agg' && fn !== 'array_agg') {
    if (fn === 'arg_max' || fn === 'arg_min' || fn === 'any_value') {
      throw new SluiceError('UNSUPPORTED', `ORDER BY inside ${call.name.name.toUpperCase()}() is not supported`, { span: items[0]!.expr.span, hint: 'of tied rows it takes the one that came first; leave out ORDER BY' });
    }
    for (const item of items) bind(item.expr);
    return undefined;
  }
  const keys = items.map((item) => {
    const key = bind(item.expr);
    if (key.type.kind === 'ARRAY' || key.type.kind === 'STRUCT') throw new SluiceError('TYPE_MISMATCH', `${fn.toUpperCase()} cannot order by a value of type ${typeToString(key.type)}`, { span: item.expr.span });
    return key;
  });
  const first = { desc: items[0]!.desc, nullsFirst: items[0]!.nullsFirst };
  if (keys.length === 1) return { key: keys[0]!, order: first };
  // Several ORDER BY items: one STRUCT key of their values (fields k0, k1, ...), each its own direction.
  const fields: Field[] = keys.map((k, i) => ({ name: `k${i}`, type: k.type.kind === 'NULL' ? T.INT : k.type, nullable: true }));
  const args = keys.flatMap((k, i): BoundExpr[] => [{ kind: 'Literal', value: `k${i}`, type: T.STRING }, k]);
  const key: BoundExpr = { kind: 'Call', fn: 'struct_pack', args, type: { kind: 'STRUCT', fields } };
  return { key, order: { ...first, keys: items.map((item) => ({ desc: item.desc, nullsFirst: item.nullsFirst })) } };
}

/**
 * The aggregate of `name(DISTINCT x)`: COUNT, SUM and AVG over the distinct values; MIN and MAX
 * are the same with or without DISTINCT.
 */
function distinctFn(name: string, span: Span): AggregateFn {
  const collects = AGGREGATE_ALIASES[name] ?? name;
  // STRING_AGG and ARRAY_AGG collect every value anyway (for retractions): DISTINCT keeps each once.
  if (collects === 'string_agg' || collects === 'array_agg') return collects;
  const fn = ({ count: 'count_distinct', sum: 'sum_distinct', avg: 'avg_distinct', min: 'min', max: 'max' } as const)[name as 'count'];
  if (fn === undefined) throw new SluiceError('UNSUPPORTED', `DISTINCT is supported in COUNT, SUM, AVG, MIN, MAX, STRING_AGG and ARRAY_AGG, not in ${name.toUpperCase()}`, { span });
  return fn;
}

/**
 * The arguments of an aggregate with `FILTER (WHERE cond)`: its first argument becomes
 * `CASE WHEN cond THEN x END`, which every aggregate ignores where cond is not TRUE (their other
 * arguments, such as a threshold, stay as they are); COUNT(*)'s is cond itself (COUNT_IF).
 */
/** `ARRAY[e]`. */
function singleton(e: BoundExpr): BoundExpr {
  return { kind: 'Array', elements: [e], type: arrayOf(e.type), ...(e.span ? { span: e.span } : {}) };
}

function filtered(args: readonly BoundExpr[], cond: BoundExpr, span: Span): BoundExpr[] {
  asCondition(cond, 'FILTER', span);
  if (args.length === 0) return [cond];
  const [first, ...rest] = args;
  return [{ kind: 'Case', whens: [{ when: cond, then: first! }], type: first!.type, ...(first!.span ? { span: first!.span } : {}) }, ...rest];
}

/**
 * A subquery in FROM takes no ORDER BY or LIMIT: a row order means nothing to the query around
 * it, and a LIMIT there (a top-N) is not implemented; refused rather than left out.
 */
/** A subquery's ORDER BY, LIMIT and OFFSET, as the rows they keep (limited-subquery.ts). */
function checkSubquery(sub: SelectQuery): SelectQuery {
  return sub.orderBy.length || sub.limit !== undefined || sub.offset !== undefined ? limitedAsQualify(sub) : sub;
}

function withLimit(q: SelectQuery, p: PlannedQuery): PlannedQuery {
  const ordered = q.orderBy.length ? { ...p, orderBy: resolveOrderBy(q, p.names) } : p;
  return { ...ordered, ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.offset ? { offset: q.offset } : {}) };
}

function checkGrouped(e: BoundExpr, original: BoundExpr, limit: number, scope: Scope, clause: string): void {
  visit(e, (x) => {
    if (x.kind === 'Column' && x.index >= limit) {
      throw new SluiceError('INVALID_ARGUMENT', `column '${x.name}' must appear in GROUP BY or be used in an aggregate`, {
        span: x.span ?? original.span,
        hint: `add it to GROUP BY, or wrap it, e.g. MAX(${x.name}), in ${clause}`,
      });
    }
  });
  void scope;
}

interface Item {
  readonly ast?: Expr;
  readonly name?: string;
  /** A column of `*`: the reference GROUP BY ALL groups by. */
  readonly column?: Expr;
  bind(hooks: BindHooks): BoundExpr;
}

function expandItems(q: SelectQuery, scope: Scope, catalog: Catalog, special: BindHooks['special']): Item[] {
  const out: Item[] = [];
  for (const it of q.items) {
    if (it.kind === 'Star' && it.path?.length) {
      // t.s.* (or t.s.f.*): the fields of the STRUCT that path reads, as columns.
      if (it.exclude?.length || it.replace?.length || it.rename?.length) throw new SluiceError('UNSUPPORTED', 'EXCLUDE, REPLACE and RENAME apply to the columns of a relation, not to the fields of a STRUCT', { span: it.span, hint: 'name the fields wanted: SELECT t.s.a, t.s.b AS c' });
      const column: Expr = { kind: 'ColumnRef', qualifier: it.qualifier!, column: it.path[0]!, span: it.span };
      const operand = bindExpr(it.path.slice(1).reduce<Expr>((x, f) => ({ kind: 'FieldAccess', operand: x, field: f, span: it.span }), column), scope, catalog, { special });
      const type = operand.type;
      if (type.kind !== 'STRUCT') throw new SluiceError('TYPE_MISMATCH', `${[it.qualifier!, ...it.path].map((x) => x.name).join('.')}.* needs a STRUCT, got ${typeToString(type)}`, { span: it.span });
      const struct = operand;
      for (const f of type.fields) out.push({ name: f.name, bind: () => ({ kind: 'FieldAccess', operand: struct, field: f.name, type: f.type, span: it.span }) });
      continue;
    }
    if (it.kind === 'Star') {
      const qual = it.qualifier ? normalizeName(it.qualifier.name) : undefined;
      const all = scope.columns
        .map((c, index) => ({ c, index }))
        .filter(({ c }) => !c.hidden && (qual === undefined || (c.qualifier !== undefined && normalizeName(c.qualifier) === qual)));
      if (qual !== undefined && all.length === 0) {
        // s.* of a STRUCT column s: its fields, as DuckDB.
        const fields = structFields(scope, qual);
        if (fields && !it.exclude?.length && !it.replace?.length && !it.rename?.length) {
          for (const f of fields.type.fields) {
            out.push({ name: f.name, bind: () => ({ kind: 'FieldAccess', operand: { kind: 'Column', index: fields.index, name: fields.name, type: fields.type, span: it.span }, field: f.name, type: f.type, span: it.span }) });
          }
          continue;
        }
        scope.resolve(it.qualifier!.name, '*', it.span);
      }
      const cols = excludeColumns(all, it.exclude);
      const replaced = replacedColumns(cols, it.replace);
      const renamed = renamedColumns(cols, it.rename);
      for (const { c, index } of cols) {
        const expr = replaced.get(normalizeName(c.name));
        const name = renamed.get(normalizeName(c.name)) ?? c.name;
        if (expr) out.push({ ast: expr, name, bind: (hooks) => bindExpr(expr, scope, catalog, { special, ...hooks }) });
        else {
          const column: Expr = { kind: 'ColumnRef', ...(c.qualifier !== undefined ? { qualifier: { name: c.qualifier, span: it.span } } : {}), column: { name: c.name, span: it.span }, span: it.span };
          out.push({ name, column, bind: () => ({ kind: 'Column', index, name, type: c.type, span: it.span }) });
        }
      }
      continue;
    }
    // A hidden ORDER BY column may read select aliases: ORDER BY dbl + 1 (as DuckDB).
    const expr = it.alias?.name.startsWith(HIDDEN_ORDER_PREFIX) ? selectAliases(it.expr, q.items, scope, 'ORDER BY') : it.expr;
    const struct = it.alias ? undefined : unnestedStruct(expr, scope, catalog, special);
    if (struct) {
      // UNNEST(s) of a STRUCT in the select list: its fields as columns, as s.* (DuckDB).
      for (const f of struct.type.fields) out.push({ name: f.name, bind: () => ({ kind: 'FieldAccess', operand: struct, field: f.name, type: f.type, span: it.span }) });
      continue;
    }
    const alias = it.alias?.name ?? implicitName(expr);
    out.push({ ast: expr, ...(alias ? { name: alias } : {}), bind: (hooks) => bindExpr(expr, scope, catalog, { special, ...hooks }) });
  }
  return out;
}

/** The bound STRUCT operand of an item `UNNEST(s)`, or undefined for any other item. */
function unnestedStruct(expr: Expr, scope: Scope, catalog: Catalog, special: BindHooks['special']): (BoundExpr & { type: Extract<DataType, { kind: 'STRUCT' }> }) | undefined {
  if (expr.kind !== 'Call' || normalizeName(expr.name.name) !== 'unnest' || expr.args.length !== 1 || catalog.findFunction('unnest')) return undefined;
  let operand: BoundExpr;
  try {
    operand = bindExpr(expr.args[0]!, scope, catalog, { special });
  } catch {
    // Not a plain expression of the row (an aggregate, a list the UNNEST path reports on): left to it.
    return undefined;
  }
  return operand.type.kind === 'STRUCT' ? (operand as BoundExpr & { type: Extract<DataType, { kind: 'STRUCT' }> }) : undefined;
}

/** The one visible STRUCT column named `name` (normalized), with its index. */
function structFields(scope: Scope, name: string): { index: number; name: string; type: Extract<DataType, { kind: 'STRUCT' }> } | undefined {
  const found = scope.columns.map((c, index) => ({ c, index })).filter(({ c }) => !c.hidden && normalizeName(c.name) === name);
  if (found.length !== 1 || found[0]!.c.type.kind !== 'STRUCT') return undefined;
  const { c, index } = found[0]!;
  return { index, name: c.name, type: c.type as Extract<DataType, { kind: 'STRUCT' }> };
}

/** The columns of a `*` but those its `EXCLUDE` names; a name it does not have is an error. */
function excludeColumns<C extends { readonly c: { readonly name: string } }>(cols: readonly C[], exclude: readonly Ident[] | undefined): readonly C[] {
  if (!exclude?.length) return cols;
  for (const x of exclude) checkStarColumn(cols, x, 'EXCLUDE');
  const names = new Set(exclude.map((x) => normalizeName(x.name)));
  return cols.filter(({ c }) => !names.has(normalizeName(c.name)));
}

/** An UNKNOWN_COLUMN error unless `name` is one of the star's columns. */
function checkStarColumn(cols: readonly { readonly c: { readonly name: string } }[], name: Ident, clause: 'EXCLUDE' | 'REPLACE' | 'RENAME'): void {
  if (cols.some(({ c }) => normalizeName(c.name) === normalizeName(name.name))) return;
  throw new SluiceError('UNKNOWN_COLUMN', `${clause} names '${name.name}', which * does not select`, {
    span: name.span,
    hint: didYouMean(name.name, cols.map(({ c }) => c.name)) ?? `* selects ${cols.map(({ c }) => c.name).join(', ')}`,
  });
}

/** The expressions `* REPLACE` gives for the star's columns, by name; a name it does not select is an error. */
function replacedColumns<C extends { readonly c: { readonly name: string } }>(cols: readonly C[], replace: readonly { readonly expr: Expr; readonly name: Ident }[] | undefined): Map<string, Expr> {
  const out = new Map<string, Expr>();
  for (const { expr, name } of replace ?? []) {
    checkStarColumn(cols, name, 'REPLACE');
    out.set(normalizeName(name.name), expr);
  }
  return out;
}

/** The names `* RENAME` gives the star's columns, by column; a column it does not select, or one named twice, is an error. */
function renamedColumns<C extends { readonly c: { readonly name: string } }>(cols: readonly C[], rename: readonly { readonly column: Ident; readonly name: Ident }[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const { column, name } of rename ?? []) {
    checkStarColumn(cols, column, 'RENAME');
    const key = normalizeName(column.name);
    if (out.has(key)) throw new SluiceError('INVALID_ARGUMENT', `RENAME names '${column.name}' twice`, { span: column.span, hint: 'give each column one new name' });
    out.set(key, name.name);
  }
  return out;
}

function defaultName(e: BoundExpr, k: number): string {
  // A column the planner named (a subquery's value, '\u0000...') is an expression to the user.
  return e.kind === 'Column' && !e.name.startsWith('\u0000') ? e.name : `expr${k}`;
}

function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const key = normalizeName(n);
    const c = seen.get(key) ?? 0;
    seen.set(key, c + 1);
    return c === 0 ? n : `${n}_${c + 1}`;
  });
}

/**
 * A name in WHERE that no column of FROM has but a select item is named (`SELECT v * 2 AS dbl
 * ... WHERE dbl > 20`): that item's expression, as DuckDB reads it; not an item that aggregates or
 * holds a window function (those come after WHERE).
 */
function whereAliases(where: Expr, items: readonly SelectItem[], scope: Scope): Expr {
  return selectAliases(where, items, scope, 'WHERE');
}

/**
 * `e` with each name that no column of FROM has but a select item is named replaced by that
 * item's expression. In WHERE an aggregate or window item is an error (WHERE comes before them);
 * in an ORDER BY expression (`ORDER BY total + 1`) it is what the item computes.
 */
function selectAliases(where: Expr, items: readonly SelectItem[], scope: Scope, clause: 'WHERE' | 'ORDER BY'): Expr {
  const aliases = new Set(items.flatMap((i) => (i.kind === 'ExprItem' && i.alias ? [normalizeName(i.alias.name)] : [])));
  let named = false;
  walkAst(where, (x) => {
    if (x.kind === 'ColumnRef' && x.qualifier === undefined && aliases.has(normalizeName(x.column.name))) named = true;
  });
  // Unchanged where no alias is named: a subquery in it is known by its node.
  if (!named) return where;
  const walk = (e: Expr): Expr => {
    if (isSubquery(e)) return e;
    if (e.kind === 'ColumnRef' && e.qualifier === undefined) {
      const name = normalizeName(e.column.name);
      if (scope.columns.some((c) => normalizeName(c.name) === name)) return e;
      const item = items.find((i): i is Extract<SelectItem, { kind: 'ExprItem' }> => i.kind === 'ExprItem' && i.alias !== undefined && normalizeName(i.alias.name) === name);
      if (!item) return e;
      if (clause === 'WHERE' && (containsAggregate(item.expr) || containsWindow(item.expr))) {
        const what = containsAggregate(item.expr) ? 'an aggregate' : 'a window function';
        throw new SluiceError('INVALID_ARGUMENT', `'${e.column.name}' names ${what} of the select list, which WHERE comes before`, {
          span: e.span,
          hint: containsAggregate(item.expr) ? `filter groups with HAVING ${e.column.name} ...` : `filter with QUALIFY ${e.column.name} ...`,
        });
      }
      return item.expr;
    }
    return mapAst(e, walk);
  };
  return walk(where);
}

function containsWindow(e: Expr): boolean {
  let found = false;
  walkAst(e, (x) => {
    if (x.kind === 'Call' && x.over) found = true;
  });
  return found;
}

/** Whether the select list, HAVING or ORDER BY calls GROUPING(...). */
function callsGrouping(q: SelectQuery): boolean {
  const exprs = [...q.items.flatMap((i) => (i.kind === 'ExprItem' ? [i.expr] : [])), ...(q.having ? [q.having] : []), ...q.orderBy.map((o) => o.expr)];
  let found = false;
  for (const e of exprs) {
    walkAst(e, (x) => {
      if (x.kind === 'Call' && !x.over && isGroupingName(normalizeName(x.name.name))) found = true;
    });
  }
  return found;
}

function containsAggregate(e: Expr): boolean {
  let found = false;
  walkAst(e, (x) => {
    if (x.kind === 'Call' && Object.hasOwn(AGGREGATE_FUNCTIONS, normalizeName(x.name.name))) found = true;
  });
  return found;
}

function collectPredicts(q: SelectQuery): CallExpr[] {
  const out: CallExpr[] = [];
  const exprs: Expr[] = [
    ...q.items.flatMap((i) => (i.kind === 'ExprItem' ? [i.expr] : [])),
    ...(q.where ? [q.where] : []),
    ...q.groupBy,
    ...(q.having ? [q.having] : []),
  ];
  for (const e of exprs) {
    walkAst(e, (x) => {
      if (x.kind === 'Call' && normalizeName(x.name.name) === 'predict') out.push(x);
    });
  }
  return out;
}

function modelNameOf(call: CallExpr): string {
  const a = call.args[0];
  if (!a || a.kind !== 'Literal' || a.literal !== 'string') {
    throw new SluiceError('INVALID_ARGUMENT', `${call.name.name}() takes the model name as a string first`, {
      span: a?.span ?? call.span,
      hint: "e.g. predict('fraud', features)",
    });
  }
  return a.value as string;
}

/**
 * The model a predict() call names: `'fraud'` (the serving version and its candidate) or
 * `'fraud@2'` (version 2 only). The span is the name's literal, for carets.
 */
export function modelRefOf(call: CallExpr): { readonly name: string; readonly version: number | undefined; readonly span: Span } {
  const text = modelNameOf(call);
  const span = call.args[0]!.span ?? call.span;
  const at = text.lastIndexOf('@');
  if (at < 0) return { name: text, version: undefined, span };
  const v = text.slice(at + 1).trim();
  if (!/^[1-9][0-9]{0,8}$/.test(v)) {
    throw new SluiceError('INVALID_ARGUMENT', `'${text}' names version '${v}'; a version is a number from 1`, { span, hint: `e.g. predict('${text.slice(0, at)}@2', ...)` });
  }
  return { name: text.slice(0, at), version: Number(v), span };
}

/**
 * The input columns the predict operator reads besides its arguments: the log's id column (an
 * error when the model logs and the input lacks it), the source's event time, and the key a
 * canary routes by (the candidate's `key`, else the stream's key, else the log id).
 */
function predictRowInfo(call: CallExpr, sig: ModelSignature, from: { plan: LogicalPlan; scope: Scope }, catalog: Catalog): PredictRowInfo {
  const find = (column: string): number => from.scope.columns.findIndex((c) => !c.hidden && normalizeName(c.name) === normalizeName(column));
  const logId = sig.live?.logId();
  const id = logId === undefined ? -1 : find(logId);
  if (logId !== undefined && id < 0) {
    throw new SluiceError('UNKNOWN_COLUMN', `model '${sig.name}' logs its predictions by '${logId}' (option 'log.id'), but the query's input has no column ${logId}`, {
      span: call.span,
      hint: `select from a stream with a column ${logId}, or change the id with ALTER MODEL ${sig.name} SET ('log.id' = '...')`,
    });
  }
  const scan = from.plan.kind === 'LogicalScan' ? from.plan : undefined;
  const def = scan ? catalog.findRelation(scan.relation) : undefined;
  const routeKey = sig.live?.routeKey();
  if (routeKey !== undefined && find(routeKey) < 0) {
    throw new SluiceError('UNKNOWN_COLUMN', `the candidate of model '${sig.name}' routes rows by '${routeKey}' (option 'key'), but the query's input has no column ${routeKey}`, {
      span: call.span,
      hint: `set the candidate with a key the input has: ALTER MODEL ${sig.name} SET CANDIDATE (..., key = '<column>')`,
    });
  }
  const streamKey = def?.kind === 'stream' && def.key !== undefined ? find(def.key) : -1;
  const key = routeKey !== undefined ? find(routeKey) : streamKey >= 0 ? streamKey : id;
  const eventTime = scan?.watermark?.column;
  return { ...(id >= 0 ? { id } : {}), ...(eventTime !== undefined ? { eventTime } : {}), ...(key >= 0 ? { key } : {}) };
}

function predictKey(call: CallExpr): string {
  return normalizeName(modelNameOf(call)) + '\u0000' + JSON.stringify(call.args.slice(1), (k, v: unknown) => (k === 'span' ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}

/** Checks predict() arguments against the model's declared inputs; returns the input width (0: decided per row). */
function checkPredictArgs(call: CallExpr, model: string, inputs: readonly Field[], args: readonly BoundExpr[]): number {
  const declared = inputs.reduce((n, f) => n + widthOf(f.type), 0);
  let width = 0;
  let unknown = false;
  for (const [i, a] of args.entries()) {
    const t = a.type;
    if (isNumeric(t) || t.kind === 'BOOLEAN') width += 1;
    else if (t.kind === 'ARRAY' && (isNumeric(t.element) || t.element.kind === 'BOOLEAN')) {
      if (t.size === undefined) unknown = true;
      else width += t.size;
    } else {
      throw new SluiceError('TYPE_MISMATCH', `predict('${model}') argument ${i + 1} is ${typeToString(t)}; model inputs must be numbers or numeric arrays`, {
        span: a.span ?? call.span,
      });
    }
  }
  if (args.length === 0) {
    throw new SluiceError('INVALID_ARGUMENT', `predict('${model}') needs input values after the model name`, { span: call.span });
  }
  if (!unknown && declared > 0 && width !== declared) {
    throw new SluiceError('SCHEMA_MISMATCH', `predict('${model}') is given ${width} input value(s) per row; the model takes ${declared}`, {
      span: call.span,
      hint: `model ${model} declares INPUT (${inputs.map((f) => `${f.name} ${typeToString(f.type)}`).join(', ')})`,
    });
  }
  return declared;
}

function widthOf(t: DataType): number {
  if (t.kind === 'ARRAY') return t.size ?? 0;
  return 1;
}

/** Visits every AST expression node. */
export function walkAst(e: Expr, f: (e: Expr) => void): void {
  f(e);
  const w = (x: Expr | undefined) => x && walkAst(x, f);
  switch (e.kind) {
    case 'Binary':
      w(e.left);
      w(e.right);
      break;
    case 'Unary':
    case 'IsNull':
    case 'Cast':
    case 'FieldAccess':
      w(e.operand);
      break;
    case 'In':
      w(e.operand);
      e.list.forEach(w);
      break;
    case 'InSubquery':
      // A subquery's own expressions belong to it.
      w(e.operand);
      break;
    case 'Between':
      w(e.operand);
      w(e.low);
      w(e.high);
      break;
    case 'Like':
      w(e.operand);
      w(e.pattern);
      break;
    case 'Case':
      w(e.operand);
      e.whens.forEach((x) => {
        w(x.when);
        w(x.then);
      });
      w(e.else);
      break;
    case 'Call':
      e.args.forEach(w);
      w(e.filter);
      break;
    case 'Index':
      w(e.operand);
      w(e.index);
      break;
    case 'Array':
      e.elements.forEach(w);
      break;
    case 'Lambda':
      w(e.body);
      break;
    default:
      break;
  }
}

/** The subqueries of `exprs` (not those inside another subquery), each once. */
function collectSubqueries(exprs: readonly (Expr | undefined)[]): SubqueryExpr[] {
  const out: SubqueryExpr[] = [];
  for (const e of exprs) {
    if (e) walkAst(e, (x) => {
      if (isSubquery(x) && !out.includes(x)) out.push(x);
    });
  }
  return out;
}

function refuseNestedSubquery(e: SubqueryExpr): never {
  throw new SluiceError('UNSUPPORTED', 'a subquery is supported in WHERE and the select list of the query itself, not here', { span: e.span });
}

/**
 * UNNEST(array) calls of the select list: one LogicalUnnest over the rows (after WHERE) with an
 * element column per call, recorded in `columns` for the binder. A grouped query, or a call
 * inside an aggregate, is refused: unnest in a subquery in FROM and aggregate outside it.
 */
function planUnnest(q: SelectQuery, plan: LogicalPlan, scope: Scope, catalog: Catalog, special: BindHooks['special'], columns: Map<CallExpr, number>): { plan: LogicalPlan; scope: Scope } {
  const calls: CallExpr[] = [];
  for (const item of q.items) {
    // UNNEST(s) of a STRUCT as a whole item gives its fields as columns (expandItems), no rows.
    if (item.kind === 'ExprItem' && !item.alias && unnestedStruct(item.expr, scope, catalog, special)) continue;
    if (item.kind === 'ExprItem') {
      walkAst(item.expr, (x) => {
        if (x.kind === 'Call' && !x.over && normalizeName(x.name.name) === 'unnest') calls.push(x);
      });
    }
  }
  if (calls.length === 0) return { plan, scope };
  if (q.groupBy.length || q.groupingSets || q.having || q.items.some((i) => i.kind === 'ExprItem' && containsAggregate(i.expr))) {
    throw new SluiceError('UNSUPPORTED', 'UNNEST in a query that groups or aggregates is not supported', {
      span: calls[0]!.span,
      hint: 'unnest in a subquery in FROM and aggregate its rows outside it: SELECT x, COUNT(*) FROM (SELECT UNNEST(arr) AS x FROM t) q GROUP BY x',
    });
  }
  const arrays = calls.map((call) => {
    if (call.args.length !== 1 || call.star || call.distinct) {
      throw new SluiceError('TYPE_MISMATCH', `UNNEST takes one array, got ${call.args.length} arguments`, { span: call.span, hint: 'UNNEST(tags)' });
    }
    const a = bindExpr(call.args[0]!, scope, catalog, { special, clause: 'UNNEST' });
    if (a.type.kind !== 'ARRAY') {
      throw new SluiceError('TYPE_MISMATCH', `UNNEST expects an array, got ${typeToString(a.type)}`, { span: call.args[0]!.span, hint: 'UNNEST(STRING_SPLIT(s, \',\')) for the parts of a string' });
    }
    return a;
  });
  const base = plan.fields.length;
  const elements: Field[] = arrays.map((a, i) => ({ name: `\u0000unnest${i}`, type: (a.type as Extract<DataType, { kind: 'ARRAY' }>).element, nullable: true }));
  calls.forEach((c, i) => columns.set(c, base + i));
  return {
    plan: { kind: 'LogicalUnnest', input: plan, arrays, fields: [...plan.fields, ...elements] },
    scope: new Scope([...scope.columns, ...elements.map((f): ScopeColumn => ({ name: f.name, type: f.type, hidden: true }))]),
  };
}

/** A structural key of an AST expression (spans left out). */
function astKey(e: Expr): string {
  return JSON.stringify(e, (k, v: unknown) => (k === 'span' ? undefined : typeof v === 'bigint' ? `${v}n` : v));
}
