/**
 * `FROM s, t WHERE s.k = t.key` over a stream, where `t` is a table: a table over a stream is only
 * looked up by key, so the WHERE conditions that name the table (qualified) and only relations
 * before it move into the join's ON, and the CROSS JOIN becomes an INNER join: the lookup join
 * `FROM s JOIN t ON s.k = t.key` a batch engine answers the same.
 */
import { normalizeName, type Expr, type FromItem, type SelectQuery } from '../parser/ast.js';
import type { Catalog } from './catalog.js';
import { mapChildren } from './window-lift.js';
import { andAst, astConjuncts } from './ast-conjuncts.js';

export function lookupCommaJoins(q: SelectQuery, catalog: Catalog): SelectQuery {
  if (!q.where || q.from?.kind !== 'Join') return q;
  let conds = astConjuncts(q.where);
  const rewrite = (item: FromItem): FromItem => {
    if (item.kind !== 'Join') return item;
    const left = rewrite(item.left);
    const right = item.right;
    if (item.joinType !== 'CROSS' || right.kind !== 'TableRef' || catalog.findRelation(right.name.name)?.kind !== 'table') return { ...item, left };
    const table = normalizeName(right.alias?.name ?? right.name.name);
    const known = new Set([...names(left), table]);
    const moved = conds.filter((c) => {
      const quals = qualifiers(c);
      return quals !== undefined && quals.has(table) && [...quals].every((x) => known.has(x));
    });
    if (moved.length === 0) return { ...item, left };
    conds = conds.filter((c) => !moved.includes(c));
    return { ...item, left, joinType: 'INNER', on: andAst(moved)! };
  };
  const from = rewrite(q.from);
  if (from === q.from) return q;
  const where = andAst(conds);
  const { where: _old, ...rest } = q;
  return { ...rest, from, ...(where ? { where } : {}) };
}

/** The names (aliases, else relation names) a FROM item gives its columns. */
function names(item: FromItem): string[] {
  switch (item.kind) {
    case 'TableRef':
      return [normalizeName(item.alias?.name ?? item.name.name)];
    case 'Join':
      return [...names(item.left), ...names(item.right)];
    case 'Subquery':
    case 'Values':
    case 'Window':
      return item.alias ? [normalizeName(item.alias.name)] : [];
    case 'Union':
      return [];
  }
}

/** The qualifiers of a condition's column references; undefined if one is unqualified (its relation is not known here). */
function qualifiers(e: Expr): Set<string> | undefined {
  const out = new Set<string>();
  let unqualified = false;
  const walk = (x: Expr): Expr => {
    if (x.kind === 'ColumnRef') {
      if (x.qualifier) out.add(normalizeName(x.qualifier.name));
      else unqualified = true;
      return x;
    }
    if (x.kind === 'InSubquery' || x.kind === 'Exists' || x.kind === 'ScalarSubquery') unqualified = true;
    return mapChildren(x, walk);
  };
  walk(e);
  return unqualified ? undefined : out;
}

