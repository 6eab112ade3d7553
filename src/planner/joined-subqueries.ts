/**
 * Subqueries inside expressions over any input (streams, views, subqueries, aggregates; tables in
 * a pull query), each turned into a LEFT hash join of the query's rows with what the subquery
 * gives per correlation key (decorrelation):
 *
 * - `EXISTS (SELECT ... FROM r WHERE r.a = q.x AND <r only>)`: the distinct keys `r.a` of the rows
 *   that pass; a query row has a partner exactly when the subquery has a row. Without a
 *   correlation, the count of its rows (one row, joined to every query row).
 * - `(SELECT agg FROM r WHERE r.a = q.x AND ...)`: `agg` grouped by the keys; a query row without
 *   a group gets NULL (a bare COUNT gets 0, as a batch engine gives for no rows).
 * - `x [NOT] IN (SELECT y FROM r WHERE ...)`: the distinct non-NULL (keys, y), joined on (q.x...,
 *   x), and per key the count of rows and of non-NULL y, for SQL's three values: TRUE on a match;
 *   else FALSE when the subquery has no row; else NULL when x or some y is NULL; else FALSE.
 *
 * A correlation is an equality in the subquery's WHERE between an expression over the
 * subquery's columns and one over the query's; every other condition must read only the
 * subquery's columns. Names resolve to the subquery's columns first. The joins keep the query's
 * columns where they are and add theirs after, hidden from every name.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { T, type DataType, type Field } from '../common/types.js';
import { normalizeName, type ColumnRefExpr, type Expr, type FromItem, type Ident, type SelectQuery, type SubqueryExpr } from '../parser/ast.js';
import { bindExpr, comparable, Scope, type ScopeColumn } from './bind-expr.js';
import { andAll, conjuncts, factoredConjuncts, type BoundExpr } from './bound-expr.js';
import type { Catalog } from './catalog.js';
import { floatKey, floatMeetsExact, hashJoinOn, sameKeyKind } from './join-keys.js';
import type { LogicalPlan } from './logical.js';
import { planFrom, type SubqueryPlanner } from './plan-from.js';
import { mapChildren } from './window-lift.js';
import { isAggregateName } from './functions.js';
import { nestedOuterRefs, refKey, replaceNestedRefs, resolves, type NestedRefs } from './nested-correlation.js';
import { limitedAsQualify } from './limited-subquery.js';
import { andAst, astConjuncts, hasSubquery } from './ast-conjuncts.js';

export interface JoinedSubquery {
  readonly plan: LogicalPlan;
  readonly scope: Scope;
  /** The subquery's value over `plan`'s rows. */
  readonly value: BoundExpr;
}

