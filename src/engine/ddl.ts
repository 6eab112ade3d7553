/** CREATE/DROP STREAM, TABLE, MODEL, FUNCTION; ALTER MODEL; DROP of views and sinks. */
import { SluiceError } from '../common/errors.js';
import type { Field } from '../common/types.js';
import { normalizeName, type ColumnDef, type Ident, type OptionEntry, type Statement } from '../parser/index.js';
import type { Options, RelationDef, StreamDef, TableDef, WatermarkSpec } from '../planner/catalog.js';
import { checkInterval, formatMillis, limitError, type PlanLimits } from '../planner/limits.js';
import type { QueryDependencies } from '../planner/dependencies.js';
import { readerLabel, readersOf } from './readers.js';
import { checkWithOptions } from './with-options.js';
import { checkKafkaOptions, startKafkaTable } from '../connectors/kafka/index.js';
import { TableRows } from '../state/index.js';
import { parseDuration } from '../udf/model-registry.js';
import type { Engine } from './engine.js';

type DdlStatement = Extract<Statement, { kind: 'CreateStream' | 'CreateTable' | 'CreateModel' | 'CreateFunction' | 'AlterModel' | 'Drop' }>;

export function fieldsOf(cols: readonly ColumnDef[]): Field[] {
  return cols.map((c) => ({ name: c.name.name, type: c.type, nullable: !c.notNull && !c.primaryKey }));
}

export function optionsOf(entries: readonly OptionEntry[]): Options {
  return Object.fromEntries(entries.map((o) => [o.key.toLowerCase(), o.value]));
}

/**
 * The catalog entry of a CREATE STREAM, checked (columns, watermark and its limits, key,
 * connector, partitions, Kafka options, WITH options when `checkOptions`) without touching storage, so a request can be
 * planned before any of it runs.
 */
export function streamDefOf(s: Extract<Statement, { kind: 'CreateStream' }>, text: string, limits: PlanLimits, checkOptions: boolean): StreamDef {
  const schema = fieldsOf(s.columns);
  const options = optionsOf(s.options);
  let watermark: WatermarkSpec | undefined;
  if (s.watermark) {
    const col = s.watermark.column.name;
    const f = schema.find((x) => normalizeName(x.name) === normalizeName(col));
    if (!f) throw new SluiceError('UNKNOWN_COLUMN', `WATERMARK FOR names unknown column '${col}'`, { span: s.watermark.column.span });
    if (f.type.kind !== 'TIMESTAMP') throw new SluiceError('TYPE_MISMATCH', `WATERMARK column '${col}' must be a TIMESTAMP`, { span: s.watermark.column.span });
    const lateness = options['allowed.lateness'];
    watermark = {
      column: f.name,
      delayMs: watermarkDelay(s.watermark.expr, col, limits),
      ...(lateness !== undefined ? { latenessMs: latenessOption(lateness, s.options.find((o) => o.key.toLowerCase() === 'allowed.lateness')?.span ?? s.span, limits) } : {}),
    };
  }
  const key = options['key'] === undefined ? undefined : String(options['key']);
  if (key !== undefined && !schema.some((f) => normalizeName(f.name) === normalizeName(key))) {
    throw new SluiceError('UNKNOWN_COLUMN', `key '${key}' is not a column of ${s.name.name}`, { span: s.span });
  }
  const connector = String(options['connector'] ?? 'log').toLowerCase();
  if (!['log', 'kafka', 'datagen', 'nexmark'].includes(connector)) {
    throw new SluiceError('UNSUPPORTED', `stream connector '${connector}' is not available in this build`, { span: s.span, hint: "use connector = 'log' (the embedded log), 'kafka', 'datagen' or 'nexmark'" });
  }
  if (checkOptions) checkWithOptions(s.options, 'stream', connector, `stream ${s.name.name}`);
  if (connector === 'log') {
    checkPartitions(s, options, limits);
    withSpan(s.span, () => retentionOption(options));
  }
  if (connector === 'kafka') withSpan(s.span, () => checkKafkaOptions(options, `stream ${s.name.name}`, 'stream', watermark !== undefined));
  return { kind: 'stream', name: s.name.name, schema, ...(watermark ? { watermark } : {}), ...(key ? { key } : {}), options, sql: text };
}

