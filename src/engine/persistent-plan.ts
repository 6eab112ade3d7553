/** Decisions about a CREATE MATERIALIZED VIEW or CREATE SINK shared by planning and running it. */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import { normalizeName, type Statement } from '../parser/index.js';
import type { QueryPlan } from '../planner/plan-query.js';

/** Output columns that key a view's rows: `WITH (key = ...)`, else the query's own key. */
export function viewKey(q: QueryPlan, explicit: unknown, span: Span): number[] {
  if (explicit !== undefined) {
    const names = String(explicit).split(',').map((s) => s.trim());
    return names.map((n) => {
      const i = q.fields.findIndex((f) => normalizeName(f.name) === normalizeName(n));
      if (i < 0) throw new SluiceError('UNKNOWN_COLUMN', `view key '${n}' is not an output column`, { span, hint: `output columns: ${q.fields.map((f) => f.name).join(', ')}` });
      return i;
    });
  }
  // Groups that differ only in a GROUP BY key left out of the select list may give equal rows:
  // the view counts the copies of each (isMultisetView), as SQL keeps them.
  if (isMultisetView(q, explicit)) return q.fields.map((_, i) => i);
  if (q.keyColumns.length) return [...q.keyColumns];
  // The one row of an aggregate without GROUP BY replaces itself under the empty key.
  if (q.singleRow) return [];
  if (q.streamKey !== undefined) return [q.streamKey];
  return [0];
}

/**
 * An updating result without a key (and not one aggregate row), or a grouped result whose select
 * list leaves out a GROUP BY key, is kept as a multiset: equal rows from different groups are
 * distinct rows, as in SQL. Naming the view's key (WITH (key = ...)) keeps one row per key instead.
 */
export function isMultisetView(q: QueryPlan, explicitKey: unknown): boolean {
  if (explicitKey !== undefined || q.singleRow) return false;
  return (q.unselectedKeys?.length ?? 0) > 0 || (q.keyColumns.length === 0 && q.updating);
}

/**
 * An append-only result kept under a key named WITH (key = ...) that does not tell its rows apart
 * (the query's own key is not part of it): a row replaces the view's row with its key, so the
 * view is updating for what reads it.
 */
export function isReplacingView(q: QueryPlan, key: readonly number[], explicitKey: unknown): boolean {
  return !q.updating && explicitKey !== undefined && !(q.keyColumns.length > 0 && q.keyColumns.every((k) => key.includes(k)));
}

/**
 * A view of an append-only query that names no key and has none of its own (a view of a stream,
 * keyed by the stream's key or its first column): it stores the latest row per key, and a pull
 * query reads every row from its changelog (see ViewDef.pullFrom).
 */
export function pullsFromChangelog(q: QueryPlan, explicitKey: unknown): boolean {
  return explicitKey === undefined && !q.updating && !q.singleRow && q.keyColumns.length === 0;
}

/** How a view's changelog reads (see ViewDef.changes). */
export function viewChanges(q: QueryPlan, key: readonly number[], explicitKey: unknown): { changes?: 'upsert' | 'retracting' } {
  if (isReplacingView(q, key, explicitKey)) return { changes: 'upsert' };
  if (!q.updating) return {};
  const upsert = q.keyColumns.length > 0 && key.length === q.keyColumns.length && key.every((k, i) => k === q.keyColumns[i]);
  return { changes: upsert ? 'upsert' : 'retracting' };
}

/** A Kafka sink run across processes: its plan is cut at an exchange through a repartition topic. */
export function isScaleOutSink(s: Statement): boolean {
  if (s.kind !== 'CreateSink') return false;
  const option = (key: string): unknown => s.options.find((o) => o.key.toLowerCase() === key)?.value;
  return String(option('connector') ?? '').toLowerCase() === 'kafka' && isTrue(option('scale.out'));
}

function isTrue(v: unknown): boolean {
  return v === true || String(v).toLowerCase() === 'true';
}

/**
 * The query a view or sink runs. A view with `ORDER BY ... LIMIT n` (or OFFSET) keeps the rows
 * they pick, as DuckDB's view would: its query is read as `SELECT * FROM (query) q`, a subquery
 * whose LIMIT is a top-N that stays current (`QUALIFY ROW_NUMBER() OVER (ORDER BY ...) <= n`,
 * recomputed as rows come and go). A view's rows have no order of their own, so its `ORDER BY`
 * alone orders nothing and is left out (as in a subquery); a reader orders them. A sink delivers
 * every row its query gives once, which a top-N that takes rows back cannot be: LIMIT and OFFSET
 * there are refused.
 */
export function viewOrSinkQuery<S extends Extract<Statement, { kind: 'CreateMaterializedView' | 'CreateSink' }>>(s: S): S {
  const { limit, offset, span } = s.query;
  if (limit === undefined && offset === undefined) return s.kind === 'CreateMaterializedView' && s.query.orderBy.length ? { ...s, query: { ...s.query, orderBy: [] } } : s;
  if (s.kind === 'CreateSink') {
    const clause = limit !== undefined ? 'LIMIT' : 'OFFSET';
    throw new SluiceError('UNSUPPORTED', `${clause} is not supported on a sink: it delivers every row of its query`, {
      span,
      hint: `leave out ${clause}, or keep the top rows in a materialized view (CREATE MATERIALIZED VIEW top AS SELECT ... ORDER BY ... ${clause} n)`,
    });
  }
  if (!s.query.orderBy.length) {
    const clause = limit !== undefined ? 'LIMIT' : 'OFFSET';
    throw new SluiceError('UNSUPPORTED', `${clause} without ORDER BY in a materialized view: which rows it keeps would be arbitrary`, {
      span,
      hint: `order the rows it keeps: SELECT ... ORDER BY score DESC ${clause} n, or leave out ${clause} and apply it when reading: SELECT * FROM ${s.name.name} ORDER BY ... ${clause} n`,
    });
  }
  const from = { kind: 'Subquery' as const, query: s.query, alias: { name: '\u0000limited', span }, span };
  return { ...s, query: { kind: 'Select', distinct: false, items: [{ kind: 'Star', span }], from, groupBy: [], orderBy: [], span } };
}
