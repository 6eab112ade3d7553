/**
 * Plans every statement of a request before any of them runs, so a syntax or binding error
 * changes nothing.
 *
 * A later statement may use an object an earlier one creates, so each statement is planned
 * against a scratch copy of the catalog to which the earlier statements' catalog effects have
 * been applied (a created stream's definition, a view's planned schema, a dropped name gone).
 * The definitions are built by the same functions the statements use when they run
 * (`streamDefOf`, `tableDefOf`, `planQuery`, `insertValueRows`), so planning here refuses exactly
 * what running would refuse at bind time. What only running can find out (a model file that
 * will not load, a broker that refuses, a view still read by another) is reported then, after
 * the statements before it have run.
 */
import { SluiceError, assertNever } from '../common/errors.js';
import { normalizeName, parseStatements, type ParsedStatement, type Statement } from '../parser/index.js';
import type { Catalog } from '../planner/catalog.js';
import { planQuery, pullRelation, readsOnlyTables } from '../planner/plan-query.js';
import { queryDependencies } from '../planner/dependencies.js';
import { fieldsOf, optionsOf } from './statements/definitions.js';
import { streamDefOf } from './statements/create-stream.js';
import { tableDefOf } from './statements/create-table.js';
import { checkDropKind } from './statements/drop.js';
import { insertTarget, insertValueRows } from './insert-bind.js';
import { plannedQualityStatements } from './model-quality.js';
import { isScaleOutSink, viewOrSinkQuery, viewChanges, viewKey } from './persistent-plan.js';
import { persistentId } from './statements/persistent.js';
import { explainText } from './statements/explain.js';
import { planStages, stagedQuery } from './statements/select-staged.js';
import { tableTarget } from './statements/delete-update.js';
import type { PlannedStatement } from './types.js';
import { logicalViewOf, withViewsRead } from './statements/create-logical-view.js';

type StatementMode = PlannedStatement['mode'];

export interface PreparedStatement extends ParsedStatement {
  readonly mode: StatementMode;
}

/**
 * A recorded view or sink that is not running (it failed to restore, or queries were not
 * started): it is not in the catalog, yet DROP may name it.
 */
export type ParkedLookup = (name: string) => { readonly kind: 'view' | 'sink' } | undefined;

/** Plans `parsed` in order against a scratch copy of `catalog`; throws the first error, with its caret. */
export function prepareStatements(parsed: readonly ParsedStatement[], catalog: Catalog, parked: ParkedLookup, opts: { readonly bounded?: boolean } = {}): PreparedStatement[] {
  const scratch = catalog.clone();
  const dropped = new Set<string>();
  const parkedNow: ParkedLookup = (name) => (dropped.has(normalizeName(name)) ? undefined : parked(name));
  return parsed.map((p) => {
    const mode = prepareOne(withViewsRead(p.statement, scratch), p.text, scratch, parkedNow, catalog, opts.bounded === true);
    if (p.statement.kind === 'Drop') dropped.add(normalizeName(p.statement.name.name));
    return { ...p, mode };
  });
}

