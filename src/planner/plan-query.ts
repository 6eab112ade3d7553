/** The planner's entry point: SELECT -> logical plan -> rewrites -> physical plan. */
import { SluiceError } from '../common/errors.js';
import type { Field } from '../common/types.js';
import { isSubquery, normalizeName, type FromItem, type SelectQuery } from '../parser/ast.js';
import type { Catalog, RelationDef } from './catalog.js';
import type { LogicalPlan } from './logical.js';
import type { OrderKey } from './order-by.js';
import type { WindowSpec } from './window-spec.js';
import { toPhysical, type PhysicalPlan } from './physical.js';
import { planSelect, walkAst, type UnselectedKey } from './plan-select.js';
import { isUpdating, physicalStreamKind } from './stream-kind.js';
import { pushDownFilters } from './rules/filter-pushdown.js';
import { pruneColumns } from './rules/projection-pruning.js';
import { shareScans } from './rules/share-scans.js';
import { twoPhaseAggregate } from './rules/two-phase-aggregate.js';

export interface QueryPlan {
  readonly logical: LogicalPlan;
  readonly physical: PhysicalPlan;
  /** Output columns, with unique names. */
  readonly fields: readonly Field[];
  /** The physical plan's stream kind is not append-only: rows carry -U/+U/-D. */
  readonly updating: boolean;
  /** Output indexes that identify a row (an updating result's upsert key, a windowed GROUP BY's groups); empty when none do. */
  readonly keyColumns: readonly number[];
  /** An aggregate without GROUP BY: one row, whose key is empty. */
  readonly singleRow?: boolean;
  /** GROUP BY expressions left out of the select list (then `keyColumns` do not identify a row). */
  readonly unselectedKeys?: readonly UnselectedKey[];
  /** Output index of the source stream's key column, when the query passes it through. */
  readonly streamKey?: number;
  /** The source's event-time column and watermark delay, when the output carries that column. */
  readonly watermark?: { readonly column: string; readonly delayMs: number };
  readonly limit?: number;
  /** Rows skipped before the limit counts (OFFSET). */
  readonly offset?: number;
  /** Sort keys of a pull or bounded push query's rows, applied before the limit. */
  readonly orderBy?: readonly OrderKey[];
  /** Output columns at the end that only ORDER BY and window functions read (see plan-select.ts planOrdered). */
  readonly hiddenColumns?: number;
  /** Window functions of a pull or bounded query, filled in once its rows are final. */
  readonly windows?: readonly WindowSpec[];
}

export interface PlanOptions {
  /** A pull query reads a view or table as one finite batch. */
  readonly pull?: boolean;
  /** A push query that ends with its input: ORDER BY sorts its rows at the end. */
  readonly bounded?: boolean;
  /**
   * The plan will be cut at its GROUP BY into stages joined through a repartition topic
   * (a scale-out sink): aggregations pre-combine before the exchange unless the source stream
   * says `'aggregate.two_phase' = false`.
   */
  readonly exchange?: boolean;
  /** Called after each rewrite rule ran (EXPLAIN VERBOSE). */
  readonly onRewrite?: (step: RewriteStep) => void;
}

/**
 * The view or table a pull query answers from: the one the query reads directly, or a table it
 * reads through subqueries in FROM (`SELECT n, COUNT(*) FROM (SELECT k, COUNT(*) AS n FROM t
 * GROUP BY k) q GROUP BY n`). A view read through a subquery is read as a stream of its changes
 * (a push query), and so is everything over streams, joins or windows: undefined for those.
 */
export function pullRelation(q: SelectQuery, catalog: Catalog): RelationDef | undefined {
  let from = q.from;
  let nested = false;
  if (!subqueriesReadOnlyTables(q, catalog)) return undefined;
  while (from?.kind === 'Subquery') {
    if (!subqueriesReadOnlyTables(from.query, catalog)) return undefined;
    // A view that is not materialized reads as its query would, written in its name's place.
    if (!from.view) nested = true;
    from = from.query.from;
  }
  if (from?.kind !== 'TableRef') return undefined;
  const def = catalog.relation(from.name.name, from.name.span);
  return def.kind === 'table' || (def.kind === 'view' && !nested) ? def : undefined;
}

/**
 * Whether every relation `q` reads (through joins, subqueries and unions) is a table: such a
 * query answers once from the tables' current rows, as a pull query over one table does
 * (`SELECT ... FROM orders o JOIN customers c ON o.cust = c.cust` over two tables).
 */
export function readsOnlyTables(q: SelectQuery, catalog: Catalog): boolean {
  const from = (item: FromItem): boolean => {
    switch (item.kind) {
      case 'TableRef':
        return catalog.findRelation(item.name.name)?.kind === 'table';
      case 'Join':
        return from(item.left) && from(item.right);
      case 'Subquery':
        return readsOnlyTables(item.query, catalog);
      case 'Union':
        return item.inputs.every((i) => readsOnlyTables(i, catalog));
      case 'Window':
        return false;
      case 'Values':
        return true;
    }
  };
  // A SELECT without FROM (in a subquery) reads constants only.
  return (q.from === undefined || from(q.from)) && subqueriesReadOnlyTables(q, catalog);
}

