/**
 * Subqueries inside expressions: `x [NOT] IN (SELECT key FROM t ...)`, `[NOT] EXISTS (SELECT ...
 * FROM t WHERE t.key = ...)` and the value `(SELECT expr FROM t WHERE t.key = ...)`, over a TABLE
 * read by its primary key. Each becomes a LEFT lookup join under the query: the table's row of
 * that key, or none. Its columns are hidden from the query (no name reaches them), and the
 * subquery becomes an expression over that row: whether it was found and passes the subquery's
 * WHERE, or the subquery's value. Like a JOIN with a table, the row is the table's as each stream
 * row is read (docs/sql.md). Any other subquery (over a stream or view, or one that aggregates;
 * a table in a pull query over tables alone) is joined: see joined-subqueries.ts.
 *
 * Invariants: the query's own columns keep their indexes (the joins add columns after them); a
 * subquery's names resolve first to its table's columns, then to the query's (correlation).
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { T } from '../common/types.js';
import { isSubquery, normalizeName, type Expr, type FromItem, type SelectQuery, type SubqueryExpr } from '../parser/ast.js';
import { hasSubquery } from './ast-conjuncts.js';
import { asCondition, bindExpr, comparable, Scope, type ScopeColumn } from './bind-expr.js';
import { andAll, type BoundExpr } from './bound-expr.js';
import type { Catalog, TableDef } from './catalog.js';
import type { LogicalPlan } from './logical.js';
import { planJoinedSubquery } from './joined-subqueries.js';
import { liftDerivedCorrelation } from './derived-correlation.js';
import { drivesLookup, splitKeyEqualities, type SubqueryPlanner } from './plan-from.js';
import { mapChildren } from './window-lift.js';


/** Whether the query's own expressions (not its FROM) hold a subquery. */
export function queryHasSubquery(q: SelectQuery): boolean {
  const exprs = [q.where, q.having, q.qualify, ...q.groupBy, ...q.items.map((i) => (i.kind === 'ExprItem' ? i.expr : undefined))];
  return exprs.some((e) => e !== undefined && hasSubquery(e));
}

export interface PlannedSubqueries {
  readonly plan: LogicalPlan;
  readonly scope: Scope;
  /** Each subquery's expression over `plan`'s rows. */
  readonly bound: ReadonlyMap<SubqueryExpr, BoundExpr>;
}

/**
 * Adds one lookup join per subquery under `plan` (whose rows `scope` names) and binds each
 * subquery to an expression over the joined row. `aggregates` tells whether an expression holds
 * an aggregate call (refused in a subquery).
 */
export function planSubqueries(subs: readonly SubqueryExpr[], plan: LogicalPlan, scope: Scope, catalog: Catalog, aggregates: (e: Expr) => boolean, planSub: SubqueryPlanner, pull: boolean, outerFrom?: FromItem): PlannedSubqueries {
  const bound = new Map<SubqueryExpr, BoundExpr>();
  subs.forEach((written, k) => {
    // Conditions on the query's columns inside the subquery's derived tables, moved where they can be read.
    const lifted = liftDerivedCorrelation(written.query, scope);
    const sub = lifted === written.query ? written : { ...written, query: lifted };
    const q = sub.query;
    const from = q.from?.kind === 'TableRef' ? q.from : undefined;
    const table = from ? catalog.findRelation(from.name.name) : undefined;
    let planned: { plan: LogicalPlan; scope: Scope; value: BoundExpr } | undefined;
    // A table read by its primary key is looked up per row (over streams, as it is when the row
    // is read); any other subquery over a table reads it whole (over streams, its changelog), as
    // anything else is read: joined (joined-subqueries.ts). A table without a primary key (a bag
    // of rows) has no key to look up; rows that change (a view over tables) join its changelog.
    if (table?.kind === 'table' && table.primaryKey.length > 0 && lookupForm(q, aggregates) && drivesLookup(plan, pull)) {
      try {
        planned = planTableSubquery(sub, k, plan, scope, catalog, aggregates);
      } catch (e) {
        if (!(e instanceof SluiceError && e.code === 'UNSUPPORTED')) throw e;
      }
    }
    planned ??= planJoinedSubquery(sub, k, plan, scope, catalog, planSub, pull, aggregates, outerFrom);
    ({ plan, scope } = planned);
    bound.set(written, planned.value);
  });
  return { plan, scope, bound };
}

