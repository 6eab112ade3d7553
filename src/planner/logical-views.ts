/**
 * Views that are not materialized (`CREATE VIEW v AS SELECT ...`): a name for a query. Before a
 * statement is planned, every reference to one in FROM (at any depth: joins, subqueries, common
 * tables, subqueries in expressions) becomes that query as a subquery, named as the reference
 * names it, so that the view reads what its query reads at the time (as DuckDB and Flink read a
 * view). A view's query may name other views; a cycle (through CREATE OR REPLACE) is an error.
 */
import { SluiceError } from '../common/errors.js';
import type { FromItem, SelectQuery, Statement } from '../parser/ast.js';
import type { Span } from '../common/span.js';
import type { Catalog } from './catalog.js';

/** Deepest chain of views naming views. */
const MAX_DEPTH = 32;
/**
 * Most view references one statement expands to: views that each name the one before twice would
 * otherwise grow the statement exponentially (2^32 copies at the deepest chain).
 */
const MAX_EXPANSIONS = 1000;

/** `s` with every view that is not materialized read as its query; `s` itself when it names none. */
export function expandLogicalViews<T extends Statement | SelectQuery>(s: T, catalog: Catalog): T {
  if (catalog.listLogicalViews().length === 0) return s;
  return new Expansion(catalog).expand(s, 0);
}

class Expansion {
  private count = 0;
  constructor(private readonly catalog: Catalog) {}

  expand<T>(x: T, depth: number): T {
    return expand(x, this.catalog, depth, this);
  }

  /** Counts one view read as its query; past MAX_EXPANSIONS the statement is refused. */
  note(span: Span): void {
    if (++this.count > MAX_EXPANSIONS) {
      throw new SluiceError('LIMIT_EXCEEDED', `the statement reads views that expand to more than ${MAX_EXPANSIONS} queries`, { span, hint: 'a view that names another view twice doubles it: materialize one of them, or name fewer' });
    }
  }
}

function expand<T>(x: T, catalog: Catalog, depth: number, run: Expansion): T {
  if (Array.isArray(x)) {
    let changed = false;
    const out = x.map((v) => {
      const e = expand(v, catalog, depth, run);
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
      run.note(ref.span);
      const query = expand(view.query, catalog, depth + 1, run);
      return { kind: 'Subquery', query, alias: ref.alias ?? ref.name, ...(view.columns ? { columns: view.columns } : {}), view: true, span: ref.span } as T;
    }
    return x;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(x)) {
    if (k === 'span') continue;
    const e = expand(v, catalog, depth, run);
    if (e !== v) (out ??= { ...(x as Record<string, unknown>) })[k] = e;
  }
  return (out ?? x) as T;
}