/** `WITH (partitions = n)` of a stream on the embedded log: a positive integer within the limit. */
function checkPartitions(s: Extract<Statement, { kind: 'CreateStream' }>, options: Options, limits: PlanLimits): void {
  const partitions = Number(options['partitions'] ?? 4);
  if (!Number.isInteger(partitions) || partitions < 1) throw new SluiceError('INVALID_ARGUMENT', `'partitions' must be a positive integer`, { span: s.span });
  if (partitions > limits.maxPartitions) {
    const at = s.options.find((o) => o.key.toLowerCase() === 'partitions')?.span ?? s.span;
    throw limitError('maxPartitions', `'partitions' = ${partitions} is more than the limit of ${limits.maxPartitions}`, at, 'use fewer partitions');
  }
}

/** The catalog entry of a CREATE TABLE, checked without touching storage (see `streamDefOf`). */
export function tableDefOf(s: Extract<Statement, { kind: 'CreateTable' }>, text: string, checkOptions: boolean): TableDef {
  const pk = s.primaryKey.length ? s.primaryKey.map((k) => k.name) : s.columns.filter((c) => c.primaryKey).map((c) => c.name.name);
  // Primary-key columns are NOT NULL, also when the key is declared as PRIMARY KEY (a, b).
  const schema = fieldsOf(s.columns).map((f) => (pk.some((k) => normalizeName(k) === normalizeName(f.name)) ? { ...f, nullable: false } : f));
  if (pk.length === 0) {
    throw new SluiceError('INVALID_ARGUMENT', `table ${s.name.name} needs a PRIMARY KEY`, { span: s.name.span, hint: 'mark a column: card_id STRING PRIMARY KEY' });
  }
  const options = optionsOf(s.options);
  const connector = String(options['connector'] ?? 'table').toLowerCase();
  if (connector !== 'table' && connector !== 'log' && connector !== 'kafka') {
    throw new SluiceError('UNSUPPORTED', `table connector '${connector}' is not available in this build`, { span: s.span, hint: "tables are kept in the embedded store (fill them with INSERT) or read from a compacted topic (connector = 'kafka')" });
  }
  if (checkOptions) checkWithOptions(s.options, 'table', connector, `table ${s.name.name}`);
  if (connector === 'kafka') withSpan(s.span, () => checkKafkaOptions(options, `table ${s.name.name}`, 'table', false));
  return { kind: 'table', name: s.name.name, schema, primaryKey: pk, options, sql: text };
}

export async function createDdl(engine: Engine, s: DdlStatement, text: string): Promise<string> {
  const catalog = engine.catalog;
  switch (s.kind) {
    case 'CreateStream': {
      if (s.ifNotExists && catalog.hasRelation(s.name.name)) return `stream ${s.name.name} already exists`;
      const def = streamDefOf(s, text, catalog.limits, !engine.isReplaying);
      const { options } = def;
      const connector = String(options['connector'] ?? 'log').toLowerCase();
      if (connector === 'log') {
        await engine.log.createTopic(String(options['topic'] ?? s.name.name), Number(options['partitions'] ?? 4), retentionOption(options));
      }
      catalog.addRelation(def, s.name.span);
      await engine.remember('stream', s.name.name, text);
      return `stream ${s.name.name} created`;
    }
    case 'CreateTable': {
      if (s.ifNotExists && catalog.hasRelation(s.name.name)) return `table ${s.name.name} already exists`;
      const def = tableDefOf(s, text, !engine.isReplaying);
      const { schema, options } = def;
      const connector = String(options['connector'] ?? 'table').toLowerCase();
      catalog.addRelation(def, s.name.span);
      // Opening reads no rows: lookups read the keys they need through the state cache.
      const rows = await TableRows.open(engine.store, `table:${normalizeName(s.name.name)}`, schema.map((f) => f.name), engine.stateCache);
      const loader = connector === 'kafka' ? await startKafkaTable(def, rows) : undefined;
      engine.tables.set(normalizeName(s.name.name), { def, kv: rows.kv, rows, ...(loader ? { close: () => loader.stop() } : {}) });
      await engine.remember('table', s.name.name, text);
      return `table ${s.name.name} created`;
    }
    case 'CreateModel': {
      if (s.ifNotExists && engine.models.has(s.name.name)) return `model ${s.name.name} already exists`;
      const inputs = fieldsOf(s.inputs);
      const outputs = fieldsOf(s.outputs);
      const v = await engine.models.register(s.name.name, inputs, outputs, optionsOf(s.options), 'sql').catch((e: unknown) => {
        throw e instanceof SluiceError && !e.span ? new SluiceError(e.code, e.message, { span: s.name.span, ...(e.hint ? { hint: e.hint } : {}) }) : e;
      });
      catalog.setModel({ name: s.name.name, inputs, outputs });
      await engine.remember('model', s.name.name, text);
      return `model ${s.name.name} version ${v.number} registered (${v.provider})`;
    }
    case 'AlterModel': {
      catalog.model(s.name.name, s.name.span);
      const v = await engine.models.alter(s.name.name, optionsOf(s.options), 'sql');
      await engine.remember('model-alter', s.name.name, text);
      return `model ${s.name.name} now at version ${v.number} (${v.provider})`;
    }
    case 'CreateFunction': {
      if (s.orReplace && engine.functions.find(s.name.name) && !engine.isReplaying) refuseIfRead(engine, 'functions', s.name, 'replace', 'function', 'or create the new version under another name');
      const params = s.params.map((p) => ({ name: p.name.name, type: p.type, nullable: true }));
      const options = optionsOf(s.options);
      await engine.functions.create(
        {
          name: s.name.name,
          params,
          returns: s.returns,
          language: s.language,
          ...(s.body !== undefined ? { body: s.body } : {}),
          ...(options['module'] !== undefined ? { module: String(options['module']) } : {}),
          ...(options['export'] !== undefined ? { exportName: String(options['export']) } : {}),
        },
        s.orReplace,
      );
      catalog.setFunction({ name: s.name.name, params, returns: s.returns });
      await engine.remember('function', s.name.name, text);
      return `function ${s.name.name} created`;
    }
    case 'Drop':
      return drop(engine, s);
  }
}