/** A plain SELECT of expressions over one table, without aggregates: what a lookup can answer. */
function lookupForm(q: SelectQuery, aggregates: (e: Expr) => boolean): boolean {
  return !q.groupBy.length && !q.having && !q.distinct && !q.orderBy.length && q.limit === undefined && q.offset === undefined && q.items.every((i) => i.kind !== 'ExprItem' || !aggregates(i.expr));
}

/** Subquery number `k` over a table read by its primary key: a LEFT lookup join under `plan`. */
function planTableSubquery(sub: SubqueryExpr, k: number, plan: LogicalPlan, scope: Scope, catalog: Catalog, aggregates: (e: Expr) => boolean): { plan: LogicalPlan; scope: Scope; value: BoundExpr } {
  const outer = scope;
  const { table, qualifier } = subqueryTable(sub, catalog, aggregates);
  const n = outer.columns.length;
  const pkIndexes = table.primaryKey.map((key) => table.schema.findIndex((f) => normalizeName(f.name) === normalizeName(key)));
  // The subquery sees its table's columns first, then the query's (hidden, so that a name of
  // both is the table's unless qualified).
  const inner = new Scope([...outer.columns.map((c) => ({ ...c, hidden: true })), ...table.schema.map((f): ScopeColumn => ({ qualifier, name: f.name, type: f.type }))]);
  const hooks = { clause: 'a subquery' };
  const q = sub.query;
  const where = q.where ? asCondition(bindExpr(q.where, inner, catalog, hooks), 'the WHERE of a subquery', q.where.span) : undefined;
  const split = where ? splitKeyEqualities(where, n, pkIndexes) : { found: new Map<number, BoundExpr>(), rest: [] };
  let keys: BoundExpr[];
  let value: BoundExpr | undefined;
  if (sub.kind === 'InSubquery') {
    // x IN (SELECT key FROM t WHERE ...): x is the key looked up.
    const item = onlyItem(q, 'IN (SELECT ...)');
    const selected = bindExpr(item, inner, catalog, hooks);
    const pk = pkIndexes.length === 1 ? n + pkIndexes[0]! : -1;
    if (selected.kind !== 'Column' || selected.index !== pk) {
      throw new SluiceError('UNSUPPORTED', `IN (SELECT ...) must select the primary key of table '${table.name}' (${table.primaryKey.join(', ')})`, {
        span: item.span,
        hint: pkIndexes.length === 1 ? `select ${qualifier}.${table.primaryKey[0]}, and test other columns in the subquery's WHERE` : 'use EXISTS (SELECT 1 FROM ... WHERE <each key column> = ...)',
      });
    }
    const operand = bindExpr(sub.operand, outer, catalog, hooks);
    comparable(operand, selected, sub.span);
    keys = [operand];
    for (const [keyIndex, e] of split.found) split.rest.push(equals(e, table, keyIndex, n));
  } else {
    const missing = table.primaryKey.filter((_, i) => !split.found.has(pkIndexes[i]!));
    if (missing.length) {
      throw new SluiceError('UNSUPPORTED', `a subquery over table '${table.name}' must match its primary key (${table.primaryKey.join(', ')}) in WHERE; it does not give ${missing.join(', ')}`, {
        span: q.where?.span ?? q.span,
        hint: `${q.where ? 'add' : 'add WHERE'} ${missing.map((m) => `${qualifier}.${m} = <a column of the outer query>`).join(' AND ')}${q.where ? ' to its WHERE' : ''}`,
      });
    }
    keys = pkIndexes.map((i) => split.found.get(i)!);
    if (sub.kind === 'ScalarSubquery') value = bindExpr(onlyItem(q, '(SELECT ...)'), inner, catalog, hooks);
  }
  const fields = [...plan.fields, ...table.schema.map((f) => ({ ...f, nullable: true }))];
  const joined: LogicalPlan = { kind: 'LogicalLookupJoin', input: plan, table: table.name, joinType: 'LEFT', keys, tableColumns: table.schema.map((_, i) => i), fields };
  // The joined columns, named so that no name in the query can reach them.
  const joinedScope = new Scope([...outer.columns, ...table.schema.map((f): ScopeColumn => ({ qualifier: `\u0000subquery${k}`, name: `\u0000${f.name}`, type: f.type, hidden: true }))]);
  const pkCol: BoundExpr = { kind: 'Column', index: n + pkIndexes[0]!, name: table.primaryKey[0]!, type: table.schema[pkIndexes[0]!]!.type };
  // Found, and the rest of WHERE is TRUE (a key column is never NULL in a table).
  const cond = andAll([{ kind: 'IsNull', operand: pkCol, negated: true, type: T.BOOLEAN }, ...split.rest])!;
  const matched: BoundExpr = { kind: 'Case', whens: [{ when: cond, then: literal(true) }], else: literal(false), type: T.BOOLEAN, span: sub.span };
  return { plan: joined, scope: joinedScope, value: subqueryValue(sub, matched, keys[0]!, value) };
}