/** Plans subquery number `k` as LEFT hash joins under `plan` (see the module comment). */
export function planJoinedSubquery(sub: SubqueryExpr, k: number, plan: LogicalPlan, scope: Scope, catalog: Catalog, planSub: SubqueryPlanner, pull: boolean, aggregates: (e: Expr) => boolean, outerFrom?: FromItem): JoinedSubquery {
  let q = setAsColumn(sub.query);
  // (SELECT 1), EXISTS (SELECT 1): over one row, as a query without FROM is.
  if (!q.from) q = { ...q, from: oneRow(q.span) };
  let inner = planFrom(q.from!, catalog, planSub, pull).scope;
  if (sub.kind !== 'Exists') q = starAsColumn(q, inner);
  const limited = q.orderBy.length > 0 || q.limit !== undefined || q.offset !== undefined;
  if (sub.kind !== 'ScalarSubquery' && !limited && (q.groupBy.length || q.groupingSets || q.having || q.distinct || q.items.some((i) => i.kind === 'ExprItem' && aggregates(i.expr)))) {
    const flat = ungrouped(sub, q, inner);
    if (flat.kind === 'Scalar' && sub.kind === 'InSubquery') {
      // x IN (one value): x = that value (NULL where either is), negated for NOT IN.
      const one = planJoinedSubquery({ kind: 'ScalarSubquery', query: flat.query, span: sub.span }, k, plan, scope, catalog, planSub, pull, aggregates, outerFrom);
      const operand = bindExpr(sub.operand, one.scope, catalog, { clause: 'IN' });
      comparable(operand, one.value, sub.span);
      const equal: BoundExpr = { kind: 'Binary', op: '=', left: operand, right: one.value, type: T.BOOLEAN, span: sub.span };
      return { ...one, value: sub.negated ? { kind: 'Unary', op: 'NOT', operand: equal, type: T.BOOLEAN, span: sub.span } : equal };
    }
    q = flat.query;
    inner = planFrom(q.from!, catalog, planSub, pull).scope;
  }
  if (limited) {
    q = limitedRows(q, inner, sub.kind === 'Exists', outerFrom);
    inner = planFrom(q.from!, catalog, planSub, pull).scope;
  }
  const correlated = correlation(q, inner, true);
  // The value as written, over the query's columns (see ofNoRows).
  const written = q.items.length === 1 && q.items[0]!.kind === 'ExprItem' ? q.items[0]!.expr : undefined;
  const { mixed, readsOuter } = correlated;
  let { keys, rest } = correlated;
  let nullSafe = false;
  let from: FromItem = q.from!;
  // Subqueries nested in this one that read the query's columns (nested-correlation.ts): this
  // one is computed per distinct value of those, as for a condition on them, and they read the
  // values as its columns.
  const plain = !limited && !q.groupBy.length && !q.groupingSets && !q.having && !q.distinct;
  const nested = outerFrom && plain ? nestedOuterRefs(q, scope) : undefined;
  const nests = nested !== undefined && nested.refs.length > 0;
  if (mixed.length && sub.kind === 'Exists' && !nests) return planMarked(sub, k, plan, scope, catalog, planSub, q, inner, rest, [...keys.map(([i, o]): Expr => ({ kind: 'Binary', op: '=', left: i, right: o, span: i.span })), ...mixed]);
  // An EXISTS subquery's select list says nothing: it may read what it likes.
  const outerItem = readsOuter && sub.kind !== 'Exists';
  if (mixed.length || outerItem || nests) {
    // Other conditions on the query's columns, or a value over them: the subquery is computed
    // per distinct value of those columns (DuckDB's delimiter join), which are then its keys.
    if (!outerFrom) {
      throw new SluiceError('UNSUPPORTED', "this subquery in HAVING compares the query's columns other than by equality with its own (a.k = q.k), or selects an expression over them", {
        span: mixed[0]?.span ?? q.span,
        hint: 'write the condition as an equality of the two sides, test it with EXISTS, or join the two in FROM',
      });
    }
    let items: Expr[];
    let deep: (e: Expr) => Expr;
    let filters: Expr[];
    ({ keys, from, items, deep, filters } = delimited(from, keys, mixed, inner, outerFrom, q.span, outerItem ? [onlyItem(q)] : [], nested));
    rest = [...rest, ...filters];
    if (outerItem) {
      refuseOuterAggregates(items[0]!, inner);
      q = { ...q, items: [{ kind: 'ExprItem', expr: items[0]!, span: items[0]!.span }] };
    }
    if (nests) {
      rest = rest.map(deep);
      q = { ...q, items: q.items.map((i) => (i.kind === 'ExprItem' ? { ...i, expr: deep(i.expr) } : i)) };
    }
    nullSafe = true;
  }
  let where = andAst(rest);
  if (sub.kind !== 'Exists' && onlyWindowed(q)) {
    ({ q, keys, from, where } = windowedPerKey(q, keys, from, where));
    rest = [];
  }
  // A NULL value of the query's columns is a value like any other when the subquery is computed
  // per distinct value (its rows may pass a condition such as `r.w = q.v OR r.w IS NULL`): its
  // keys are joined as one-element lists, which are never NULL, so that the query's rows find
  // the subquery's rows of their NULL too.
  const list = (e: Expr): Expr => (nullSafe ? { kind: 'Array', elements: [e], span: e.span } : e);
  const outerKeys = keys.map(([, o]) => bindExpr(list(o), scope, catalog, { clause: 'a subquery' }));
  const span = sub.span;
  const named = (name: string, e: Expr): { kind: 'ExprItem'; expr: Expr; alias: Ident; span: Span } => ({ kind: 'ExprItem', expr: e, alias: { name, span }, span });
  const keyItems = keys.map(([i], n) => named(`k${n}`, list(i)));
  const keyRefs = keys.map(([i]) => i);
  // Rows whose key is NULL can match no query row, unless NULL matches NULL.
  const keyed = nullSafe ? [] : keyRefs.map(notNull);
  const select = (items: ReturnType<typeof named>[], extra: { where?: Expr | undefined; groupBy?: readonly Expr[]; distinct?: boolean } = {}): SelectQuery => ({
    kind: 'Select',
    distinct: extra.distinct ?? false,
    items,
    from,
    ...(extra.where ? { where: extra.where } : {}),
    groupBy: extra.groupBy ?? [],
    orderBy: [],
    span: q.span,
  });

  let joined: { plan: LogicalPlan; scope: Scope } = { plan, scope };
  const join = (keysOver: readonly BoundExpr[], right: LogicalPlan, what: string): number => {
    const j = leftJoin(joined, keysOver, right, k, what);
    joined = { plan: j.plan, scope: j.scope };
    return j.rightAt;
  };
  const col = (at: number): BoundExpr => {
    const c = joined.scope.columns[at]!;
    return { kind: 'Column', index: at, name: c.name, type: c.type };
  };
  const isNull = (e: BoundExpr, negated = false): BoundExpr => ({ kind: 'IsNull', operand: e, negated, type: T.BOOLEAN });
  const lit = (value: boolean | number | null, type: DataType = T.BOOLEAN): BoundExpr => ({ kind: 'Literal', value, type });
  const zeroIfNull = (e: BoundExpr): BoundExpr => ({ kind: 'Call', fn: 'coalesce', args: [e, lit(0, e.type)], type: e.type });

  switch (sub.kind) {
    case 'Exists': {
      if (keys.length === 0) {
        // Whether it has any row: its count, one row joined to every query row (none yet: 0).
        const counted = select([named('n', countStar(span))], { where });
        const at = join([], planSub(counted).plan, 'count');
        return { ...joined, value: { kind: 'Binary', op: '>', left: zeroIfNull(col(at)), right: lit(0, T.BIGINT), type: T.BOOLEAN, span } };
      }
      const distinctKeys = select(keyItems, { where: andAst([...rest, ...keyed]), distinct: true });
      const at = join(outerKeys, planSub(distinctKeys).plan, 'keys');
      return { ...joined, value: isNull(col(at), true) };
    }
    case 'ScalarSubquery': {
      const item = onlyItem(q);
      if (q.groupBy.length || q.having || q.distinct) {
        throw new SluiceError('UNSUPPORTED', 'a subquery used as a value over a stream or view gives one value per row: GROUP BY, HAVING and DISTINCT are not supported in it', {
          span: q.groupBy[0]?.span ?? q.having?.span ?? item.span,
          hint: 'aggregate its rows into one value, e.g. (SELECT MAX(v) FROM r WHERE r.k = s.k)',
        });
      }
      if (!aggregates(item)) {
        // A column of at most one row (as DuckDB: a second row is an error, here of the query's row).
        const grouped = select([...keyItems, named('v', call('ANY_VALUE', [item])), named('n', countStar(span))], { where, groupBy: keyRefs });
        const at = join(outerKeys, planSub(grouped).plan, 'value');
        const v = col(at + keys.length);
        const many: BoundExpr = { kind: 'Binary', op: '>', left: col(at + keys.length + 1), right: lit(1, T.BIGINT), type: T.BOOLEAN };
        const fail: BoundExpr = { kind: 'Call', fn: 'error', args: [{ kind: 'Literal', value: 'a subquery used as a value gave more than one row', type: T.STRING }], type: v.type };
        return { ...joined, value: { kind: 'Case', whens: [{ when: many, then: fail }], else: v, type: v.type, span } };
      }
      const grouped = select([...keyItems, named('v', item)], { where, groupBy: keyRefs });
      const at = join(outerKeys, planSub(grouped).plan, 'value');
      const v = col(at + keys.length);
      // No row for the key: a batch engine counts 0 rows; every other aggregate is NULL.
      const bareCount = item.kind === 'Call' && normalizeName(item.name.name) === 'count' && !item.filter;
      if (bareCount) return { ...joined, value: { ...zeroIfNull(v), span } };
      // Over more than an aggregate (`COUNT(*) + 1`, `COALESCE(SUM(v), 0)`, `COUNT(*) + q.n`): the
      // value over no rows where the key has none, its aggregates those of no rows.
      const empty = keys.length ? ofNoRows(written ?? item) : undefined;
      if (!empty) return { ...joined, value: { ...v, span } };
      const none = bindExpr({ kind: 'Cast', operand: empty, type: v.type, span }, joined.scope, catalog, { clause: 'a subquery' });
      return { ...joined, value: { kind: 'Case', whens: [{ when: isNull(col(at), true), then: v }], else: none, type: v.type, span } };
    }
    case 'InSubquery': {
      const item = onlyItem(q);
      if (q.groupBy.length || q.having || aggregates(item)) {
        throw new SluiceError('UNSUPPORTED', 'IN (SELECT ...) over a stream or view selects one column or expression of its rows, without aggregates', { span: item.span, hint: 'aggregate in a subquery in FROM and join it' });
      }
      const operand = bindExpr(sub.operand, scope, catalog, { clause: 'IN' });
      // The subquery's values per key (NULLs aside), joined on (keys, operand).
      const values = select([...keyItems, named('y', item)], { where: andAst([...rest, ...keyed, notNull(item)]), distinct: true });
      const valuesPlan = planSub(values).plan;
      comparable(operand, { kind: 'Column', index: keys.length, name: 'y', type: valuesPlan.fields[keys.length]!.type }, sub.span);
      // How many rows, and rows with a value, each key has.
      const stats = select([...keyItems, named('n', countStar(span)), named('nn', { kind: 'Call', name: { name: 'COUNT', span }, args: [item], distinct: false, star: false, span })], { where, groupBy: keyRefs });
      const operandAt = joined.scope.columns.length;
      joined = withColumns(joined, [operand]);
      const matchAt = join([...outerKeys, col(operandAt)], valuesPlan, 'values');
      const statsAt = join(outerKeys, planSub(stats).plan, 'stats');
      const n = zeroIfNull(col(statsAt + keys.length));
      const nn = zeroIfNull(col(statsAt + keys.length + 1));
      const found: BoundExpr = {
        kind: 'Case',
        whens: [
          { when: isNull(col(matchAt), true), then: lit(true) },
          { when: { kind: 'Binary', op: '=', left: n, right: lit(0, T.BIGINT), type: T.BOOLEAN }, then: lit(false) },
          { when: { kind: 'Binary', op: 'OR', left: isNull(col(operandAt)), right: { kind: 'Binary', op: '>', left: n, right: nn, type: T.BOOLEAN }, type: T.BOOLEAN }, then: lit(null) },
        ],
        else: lit(false),
        type: T.BOOLEAN,
        span,
      };
      return { ...joined, value: sub.negated ? { kind: 'Unary', op: 'NOT', operand: found, type: T.BOOLEAN, span } : found };
    }
  }
}