function prepareOne(s: Statement, text: string, scratch: Catalog, parked: ParkedLookup, base: Catalog, bounded = false): StatementMode {
  switch (s.kind) {
    case 'CreateStream':
      if (!(s.ifNotExists && scratch.hasRelation(s.name.name))) scratch.addRelation(streamDefOf(s, text, scratch.limits, true), s.name.span);
      return 'statement';
    case 'CreateTable':
      if (s.orReplace && scratch.hasRelation(s.name.name)) scratch.removeRelation(s.name.name);
      if (!(s.ifNotExists && scratch.hasRelation(s.name.name))) scratch.addRelation(tableDefOf(s, text, true), s.name.span);
      return 'statement';
    case 'CreateModel':
      if (scratch.findModel(s.name.name) && !s.ifNotExists) {
        throw new SluiceError('ALREADY_EXISTS', `model '${s.name.name}' already exists`, { span: s.name.span, hint: `use ALTER MODEL ${s.name.name} SET (path = ...) to add a version, or DROP MODEL ${s.name.name}` });
      }
      scratch.setModel({ name: s.name.name, inputs: fieldsOf(s.inputs), outputs: fieldsOf(s.outputs) });
      return 'statement';
    case 'AlterModel': {
      const model = scratch.model(s.name.name, s.name.span);
      // Labels create the quality views, which later statements of the request may read.
      const views = s.action === 'set' ? plannedQualityStatements(scratch, base, model, optionsOf(s.options)) : undefined;
      for (const sql of views ?? []) for (const v of parseStatements(sql)) prepareOne(v.statement, v.text, scratch, parked, base);
      return 'statement';
    }
    case 'CreateFunction':
      if (scratch.findFunction(s.name.name) && !s.orReplace) {
        throw new SluiceError('ALREADY_EXISTS', `function '${s.name.name}' already exists`, { span: s.name.span, hint: 'use CREATE OR REPLACE FUNCTION, or DROP FUNCTION first' });
      }
      scratch.setFunction({ name: s.name.name, params: s.params.map((p) => ({ name: p.name.name, type: p.type, nullable: true })), returns: s.returns });
      return 'statement';
    case 'CreateMaterializedView':
      if (s.logical) {
        prepareLogicalView(s, text, scratch);
        return 'statement';
      }
      preparePersistent(s, text, scratch);
      return 'statement';
    case 'CreateSink':
      preparePersistent(s, text, scratch);
      return 'statement';
    case 'Drop':
      prepareDrop(s, scratch, parked);
      return 'statement';
    case 'Insert':
      // INSERT ... SELECT: its query is planned (and run when the statement runs).
      if (s.query) {
        insertTarget(s, scratch);
        const pull = !s.query.from || pullRelation(s.query, scratch) !== undefined || readsOnlyTables(s.query, scratch);
        planQuery(s.query, scratch, pull ? { pull: true } : { bounded: true });
        return 'statement';
      }
      // VALUES are constants: converting them now finds a bad value before anything runs.
      insertValueRows(s, scratch);
      return 'statement';
    case 'Query': {
      // WITH RECURSIVE: its parts are planned as they run, each over the rows of the one before.
      if (s.query.recursive?.length) return 'pull';
      // Over a subquery with window functions: both stages, and it answers once.
      const staged = stagedQuery(s.query, scratch, bounded);
      if (staged) {
        planStages(staged, scratch, bounded);
        return 'pull';
      }
      // A SELECT without FROM answers once, as a pull query does.
      const pull = !s.query.from || pullRelation(s.query, scratch) !== undefined || readsOnlyTables(s.query, scratch);
      planQuery(s.query, scratch, pull ? { pull: true } : { bounded });
      return pull ? 'pull' : 'push';
    }
    case 'Explain':
      explainText(s, scratch);
      return 'statement';
    case 'Delete':
      tableTarget(s.target, scratch, s.truncate ? 'TRUNCATE' : 'DELETE FROM');
      return 'statement';
    case 'Update':
      tableTarget(s.target, scratch, 'UPDATE');
      return 'statement';
    case 'Show':
    case 'Describe':
      return 'statement';
    default:
      return assertNever(s, 'statement');
  }
}

function preparePersistent(written: Extract<Statement, { kind: 'CreateMaterializedView' | 'CreateSink' }>, text: string, scratch: Catalog): void {
  const s = viewOrSinkQuery(written);
  const name = s.name.name;
  if (scratch.hasRelation(name)) {
    if (s.ifNotExists) return;
    scratch.addRelation(scratch.relation(name), s.name.span);
  }
  const q = planQuery(s.query, scratch, { exchange: isScaleOutSink(s) });
  const options = optionsOf(s.options);
  const id = persistentId(s);
  const reads = queryDependencies(s.query, scratch);
  if (s.kind === 'CreateMaterializedView') {
    const key = viewKey(q, options['key'], s.span);
    scratch.addRelation(
      { kind: 'view', name, schema: q.fields, key: key.map((k) => q.fields[k]!.name), ...viewChanges(q, key, options['key']), queryId: id, changelog: `${name}__changes`, ...(q.watermark ? { watermark: q.watermark } : {}), reads, options, sql: text },
      s.name.span,
    );
    return;
  }
  scratch.addRelation({ kind: 'sink', name, schema: q.fields, queryId: id, reads, options, sql: text }, s.name.span);
  const connector = String(options['connector'] ?? 'log').toLowerCase();
  const topic = String(options['topic'] ?? name);
  if (connector === 'log' && !scratch.hasRelation(topic)) scratch.addRelation({ kind: 'stream', name: topic, schema: q.fields, options: { connector: 'log', topic }, sql: '' });
}

function prepareDrop(s: Extract<Statement, { kind: 'Drop' }>, scratch: Catalog, parked: ParkedLookup): void {
  const name = s.name.name;
  switch (s.objectKind) {
    case 'MODEL':
      if (!scratch.removeModel(name) && !s.ifExists) scratch.model(name, s.name.span);
      return;
    case 'FUNCTION':
      scratch.removeFunction(name);
      return;
    case 'QUERY':
      return;
    default: {
      const def = scratch.findRelation(name);
      if (!def && s.objectKind === 'MATERIALIZED VIEW' && scratch.removeLogicalView(name)) return;
      if (!def) {
        const p = parked(name);
        const droppable = p !== undefined && (p.kind === 'view' ? 'MATERIALIZED VIEW' : 'SINK') === s.objectKind;
        if (!droppable && !s.ifExists) scratch.relation(name, s.name.span);
        return;
      }
      checkDropKind(def, s);
      scratch.removeRelation(name);
    }
  }
}

function prepareLogicalView(s: Extract<Statement, { kind: 'CreateMaterializedView' }>, text: string, scratch: Catalog): void {
  if (s.ifNotExists && (scratch.findLogicalView(s.name.name) || scratch.hasRelation(s.name.name))) return;
  scratch.setLogicalView(logicalViewOf(s, text, scratch), s.name.span);
}
