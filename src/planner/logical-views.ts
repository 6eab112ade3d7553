/**
 * Views that are not materialized (`CREATE VIEW v AS SELECT ...`): a name for a query. Before a
 * statement is planned, every reference to one in FROM (at any depth: joins, subqueries, common
 * tables, subqueries in expressions) becomes that query as a subquery, named as the reference
 * names it, so that the view reads what its query reads at the time (as DuckDB and Flink read a
 * view). A view's query may name other views; a cycle (through CREATE OR REPLACE) is an error.
 */
import { SluiceError } from '../common/errors.js';
import type { FromItem, SelectQuery, Statement } from '../parser/ast.js';
import type { Catalog } from './catalog.js';

/** Deepest chain of views naming views. */
const MAX_DEPTH = 32;

/** `s` with every view that is not materialized read as its query; `s` itself when it names none. */
export function expandLogicalViews<T extends Statement | SelectQuery>(s: T, catalog: Catalog): T {
  if (catalog.listLogicalViews().length === 0) return s;
  return expand(s, catalog, 0);
}

function expand<T>(x: T, catalog: Catalog, depth: number): T {
  if (Array.isArray(x)) {
    let changed = false;
    const out = x.map((v) => {
      const e = expand(v, catalog, depth);
      changed ||= e !== v;
      return e;
    });
    return (changed ? out : x) as T;
  }
  if (typeof x !== 'object' || x === null) return x;
  const node = x as unknown as { kind?: string };
  if (node.kind === 'TableRef') {
    const ref = x as unknown as Extract<FromItem, { kind: 'TableRef' }>;
    const view = catalog.findLogicalView(ref.name.name);
    if (view) {
      if (depth >= MAX_DEPTH) {
        throw new SluiceError('INVALID_ARGUMENT', `view '${view.name}' reads itself through other views (or a chain of more than ${MAX_DEPTH})`, {
          span: ref.span,
          hint: 'replace one of the views in the cycle: CREATE OR REPLACE VIEW ...',
        });
      }
      const query = expand(view.query, catalog, depth + 1);
      return { kind: 'Subquery', query, alias: ref.alias ?? ref.name, ...(view.columns ? { columns: view.columns } : {}), span: ref.span } as T;
    }
    return x;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(x)) {
    if (k === 'span') continue;
    const e = expand(v, catalog, depth);
    if (e !== v) (out ??= { ...(x as Record<string, unknown>) })[k] = e;
  }
  return (out ?? x) as T;
}