/** One row of one column: the FROM of a query written without one. */
function oneRow(span: Span): FromItem {
  return { kind: 'Values', rows: [[{ kind: 'Literal', literal: 'integer', value: 0, span }]], span };
}

/**
 * EXISTS or IN over a query that groups (GROUP BY, HAVING, aggregates, DISTINCT), as one over its
 * groups: the query grouped by its correlation keys as well, in FROM, with the correlation as
 * equalities on those keys (as DuckDB decorrelates it), so that the rows it has per key are its
 * groups (those HAVING keeps), not the rows under them. DISTINCT alone changes neither answer and
 * is left out. An aggregate without GROUP BY or HAVING has one row whatever it reads: EXISTS is
 * TRUE, and IN compares with its one value (`x IN (SELECT MAX(v) ...)` is `x = (SELECT MAX(v)
 * ...)`), which 'kind: Scalar' asks of the caller.
 */
function ungrouped(sub: SubqueryExpr, q: SelectQuery, inner: Scope): { kind: 'Select'; query: SelectQuery } | { kind: 'Scalar'; query: SelectQuery } {
  const span = q.span;
  const grouped = q.groupBy.length > 0 || q.groupingSets !== undefined || q.having !== undefined;
  const { keys, rest, mixed } = correlation(q, inner);
  if (mixed.length) {
    throw new SluiceError('UNSUPPORTED', `a subquery under ${sub.kind === 'Exists' ? 'EXISTS' : 'IN'} that groups compares the query's columns other than by equality with its own (a.k = q.k)`, {
      span: mixed[0]!.span,
      hint: 'write the condition as an equality of the two sides, or group in a subquery in FROM and join it',
    });
  }
  const aggregated = !grouped && !q.distinct;
  if (aggregated && sub.kind === 'Exists') {
    // One row, always: EXISTS (SELECT 1).
    return { kind: 'Select', query: { kind: 'Select', distinct: false, items: [{ kind: 'ExprItem', expr: { kind: 'Literal', literal: 'integer', value: 1, span }, span }], from: oneRow(span), groupBy: [], orderBy: [], span } };
  }
  if (aggregated) return { kind: 'Scalar', query: q };
  const alias: Ident = { name: '\u0000groups', span };
  const keyName = (n: number): Ident => ({ name: `\u0000k${n}`, span });
  const valueName: Ident = { name: '\u0000y', span };
  const ref = (column: Ident): Expr => ({ kind: 'ColumnRef', qualifier: alias, column, span });
  const value = sub.kind === 'InSubquery' ? [{ kind: 'ExprItem' as const, expr: onlyItem(q), alias: valueName, span }] : [];
  const groups: SelectQuery = {
    ...q,
    distinct: false,
    items: [...keys.map(([i], n) => ({ kind: 'ExprItem' as const, expr: i, alias: keyName(n), span })), ...value],
    ...(rest.length ? { where: andAst(rest)! } : {}),
    groupBy: grouped ? [...keys.map(([i]) => i), ...q.groupBy] : [],
    ...(q.groupingSets ? { groupingSets: q.groupingSets.map((set) => [...keys.map(([i]) => i), ...set]) } : {}),
    // DISTINCT without grouping: the distinct (keys, value), which answer as the rows do.
    ...(grouped ? {} : { distinct: true }),
  };
  if (!rest.length) delete (groups as { where?: Expr }).where;
  const item: Expr = sub.kind === 'InSubquery' ? ref(valueName) : { kind: 'Literal', literal: 'integer', value: 1, span };
  const where = andAst(keys.map(([, o], n): Expr => ({ kind: 'Binary', op: '=', left: ref(keyName(n)), right: o, span })));
  return {
    kind: 'Select',
    query: { kind: 'Select', distinct: false, items: [{ kind: 'ExprItem', expr: item, span }], from: { kind: 'Subquery', query: groups, alias, span }, ...(where ? { where } : {}), groupBy: [], orderBy: [], span },
  };
}

