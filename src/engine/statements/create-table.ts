/** CREATE TABLE: rows by primary key, kept in the store (INSERT) or loaded from a compacted Kafka topic. */
import { SluiceError, throwIfCancelled } from '../../common/errors.js';
import { checkConnectorOptions, connectorFor, connectorName } from '../../connectors/registry.js';
import { normalizeName } from '../../parser/index.js';
import type { TableDef } from '../../planner/catalog.js';
import { openTableRows, reopenTableChangelog } from '../relation-storage.js';
import { fieldsOf, ok, optionsOf } from './definitions.js';
import type { StatementHandler, StatementOf } from './handler.js';

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
  const loader = await connector.table?.({ def, rows });
  if (opts.signal?.aborted) {
    // Reading the table's topic to the end is the long part.
    await loader?.stop();
    session.catalog.removeRelation(def.name);
    throwIfCancelled(opts.signal, `loading table ${def.name}`, s.name.span);
  }
  session.tables.set(normalizeName(s.name.name), { def, kv: rows.kv, rows, ...(loader ? { close: () => loader.stop() } : {}) });
  await session.record.remember('table', s.name.name, text);
  return ok(text, `table ${s.name.name} created`);
};

/** The catalog entry of a CREATE TABLE, checked without touching storage (see `streamDefOf`). */
export function tableDefOf(s: StatementOf<'CreateTable'>, text: string, checkOptions: boolean): TableDef {
  const pk = s.primaryKey.length ? s.primaryKey.map((k) => k.name) : s.columns.filter((c) => c.primaryKey).map((c) => c.name.name);
  // Primary-key columns are NOT NULL, also when the key is declared as PRIMARY KEY (a, b).
  const schema = fieldsOf(s.columns).map((f) => (pk.some((k) => normalizeName(k) === normalizeName(f.name)) ? { ...f, nullable: false } : f));
  if (pk.length === 0) {
    throw new SluiceError('INVALID_ARGUMENT', `table ${s.name.name} needs a PRIMARY KEY`, { span: s.name.span, hint: 'mark a column: card_id STRING PRIMARY KEY' });
  }
  const options = optionsOf(s.options);
  checkConnectorOptions('table', s.options, { what: `table ${s.name.name}`, hasWatermark: false, span: s.span, checkEach: checkOptions });
  return { kind: 'table', name: s.name.name, schema, primaryKey: pk, options, sql: text };
}
