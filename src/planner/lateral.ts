/**
 * A relation in FROM that reads the row of the relations before it, as DuckDB and PostgreSQL
 * allow: `FROM s, unnest(s.tags) AS t(tag)`, `FROM s CROSS JOIN UNNEST(s.list)`, `FROM s,
 * LATERAL (SELECT s.v * 2 AS dv, s.k || '!' AS k2) t`. Such a relation is a SELECT without FROM
 * (an unnest in FROM is one) whose values read the left side's columns: it is planned over the
 * left side's rows, as its UNNEST (a row per element; none for an empty or NULL list) and its
 * other values computed per row, added as the relation's columns. A LATERAL subquery with a FROM
 * of its own is refused, pointing to the forms that say the same.
 */
import { SluiceError } from '../common/errors.js';
import type { DataType, Field } from '../common/types.js';
import { normalizeName, type CallExpr, type Expr, type JoinRef, type SubqueryRef } from '../parser/ast.js';
import { bindExpr, Scope, type ScopeColumn } from './bind-expr.js';
import type { BoundExpr } from './bound-expr.js';
import type { Catalog } from './catalog.js';
import { implicitName } from './item-names.js';
import type { LogicalPlan } from './logical.js';
import { mapChildren } from './window-lift.js';

interface Planned {
  readonly plan: LogicalPlan;
  readonly scope: Scope;
}

/** The right side of `join` when it is a relation of values computed from each left row. */
export function lateralRows(join: JoinRef): SubqueryRef | undefined {
  const right = join.right;
  if (right.kind !== 'Subquery') return undefined;
  const q = right.query;
  if (q.from !== undefined || q.kind !== 'Select') {
    if (right.lateral) {
      throw new SluiceError('UNSUPPORTED', 'a LATERAL subquery with a FROM of its own is not supported', {
        span: right.span,
        hint: 'compute per row with a correlated subquery in the select list, (SELECT ... FROM t WHERE t.k = s.k ORDER BY ... LIMIT 1), or join the relation on the condition',
      });
    }
    return undefined;
  }
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