/**
 * The correlation of a subquery's WHERE: its conjuncts `inner = outer` (an expression over the
 * subquery's columns equal to one over the query's, either way round), and the rest, which must
 * read only the subquery's columns.
 */
function correlation(q: SelectQuery, inner: Scope, outerItems = false): { keys: [Expr, Expr][]; rest: Expr[]; mixed: Expr[]; readsOuter: boolean } {
  const keys: [Expr, Expr][] = [];
  const rest: Expr[] = [];
  const mixed: Expr[] = [];
  for (const c of q.where ? astConjuncts(q.where) : []) {
    const side = (e: Expr) => sideOf(e, inner);
    if (c.kind === 'Binary' && c.op === '=') {
      const [l, r] = [side(c.left), side(c.right)];
      if (l === 'inner' && r === 'outer') {
        keys.push([c.left, c.right]);
        continue;
      }
      if (l === 'outer' && r === 'inner') {
        keys.push([c.right, c.left]);
        continue;
      }
    }
    if (side(c) === 'outer' || side(c) === 'both') {
      mixed.push(c);
      continue;
    }
    rest.push(c);
  }
  let readsOuter = false;
  for (const item of q.items) {
    if (item.kind === 'ExprItem' && sideOf(item.expr, inner) !== 'inner' && sideOf(item.expr, inner) !== 'none') {
      if (!outerItems) throw new SluiceError('UNSUPPORTED', "this subquery selects an expression over the query's columns, which is supported in a subquery without GROUP BY, HAVING, DISTINCT, ORDER BY, LIMIT or OFFSET", { span: item.expr.span });
      readsOuter = true;
    }
  }
  return { keys, rest, mixed, readsOuter };
}

/**
 * A subquery with ORDER BY: without LIMIT or OFFSET the order says nothing about a set of rows
 * and is dropped; with them, the rows they keep (limited-subquery.ts), selected from as a
 * subquery in FROM. Only where it reads none of the query's columns: a LIMIT per query row is
 * not supported.
 */
