/**
 * A relation in FROM that reads the row of the relations before it, as DuckDB and PostgreSQL
 * allow: `FROM s, unnest(s.tags) AS t(tag)`, `FROM s CROSS JOIN UNNEST(s.list)`, `FROM s,
 * LATERAL (SELECT s.v * 2 AS dv, s.k || '!' AS k2) t`. Such a relation is a SELECT without FROM
 * (an unnest in FROM is one) whose values read the left side's columns: it is planned over the
 * left side's rows, as its UNNEST (a row per element; none for an empty or NULL list) and its
 * other values computed per row, added as the relation's columns. A LATERAL subquery with a FROM
 * of its own is planLateralQuery's.
 */
import { SluiceError } from '../common/errors.js';
import type { DataType, Field } from '../common/types.js';
import { normalizeName, type CallExpr, type Expr, type FromItem, type JoinRef, type ScalarSubqueryExpr, type SelectQuery, type SubqueryRef } from '../parser/ast.js';
import { limitedAsQualify } from './limited-subquery.js';
import { planSubqueries } from './subqueries.js';
import { planFrom, type SubqueryPlanner } from './plan-from.js';
import { containsAggregateCall, planRowSubquery, structOf } from './row-subquery.js';
import { bindExpr, Scope, type ScopeColumn } from './bind-expr.js';
import type { BoundExpr } from './bound-expr.js';
import type { Catalog } from './catalog.js';
import { implicitName } from './item-names.js';
import type { LogicalPlan } from './logical.js';
import { mapChildren } from './window-lift.js';
import { astConjuncts } from './ast-conjuncts.js';
import { readsRelations, relationNames } from './nested-correlation.js';

interface Planned {
  readonly plan: LogicalPlan;
  readonly scope: Scope;
}

/**
 * `join` with its right side marked LATERAL when it is a subquery that reads the relations
 * before it (`FROM dept d, (SELECT COUNT(*) AS n FROM emp e WHERE e.dept = d.dept) t`), as DuckDB
 * reads such a subquery without the keyword.
 */
export function impliedLateral(join: JoinRef): JoinRef {
  const right = join.right;
  if (right.kind !== 'Subquery' || right.lateral || right.view || !readsRelations(right.query, relationNames(join.left))) return join;
  return { ...join, right: { ...right, lateral: true } };
}

/** The right side of `join` when it is a relation of values computed from each left row. */
export function lateralRows(join: JoinRef): SubqueryRef | undefined {
  const right = join.right;
  if (right.kind !== 'Subquery') return undefined;
  const q = right.query;
  // A LATERAL subquery with a FROM of its own: lateralQuery.
  if (q.from !== undefined || q.kind !== 'Select') return undefined;
  const readsColumns = q.items.some((i) => i.kind === 'ExprItem' && readsAColumn(i.expr));
  if (!readsColumns && !right.lateral) return undefined;
  const onTrue = join.on === undefined || (join.on.kind === 'Literal' && join.on.value === true);
  if (!(join.joinType === 'CROSS' || join.joinType === 'INNER' || join.joinType === 'LEFT') || !onTrue || join.using || join.natural) {
    throw new SluiceError('UNSUPPORTED', `a relation that reads the row before it is joined with CROSS JOIN, a comma or JOIN ... ON TRUE, not ${join.joinType} JOIN${join.on ? ' ON a condition' : ''}`, {
      span: join.span,
      hint: 'filter its rows in WHERE',
    });
  }
  if (q.where || q.groupBy.length || q.having || q.qualify || q.distinct || q.orderBy.length || q.limit !== undefined || q.offset !== undefined) {
    throw new SluiceError('UNSUPPORTED', 'a LATERAL SELECT without FROM takes a select list only', { span: right.span, hint: 'filter in the outer query' });
  }
  if (join.joinType === 'LEFT' && q.items.some((i) => i.kind === 'ExprItem' && isUnnest(i.expr))) {
    throw new SluiceError('UNSUPPORTED', 'LEFT JOIN of an unnest that reads the row before it is not supported', { span: right.span, hint: 'CROSS JOIN drops the rows whose list is empty; UNION ALL them back with WHERE LEN(list) = 0 for a LEFT JOIN' });
  }
  return right;
}

/** The right side of `join` when it is `LATERAL (SELECT ... FROM ...)`, a query that reads the row before it. */
export function lateralQuery(join: JoinRef): SubqueryRef | undefined {
  const right = join.right;
  if (right.kind !== 'Subquery' || !right.lateral || right.query.kind !== 'Select' || right.query.from === undefined) return undefined;
  const onTrue = join.on === undefined || (join.on.kind === 'Literal' && join.on.value === true);
  if (!(join.joinType === 'CROSS' || join.joinType === 'INNER' || join.joinType === 'LEFT') || !onTrue || join.using || join.natural) {
    throw new SluiceError('UNSUPPORTED', `a LATERAL subquery is joined with CROSS JOIN, a comma or [LEFT] JOIN ... ON TRUE, not ${join.joinType} JOIN${join.on ? ' ON a condition' : ''}`, {
      span: join.span,
      hint: 'put the condition in the subquery\'s WHERE',
    });
  }
  return right;
}

