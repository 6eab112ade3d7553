/**
 * GROUP BY items that refer to the select list, as DuckDB and PostgreSQL allow: `GROUP BY 2`
 * is the second select item, and `GROUP BY alias` is the select item of that alias when no
 * input column has the name (an input column wins, as in both).
 */
import { SluiceError } from '../common/errors.js';
import { normalizeName, type Expr } from '../parser/ast.js';
import type { Scope } from './bind-expr.js';
import { mapChildren } from './window-lift.js';

/** A select item as GROUP BY sees it: its expression (absent for `*` columns) and output name. */
export interface SelectRef {
  readonly ast?: Expr;
  readonly name?: string;
  /** A column of `*`: the reference GROUP BY ALL groups by. */
  readonly column?: Expr;
}

/** Whether `e` is the word ALL where no input column has that name (GROUP BY ALL, ORDER BY ALL). */
export function isAllWord(e: Expr | undefined, hasColumn: (name: string) => boolean): boolean {
  return e?.kind === 'ColumnRef' && e.qualifier === undefined && normalizeName(e.column.name) === 'all' && !hasColumn('all');
}

/**
 * Replaces positions and aliases in `groupBy` by the select items they name; `GROUP BY ALL` (as
 * DuckDB) is every select item without an aggregate (the planner's hidden items aside), the
 * columns of a `*` among them.
 */
export function resolveGroupByRefs(groupBy: readonly Expr[], items: readonly SelectRef[], scope: Scope, hasAggregate: (e: Expr) => boolean): Expr[] {
  if (groupBy.length === 1 && isAllWord(groupBy[0], (n) => scope.columns.some((c) => normalizeName(c.name) === n))) {
    return items.flatMap((i) => (i.ast ? (!hasAggregate(i.ast) && !i.name?.startsWith('\u0000') ? [i.ast] : []) : i.column ? [i.column] : []));
  }
  return groupBy.map((g) => {
    if (g.kind === 'Literal' && g.literal === 'integer') {
      const n = Number(g.value);
      const item = items[n - 1];
      if (!item) {
        throw new SluiceError('INVALID_ARGUMENT', `GROUP BY ${n} names no select item`, { span: g.span, hint: `positions count the select items from 1 to ${items.length}` });
      }
      if (!item.ast) {
        throw new SluiceError('UNSUPPORTED', `GROUP BY ${n} names a column of '*'`, { span: g.span, hint: `write the column name${item.name ? ` (${item.name})` : ''} in GROUP BY` });
      }
      if (hasAggregate(item.ast)) {
        throw new SluiceError('INVALID_ARGUMENT', `GROUP BY ${n} names an aggregate`, { span: g.span, hint: 'group by columns or expressions over them' });
      }
      return item.ast;
    }
    if (g.kind === 'ColumnRef' && g.qualifier === undefined) {
      const name = normalizeName(g.column.name);
      if (scope.columns.some((c) => normalizeName(c.name) === name)) return g;
      const item = items.find((i) => i.ast && i.name !== undefined && normalizeName(i.name) === name);
      if (item?.ast && !hasAggregate(item.ast)) return item.ast;
    }
    return g;
  });
}

/**
 * HAVING over the select list's aliases, as DuckDB allows (`SELECT k, COUNT(*) AS n ... HAVING n
 * > 1`): a name that no input column has and a select item is given is that item's expression.
 */
export function resolveHavingAliases(having: Expr, items: readonly SelectRef[], scope: Scope): Expr {
  const hasColumn = (name: string) => scope.columns.some((c) => normalizeName(c.name) === name);
  const walk = (e: Expr): Expr => {
    if (e.kind === 'ColumnRef' && e.qualifier === undefined) {
      const name = normalizeName(e.column.name);
      if (hasColumn(name)) return e;
      const item = items.find((i) => i.ast && i.name !== undefined && normalizeName(i.name) === name);
      return item?.ast ?? e;
    }
    return mapChildren(e, walk);
  };
  return walk(having);
}
