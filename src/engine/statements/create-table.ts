/** CREATE TABLE: rows by primary key, kept in the store (INSERT) or loaded from a compacted Kafka topic. */
import { SluiceError, throwIfCancelled } from '../../common/errors.js';
import { checkConnectorOptions, connectorFor, connectorName } from '../../connectors/registry.js';
import { normalizeName } from '../../parser/index.js';
import { Catalog, type TableDef } from '../../planner/catalog.js';
import { columnDefaults, withChecks } from '../insert-bind.js';
import { openTableRows, reopenTableChangelog } from '../relation-storage.js';
import { fieldsOf, ok, optionsOf } from './definitions.js';
import type { StatementHandler, StatementOf } from './handler.js';
import { T, typeToString } from '../../common/types.js';
import { parseStatement } from '../../parser/index.js';
import { planQuery, pullRelation, readsOnlyTables } from '../../planner/plan-query.js';
import { visibleFields } from '../sorted-rows.js';
import type { StatementResult } from '../types.js';
import { drop } from './drop.js';
import { insertSelect } from './insert.js';
import { rowConstraints } from '../../planner/constraints.js';

export const createTable: StatementHandler<'CreateTable'> = async (session, s, text, opts) => {
  if (s.ifNotExists && session.catalog.hasRelation(s.name.name)) return ok(text, `table ${s.name.name} already exists`);
  const def = tableDefOf(s, text, !session.record.replaying);
  const { schema, options } = def;
  const connector = connectorFor('table', connectorName('table', options));
  session.catalog.addRelation(def, s.name.span);
  // Opening reads no rows: lookups read the keys they need through the state cache.
  const rows = await openTableRows(session.storage.store, def, session.storage.stateCache);
  // A changelog a query started goes on from the first write after a restart (a loader's included).
  await reopenTableChangelog({ def, kv: rows.kv, rows }, session.storage.log);
  const constraints = rowConstraints(def, session.catalog);
  const loader = await connector.table?.({ def, rows, ...(constraints ? { constraints } : {}) });
  if (opts.signal?.aborted) {
    // Reading the table's topic to the end is the long part.
    await loader?.stop();
    session.catalog.removeRelation(def.name);
    throwIfCancelled(opts.signal, `loading table ${def.name}`, s.name.span);
  }
  session.tables.set(normalizeName(s.name.name), { def, kv: rows.kv, rows, ...(loader ? { loader } : {}) });
  await session.record.remember('table', s.name.name, text);
  return ok(text, `table ${s.name.name} created`);
};

/** The catalog entry of a CREATE TABLE, checked without touching storage (see `streamDefOf`). */
export function tableDefOf(s: StatementOf<'CreateTable'>, text: string, checkOptions: boolean): TableDef {
  const pk = s.primaryKey.length ? s.primaryKey.map((k) => k.name) : s.columns.filter((c) => c.primaryKey).map((c) => c.name.name);
  // Primary-key columns are NOT NULL, also when the key is declared as PRIMARY KEY (a, b).
  const schema = fieldsOf(s.columns).map((f) => (pk.some((k) => normalizeName(k) === normalizeName(f.name)) ? { ...f, nullable: false } : f));
  const options = optionsOf(s.options);
  // Without a key a table is a bag of the rows INSERT gives it; a table loaded from Kafka keeps
  // the latest row per key, so it needs one.
  if (pk.length === 0 && connectorName('table', options) !== 'table') {
    throw new SluiceError('INVALID_ARGUMENT', `table ${s.name.name} reads ${connectorName('table', options)} and needs a PRIMARY KEY: its rows are the latest per key`, { span: s.name.span, hint: 'mark a column: card_id STRING PRIMARY KEY' });
  }
  checkConnectorOptions('table', s.options, { what: `table ${s.name.name}`, hasWatermark: false, span: s.span, checkEach: checkOptions });
  // Built-in functions only: a DEFAULT is computed the same whatever functions are registered.
  const builtins = new Catalog();
  const unique = (s.unique ?? []).map((cols) => cols.map((c) => {
    const f = schema.find((x) => normalizeName(x.name) === normalizeName(c.name));
    if (!f) throw new SluiceError('UNKNOWN_COLUMN', `UNIQUE names column '${c.name}', which table ${s.name.name} does not have`, { span: c.span, hint: `columns: ${schema.map((x) => x.name).join(', ')}` });
    return f.name;
  }));
  if (unique.length && connectorName('table', options) !== 'table') {
    throw new SluiceError('INVALID_ARGUMENT', `table ${s.name.name} reads ${connectorName('table', options)}: UNIQUE is checked only for tables written by INSERT and UPDATE`, { span: s.name.span });
  }
  const def: TableDef = { kind: 'table', name: s.name.name, schema, primaryKey: pk, ...(unique.length ? { unique } : {}), options, sql: text };
  return withChecks(columnDefaults(def, s.columns, builtins), s.checks, builtins, s.span.start.offset);
}

/**
 * CREATE TABLE t AS SELECT ...: a table without a primary key whose columns are the query's (a
 * column of NULLs is an INT, as DuckDB makes it) and whose rows are the query's rows now, as
 * INSERT ... SELECT writes them. The statement remembered for a restart is the table's
 * definition, not the query (its rows are stored). A query that fails leaves no table.
 */
export async function createTableAs(select: StatementHandler<'Query'>, ...[session, s, text, opts]: Parameters<StatementHandler<'CreateTable'>>): Promise<StatementResult> {
  if (s.ifNotExists && session.catalog.hasRelation(s.name.name)) return ok(text, `table ${s.name.name} already exists`);
  const query = s.query!;
  const pull = !query.from || pullRelation(query, session.catalog) !== undefined || readsOnlyTables(query, session.catalog);
  const fields = visibleFields(planQuery(query, session.catalog, pull ? { pull: true } : { bounded: true }));
  const quoted = (n: string) => `"${n.replace(/"/g, '""')}"`;
  const ddl = `CREATE TABLE ${quoted(s.name.name)} (${fields.map((f) => `${quoted(f.name)} ${typeToString(f.type.kind === 'NULL' ? T.INT : f.type)}`).join(', ')})`;
  await createTable(session, parseStatement(ddl) as StatementOf<'CreateTable'>, ddl, opts);
  try {
    const inserted = await insertSelect(select, session, { kind: 'Insert', target: s.name, rows: [], query, span: s.span }, text, opts);
    return { ...inserted, statement: text };
  } catch (err) {
    await drop(session, { kind: 'Drop', objectKind: 'TABLE', name: s.name, ifExists: true, span: s.span }, `DROP TABLE IF EXISTS ${quoted(s.name.name)}`, opts);
    throw err;
  }
}