/**
 * `l [LEFT] JOIN LATERAL (SELECT ... FROM r WHERE ...) x ON TRUE` (or a comma, CROSS JOIN). Of
 * the forms that give one row per row of `l` (LIMIT 1; aggregates without GROUP BY), the row is
 * the correlated subquery that gives it as a STRUCT (row-subquery.ts). A plain SELECT (no LIMIT,
 * aggregate, GROUP BY or DISTINCT) is `l [LEFT] JOIN r ON <its WHERE>` with its select list over
 * the joined rows; with `ORDER BY ... LIMIT n` where it meets the row before it by equalities
 * alone, the join of its top rows per key (perKeyRows). Other forms (GROUP BY, DISTINCT, a LIMIT
 * per row under another condition) are refused, with what to write.
 */
export function planLateralQuery(join: JoinRef, sub: SubqueryRef, left: Planned, catalog: Catalog, planSub: SubqueryPlanner, pull: boolean, planJoined: (j: JoinRef) => Planned): Planned {
  const q = sub.query;
  const span = sub.span;
  const qualifier = sub.alias?.name;
  const keepUnmatched = join.joinType === 'LEFT';
  const aggregated = q.items.some((i) => i.kind === 'ExprItem' && containsAggregateCall(i.expr));
  const oneRow = (q.limit === 1 && !q.offset) || (aggregated && q.groupBy.length === 0 && q.limit === undefined && q.offset === undefined);
  // LIMIT n (or OFFSET) per row where the subquery meets the row before it by equalities alone:
  // the top rows per key, numbered over its FROM, joined on those equalities.
  const topN = !oneRow && !aggregated && (q.limit !== undefined || q.offset !== undefined) ? perKeyRows(q, sub, left.scope) : undefined;
  if (q.distinct || q.distinctOn || q.qualify || (q.having && q.groupBy.length) || q.groupBy.length || ((q.limit !== undefined || q.offset !== undefined) && !oneRow && !topN)) {
    throw new SluiceError('UNSUPPORTED', 'a LATERAL subquery with a FROM of its own gives one row per row before it (LIMIT 1, or aggregates without GROUP BY), is a plain SELECT ... WHERE, or takes LIMIT n where its WHERE meets the row before it by equalities alone', {
      span,
      hint: 'for the top rows per key, number them in a subquery: QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts DESC) <= 3, and join it on k',
    });
  }
  const named = q.items.map((item, k) => {
    if (item.kind !== 'ExprItem') return undefined;
    return { name: sub.columns?.[k]?.name ?? item.alias?.name ?? implicitName(item.expr) ?? `col${k}`, expr: item.expr };
  });
  if (aggregated && oneRow) {
    // Aggregates without GROUP BY: one row also where no row of the FROM matches (COUNT 0, SUM
    // NULL), each value the scalar subquery that computes it.
    const items = named as { name: string; expr: Expr }[];
    if (items.some((x) => x === undefined)) throw new SluiceError('UNSUPPORTED', '* beside aggregates in a LATERAL subquery', { span });
    const subs = items.map((x): ScalarSubqueryExpr => ({ kind: 'ScalarSubquery', query: { ...q, items: [{ kind: 'ExprItem', expr: x.expr, span }] }, span }));
    const planned = planSubqueries(subs, left.plan, left.scope, catalog, containsAggregateCall, planSub, pull, join.left);
    const values = subs.map((x) => planned.bound.get(x)!);
    const own = left.plan.fields.map((f, i): BoundExpr => ({ kind: 'Column', index: i, name: f.name, type: f.type }));
    const added: Field[] = values.map((v, k) => ({ name: items[k]!.name, type: v.type, nullable: true }));
    const columns: ScopeColumn[] = [...left.scope.columns, ...added.map((f): ScopeColumn => ({ ...(qualifier ? { qualifier } : {}), name: f.name, type: f.type }))];
    return { plan: { kind: 'LogicalProject', input: planned.plan, exprs: [...own, ...values], fields: [...left.plan.fields, ...added] }, scope: new Scope(columns) };
  }
  if (oneRow) {
    const items = named.every((x) => x !== undefined) ? named : starred(q, sub, catalog, planSub, pull);
    const query = { ...q, items: [{ kind: 'ExprItem' as const, expr: structOf(items, span), span }] };
    return planRowSubquery(left, query, join.left, keepUnmatched, qualifier, catalog, planSub, pull);
  }
  // A plain SELECT: the join on its WHERE, then its select list over the joined rows.
  const right = topN?.from ?? q.from!;
  const on = topN ? topN.on : (q.where ?? { kind: 'Literal', literal: 'boolean', value: true, span });
  const joined = planJoined({ kind: 'Join', joinType: keepUnmatched ? 'LEFT' : 'INNER', left: join.left, right, on, span: join.span });
  const n = left.plan.fields.length;
  const bind = (e: Expr): BoundExpr => bindExpr(e, joined.scope, catalog, { clause: 'a LATERAL subquery' });
  const items = named.every((x) => x !== undefined) ? named : starred(q, sub, catalog, planSub, pull);
  const values = items.map((x) => bind(x.expr));
  const own = left.plan.fields.map((f, i): BoundExpr => ({ kind: 'Column', index: i, name: f.name, type: f.type }));
  const added: Field[] = values.map((v, k) => ({ name: items[k]!.name, type: v.type, nullable: true }));
  const columns: ScopeColumn[] = [...joined.scope.columns.slice(0, n), ...added.map((f): ScopeColumn => ({ ...(qualifier ? { qualifier } : {}), name: f.name, type: f.type }))];
  return { plan: { kind: 'LogicalProject', input: joined.plan, exprs: [...own, ...values], fields: [...left.plan.fields, ...added] }, scope: new Scope(columns) };
}

