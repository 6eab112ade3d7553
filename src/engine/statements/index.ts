/**
 * The statement handlers, one module per statement kind, and the one table that dispatches to
 * them. Each handler works against a `Session` (catalog, storage, registries, metrics), never
 * the engine itself. To add a statement kind, see docs/dev/add-a-statement.md.
 */
import { selectRecursive } from './select-recursive.js';
import type { ExecuteOptions } from '../engine-options.js';
import type { Session } from '../session.js';
import type { StatementResult } from '../types.js';
import { alterModel } from './alter-model.js';
import { createFunction } from './create-function.js';
import { createModel } from './create-model.js';
import { createSink } from './create-sink.js';
import { createStream } from './create-stream.js';
import { createTable, createTableAs } from './create-table.js';
import { createView } from './create-view.js';
import { describe } from './describe.js';
import { drop } from './drop.js';
import { explain } from './explain.js';
import type { HandlerTable, StatementHandler, StatementKind, StatementOf } from './handler.js';
import { insert, insertSelect } from './insert.js';
import { deleteRows, updateRows } from './delete-update.js';
import { readsOnlyTables } from '../../planner/plan-query.js';
import { queryHasSubquery } from '../../planner/subqueries.js';
import { pullTarget, selectConstant, selectPull } from './select-pull.js';
import { createLogicalView, withViewsRead } from './create-logical-view.js';
import { selectPush } from './select-push.js';
import { selectStaged, stagedQuery } from './select-staged.js';
import { show } from './show.js';
import { withStatementTimeout } from './statement-timeout.js';

/** SELECT: a pull query when it reads a view or table directly, else a push query (see select-staged.ts for a third way). */
const select: StatementHandler<'Query'> = async (session, s, text, opts) => {
  // A push query runs until its caller stops it; everything else answers at once, within the statement timeout.
  if (isPushQuery(session, s, text, opts)) return selectPush(session, s, text, opts);
  return withStatementTimeout(session.catalog.limits.statementTimeoutMs, s.span, opts, (timed) => selectAtOnce(session, s, text, timed));
};

/** Whether `select` runs `s` as a push query: it reads a stream and none of the ways of answering at once applies. */
function isPushQuery(...[session, s, , opts]: Parameters<StatementHandler<'Query'>>): boolean {
  if (s.query.recursive?.length) return false;
  if (!s.query.from && !queryHasSubquery(s.query)) return false;
  if (stagedQuery(s.query, session.catalog, opts.bounded === true)) return false;
  return !(pullTarget(session, s) || readsOnlyTables(s.query, session.catalog));
}

const selectAtOnce: StatementHandler<'Query'> = async (session, s, text, opts) => {
  // WITH RECURSIVE: its tables to their rows first, then the query over them.
  if (s.query.recursive?.length) return selectRecursive(select, session, s, text, opts);
  // Without FROM: constants at once; a subquery in it reads its tables now, or follows its stream.
  if (!s.query.from && !queryHasSubquery(s.query)) return selectConstant(session, s, text, opts.signal);
  // Over a subquery with window functions: the subquery to its final rows, then the query over them.
  if (stagedQuery(s.query, session.catalog, opts.bounded === true)) return selectStaged(select, session, s, text, opts);
  // One view or table, or tables only (joined, in subqueries, in a union): their current rows.
  return selectPull(session, s, text, opts.signal);
};

export const HANDLERS = {
  CreateStream: createStream,
  CreateTable: (async (session, s, text, opts) => {
    // CREATE OR REPLACE TABLE: DROP TABLE IF EXISTS first (refused while queries read the table).
    if (s.orReplace && session.catalog.hasRelation(s.name.name)) await drop(session, { kind: 'Drop', objectKind: 'TABLE', name: s.name, ifExists: true, span: s.span }, `DROP TABLE IF EXISTS ${s.name.name}`, opts);
    return s.query ? createTableAs(select, session, s, text, opts) : createTable(session, s, text, opts);
  }) satisfies StatementHandler<'CreateTable'>,
  CreateModel: createModel,
  CreateFunction: createFunction,
  CreateMaterializedView: ((session, s, text, opts) => (s.logical ? createLogicalView(session, s, text) : createView(session, s, text, opts))) satisfies StatementHandler<'CreateMaterializedView'>,
  CreateSink: createSink,
  AlterModel: alterModel,
  Drop: drop,
  Delete: ((session, s, text, opts) => deleteRows(select, session, s, text, opts)) satisfies StatementHandler<'Delete'>,
  Update: ((session, s, text, opts) => updateRows(select, session, s, text, opts)) satisfies StatementHandler<'Update'>,
  Insert: ((session, s, text, opts) => (s.query ? insertSelect(select, session, s, text, opts) : insert(session, s, text, opts))) satisfies StatementHandler<'Insert'>,
  Query: select,
  Show: show,
  Describe: describe,
  Explain: explain,
} as const satisfies HandlerTable;

/** Runs one statement with the handler of its kind. */
export function runStatement<K extends StatementKind>(session: Session, s: StatementOf<K>, text: string, opts: ExecuteOptions): Promise<StatementResult> {
  // The table maps each kind to its own handler; TypeScript cannot follow that through the index.
  const handler = HANDLERS[s.kind as StatementKind] as unknown as StatementHandler<K>;
  return handler(session, withViewsRead(s, session.catalog), text, opts);
}
