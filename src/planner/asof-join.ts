/**
 * `l ASOF [LEFT] JOIN r ON <equalities> AND l.t >= r.t` (DuckDB): each row of `l` with the one
 * row of `r` that meets ON and is nearest by its inequality — for `>=` the latest `r.t` not after
 * `l.t`, for `<=` the earliest not before it (`>` and `<` leave out the equal one). ASOF LEFT JOIN
 * keeps the rows of `l` that have none, with NULLs; ASOF JOIN drops them. Over streams this is
 * the point-in-time join: a transaction with the feature values as they were at its time.
 *
 * It is planned as the correlated subquery that says it, `(SELECT {all of r's columns} FROM r
 * WHERE <ON> ORDER BY r.t DESC LIMIT 1)` per row of `l` (see limited-subquery.ts and
 * joined-subqueries.ts), whose fields become `r`'s columns. Of rows of `r` tied on `r.t`, the one
 * first in the order of its columns is taken (DuckDB takes any of them). Kept current like any
 * subquery over streams: an `r` row that comes later and is nearer replaces the match.
 */
import { SluiceError } from '../common/errors.js';
import { normalizeName, type Expr, type Ident, type JoinRef, type OrderItem, type SelectQuery } from '../parser/ast.js';
import { Scope } from './bind-expr.js';
import type { Catalog } from './catalog.js';
import type { LogicalPlan } from './logical.js';
import type { SubqueryPlanner } from './plan-from.js';
import { planRowSubquery, structOf } from './row-subquery.js';
import { mapChildren } from './window-lift.js';
import { astConjuncts } from './ast-conjuncts.js';

interface Planned {
  readonly plan: LogicalPlan;
  readonly scope: Scope;
}

