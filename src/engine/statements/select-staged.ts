/**
 * A SELECT over a subquery with window functions (see planner/finished-subquery.ts): the subquery
 * runs first to its final rows (a pull query, or a push query run bounded), then the outer query
 * runs as a pull query over them, and answers once.
 */
import { throwIfCancelled } from '../../common/errors.js';
import { typeToString } from '../../common/types.js';
import { makeBatch } from '../../exec/columns.js';
import type { SelectQuery } from '../../parser/ast.js';
import type { Catalog } from '../../planner/catalog.js';
import { limitError } from '../../planner/limits.js';
import { finishedSubquery, withFinishedRows, type FinishedSubquery } from '../../planner/finished-subquery.js';
import { planQuery, pullRelation, readsOnlyTables, type QueryPlan } from '../../planner/plan-query.js';
import { runOnBatch } from '../run-on-batch.js';
import { visibleFields } from '../sorted-rows.js';
import type { RowError, StatementResult } from '../types.js';
import type { StatementHandler } from './handler.js';

export { finishedSubquery };

/**
 * The two stages of `q` when it runs staged: a query over a subquery with window functions whose
 * answer is finished, a pull query or one run bounded. A continuous one (over a stream, not
 * bounded) computes its windows with an operator instead (plan-select.ts), as its rows come.
 */
export function stagedQuery(q: SelectQuery, catalog: Catalog, bounded: boolean): FinishedSubquery | undefined {
  const staged = finishedSubquery(q, catalog);
  if (!staged || bounded) return staged;
  const pull = !staged.inner.from || pullRelation(staged.inner, catalog) !== undefined || readsOnlyTables(staged.inner, catalog);
  return pull ? staged : undefined;
}

/** Plans both stages of `staged` against `catalog`: the subquery's plan and the outer query's. */
export function planStages(staged: FinishedSubquery, catalog: Catalog, bounded: boolean): { inner: QueryPlan; outer: QueryPlan } {
  const pull = !staged.inner.from || pullRelation(staged.inner, catalog) !== undefined || readsOnlyTables(staged.inner, catalog);
  const inner = planQuery(staged.inner, catalog, pull ? { pull: true } : { bounded });
  const outer = planQuery(staged.outer, withFinishedRows(catalog, visibleFields(inner)), { pull: true });
  return { inner, outer };
}

/** Runs `staged`: `select` runs the subquery as a statement of its own. */
export async function selectStaged(select: StatementHandler<'Query'>, ...[session, s, text, opts]: Parameters<StatementHandler<'Query'>>): Promise<StatementResult> {
  const staged = stagedQuery(s.query, session.catalog, opts.bounded === true)!;
  const { inner, outer } = planStages(staged, session.catalog, opts.bounded === true);
  const first = await select(session, { ...s, query: staged.inner }, text, opts);
  const rows: unknown[][] = [];
  const errors: RowError[] = [];
  if (first.kind === 'rows') {
    for (const r of first.rows) rows.push([...r]);
    errors.push(...(first.errors ?? []));
  } else if (first.kind === 'push') {
    try {
      const max = session.catalog.limits.maxResultRows;
      for await (const batch of first.rows) {
        for (const r of batch) rows.push([...r.values]);
        if (rows.length > max) throw limitError('maxResultRows', `the subquery's answer holds more than ${max.toLocaleString('en-US')} rows, which is more than an answer built in memory may hold`, s.span, 'narrow it with WHERE');
      }
    } finally {
      first.cancel();
    }
  }
  const fields = visibleFields(inner);
  const batch = makeBatch(fields, fields.map((_, c) => rows.map((r) => r[c])), rows.length);
  const result = await runOnBatch(session.env, outer, batch, session.storage.store, { maxRows: session.catalog.limits.maxResultRows, signal: opts.signal });
  throwIfCancelled(opts.signal, 'the query', s.span);
  return {
    kind: 'rows',
    statement: text,
    columns: visibleFields(outer).map((f) => ({ name: f.name, type: typeToString(f.type) })),
    rows: result.rows,
    errors: [...errors, ...result.errors],
  };
}