/**
 * Whether every subquery in `q`'s own expressions reads only tables: one over a stream or view
 * makes the query a push query (a pull query has no rows of a stream to test against).
 */
function subqueriesReadOnlyTables(q: SelectQuery, catalog: Catalog): boolean {
  let only = true;
  const exprs = [q.where, q.having, q.qualify, ...q.groupBy, ...q.items.map((i) => (i.kind === 'ExprItem' ? i.expr : undefined))];
  for (const e of exprs) {
    if (e) walkAst(e, (x) => {
      if (isSubquery(x) && !readsOnlyTables(x.query, catalog)) only = false;
    });
  }
  return only;
}

/** One rewrite rule's run: the plan it was given and the plan it returned (the same when it changed nothing). */
export type RewriteStep =
  | { readonly rule: string; readonly level: 'logical'; readonly before: LogicalPlan; readonly after: LogicalPlan }
  | { readonly rule: string; readonly level: 'physical'; readonly before: PhysicalPlan; readonly after: PhysicalPlan };

/** The logical rewrite rules (src/planner/rules), in the order they run. */
const LOGICAL_RULES: readonly { readonly rule: string; readonly apply: (p: LogicalPlan) => LogicalPlan }[] = [
  { rule: 'filter-pushdown', apply: pushDownFilters },
  { rule: 'projection-pruning', apply: pruneColumns },
];

export function planQuery(q: SelectQuery, catalog: Catalog, opts: PlanOptions = {}): QueryPlan {
  if (q.recursive?.length) {
    // Computed to its rows before the query runs (engine/statements/select-recursive.ts): only a SELECT that answers once has that moment.
    throw new SluiceError('UNSUPPORTED', 'WITH RECURSIVE is supported in a SELECT that answers once, not in a view, sink, INSERT or EXPLAIN', {
      span: q.recursive[0]!.span,
      hint: 'run the SELECT on its own',
    });
  }
  const planned = planSelect(q, catalog, opts);
  let logical = planned.plan;
  for (const { rule, apply } of LOGICAL_RULES) {
    const before = logical;
    logical = apply(before);
    opts.onRewrite?.({ rule, level: 'logical', before, after: logical });
  }
  const unsplit = toPhysical(logical, catalog);
  const split = twoPhaseAggregate(unsplit, { byDefault: opts.exchange === true });
  opts.onRewrite?.({ rule: 'two-phase-aggregate', level: 'physical', before: unsplit, after: split });
  const physical = shareScans(split);
  opts.onRewrite?.({ rule: 'share-scans', level: 'physical', before: split, after: physical });
  const kind = physicalStreamKind(physical);
  const updating = isUpdating(kind);
  const fields = planned.plan.fields.map((f, i) => ({ ...f, name: planned.names[i] ?? f.name }));
  const key = streamKeyName(q, catalog);
  const streamKey = key === undefined ? -1 : fields.findIndex((f) => normalizeName(f.name) === normalizeName(key));
  const wm = baseRelation(q, catalog);
  const wmSpec = wm && (wm.kind === 'stream' || wm.kind === 'view') ? wm.watermark : undefined;
  const wmOut = wmSpec ? fields.find((f) => normalizeName(f.name) === normalizeName(wmSpec.column) && f.type.kind === 'TIMESTAMP') : undefined;
  return {
    logical,
    physical,
    fields,
    updating,
    keyColumns: kind.kind === 'retracting' ? [] : (kind.key ?? []),
    ...(planned.singleRow ? { singleRow: true } : {}),
    ...(planned.unselectedKeys ? { unselectedKeys: planned.unselectedKeys } : {}),
    ...(streamKey >= 0 ? { streamKey } : {}),
    ...(wmSpec && wmOut && !updating ? { watermark: { column: wmOut.name, delayMs: wmSpec.delayMs } } : {}),
    ...(planned.limit !== undefined ? { limit: planned.limit } : {}),
    ...(planned.offset ? { offset: planned.offset } : {}),
    ...(planned.orderBy ? { orderBy: planned.orderBy } : {}),
    ...(planned.hiddenColumns ? { hiddenColumns: planned.hiddenColumns } : {}),
    ...(planned.windows ? { windows: planned.windows } : {}),
  };
}

function baseRelation(q: SelectQuery, catalog: Catalog) {
  let from = q.from;
  while (from && from.kind === 'Join') from = from.left;
  if (!from || from.kind !== 'TableRef') return undefined;
  return catalog.findRelation(from.name.name);
}

function streamKeyName(q: SelectQuery, catalog: Catalog): string | undefined {
  const def = baseRelation(q, catalog);
  return def?.kind === 'stream' ? def.key : undefined;
}