/** What the subquery expression is, given whether its row was found (`matched`). */
function subqueryValue(sub: SubqueryExpr, matched: BoundExpr, key: BoundExpr, value: BoundExpr | undefined): BoundExpr {
  const span = sub.span;
  switch (sub.kind) {
    case 'Exists':
      return matched;
    case 'ScalarSubquery':
      return { kind: 'Case', whens: [{ when: matched, then: value! }], else: { kind: 'Literal', value: null, type: value!.type }, type: value!.type, span };
    case 'InSubquery': {
      // NULL IN (...) is NULL (the key set of a table holds no NULL).
      const found: BoundExpr = { kind: 'Case', whens: [{ when: { kind: 'IsNull', operand: key, negated: false, type: T.BOOLEAN }, then: { kind: 'Literal', value: null, type: T.BOOLEAN } }], else: matched, type: T.BOOLEAN, span };
      return sub.negated ? { kind: 'Unary', op: 'NOT', operand: found, type: T.BOOLEAN, span } : found;
    }
  }
}

/** `key column = e` over the joined row: a key equality of an IN subquery's WHERE, which is a condition there. */
function equals(e: BoundExpr, table: TableDef, keyIndex: number, n: number): BoundExpr {
  const f = table.schema[keyIndex]!;
  return { kind: 'Binary', op: '=', left: { kind: 'Column', index: n + keyIndex, name: f.name, type: f.type }, right: e, type: T.BOOLEAN };
}

function literal(value: boolean): BoundExpr {
  return { kind: 'Literal', value, type: T.BOOLEAN };
}

/** The one expression a subquery selects. */
function onlyItem(q: SelectQuery, what: string): Expr {
  const item = q.items[0];
  if (q.items.length !== 1 || item?.kind !== 'ExprItem') {
    throw new SluiceError('UNSUPPORTED', `a subquery in ${what} selects one expression, got ${q.items.length === 1 ? '*' : `${q.items.length} items`}`, { span: q.span });
  }
  return item.expr;
}

/** The table a subquery reads, after checking that it is a plain SELECT over one table. */
function subqueryTable(sub: SubqueryExpr, catalog: Catalog, aggregates: (e: Expr) => boolean): { table: TableDef; qualifier: string } {
  const q = sub.query;
  const refuse = (what: string, span: Span): never => {
    throw new SluiceError('UNSUPPORTED', `${what} in a subquery inside an expression is not supported`, {
      span,
      hint: 'a subquery in an expression reads one table by its primary key: EXISTS (SELECT 1 FROM t WHERE t.key = s.col AND ...), s.col IN (SELECT key FROM t WHERE ...), (SELECT t.col FROM t WHERE t.key = s.col)',
    });
  };
  if (q.groupBy.length || q.having) refuse('GROUP BY', q.groupBy[0]?.span ?? q.having!.span);
  if (q.orderBy.length || q.limit !== undefined || q.offset !== undefined) refuse('ORDER BY, LIMIT or OFFSET', q.span);
  if (q.from?.kind !== 'TableRef') refuse(q.from ? 'a FROM other than one table' : 'a SELECT without FROM', q.from?.span ?? q.span);
  const from = q.from as Extract<SelectQuery['from'], { kind: 'TableRef' }>;
  const def = catalog.relation(from.name.name, from.name.span);
  if (def.kind !== 'table') {
    throw new SluiceError('UNSUPPORTED', `a subquery inside an expression reads a table, and '${def.name}' is a ${def.kind}`, {
      span: from.name.span,
      hint: def.kind === 'stream' ? 'a stream has no current contents to test against; keep the rows in a TABLE (CREATE TABLE ... PRIMARY KEY, filled by INSERT or a connector), or join the stream in a time window' : 'read the view with a pull query, or keep the rows in a TABLE',
    });
  }
  for (const item of q.items) if (item.kind === 'ExprItem' && aggregates(item.expr)) refuse('an aggregate', item.expr.span);
  return { table: def, qualifier: from.alias?.name ?? def.name };
}