function limitedRows(q: SelectQuery, inner: Scope, exists: boolean, outerFrom: FromItem | undefined): SelectQuery {
  // EXISTS asks for one row: a LIMIT of one or more without OFFSET keeps whether there is one.
  if ((q.limit === undefined && q.offset === undefined) || (exists && !q.offset && q.limit! > 0)) {
    const unlimited: SelectQuery = { ...q, orderBy: [] };
    delete (unlimited as { limit?: number }).limit;
    delete (unlimited as { offset?: number }).offset;
    return unlimited;
  }
  const { keys, rest, mixed } = correlation(q, inner);
  const outer = [...(q.having ? [q.having] : []), ...q.orderBy.map((o) => o.expr)].some((e) => sideOf(e, inner) === 'outer' || sideOf(e, inner) === 'both');
  const refuse = (why: string): never => {
    throw new SluiceError('UNSUPPORTED', `LIMIT or OFFSET in a subquery that reads the query's columns is supported where ${why}`, {
      span: q.span,
      hint: 'e.g. (SELECT v FROM r WHERE r.k = q.k ORDER BY ts DESC LIMIT 1); or compute the value without LIMIT (MAX, ARG_MAX)',
    });
  };
  if (outer || (mixed.length && !outerFrom)) refuse('ORDER BY reads its own columns, outside HAVING');
  if (mixed.length) return limitedPerValue(q, keys, rest, mixed, inner, outerFrom!, refuse);
  if (keys.length) return limitedPerKey(q, keys, rest, refuse);
  const span = q.span;
  const alias: Ident = { name: '\u0000top', span };
  const column: Ident = { name: '\u0000c0', span };
  const from: FromItem = { kind: 'Subquery', query: limitedAsQualify(q), alias, ...(exists ? {} : { columns: [column] }), span };
  const items: SelectQuery['items'] = exists ? [{ kind: 'Star', span }] : [{ kind: 'ExprItem', expr: { kind: 'ColumnRef', qualifier: alias, column, span }, span }];
  return { kind: 'Select', distinct: false, items, from, groupBy: [], orderBy: [], span };
}

/**
 * A LIMIT per query row, correlated by equality (`(SELECT v FROM r WHERE r.k = q.k ORDER BY ts
 * DESC LIMIT 1)`): the subquery's rows numbered within each value of its correlation keys, those
 * the LIMIT keeps read instead of the relation, under the relation's own name, so that its
 * conditions and items read the same columns; the equalities stay, and key the join as usual.
 */
function limitedPerKey(q: SelectQuery, keys: readonly [Expr, Expr][], rest: readonly Expr[], refuse: (why: string) => never, from: FromItem = q.from!): SelectQuery {
  const relation = q.from!;
  const alias = relation.kind === 'TableRef' ? (relation.alias ?? relation.name) : relation.kind === 'Subquery' ? relation.alias : undefined;
  if (!alias || q.distinct || q.distinctOn || q.qualify || q.groupBy.length || q.having) refuse('it reads one relation, without DISTINCT, GROUP BY or QUALIFY');
  const span = q.span;
  const own: SelectQuery = { ...q, from, ...(andAst(rest) ? { where: andAst(rest)! } : {}) };
  if (!andAst(rest)) delete (own as { where?: Expr }).where;
  const ranked = limitedAsQualify(own, keys.map(([i]) => i));
  const rows: SelectQuery = { ...ranked, items: [{ kind: 'Star', span }] };
  // Past the numbering the keys are plain columns of `rows` (a delimiter's are named uniquely).
  const column = (e: Expr): Expr => (e.kind === 'ColumnRef' && e.qualifier?.name === DELIMITER ? { kind: 'ColumnRef', column: e.column, span: e.span } : e);
  const equalities = keys.map(([i, o]): Expr => ({ kind: 'Binary', op: '=', left: column(i), right: o, span: i.span }));
  const limited: SelectQuery = { ...q, from: { kind: 'Subquery', query: rows, alias: alias!, span }, where: andAst(equalities)!, orderBy: [] };
  delete (limited as { limit?: number }).limit;
  delete (limited as { offset?: number }).offset;
  return limited;
}

/**
 * A LIMIT per query row correlated by other conditions (`(SELECT v FROM r WHERE r.id < q.id ORDER
 * BY r.id DESC LIMIT 1)`, the previous row's value): numbered within each distinct value of the
 * query's columns it reads (the delimiter join, see `delimited`), then as `limitedPerKey`.
 */
function limitedPerValue(q: SelectQuery, keys: readonly [Expr, Expr][], rest: readonly Expr[], mixed: readonly Expr[], inner: Scope, outerFrom: FromItem, refuse: (why: string) => never): SelectQuery {
  const d = delimited(q.from!, keys, mixed, inner, outerFrom, q.span);
  if (d.filters.length) refuse('a condition on the query\'s columns that holds a subquery');
  return limitedPerKey(q, d.keys, rest, refuse, d.from);
}

/**
 * Whether the one expression `q` selects calls window functions, and aggregates only in them:
 * then `windowedPerKey` computes them per query row.
 */
function onlyWindowed(q: SelectQuery): boolean {
  const item = q.items[0];
  if (q.items.length !== 1 || item?.kind !== 'ExprItem' || q.groupBy.length || q.groupingSets || q.having || q.distinct) return false;
  let windows = false;
  let bare = false;
  const look = (x: Expr): Expr => {
    if (x.kind === 'Call' && x.over) windows = true;
    else if (x.kind === 'Call' && isAggregateName(normalizeName(x.name.name))) bare = true;
    return mapChildren(x, look);
  };
  look(item.expr);
  return windows && !bare;
}

/**
 * A subquery selecting window functions, correlated by `keys`: its window functions see the rows
 * of one query row only, as in DuckDB, so they are partitioned by the keys' columns and computed
 * in a subquery of their own (over the rows that pass its `where`), whose columns are then the
 * keys and the one value. Gives the query, keys, FROM and WHERE (none) to go on with.
 */