/**
 * For `SELECT ... FROM r [alias] WHERE <r's expr = the row's expr, ...> [AND <r's rows alone>]
 * ORDER BY <r's columns> LIMIT n [OFFSET m]`: r's rows numbered per key in that order and kept
 * from m + 1 to m + n (limited-subquery.ts), under r's name, and the equalities to join them on.
 * Undefined where the subquery is not of that form.
 */
function perKeyRows(q: SelectQuery, sub: SubqueryRef, outer: Scope): { from: FromItem; on: Expr } | undefined {
  const from = q.from;
  const alias = from?.kind === 'TableRef' ? (from.alias ?? from.name) : from?.kind === 'Subquery' ? from.alias : undefined;
  if (!from || !alias || !q.where) return undefined;
  const inner = alias.name;
  const keys: Expr[] = [];
  const equalities: Expr[] = [];
  const own: Expr[] = [];
  for (const c of astConjuncts(q.where)) {
    const side = sideOf(c, inner, outer);
    if (side === 'inner' || side === 'none') own.push(c);
    else if (c.kind === 'Binary' && c.op === '=' && sideOf(c.left, inner, outer) === 'inner' && sideOf(c.right, inner, outer) === 'outer') {
      keys.push(c.left);
      equalities.push(c);
    } else if (c.kind === 'Binary' && c.op === '=' && sideOf(c.right, inner, outer) === 'inner' && sideOf(c.left, inner, outer) === 'outer') {
      keys.push(c.right);
      equalities.push(c);
    } else return undefined;
  }
  if (keys.length === 0 || q.orderBy.some((o) => sideOf(o.expr, inner, outer) === 'outer' || sideOf(o.expr, inner, outer) === 'both')) return undefined;
  const span = sub.span;
  const rows: SelectQuery = {
    kind: 'Select',
    distinct: false,
    items: [{ kind: 'Star', span }],
    from,
    ...(own.length ? { where: own.reduce((a, b): Expr => ({ kind: 'Binary', op: 'AND', left: a, right: b, span })) } : {}),
    groupBy: [],
    orderBy: q.orderBy,
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.offset !== undefined ? { offset: q.offset } : {}),
    span,
  };
  const numbered: SubqueryRef = { kind: 'Subquery', query: limitedAsQualify(rows, keys), alias, span };
  return { from: numbered, on: equalities.reduce((a, b): Expr => ({ kind: 'Binary', op: 'AND', left: a, right: b, span })) };
}

/** Whether `e` reads the subquery's own relation (named `inner`), the row before it, both or neither. */
function sideOf(e: Expr, inner: string, outer: Scope): 'inner' | 'outer' | 'both' | 'none' {
  let i = false;
  let o = false;
  const own = normalizeName(inner);
  const walk = (x: Expr): Expr => {
    if (x.kind === 'ColumnRef') {
      if (x.qualifier ? normalizeName(x.qualifier.name) === own : !outer.columns.some((c) => !c.hidden && normalizeName(c.name) === normalizeName(x.column.name))) i = true;
      else o = true;
    } else if (x.kind === 'ScalarSubquery' || x.kind === 'Exists' || x.kind === 'InSubquery') o = i = true;
    else mapChildren(x, walk);
    return x;
  };
  walk(e);
  return i && o ? 'both' : i ? 'inner' : o ? 'outer' : 'none';
}