/**
 * Refuses to drop (or replace) an object that views or sinks read: they could not run, nor
 * start again on restart, and a replaced function could change the types they were planned with.
 */
function refuseIfRead(engine: Engine, what: keyof QueryDependencies, name: Ident, verb: 'drop' | 'replace', label: string, alternative?: string): void {
  const readers = readersOf(engine, what, name.name, name.name);
  if (readers.length === 0) return;
  const list = readers.map(readerLabel).join(', ');
  const drops = readers.map((r) => `DROP ${r.keyword} ${r.name}`).join('; ');
  throw new SluiceError('IN_USE', `cannot ${verb} ${label} '${name.name}': ${list} ${readers.length === 1 ? 'reads' : 'read'} it`, {
    span: name.span,
    hint: `drop ${readers.length === 1 ? 'it' : 'them'} first (${drops})${alternative ? `, ${alternative}` : ''}`,
  });
}

async function drop(engine: Engine, s: Extract<Statement, { kind: 'Drop' }>): Promise<string> {
  const name = s.name.name;
  const catalog = engine.catalog;
  switch (s.objectKind) {
    case 'MODEL':
      if (!engine.models.has(name)) {
        if (s.ifExists) return `model ${name} does not exist`;
        catalog.model(name, s.name.span);
      }
      refuseIfRead(engine, 'models', s.name, 'drop', 'model', `or swap its file with ALTER MODEL ${name} SET (path = ...)`);
      await engine.models.drop(name);
      catalog.removeModel(name);
      await engine.forget('model', name);
      await engine.forget('model-alter', name);
      return `model ${name} dropped`;
    case 'FUNCTION':
      refuseIfRead(engine, 'functions', s.name, 'drop', 'function');
      // A function recorded in the data folder that failed to restore can still be dropped.
      if (!engine.functions.drop(name) && !(await engine.isRecorded('function', name)) && !s.ifExists) {
        throw new SluiceError('UNKNOWN_FUNCTION', `unknown function '${name}'`, { span: s.name.span });
      }
      catalog.removeFunction(name);
      await engine.forget('function', name);
      return `function ${name} dropped`;
    case 'QUERY':
      if (!engine.cancelQuery(name) && !s.ifExists) throw new SluiceError('UNKNOWN_QUERY', `no running query '${name}'`, { span: s.name.span, hint: 'SHOW QUERIES lists them' });
      return `query ${name} stopped`;
    default: {
      const def = catalog.findRelation(name);
      const parked = def ? undefined : engine.parkedQuery(name);
      if (parked && (parked.kind === 'view' ? 'MATERIALIZED VIEW' : 'SINK') === s.objectKind) {
        await engine.dropParked(parked);
        return `${s.objectKind.toLowerCase()} ${name} dropped (it was not running: ${parked.status === 'failed' ? 'it failed to start' : 'queries were not started'})`;
      }
      if (!def) {
        if (s.ifExists) return `${s.objectKind.toLowerCase()} ${name} does not exist`;
        catalog.relation(name, s.name.span);
        return '';
      }
      checkDropKind(def, s);
      refuseIfRead(engine, 'relations', s.name, 'drop', def.kind === 'view' ? 'materialized view' : def.kind);
      if (def.kind === 'view' || def.kind === 'sink') {
        const q = engine.running.get(def.queryId);
        if (q) {
          q.stop('finished');
          await q.stopped();
          engine.running.delete(def.queryId);
        }
        await engine.checkpoints.drop(def.queryId);
        if (def.kind === 'view') {
          await engine.viewKv(def.name).clear();
          await engine.log.dropTopic(def.changelog);
        }
      }
      if (def.kind === 'table') {
        await engine.table(def.name).close?.();
        await engine.table(def.name).rows.clear();
        engine.table(def.name).rows.release();
        engine.tables.delete(normalizeName(def.name));
      }
      if (def.kind === 'stream' && String(def.options['connector'] ?? 'log') === 'log' && !def.options['dlq']) {
        await engine.log.dropTopic(String(def.options['topic'] ?? def.name));
      }
      catalog.removeRelation(def.name);
      await engine.forget(def.kind, def.name);
      return `${def.kind === 'view' ? 'materialized view' : def.kind} ${def.name} dropped`;
    }
  }
}