function windowedPerKey(q: SelectQuery, keys: readonly [Expr, Expr][], from: FromItem, where: Expr | undefined): { q: SelectQuery; keys: [Expr, Expr][]; from: FromItem; where: undefined } {
  const span = q.span;
  const alias: Ident = { name: '\u0000windowed', span };
  const partition = keys.map(([i]) => i);
  const parted = (x: Expr): Expr => {
    const y = mapChildren(x, parted);
    return y.kind === 'Call' && y.over ? { ...y, over: { ...y.over, partitionBy: [...partition, ...y.over.partitionBy] } } : y;
  };
  const item = (name: string, expr: Expr) => ({ kind: 'ExprItem' as const, expr, alias: { name, span }, span });
  const ref = (name: string): Expr => ({ kind: 'ColumnRef', qualifier: alias, column: { name, span }, span });
  const value = onlyItem(q);
  const inner: SelectQuery = {
    kind: 'Select',
    distinct: false,
    items: [...keys.map(([i], n) => item(`\u0000wk${n}`, i)), item('\u0000wv', parted(value))],
    from,
    ...(where ? { where } : {}),
    groupBy: [],
    orderBy: [],
    span,
  };
  const derived: FromItem = { kind: 'Subquery', query: inner, alias, span };
  const { where: _, ...rest } = q;
  return { q: { ...rest, items: [{ kind: 'ExprItem', expr: ref('\u0000wv'), span: value.span }], from: derived }, keys: keys.map(([, o], n) => [ref(`\u0000wk${n}`), o]), from: derived, where: undefined };
}

/** The name of the distinct outer values a decorrelated subquery is joined with. */
const DELIMITER = '\u0000outer';

/**
 * A subquery whose conditions compare the query's columns other than by equality
 * (`(SELECT COUNT(*) FROM r WHERE r.w < q.v)`), as DuckDB decorrelates it: its rows joined with
 * the distinct values of the query's columns it reads (`SELECT DISTINCT q.v FROM <the query's
 * FROM>`) on all its correlation conditions, so that it groups by those values; they are its keys
 * from then on, equal to the query's columns. Gives the new FROM and keys.
 */
function delimited(from: FromItem, keys: readonly [Expr, Expr][], mixed: readonly Expr[], inner: Scope, outerFrom: FromItem, span: Span, values: readonly Expr[] = [], nested?: NestedRefs): { keys: [Expr, Expr][]; from: FromItem; items: Expr[]; deep: (e: Expr) => Expr; filters: Expr[] } {
  const alias: Ident = { name: DELIMITER, span };
  const refs: ColumnRefExpr[] = [];
  const named = new Map<string, ColumnRefExpr>();
  const delimiter = (e: ColumnRefExpr): ColumnRefExpr => {
    const key = refKey(e);
    let ref = named.get(key);
    if (!ref) {
      ref = { kind: 'ColumnRef', qualifier: alias, column: { name: `\u0000d${refs.length}`, span: e.span }, span: e.span };
      named.set(key, ref);
      refs.push(e);
    }
    return ref;
  };
  const rewrite = (e: Expr): Expr => (e.kind === 'ColumnRef' && !resolves(inner, e) ? delimiter(e) : mapChildren(e, rewrite));
  const conds = [...keys.map(([i, o]): Expr => ({ kind: 'Binary', op: '=', left: i, right: rewrite(o), span: i.span })), ...mixed.map(rewrite)];
  const items = values.map(rewrite);
  // The query's columns that nested subqueries read are values too, read from here.
  for (const r of nested?.refs ?? []) delimiter(r);
  const deep = (e: Expr): Expr => (nested ? replaceNestedRefs(e, nested, (r) => named.get(refKey(r))) : e);
  const distinctValues: SelectQuery = {
    kind: 'Select',
    distinct: true,
    items: refs.map((r, i) => ({ kind: 'ExprItem', expr: r, alias: { name: `\u0000d${i}`, span }, span })),
    from: outerFrom,
    groupBy: [],
    orderBy: [],
    span,
  };
  // A condition that holds a subquery is a filter of the subquery's rows instead (`filters`):
  // a join condition cannot hold one.
  const inOn = conds.filter((c) => !hasSubquery(c));
  const filters = conds.filter(hasSubquery).map(deep);
  const on = andAst(inOn) ?? { kind: 'Literal', literal: 'boolean', value: true, span };
  const joined: FromItem = { kind: 'Join', joinType: 'INNER', left: { kind: 'Subquery', query: distinctValues, alias, span }, right: from, on, span };
  return { keys: refs.map((r, i): [Expr, Expr] => [{ kind: 'ColumnRef', qualifier: alias, column: { name: `\u0000d${i}`, span }, span }, r]), from: joined, items, deep, filters };
}

/**
 * EXISTS whose conditions compare the query's columns other than by equality (`b.ts > a.ts`): a
 * MARK join of the query's rows with the subquery's rows that pass its own conditions, on the
 * correlation (`conds`, over both: its column equalities the keys, the rest tested per pair);
 * the value is the mark.
 */
