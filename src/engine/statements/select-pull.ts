/** SELECT from a materialized view or table as a pull query: answers now from its current rows. */
import type { RecordBatch } from 'apache-arrow';
import { throwIfCancelled } from '../../common/errors.js';
import { typeToString } from '../../common/types.js';
import { batchFromRows } from '../../exec/columns.js';
import type { RelationDef } from '../../planner/catalog.js';
import type { SourceExec } from '../../planner/physical.js';
import { planQuery, pullRelation } from '../../planner/plan-query.js';
import { changelogBatches, storedRows } from '../relation-storage.js';
import { pinnedKeys } from '../pull-keys.js';
import { runOnBatch } from '../run-on-batch.js';
import { visibleFields } from '../sorted-rows.js';
import { pushCopies, VIEW_ROW_COUNT } from '../sinks.js';
import type { Session } from '../session.js';
import type { StatementResult } from '../types.js';
import type { StatementOf } from './handler.js';

/** Rows of a relation a pull query reads into one batch. */
const PULL_BATCH_ROWS = 4096;

/**
 * A pull query: a SELECT over one view or table (see pullRelation), or one that reads only
 * tables, through joins, subqueries or unions (see readsOnlyTables): answers now from their
 * current rows, each relation read once per scan of it.
 */
export async function selectPull(session: Session, s: StatementOf<'Query'>, text: string, signal?: AbortSignal): Promise<StatementResult> {
  const q = planQuery(s.query, session.catalog, { pull: true });
  const { store } = session.storage;
  const cancelled = () => throwIfCancelled(signal, 'the pull query', s.span);
  // Each relation's rows a batch at a time: the plan's operators hold what they keep (groups, a
  // join's sides, the answer), never the whole relation.
  // A scan whose filter pins the key reads those keys alone.
  const pinned = pinnedKeys(q.physical, session.catalog);
  async function* rowsOf(relation: string, scan: SourceExec): AsyncGenerator<RecordBatch> {
    const def = session.catalog.relation(relation);
    if (def.kind === 'view' && def.pullFrom === 'changelog') {
      yield* changelogBatches(session.storage.log, def, cancelled);
      return;
    }
    const kv = storedRows(store, session.tables, def, def.name);
    const keys = pinned.get(scan);
    if (keys) {
      const rows: Record<string, unknown>[] = [];
      for (let i = 0; i < keys.length; i += PULL_BATCH_ROWS) {
        for (const found of await kv.getManyRaw(keys.slice(i, i + PULL_BATCH_ROWS))) if (found) pushCopies(rows, found.row as Record<string, unknown>);
      }
      if (rows.length > 0) yield batchFromRows(def.schema, rows);
      return;
    }
    // Only the columns the scan reads are decoded (and a multiset row's count).
    const fields = new Set([...scan.columns.map((i) => def.schema[i]!.name), VIEW_ROW_COUNT]);
    let rows: Record<string, unknown>[] = [];
    for await (const chunk of kv.scanRows({ fields })) {
      cancelled();
      for (const r of chunk) pushCopies(rows, r as Record<string, unknown>);
      if (rows.length >= PULL_BATCH_ROWS) {
        yield batchFromRows(def.schema, rows);
        rows = [];
      }
    }
    if (rows.length > 0) yield batchFromRows(def.schema, rows);
  }
  const result = await runOnBatch(session.env, q, rowsOf, store, { maxRows: session.catalog.limits.maxResultRows, signal });
  throwIfCancelled(signal, 'the pull query', s.span);
  return { kind: 'rows', statement: text, columns: visibleFields(q).map((f) => ({ name: f.name, type: typeToString(f.type) })), rows: result.rows, errors: result.errors };
}

/** SELECT without FROM: its items over one row of no columns, answered at once. */
export async function selectConstant(session: Session, s: StatementOf<'Query'>, text: string, signal?: AbortSignal): Promise<StatementResult> {
  const q = planQuery(s.query, session.catalog, { pull: true });
  const result = await runOnBatch(session.env, q, batchFromRows([], [{}]), session.storage.store, { maxRows: session.catalog.limits.maxResultRows, signal });
  throwIfCancelled(signal, 'the query', s.span);
  return { kind: 'rows', statement: text, columns: visibleFields(q).map((f) => ({ name: f.name, type: typeToString(f.type) })), rows: result.rows, errors: result.errors };
}

/** The view or table a SELECT reads with a pull query (see pullRelation), if it is one. */
export function pullTarget(session: Session, s: StatementOf<'Query'>): RelationDef | undefined {
  return pullRelation(s.query, session.catalog);
}
