/**
 * A subquery in the select list of a grouped query: `SELECT k, SUM(v) / (SELECT SUM(v) FROM s)`,
 * `SELECT k, (SELECT name FROM t WHERE t.k = s.k), COUNT(*) ... GROUP BY k`. It is computed per
 * input row (joined under the query, as every subquery), so the grouped query reads it through
 * ANY_VALUE: every row of a group gives it the same value when it reads nothing of the query's
 * row but the group's keys (DuckDB computes it once per group). One that reads another column
 * of the row has no one value per group and stays an error.
 */
import { normalizeName, type ColumnRefExpr, type Expr, type FromItem, type SelectQuery } from '../parser/ast.js';
import type { Catalog } from './catalog.js';
import { mapChildren } from './window-lift.js';

/** A column of the query's row that `sub` reads and GROUP BY does not have, if any. */
export function ungroupedRef(sub: SelectQuery, groupBy: readonly Expr[], catalog: Catalog): ColumnRefExpr | undefined {
  const keys = groupBy.filter((g): g is ColumnRefExpr => g.kind === 'ColumnRef');
  return outerRefs(sub, catalog).find(
    (r) => !keys.some((g) => normalizeName(g.column.name) === normalizeName(r.column.name) && (!g.qualifier || !r.qualifier || normalizeName(g.qualifier.name) === normalizeName(r.qualifier.name))),
  );
}

/** The column references of `sub` (outside its own subqueries) that its FROM does not answer. */
function outerRefs(sub: SelectQuery, catalog: Catalog): ColumnRefExpr[] {
  const names = new Set<string>();
  const columns = new Set<string>();
  let opaque = false;
  const collect = (f: FromItem | undefined): void => {
    if (!f) return;
    switch (f.kind) {
      case 'TableRef': {
        names.add(normalizeName(f.alias?.name ?? f.name.name));
        const def = catalog.findRelation(f.name.name);
        if (def) for (const c of def.schema) columns.add(normalizeName(c.name));
        else opaque = true;
        return;
      }
      case 'Join':
        collect(f.left);
        collect(f.right);
        return;
      default:
        // A subquery, VALUES, a union or a window in FROM: its columns are its own to name.
        if ('alias' in f && f.alias) names.add(normalizeName(f.alias.name));
        opaque = true;
    }
  };
  collect(sub.from);
  const out: ColumnRefExpr[] = [];
  const visit = (e: Expr): Expr => {
    if (e.kind === 'ColumnRef') {
      const inner = e.qualifier ? names.has(normalizeName(e.qualifier.name)) : opaque || columns.has(normalizeName(e.column.name));
      if (!inner) out.push(e);
      return e;
    }
    if (e.kind === 'ScalarSubquery' || e.kind === 'Exists') return e;
    if (e.kind === 'InSubquery') return visit(e.operand);
    return mapChildren(e, visit);
  };
  const exprs = [sub.where, sub.having, ...sub.groupBy, ...sub.items.map((i) => (i.kind === 'ExprItem' ? i.expr : undefined))];
  for (const e of exprs) if (e) visit(e);
  return out;
}
