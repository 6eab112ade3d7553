/**
 * Where the rows of tables and views live: a table's rows in `table:<name>` (read by lookup
 * joins through the state cache, see TableRows), a view's current rows in `view:<name>`.
 */
import { SluiceError } from '../common/errors.js';
import type { RecordBatch } from 'apache-arrow';
import { batchToRows, makeBatch, readColumn } from '../exec/columns.js';
import { decodeBatches, encodeBatchView } from '../exec/ipc.js';
import { normalizeName } from '../parser/index.js';
import type { TableLoader } from '../connectors/connector.js';
import type { RelationDef, TableDef, ViewDef } from '../planner/catalog.js';
import { KvTable, LOG_CHUNK_HEADER_BYTES, TableRows, type EmbeddedLog, type StateCache, type Store, type TableChangelogWriter } from '../state/index.js';
import { CHANGELOG_CHUNK_ROWS, changelogFields } from './sinks.js';

/** Runtime state of a TABLE: its rows in RocksDB, read through the state cache by lookups. */
export interface TableState {
  readonly def: TableDef;
  /** The rows (scans and reads by key); every change goes through `rows.apply`. */
  readonly kv: KvTable;
  readonly rows: TableRows;
  /** What keeps the rows current (a Kafka table's loader). */
  readonly loader?: TableLoader;
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
    for (const t of this.values()) await t.loader?.stop().catch(() => undefined);
  }
}

/** Opens a table's rows; reads its row count, not its rows. */
export function openTableRows(store: Store, def: TableDef, cache: StateCache): Promise<TableRows> {
  return TableRows.open(store, `table:${normalizeName(def.name)}`, def.schema.map((f) => f.name), cache);
}

/** The embedded-log topic of a table's changelog (see startTableChangelog). */
export function tableChangelogTopic(def: TableDef): string {
  return `${normalizeName(def.name)}__changes`;
}

/**
 * Gives a table a changelog, once: a topic on the embedded log with the table's columns and the
 * change kind (as a view's changelog), which first gets every row as an insert and then, in the
 * write that applies them, every change (+I a new key, -U/+U a row replaced, -D a row deleted).
 * A query that streams the table reads it from its first record. Until a query streams it, a
 * table keeps none, and its writes pay nothing for it.
 */
export async function startTableChangelog(t: TableState, log: EmbeddedLog): Promise<void> {
  if (t.rows.changelogAttached) return;
  const topic = tableChangelogTopic(t.def);
  const fields = changelogFields(t.def.schema);
  const writer: TableChangelogWriter = (rows, kinds, wb) => {
    for (let from = 0; from < rows.length; from += CHANGELOG_CHUNK_ROWS) {
      const part = rows.slice(from, from + CHANGELOG_CHUNK_ROWS);
      const columns = fields.map((_, c) => (c < t.def.schema.length ? part.map((r) => r[c] ?? null) : Int32Array.from(kinds.slice(from, from + part.length))));
      log.appendFramed(topic, 0, encodeBatchView(makeBatch(fields, columns, part.length), LOG_CHUNK_HEADER_BYTES), part.length, wb);
    }
  };
  await t.rows.startChangelog(writer, {
    exists: () => log.hasTopic(topic),
    reset: async () => {
      if (log.hasTopic(topic)) await log.dropTopic(topic);
      await log.createTopic(topic, 1);
    },
  });
}

/** Reattaches a table's changelog after a restart, if a query started one. */
export async function reopenTableChangelog(t: TableState, log: EmbeddedLog): Promise<void> {
  if (log.hasTopic(tableChangelogTopic(t.def)) && (await t.rows.hasChangelog())) await startTableChangelog(t, log);
}

/** Removes a dropped table's changelog, if it has one. */
export async function dropTableChangelog(def: TableDef, log: EmbeddedLog): Promise<void> {
  if (log.hasTopic(tableChangelogTopic(def))) await log.dropTopic(tableChangelogTopic(def));
}

export function viewKv(store: Store, name: string): KvTable {
  return new KvTable(store, `view:${normalizeName(name)}`);
}

/**
 * Every row of a view that a pull query reads from its changelog (ViewDef.pullFrom), oldest
 * first, a batch per stored batch: the rows its retention still keeps. Columns are matched by
 * name (a column a batch lacks is NULL); values go from the stored batches' columns into the
 * result's, with no row objects between. `onRows` is called after each stored batch with the
 * rows read so far, so that a caller can look at a cancel signal as it goes.
 */
export async function* changelogBatches(log: EmbeddedLog, def: ViewDef, onRows?: (n: number) => void): AsyncGenerator<RecordBatch> {
  const topic = def.changelog;
  if (!log.hasTopic(topic)) return;
  let n = 0;
  for (let p = 0; p < log.partitions(topic); p++) {
    const end = log.highWatermark(topic, p);
    for await (const chunk of log.scan(topic, p, log.logStart(topic, p), end)) {
      for (const batch of decodeBatches(chunk.payload)) {
        const m = batch.numRows;
        if (m === 0) continue;
        // The view's columns by name (a chunk written before a column was added lacks it: NULL).
        const columns = def.schema.map((f) => {
          const i = batch.schema.fields.findIndex((x) => x.name === f.name);
          if (i < 0) return new Array<unknown>(m).fill(null);
          const values = readColumn(batch, i, f.type);
          const out = new Array<unknown>(m);
          for (let k = 0; k < m; k++) out[k] = values[k] ?? null;
          return out;
        });
        n += m;
        onRows?.(n);
        yield makeBatch(def.schema, columns, m);
      }
    }
  }
}

/** The stored rows of a table or view; INVALID_ARGUMENT for a stream or sink. */
export function storedRows(store: Store, tables: TableRegistry, def: RelationDef, asked: string): KvTable {
  if (def.kind === 'table') return tables.table(def.name).kv;
  if (def.kind === 'view') return viewKv(store, def.name);
  throw new SluiceError('INVALID_ARGUMENT', `'${asked}' is a ${def.kind}, not a view or table`);
}