/** Refuses `DROP STREAM v` when `v` is a view (and so on): the statement names the wrong kind. */
export function checkDropKind(def: RelationDef, s: Extract<Statement, { kind: 'Drop' }>): void {
  const want = { STREAM: 'stream', TABLE: 'table', 'MATERIALIZED VIEW': 'view', SINK: 'sink', MODEL: undefined, FUNCTION: undefined, QUERY: undefined }[s.objectKind];
  if (def.kind !== want) {
    throw new SluiceError('INVALID_ARGUMENT', `'${def.name}' is a ${def.kind === 'view' ? 'materialized view' : def.kind}, not a ${s.objectKind.toLowerCase()}`, {
      span: s.name.span,
      hint: `use DROP ${def.kind === 'view' ? 'MATERIALIZED VIEW' : def.kind.toUpperCase()} ${def.name}`,
    });
  }
}

/** `ts - INTERVAL '5' SECOND` -> 5000; `ts` -> 0. */
function watermarkDelay(e: import('../parser/index.js').Expr, col: string, limits: PlanLimits): number {
  if (e.kind === 'ColumnRef' && normalizeName(e.column.name) === normalizeName(col)) return 0;
  if (e.kind === 'Binary' && e.op === '-' && e.left.kind === 'ColumnRef' && normalizeName(e.left.column.name) === normalizeName(col) && e.right.kind === 'Interval') {
    return e.right.millis === 0 ? 0 : checkInterval(e.right.millis, 'the WATERMARK delay', e.right.span, limits);
  }
  throw new SluiceError('UNSUPPORTED', `WATERMARK must be '${col}' or '${col} - INTERVAL ...'`, { span: e.span, hint: `e.g. WATERMARK FOR ${col} AS ${col} - INTERVAL '5' SECOND` });
}

/** `'allowed.lateness'`: a duration from zero up to the interval limit. */
function latenessOption(value: string | number | boolean, span: import('../common/span.js').Span, limits: PlanLimits): number {
  let ms = 0;
  withSpan(span, () => (ms = parseDuration('allowed.lateness', value)));
  if (ms > limits.maxIntervalMs) {
    throw limitError('maxIntervalMs', `'allowed.lateness' of ${formatMillis(ms)} is longer than the limit of ${formatMillis(limits.maxIntervalMs)}`, span, 'use a shorter lateness');
  }
  return ms;
}

/** Runs a connector option check, pointing its error at the statement. */
function withSpan(span: import('../common/span.js').Span, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof SluiceError && !e.span) throw new SluiceError(e.code, e.message, { span, ...(e.hint ? { hint: e.hint } : {}) });
    throw e;
  }
}

/** The `'retention'` option of a log-backed relation: how long its records are kept (e.g. '7d'). */
export function retentionOption(options: Readonly<Record<string, string | number | boolean>>): { retentionMs?: number } {
  const v = options['retention'];
  return v === undefined ? {} : { retentionMs: parseDuration('retention', v) };
}