function planMarked(sub: SubqueryExpr, k: number, plan: LogicalPlan, scope: Scope, catalog: Catalog, planSub: SubqueryPlanner, q: SelectQuery, inner: Scope, own: readonly Expr[], conds: readonly Expr[]): JoinedSubquery {
  const span = sub.span;
  const rows: SelectQuery = { kind: 'Select', distinct: false, items: [{ kind: 'Star', span }], from: q.from!, ...(andAst(own) ? { where: andAst(own)! } : {}), groupBy: [], orderBy: [], span };
  const right = planSub(rows).plan;
  const visible = inner.columns.filter((c) => !c.hidden);
  if (visible.length !== right.fields.length) throw new SluiceError('INTERNAL', 'the rows of an EXISTS subquery do not match its columns', { span });
  // The subquery's names first: the query's columns are hidden, so that a name of both is the subquery's.
  const n = scope.columns.length;
  const joined = new Scope([...scope.columns.map((c) => ({ ...c, hidden: true })), ...visible]);
  const cond = bindExpr(andAst(conds)!, joined, catalog, { clause: 'a subquery' });
  const markField: Field = { name: `\u0000exists${k}`, type: T.BOOLEAN, nullable: false };
  return {
    plan: hashJoinOn('MARK', plan, right, factoredConjuncts(cond), [...plan.fields, markField]),
    scope: new Scope([...scope.columns, { name: markField.name, type: T.BOOLEAN, hidden: true }]),
    value: { kind: 'Column', index: n, name: markField.name, type: T.BOOLEAN, span },
  };
}



/**
 * `e` over no rows, its aggregates replaced by their value over no rows: 0 for the counts
 * (COUNT, COUNT_IF, APPROX_COUNT_DISTINCT, REGR_COUNT), NULL for every other (ENTROPY too, as
 * DuckDB gives it in a correlated subquery, though 0 over an empty table).
 * Undefined when that is NULL whatever the rest of `e` is (a bare aggregate other than a count).
 */
function ofNoRows(e: Expr): Expr | undefined {
  let subquery = false;
  const look = (x: Expr): Expr => {
    if (x.kind === 'ScalarSubquery' || x.kind === 'Exists' || x.kind === 'InSubquery') subquery = true;
    return mapChildren(x, look);
  };
  look(e);
  if (subquery) return undefined;
  if (e.kind === 'Call' && !e.over && isAggregateName(normalizeName(e.name.name)) && !ZERO_OVER_NO_ROWS.has(normalizeName(e.name.name))) return undefined;
  const replace = (x: Expr): Expr => {
    if (x.kind === 'Call' && !x.over && isAggregateName(normalizeName(x.name.name))) {
      const zero = ZERO_OVER_NO_ROWS.get(normalizeName(x.name.name));
      return zero === undefined ? { kind: 'Literal', literal: 'null', value: null, span: x.span } : { kind: 'Literal', literal: zero, value: 0, span: x.span };
    }
    return mapChildren(x, replace);
  };
  return replace(e);
}

/** The aggregates whose value over no rows is 0, not NULL, and the kind of that literal. */
const ZERO_OVER_NO_ROWS: ReadonlyMap<string, 'integer'> = new Map([
  ['count', 'integer'],
  ['count_if', 'integer'],
  ['countif', 'integer'],
  ['approx_count_distinct', 'integer'],
  ['regr_count', 'integer'],
]);

/**
 * Refuses an aggregate over the query's columns alone in a subquery's value (`(SELECT SUM(q.v)
 * FROM r)`): SQL makes it an aggregate of the query around the subquery, which is not supported.
 */
function refuseOuterAggregates(e: Expr, inner: Scope): void {
  const look = (x: Expr): Expr => {
    if (x.kind === 'Call' && !x.over && isAggregateName(normalizeName(x.name.name)) && (x.args.length > 0 || x.filter) && sideOf(x, inner) === 'outer') {
      throw new SluiceError('UNSUPPORTED', "an aggregate of the query's columns inside a subquery is an aggregate of the query around it, which is not supported", {
        span: x.span,
        hint: 'aggregate in the query itself, outside the subquery',
      });
    }
    return mapChildren(x, look);
  };
  look(e);
}

/** Which columns an expression reads: the subquery's, the query's (names the subquery lacks), both, or none. */
function sideOf(e: Expr, inner: Scope): 'inner' | 'outer' | 'both' | 'none' {
  let mine = false;
  let theirs = false;
  const walk = (x: Expr): Expr => {
    if (x.kind === 'ColumnRef') {
      if (resolves(inner, x)) mine = true;
      else theirs = true;
      return x;
    }
    return mapChildren(x, walk);
  };
  walk(e);
  return mine && theirs ? 'both' : mine ? 'inner' : theirs ? 'outer' : 'none';
}

function notNull(e: Expr): Expr {
  return { kind: 'IsNull', operand: e, negated: true, span: e.span };
}

function call(name: string, args: Expr[]): Expr {
  const span = args[0]!.span;
  return { kind: 'Call', name: { name, span }, args, distinct: false, star: false, span };
}

function countStar(span: Span): Expr {
  return { kind: 'Call', name: { name: 'COUNT', span }, args: [], distinct: false, star: true, span };
}

/**
 * `(SELECT a FROM r UNION SELECT b FROM t)`, a set operation of one column, as a SELECT of that
 * column from it, so that IN and value subqueries take it as they take a SELECT of one expression.
 */
function setAsColumn(q: SelectQuery): SelectQuery {
  const star = q.items.length === 1 && q.items[0]!.kind === 'Star' && !q.items[0]!.qualifier && !q.items[0]!.exclude && !q.items[0]!.replace && !q.items[0]!.rename;
  const first = q.from?.kind === 'Union' ? q.from.inputs[0] : undefined;
  if (!star || !first || first.items.length !== 1 || first.items[0]!.kind !== 'ExprItem') return q;
  const span = q.span;
  const alias: Ident = { name: '\u0000set', span };
  const column: Ident = { name: '\u0000c0', span };
  return { kind: 'Select', distinct: false, items: [{ kind: 'ExprItem', expr: { kind: 'ColumnRef', qualifier: alias, column, span }, span }], from: { kind: 'Subquery', query: q, alias, columns: [column], span }, groupBy: [], orderBy: [], span };
}