/** Types a tie between rows of `r` can be ordered by. */
const ORDERABLE = new Set(['INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'DECIMAL', 'STRING', 'BOOLEAN', 'TIMESTAMP', 'DATE', 'TIME']);

export function planAsofJoin(written: JoinRef, left: Planned, right: Planned, catalog: Catalog, planSub: SubqueryPlanner, pull: boolean): Planned {
  const span = written.span;
  const qualifier = rightQualifier(written);
  const columns = right.scope.columns.filter((c) => !c.hidden && !c.name.startsWith('\u0000'));
  const ref = (name: string): Expr => ({ kind: 'ColumnRef', qualifier: { name: qualifier, span }, column: { name, span }, span });
  const join = written.using ? { ...written, on: usingCondition(written.using, left.scope, qualifier, ref) } : written;
  const inequality = nearestBy(join.on!, left.scope, right.scope, qualifier);
  const orderBy: OrderItem[] = [
    { expr: inequality.right, desc: inequality.latest, nullsFirst: false },
    // Ties on the inequality: the first by the row's columns, so that the match is one row.
    ...columns.filter((c) => ORDERABLE.has(c.type.kind)).map((c): OrderItem => ({ expr: ref(c.name), desc: false, nullsFirst: false })),
  ];
  const row = structOf(columns.map((c) => ({ name: c.name, expr: ref(c.name) })), span);
  const query: SelectQuery = { kind: 'Select', distinct: false, items: [{ kind: 'ExprItem', expr: row, span }], from: join.right, where: join.on!, groupBy: [], orderBy, limit: 1, span };
  const planned = planRowSubquery(left, query, join.left, join.joinType === 'LEFT', qualifier, catalog, planSub, pull);
  if (!written.using) return planned;
  // USING: the right side's copies of those columns are not the join's (the left's are).
  const shared = new Set(written.using.map((u) => normalizeName(u.name)));
  const n = left.scope.columns.length;
  return { plan: planned.plan, scope: new Scope(planned.scope.columns.map((c, i) => (i >= n && shared.has(normalizeName(c.name)) ? { ...c, hidden: true } : c))) };
}

/**
 * `USING (k1, ..., t)` of an ASOF join, as DuckDB reads it: `l.k1 = r.k1 AND ... AND l.t >= r.t`,
 * each left column by the name of the relation it comes from.
 */
function usingCondition(using: readonly Ident[], left: Scope, qualifier: string, ref: (name: string) => Expr): Expr {
  const terms = using.map((u, k): Expr => {
    const found = left.columns.filter((c) => !c.hidden && normalizeName(c.name) === normalizeName(u.name));
    if (found.length !== 1 || found[0]!.qualifier === undefined) {
      throw new SluiceError(found.length ? 'AMBIGUOUS_COLUMN' : 'UNKNOWN_COLUMN', `USING column '${u.name}' is ${found.length > 1 ? 'in more than one relation' : found.length ? 'of a relation without a name' : 'not a column'} on the left of the ASOF join`, { span: u.span, hint: 'write ON instead' });
    }
    const l: Expr = { kind: 'ColumnRef', qualifier: { name: found[0]!.qualifier!, span: u.span }, column: { name: found[0]!.name, span: u.span }, span: u.span };
    return { kind: 'Binary', op: k === using.length - 1 ? '>=' : '=', left: l, right: ref(u.name), span: u.span };
  });
  return terms.reduce((a, b): Expr => ({ kind: 'Binary', op: 'AND', left: a, right: b, span: b.span }));
}

/** The name the right side's columns go by: its alias, or the relation's name. */
function rightQualifier(join: JoinRef): string {
  const r = join.right;
  if (r.kind === 'TableRef') return r.alias?.name ?? r.name.name;
  if (r.kind === 'Subquery' && r.alias) return r.alias.name;
  throw new SluiceError('UNSUPPORTED', 'the right side of an ASOF join is a stream, table or view, or a subquery with an alias', {
    span: r.span,
    hint: 'e.g. ASOF JOIN (SELECT ...) q ON ...',
  });
}

/**
 * ON's one inequality between the two sides: the right side's expression, and whether the
 * nearest row is the latest (the right side at or before the left) or the earliest.
 */
function nearestBy(on: Expr, left: Scope, right: Scope, qualifier: string): { right: Expr; latest: boolean } {
  const found: { right: Expr; latest: boolean }[] = [];
  for (const c of astConjuncts(on)) {
    if (c.kind !== 'Binary' || !['<', '<=', '>', '>='].includes(c.op)) continue;
    const l = sideOf(c.left, left, right, qualifier);
    const r = sideOf(c.right, left, right, qualifier);
    // `l.t >= r.t` (or `r.t <= l.t`): r at or before l, the latest of those is nearest.
    if (l === 'left' && r === 'right') found.push({ right: c.right, latest: c.op === '>' || c.op === '>=' });
    else if (l === 'right' && r === 'left') found.push({ right: c.left, latest: c.op === '<' || c.op === '<=' });
  }
  if (found.length !== 1) {
    throw new SluiceError('INVALID_JOIN', `an ASOF join's ON needs exactly one inequality (>=, >, <= or <) between the two sides, found ${found.length}`, {
      span: on.span,
      hint: 'e.g. ON t.symbol = q.symbol AND t.ts >= q.ts: each t row with the latest q row at or before it',
    });
  }
  return found[0]!;
}

/** Which side's columns `e` reads: one side only, both, or none. */
function sideOf(e: Expr, left: Scope, right: Scope, qualifier: string): 'left' | 'right' | 'both' | 'none' {
  let l = false;
  let r = false;
  const q = normalizeName(qualifier);
  const has = (scope: Scope, name: string) => scope.columns.some((c) => !c.hidden && normalizeName(c.name) === normalizeName(name));
  const walk = (x: Expr): Expr => {
    if (x.kind === 'ColumnRef') {
      if (x.qualifier) {
        if (normalizeName(x.qualifier.name) === q) r = true;
        else l = true;
      } else if (has(right, x.column.name) && !has(left, x.column.name)) r = true;
      else l = true;
    } else if (x.kind !== 'ScalarSubquery' && x.kind !== 'Exists' && x.kind !== 'InSubquery') mapChildren(x, walk);
    return x;
  };
  walk(e);
  return l && r ? 'both' : l ? 'left' : r ? 'right' : 'none';
}
