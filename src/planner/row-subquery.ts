/**
 * A relation of at most one row per row of the relations before it, planned as the correlated
 * subquery that gives that row as a STRUCT: `(SELECT {'a': ..., 'b': ...} FROM ... WHERE ...
 * [ORDER BY ... LIMIT 1])`, its fields added as the relation's columns. It serves an ASOF join
 * (asof-join.ts) and a LATERAL subquery with a FROM of its own that gives one row (lateral.ts):
 * LIMIT 1, or aggregates without GROUP BY. A row that has none (the STRUCT is NULL; a row given is
 * a STRUCT, never NULL itself) keeps NULLs in a LEFT join and is dropped otherwise.
 */
import { SluiceError } from '../common/errors.js';
import type { Field } from '../common/types.js';
import type { Expr, FromItem, ScalarSubqueryExpr, SelectQuery } from '../parser/ast.js';
import { Scope, type ScopeColumn } from './bind-expr.js';
import type { BoundExpr } from './bound-expr.js';
import type { Catalog } from './catalog.js';
import type { LogicalPlan } from './logical.js';
import type { SubqueryPlanner } from './plan-from.js';
import { planSubqueries } from './subqueries.js';
import { isAggregateName } from '../common/aggregate-names.js';
import { mapChildren } from './window-lift.js';

interface Planned {
  readonly plan: LogicalPlan;
  readonly scope: Scope;
}

/** `{'name': expr, ...}` (STRUCT_PACK). */
export function structOf(fields: readonly { readonly name: string; readonly expr: Expr }[], span: Expr['span']): Expr {
  const args = fields.flatMap((f): Expr[] => [{ kind: 'Literal', literal: 'string', value: f.name, span }, f.expr]);
  return { kind: 'Call', name: { name: 'struct_pack', span }, args, distinct: false, star: false, span };
}

/**
 * `left`'s rows with the fields of the row `query` (a SELECT of one STRUCT, reading `left`'s
 * columns) gives for each, as columns named by `qualifier`; without one, NULLs where `keepUnmatched`,
 * else the row is dropped.
 */
export function planRowSubquery(
  left: Planned,
  query: SelectQuery,
  outerFrom: FromItem,
  keepUnmatched: boolean,
  qualifier: string | undefined,
  catalog: Catalog,
  planSub: SubqueryPlanner,
  pull: boolean,
): Planned {
  const sub: ScalarSubqueryExpr = { kind: 'ScalarSubquery', query, span: query.span };
  const joined = planSubqueries([sub], left.plan, left.scope, catalog, containsAggregateCall, planSub, pull, outerFrom);
  const row = joined.bound.get(sub)!;
  if (row.type.kind !== 'STRUCT') throw new SluiceError('INTERNAL', `a row subquery gave ${row.type.kind}, not a STRUCT`, { span: query.span });
  let plan = joined.plan;
  if (!keepUnmatched) plan = { kind: 'LogicalFilter', input: plan, predicate: { kind: 'IsNull', operand: row, negated: true, type: { kind: 'BOOLEAN' } }, fields: plan.fields };
  const fieldsOfRow = row.type.fields;
  const own = left.plan.fields.map((f, i): BoundExpr => ({ kind: 'Column', index: i, name: f.name, type: f.type }));
  const values = fieldsOfRow.map((f): BoundExpr => ({ kind: 'FieldAccess', operand: row, field: f.name, type: f.type }));
  const fields: Field[] = [...left.plan.fields, ...fieldsOfRow.map((f) => ({ name: f.name, type: f.type, nullable: true }))];
  const scope = new Scope([...left.scope.columns, ...fieldsOfRow.map((f): ScopeColumn => ({ ...(qualifier ? { qualifier } : {}), name: f.name, type: f.type }))]);
  return { plan: { kind: 'LogicalProject', input: plan, exprs: [...own, ...values], fields }, scope };
}

/** Whether `e` calls an aggregate (outside its subqueries, and not as a window function). */
export function containsAggregateCall(e: Expr): boolean {
  if (e.kind === 'Call' && !e.over && isAggregateName(e.name.name)) return true;
  if (e.kind === 'ScalarSubquery' || e.kind === 'Exists' || e.kind === 'InSubquery') return false;
  let found = false;
  mapChildren(e, (c) => {
    found ||= containsAggregateCall(c);
    return c;
  });
  return found;
}
