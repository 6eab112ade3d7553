/**
 * Where the rows of tables and views live: a table's rows in `table:<name>` (read by lookup
 * joins through the state cache, see TableRows), a view's current rows in `view:<name>`.
 */
import { SluiceError } from '../common/errors.js';
import { normalizeName } from '../parser/index.js';
import type { RelationDef, TableDef } from '../planner/catalog.js';
import { KvTable, TableRows, type StateCache, type Store } from '../state/index.js';

/** Runtime state of a TABLE: its rows in RocksDB, read through the state cache by lookups. */
export interface TableState {
  readonly def: TableDef;
  /** The rows (scans and reads by key); every change goes through `rows.apply`. */
  readonly kv: KvTable;
  readonly rows: TableRows;
  /** Stops what keeps the rows current (a Kafka table's loader). */
  readonly close?: () => Promise<void>;
}

/** The tables of an engine, by normalized name. */
export class TableRegistry extends Map<string, TableState> {
  /** The table named `name`, or UNKNOWN_RELATION. */
  table(name: string): TableState {
    const t = this.get(normalizeName(name));
    if (!t) throw new SluiceError('UNKNOWN_RELATION', `unknown table '${name}'`);
    return t;
  }

  /** Stops what keeps each table current (Kafka loaders). */
  async closeAll(): Promise<void> {
    for (const t of this.values()) await t.close?.().catch(() => undefined);
  }
}

/** Opens a table's rows; reads its row count, not its rows. */
export function openTableRows(store: Store, def: TableDef, cache: StateCache): Promise<TableRows> {
  return TableRows.open(store, `table:${normalizeName(def.name)}`, def.schema.map((f) => f.name), cache);
}

export function viewKv(store: Store, name: string): KvTable {
  return new KvTable(store, `view:${normalizeName(name)}`);
}

/** The stored rows of a table or view; INVALID_ARGUMENT for a stream or sink. */
export function storedRows(store: Store, tables: TableRegistry, def: RelationDef, asked: string): KvTable {
  if (def.kind === 'table') return tables.table(def.name).kv;
  if (def.kind === 'view') return viewKv(store, def.name);
  throw new SluiceError('INVALID_ARGUMENT', `'${asked}' is a ${def.kind}, not a view or table`);
}
