/**
 * CREATE [OR REPLACE] VIEW name [(columns)] AS SELECT ...: a view that is not materialized, a
 * name for its query (planner/logical-views.ts). Its query is planned when it is created, so that
 * a mistake is found then, and again wherever the view is read; nothing runs and nothing is kept
 * but the statement, recorded to be replayed on open.
 */
import { SluiceError } from '../../common/errors.js';
import type { Field } from '../../common/types.js';
import type { SelectQuery, Statement } from '../../parser/index.js';
import { visibleFields } from '../sorted-rows.js';
import type { Catalog, LogicalViewDef } from '../../planner/catalog.js';
import { expandLogicalViews } from '../../planner/logical-views.js';
import { planQuery, pullRelation, readsOnlyTables } from '../../planner/plan-query.js';
import type { Session } from '../session.js';
import type { StatementResult } from '../types.js';
import { ok } from './definitions.js';
import type { StatementOf } from './handler.js';

type CreateView = StatementOf<'CreateMaterializedView'>;

export const LOGICAL_VIEW_KIND = 'logical-view';

/** The statement as the planner reads it: views that are not materialized read as their queries (not the query a CREATE VIEW names). */
export function withViewsRead<S extends Statement>(s: S, catalog: Catalog): S {
  if (s.kind === 'CreateMaterializedView' && s.logical) return s;
  return expandLogicalViews(s, catalog);
}

/** The view's definition, its query planned against `catalog` (an error there is the statement's). */
export function logicalViewOf(s: CreateView, text: string, catalog: Catalog): LogicalViewDef {
  const existing = catalog.findLogicalView(s.name.name);
  if (existing && !s.orReplace) {
    throw new SluiceError('ALREADY_EXISTS', `view '${existing.name}' already exists`, { span: s.name.span, hint: `use CREATE OR REPLACE VIEW ${existing.name}, or DROP VIEW ${existing.name} first` });
  }
  if (!existing) catalog.checkNameFree(s.name.name, s.name.span);
  const fields = plannedFields(s.query, catalog);
  if (s.columns && s.columns.length > fields.length) {
    throw new SluiceError('INVALID_ARGUMENT', `view '${s.name.name}' names ${s.columns.length} columns, but its query gives ${fields.length}`, { span: s.columns[fields.length]!.span, hint: 'name at most as many columns as the SELECT gives' });
  }
  const def: LogicalViewDef = { name: s.name.name, query: s.query, ...(s.columns ? { columns: s.columns } : {}), sql: text };
  // A replaced view must not come to read itself through the views that read it.
  if (existing) {
    const trial = catalog.clone();
    trial.setLogicalView(def);
    expandLogicalViews(s.query, trial);
  }
  return def;
}

/** The columns `query` gives, planned as a pull query over tables or a push query otherwise. */
function plannedFields(query: SelectQuery, catalog: Catalog): readonly Field[] {
  const q = expandLogicalViews(query, catalog);
  const pull = !q.from || pullRelation(q, catalog) !== undefined || readsOnlyTables(q, catalog);
  return visibleFields(planQuery(q, catalog, pull ? { pull: true } : { bounded: true }));
}

/** A view's columns as its query gives them now, renamed as the view names them (DESCRIBE). */
export function logicalViewFields(view: LogicalViewDef, catalog: Catalog): Field[] {
  return plannedFields(view.query, catalog).map((f, i) => (view.columns?.[i] ? { ...f, name: view.columns[i]!.name } : f));
}

export async function createLogicalView(session: Session, s: CreateView, text: string): Promise<StatementResult> {
  const { catalog } = session;
  if (s.ifNotExists && (catalog.findLogicalView(s.name.name) || catalog.hasRelation(s.name.name))) return ok(text, `view ${s.name.name} already exists`);
  const replacing = catalog.findLogicalView(s.name.name) !== undefined;
  catalog.setLogicalView(logicalViewOf(s, text, catalog), s.name.span);
  // A replaced view keeps its place in the replay order: what reads it was recorded after it.
  await (replacing ? session.record.replace(LOGICAL_VIEW_KIND, s.name.name, text) : session.record.remember(LOGICAL_VIEW_KIND, s.name.name, text));
  return ok(text, `view ${s.name.name} created`);
}

/** DROP VIEW of a view that is not materialized; false when `name` is none. */
export async function dropLogicalView(session: Session, name: string): Promise<boolean> {
  if (!session.catalog.removeLogicalView(name)) return false;
  await session.record.forget(LOGICAL_VIEW_KIND, name);
  return true;
}
