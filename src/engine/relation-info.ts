/**
 * What the console shows of streams, tables, views and sinks: schema, partitions, retention and
 * size, and a bounded peek at their latest rows (newest first), which also pages through a
 * query's dead-letter stream by offset.
 */
import { SluiceError } from '../common/errors.js';
import { typeToString } from '../common/types.js';
import { batchToRows } from '../exec/columns.js';
import { decodeBatches } from '../exec/ipc.js';
import type { RelationDef } from '../planner/catalog.js';
import type { Engine } from './engine.js';

/** One relation as the console lists it. */
export interface RelationSummary {
  readonly name: string;
  readonly kind: RelationDef['kind'];
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** The key or primary key columns, when there are any. */
  readonly key: readonly string[];
  readonly connector?: string;
  readonly watermark?: string;
  /** A query's dead-letter stream. */
  readonly deadLetters: boolean;
  /** The query that fills a view or sink. */
  readonly queryId?: string;
  /** The embedded-log topic holding the rows (a stream's records, a view's changelog). */
  readonly topic?: string;
  readonly partitions?: number;
  readonly retentionMs?: number;
  /** Records still stored in the topic (all partitions). */
  readonly records?: number;
  /** Rows of a table. */
  readonly rows?: number;
  readonly sql: string;
}

/** Rows of a peek, newest first; `offset` and `partition` are set for rows read from a log. */
export interface PeekRow {
  readonly partition?: number;
  readonly offset?: number;
  readonly values: readonly unknown[];
}

export interface PeekResult {
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly PeekRow[];
  /** Pass as `before` for the next (older) page; absent when there is none. */
  readonly next?: number;
}

export interface PeekOptions {
  /** Most rows returned. */
  readonly limit: number;
  /** Only log rows with an offset below this one (paging back through one partition). */
  readonly before?: number;
  /** Only this partition of a stream. */
  readonly partition?: number;
}

/** The interface the HTTP server uses; `relationInspector` implements it over an Engine. */
export interface RelationInspector {
  list(): RelationSummary[];
  peek(name: string, opts: PeekOptions): Promise<PeekResult>;
}

function topicOf(engine: Engine, def: RelationDef): string | undefined {
  const topic = def.kind === 'view' ? def.changelog : def.kind === 'stream' ? String(def.options['topic'] ?? def.name) : undefined;
  return topic !== undefined && engine.log.hasTopic(topic) ? topic : undefined;
}

function summarize(engine: Engine, def: RelationDef): RelationSummary {
  const topic = topicOf(engine, def);
  const partitions = topic === undefined ? undefined : engine.log.partitions(topic);
  let records: number | undefined;
  if (topic !== undefined && partitions !== undefined) {
    records = 0;
    for (let p = 0; p < partitions; p++) records += engine.log.highWatermark(topic, p) - engine.log.logStart(topic, p);
  }
  const retentionMs = topic === undefined ? undefined : engine.log.retention(topic);
  const key = def.kind === 'table' ? def.primaryKey : def.kind === 'view' ? def.key : def.kind === 'stream' && def.key !== undefined ? [def.key] : [];
  return {
    name: def.name,
    kind: def.kind,
    columns: def.schema.map((f) => ({ name: f.name, type: typeToString(f.type) })),
    key,
    ...(def.kind !== 'view' ? { connector: String(def.options['connector'] ?? 'log') } : {}),
    ...(def.kind === 'stream' && def.watermark ? { watermark: `${def.watermark.column} - ${def.watermark.delayMs}ms` } : {}),
    deadLetters: def.kind === 'stream' && def.options['dlq'] === true,
    ...(def.kind === 'view' || def.kind === 'sink' ? { queryId: def.queryId } : {}),
    ...(topic !== undefined ? { topic, partitions } : {}),
    ...(retentionMs !== undefined ? { retentionMs } : {}),
    ...(records !== undefined ? { records } : {}),
    ...(def.kind === 'table' ? { rows: engine.table(def.name).rows.size } : {}),
    sql: def.sql,
  };
}

/** The newest `limit` records of one partition below `before`, newest first. */
async function peekPartition(engine: Engine, def: RelationDef, topic: string, partition: number, limit: number, before: number | undefined): Promise<PeekRow[]> {
  const end = Math.min(before ?? Infinity, engine.log.highWatermark(topic, partition));
  const from = Math.max(engine.log.logStart(topic, partition), end - limit);
  const rows: PeekRow[] = [];
  for await (const chunk of engine.log.scan(topic, partition, from, end)) {
    let offset = chunk.baseOffset;
    for (const batch of decodeBatches(chunk.payload)) {
      // Columns by name: a record written before an ALTER may lack some, and those show as NULL.
      const present = def.schema.filter((f) => batch.schema.fields.some((x) => x.name === f.name));
      const ordered = batch.select(present.map((f) => f.name));
      const at = new Map(present.map((f, i) => [f.name, i]));
      for (const values of batchToRows(ordered, present)) {
        if (offset >= from && offset < end) rows.push({ partition, offset, values: def.schema.map((f) => (at.has(f.name) ? values[at.get(f.name)!] : null)) });
        offset++;
      }
    }
  }
  return rows.reverse();
}

export function relationInspector(engine: Engine): RelationInspector {
  return {
    list: () => engine.catalog.listRelations().map((def) => summarize(engine, def)).sort((a, b) => a.name.localeCompare(b.name)),

    async peek(name, opts) {
      const def = engine.catalog.relation(name);
      const columns = def.schema.map((f) => ({ name: f.name, type: typeToString(f.type) }));
      if (def.kind === 'table' || def.kind === 'view') {
        const rows = await engine.viewScan(def.name, { limit: opts.limit });
        return { name: def.name, columns, rows: rows.map((r) => ({ values: def.schema.map((f) => r[f.name] ?? null) })) };
      }
      const topic = def.kind === 'stream' ? topicOf(engine, def) : undefined;
      if (topic === undefined) {
        throw new SluiceError('INVALID_ARGUMENT', `'${def.name}' keeps no rows to show: its records come from its ${def.kind === 'stream' ? `'${String(def.options['connector'])}' connector` : 'query'} and are not stored`, {
          hint: 'read it with a push query (POST /v1/query)',
        });
      }
      const parts = opts.partition !== undefined ? [opts.partition] : Array.from({ length: engine.log.partitions(topic) }, (_, p) => p);
      if (opts.partition !== undefined && (opts.partition < 0 || opts.partition >= engine.log.partitions(topic))) {
        throw new SluiceError('INVALID_ARGUMENT', `stream '${def.name}' has partitions 0 to ${engine.log.partitions(topic) - 1}, not ${opts.partition}`);
      }
      if (opts.before !== undefined && parts.length > 1) {
        throw new SluiceError('INVALID_ARGUMENT', `paging with 'before' needs one partition: stream '${def.name}' has ${parts.length}`, { hint: 'add partition=N' });
      }
      const rows = (await Promise.all(parts.map((p) => peekPartition(engine, def, topic, p, opts.limit, opts.before)))).flat();
      // Across partitions the newest rows are those appended last; offsets order them within one.
      const newest = parts.length > 1 ? rows.sort((a, b) => (b.offset ?? 0) - (a.offset ?? 0)).slice(0, opts.limit) : rows;
      const oldest = newest[newest.length - 1];
      const next = parts.length === 1 && oldest?.offset !== undefined && oldest.offset > engine.log.logStart(topic, parts[0]!) ? oldest.offset : undefined;
      return { name: def.name, columns, rows: newest, ...(next !== undefined ? { next } : {}) };
    },
  };
}