/** The select list of `q` with each `*` (or `r.*`) as the columns of its FROM. */
function starred(q: SelectQuery, sub: SubqueryRef, catalog: Catalog, planSub: SubqueryPlanner, pull: boolean): { name: string; expr: Expr }[] {
  const span = sub.span;
  let scope: Scope;
  try {
    scope = planFrom(q.from!, catalog, planSub, pull).scope;
  } catch {
    throw new SluiceError('UNSUPPORTED', 'a * in a LATERAL subquery whose FROM reads the row before it', { span, hint: 'name the columns' });
  }
  const out: { name: string; expr: Expr }[] = [];
  q.items.forEach((item, k) => {
    if (item.kind === 'ExprItem') {
      out.push({ name: sub.columns?.[out.length]?.name ?? item.alias?.name ?? implicitName(item.expr) ?? `col${k}`, expr: item.expr });
      return;
    }
    const qual = item.qualifier?.name;
    for (const c of scope.columns) {
      if (c.hidden || c.name.startsWith('\u0000') || (qual !== undefined && normalizeName(c.qualifier ?? '') !== normalizeName(qual))) continue;
      const ref: Expr = { kind: 'ColumnRef', ...(c.qualifier ? { qualifier: { name: c.qualifier, span } } : {}), column: { name: c.name, span }, span };
      out.push({ name: sub.columns?.[out.length]?.name ?? c.name, expr: ref });
    }
  });
  return out;
}

/** The left side's rows with the relation's columns added (a row per element of its UNNEST). */
export function planLateralRows(sub: SubqueryRef, left: Planned, catalog: Catalog): Planned {
  const bind = (e: Expr): BoundExpr => bindExpr(e, left.scope, catalog, { clause: 'a relation that reads the row before it' });
  const items = sub.query.items.map((item) => {
    if (item.kind !== 'ExprItem') throw new SluiceError('UNSUPPORTED', '* in a LATERAL SELECT without FROM selects nothing', { span: item.span });
    return item;
  });
  const arrays: BoundExpr[] = [];
  const unnested = new Map<number, number>();
  items.forEach((item, k) => {
    if (!isUnnest(item.expr)) return;
    const call = item.expr as CallExpr;
    if (call.args.length !== 1) throw new SluiceError('TYPE_MISMATCH', `UNNEST takes one list, got ${call.args.length} arguments`, { span: call.span });
    const list = bind(call.args[0]!);
    if (list.type.kind !== 'ARRAY') throw new SluiceError('TYPE_MISMATCH', `UNNEST expects a list, got ${list.type.kind}`, { span: call.args[0]!.span, hint: "UNNEST(STRING_SPLIT(s, ',')) for the parts of a string" });
    unnested.set(k, left.plan.fields.length + arrays.length);
    arrays.push(list);
  });
  const elements: Field[] = arrays.map((a, i) => ({ name: `\u0000lateral${i}`, type: (a.type as Extract<DataType, { kind: 'ARRAY' }>).element, nullable: true }));
  const input: LogicalPlan = arrays.length ? { kind: 'LogicalUnnest', input: left.plan, arrays, fields: [...left.plan.fields, ...elements] } : left.plan;
  const own = left.plan.fields.map((f, i): BoundExpr => ({ kind: 'Column', index: i, name: f.name, type: f.type }));
  const values = items.map((item, k): BoundExpr => {
    const at = unnested.get(k);
    return at === undefined ? bind(item.expr) : { kind: 'Column', index: at, name: elements[at - left.plan.fields.length]!.name, type: elements[at - left.plan.fields.length]!.type };
  });
  const names = items.map((item, k) => sub.columns?.[k]?.name ?? item.alias?.name ?? implicitName(item.expr) ?? `col${k}`);
  const added: Field[] = values.map((v, k) => ({ name: names[k]!, type: v.type, nullable: true }));
  const qualifier = sub.alias?.name;
  const columns: ScopeColumn[] = [...left.scope.columns, ...added.map((f): ScopeColumn => ({ ...(qualifier ? { qualifier } : {}), name: f.name, type: f.type }))];
  return { plan: { kind: 'LogicalProject', input, exprs: [...own, ...values], fields: [...left.plan.fields, ...added] }, scope: new Scope(columns) };
}

function isUnnest(e: Expr): boolean {
  return e.kind === 'Call' && !e.over && normalizeName(e.name.name) === 'unnest';
}

/** Whether `e` names a column (outside its subqueries): in a SELECT without FROM, a column of the row before it. */
function readsAColumn(e: Expr): boolean {
  let found = false;
  const visit = (x: Expr): Expr => {
    if (x.kind === 'ColumnRef') found = true;
    else if (x.kind !== 'ScalarSubquery' && x.kind !== 'Exists' && x.kind !== 'InSubquery') mapChildren(x, visit);
    return x;
  };
  visit(e);
  return found;
}