/**
 * `(SELECT * FROM t WHERE ...)` of a relation of one column as the SELECT of that column, as
 * DuckDB reads it; a * of more columns is refused, naming how many.
 */
function starAsColumn(q: SelectQuery, inner: Scope): SelectQuery {
  const star = q.items.length === 1 ? q.items[0]! : undefined;
  if (star?.kind !== 'Star' || star.path?.length || star.replace?.length || star.rename?.length) return q;
  const qual = star.qualifier ? normalizeName(star.qualifier.name) : undefined;
  const excluded = new Set((star.exclude ?? []).map((x) => normalizeName(x.name)));
  const columns = inner.columns.filter((c) => !c.hidden && !excluded.has(normalizeName(c.name)) && (qual === undefined || (c.qualifier !== undefined && normalizeName(c.qualifier) === qual)));
  if (columns.length !== 1) {
    throw new SluiceError('INVALID_ARGUMENT', `a subquery inside an expression must select one column, not ${columns.length} (its *)`, { span: star.span, hint: 'select the one column the expression needs' });
  }
  const c = columns[0]!;
  const expr: Expr = { kind: 'ColumnRef', ...(c.qualifier !== undefined ? { qualifier: { name: c.qualifier, span: star.span } } : {}), column: { name: c.name, span: star.span }, span: star.span };
  return { ...q, items: [{ kind: 'ExprItem', expr, alias: { name: c.name, span: star.span }, span: star.span }] };
}

function onlyItem(q: SelectQuery): Expr {
  const item = q.items[0];
  if (q.items.length !== 1 || item?.kind !== 'ExprItem') {
    throw new SluiceError('UNSUPPORTED', `a subquery inside an expression selects one expression, got ${q.items.length === 1 ? '*' : `${q.items.length} items`}`, { span: q.span });
  }
  return item.expr;
}

/** `plan` with its first columns cast to FLOAT where they meet the FLOAT key of the same place in `keys` as FLOATs. */
function floatKeys(plan: LogicalPlan, keys: readonly BoundExpr[]): LogicalPlan {
  const exprs = plan.fields.map((f, i): BoundExpr => {
    const col: BoundExpr = { kind: 'Column', index: i, name: f.name, type: f.type };
    return i < keys.length ? floatKey(col, keys[i]!.type) : col;
  });
  return { kind: 'LogicalProject', input: plan, exprs, fields: plan.fields.map((f, i) => ({ ...f, type: exprs[i]!.type })), keyless: true };
}

/** The query's rows with `exprs` appended as hidden columns. */
function withColumns(at: { plan: LogicalPlan; scope: Scope }, exprs: readonly BoundExpr[]): { plan: LogicalPlan; scope: Scope } {
  if (exprs.length === 0) return at;
  const fields: Field[] = [...at.plan.fields, ...exprs.map((e, i): Field => ({ name: `\u0000e${i}`, type: e.type, nullable: true }))];
  const own: BoundExpr[] = at.plan.fields.map((f, i) => ({ kind: 'Column', index: i, name: f.name, type: f.type }));
  return {
    plan: { kind: 'LogicalProject', input: at.plan, exprs: [...own, ...exprs], fields },
    scope: new Scope([...at.scope.columns, ...exprs.map((e, i): ScopeColumn => ({ name: `\u0000e${i}`, type: e.type, hidden: true }))]),
  };
}

/**
 * A LEFT hash join of the query's rows with `right` on `outerKeys` (expressions over the
 * query's rows) equal to the right's first columns; the right's columns come after the query's,
 * hidden. A key of another type than its right column is cast to it (they are comparable).
 */
function leftJoin(at: { plan: LogicalPlan; scope: Scope }, outerKeys: readonly BoundExpr[], asPlanned: LogicalPlan, k: number, what: string): { plan: LogicalPlan; scope: Scope; rightAt: number } {
  // A key of the subquery's that meets a FLOAT of the query's as a FLOAT (floatMeetsExact): its values rounded to FLOATs.
  const right = outerKeys.some((e, i) => e.type.kind === 'FLOAT' && floatMeetsExact(e.type, asPlanned.fields[i]!.type)) ? floatKeys(asPlanned, outerKeys) : asPlanned;
  const keys = outerKeys.map((e, i) => {
    const type = right.fields[i]!.type;
    return sameKeyKind(e.type, type) ? e : ({ kind: 'Cast', operand: e, type } satisfies BoundExpr);
  });
  const computed = keys.filter((e) => e.kind !== 'Column');
  const left = withColumns(at, computed);
  let next = at.plan.fields.length;
  const leftKeys = keys.map((e) => (e.kind === 'Column' ? e.index : next++));
  const fields: Field[] = [...left.plan.fields, ...right.fields.map((f) => ({ ...f, nullable: true }))];
  return {
    rightAt: left.plan.fields.length,
    plan: { kind: 'LogicalHashJoin', joinType: 'LEFT', left: left.plan, right, leftKeys, rightKeys: keys.map((_, i) => i), fields },
    scope: new Scope([...left.scope.columns, ...right.fields.map((f): ScopeColumn => ({ qualifier: `\u0000subquery${k}.${what}`, name: `\u0000${f.name}`, type: f.type, hidden: true }))]),
  };
}
