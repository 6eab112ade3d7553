/**
 * The engine: parses statements, keeps the catalog, and runs queries on the embedded storage.
 * DDL is recorded in the store and replayed on open, so views and sinks resume from their
 * last checkpoints after a restart.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SluiceError, asSluiceError, assertNever } from '../common/errors.js';
import { typeToString, type Field } from '../common/types.js';
import { batchFromRows } from '../exec/columns.js';
import type { ModelStatsSnapshot } from '../udf/model-stats.js';
import { encodeBatch } from '../exec/ipc.js';
import { hashString } from '../exec/scalar-functions.js';
import { keyOf } from '../exec/keys.js';
import type { ExecEnv } from '../exec/pipeline.js';
import { parseStatements, normalizeName, type ParsedStatement, type Statement } from '../parser/index.js';
import { Catalog, type RelationDef, type TableDef } from '../planner/catalog.js';
import { explainPlan, explainSplit } from '../planner/explain.js';
import { splitAtExchange } from '../planner/exchange.js';
import { DEFAULT_PLAN_LIMITS, type PlanLimits } from '../planner/limits.js';
import { planQuery, type QueryPlan } from '../planner/plan-query.js';
import { CheckpointStore, DEFAULT_STATE_CACHE_BYTES, EmbeddedLog, KvTable, StateCache, Store, type StateRow, type TableChange, type TableRows } from '../state/index.js';
import { registerStateMetrics } from './state-metrics.js';
import { AllowedFiles, DEFAULT_MAX_FILE_BYTES } from '../udf/allowed-files.js';
import { DEFAULT_MAX_FUNCTIONS, FunctionRegistry } from '../udf/js-function.js';
import { DEFAULT_SANDBOX_LIMITS } from '../udf/js-sandbox.js';
import { ModelRegistry } from '../udf/model-registry.js';
import { checkKafkaOptions, kafkaGroupId, kafkaSink, sessionTimeout, sinkKeyColumns, withKafkaQueryGroup } from '../connectors/kafka/index.js';
import { kafkaBrokers, kafkaTopic } from '../connectors/kafka/options.js';
import { createExecEnv } from './exec-env.js';
import { describeStatement, showStatement } from './introspection.js';
import { createDdl, retentionOption } from './ddl.js';
import { bindInsert, evaluateInsertValue } from './insert-bind.js';
import { isMultisetView, isScaleOutSink, viewChanges, viewKey } from './persistent-plan.js';
import { RunningQuery, type QueryHandle } from './running-query.js';
import { ScaleOutQuery, scaleOutPrefix } from './scale-out/query.js';
import { LogSink, PushQueue, ViewSink, DLQ_FIELDS, dlqBatch, pushCopies, withoutCopies } from './sinks.js';
import { checkWithOptions } from './with-options.js';
import { checkKafkaAllowed, type KafkaAllowList } from './kafka-allow.js';
import { parkedInfo, type ParkedQuery } from './parked-query.js';
import { prepareStatements } from './prepare.js';
import type { PlannedStatement, QueryInfo, RowError, StatementResult } from './types.js';

export interface EngineOptions {
  /** Folder for all durable state; created when missing. */
  readonly dataDir: string;
  /** How often persistent queries checkpoint (ms). Default 500. */
  readonly checkpointIntervalMs?: number;
  /** Folder relative model paths resolve against. Default: the process's cwd. */
  readonly baseDir?: string;
  /** How often log topics with a retention drop their expired chunks (ms). Default 60 s. */
  readonly retentionCheckMs?: number;
  /** Retention of dead-letter topics (ms). Default 7 days. */
  readonly deadLetterRetentionMs?: number;
  /** Resource limits of planned statements (windows per row, intervals); defaults in planner/limits.ts. */
  readonly limits?: Partial<PlanLimits>;
  /** Kafka brokers SQL may name in `bootstrap.servers` (host:port, lower case); default 'any'. */
  readonly kafkaAllow?: KafkaAllowList;
  /**
   * Folder trusted module functions (`CREATE FUNCTION ... WITH (module = ...)`) may be imported
   * from; they run as host code. Unset (the default): module functions are refused and only
   * sandboxed inline functions exist. (`sluice serve --trusted-functions DIR`)
   */
  readonly trustedFunctionsDir?: string;
  /** Heap limit of each inline function's sandbox, in bytes. Default 32 MiB. (`--function-memory-mb`) */
  readonly functionMemoryBytes?: number;
  /** Time an inline function may take per batch, in ms. Default 100. (`--function-cpu-ms`) */
  readonly functionCpuMsPerBatch?: number;
  /** Most functions that may exist at once; each sandbox holds a thread. Default 100. (`--max-functions`) */
  readonly maxFunctions?: number;
  /**
   * Folders, besides the data folder and `<baseDir>/models`, that files named in SQL (model
   * paths) may come from. (`--allow-path DIR`, repeatable)
   */
  readonly allowedPaths?: readonly string[];
  /** Largest file SQL may have read (a model), in bytes. Default 1 GiB. (`--max-model-bytes`) */
  readonly maxFileBytes?: number;
  /**
   * Whether views and sinks recorded in the data folder start on open. Default true; false
   * (`--no-start-queries`) opens the catalog without running them, so a bad one can be dropped.
   */
  readonly startQueries?: boolean;
  /**
   * Heap budget in bytes of the one cache all queries read their keyed state through; state
   * beyond it stays in RocksDB only. Default 256 MiB. (`--state-cache SIZE`)
   */
  readonly stateCacheBytes?: number;
}

/** The options the engine runs with, defaults filled in. */
export type ResolvedEngineOptions = Required<Omit<EngineOptions, 'trustedFunctionsDir'>> & { readonly trustedFunctionsDir: string | undefined };

/** Runtime state of a TABLE: its rows in RocksDB, read through the state cache by lookups. */
export interface TableState {
  readonly def: TableDef;
  /** The rows (scans and reads by key); every change goes through `rows.apply`. */
  readonly kv: KvTable;
  readonly rows: TableRows;
  /** Stops what keeps the rows current (a Kafka table's loader). */
  readonly close?: () => Promise<void>;
}

export interface ExecuteOptions {
  readonly bounded?: boolean;
  /** Most statements one call may hold; more is refused (LIMIT_EXCEEDED) before anything runs. */
  readonly maxStatements?: number;
  /** Sees every statement once all are planned and before any runs; throwing refuses the call. */
  readonly accept?: (statements: readonly PlannedStatement[]) => void;
  /** Receives each statement's result as soon as it has run (those before a failure included). */
  readonly onResult?: (result: StatementResult) => void;
}

interface CatalogEntry extends StateRow {
  readonly seq: number;
  readonly sql: string;
}

export class Engine {
  readonly catalog = new Catalog();
  readonly tables = new Map<string, TableState>();
  readonly running = new Map<string, QueryHandle>();
  readonly metrics = new Registry();
  /** The one bounded cache of keyed state shared by every query of the engine. */
  readonly stateCache: StateCache;
  readonly models: ModelRegistry;
  /** The folders and size cap for files named in SQL. */
  readonly files: AllowedFiles;
  readonly functions: FunctionRegistry;
  private readonly catalogKv: KvTable<CatalogEntry>;
  private seq = 0;
  private queryCounter = 0;
  private replaying = false;

  /** Whether the catalog is being restored on open (checks that only guard new statements are skipped). */
  get isReplaying(): boolean {
    return this.replaying;
  }
  readonly env: ExecEnv;
  private readonly counters: { rowsOut: Counter; deadLetters: Counter; rowsIn: Gauge; lag: Gauge; operatorOut: Gauge; latency: Histogram; expired: Counter; missed: Counter };
  private retentionTimer: NodeJS.Timeout | undefined;
  /** Push queries winding down (their empty dead-letter streams being dropped). */
  private readonly ending = new Set<Promise<unknown>>();

  private constructor(
    readonly store: Store,
    readonly log: EmbeddedLog,
    readonly checkpoints: CheckpointStore,
    readonly options: ResolvedEngineOptions,
  ) {
    this.files = new AllowedFiles({ roots: [options.dataDir, join(options.baseDir, 'models'), ...options.allowedPaths], baseDir: options.baseDir, maxBytes: options.maxFileBytes });
    this.models = new ModelRegistry({ baseDir: options.baseDir, files: this.files });
    this.functions = new FunctionRegistry({
      ...(options.trustedFunctionsDir !== undefined ? { trustedDir: options.trustedFunctionsDir } : {}),
      limits: { memoryBytes: options.functionMemoryBytes, cpuMsPerBatch: options.functionCpuMsPerBatch },
      maxFunctions: options.maxFunctions,
    });
    this.catalog.limits = { ...DEFAULT_PLAN_LIMITS, ...options.limits };
    this.stateCache = new StateCache(options.stateCacheBytes);
    this.catalogKv = new KvTable<CatalogEntry>(store, '__catalog');
    this.env = createExecEnv(this);
    this.counters = {
      rowsOut: new Counter({ name: 'sluice_query_records_out_total', help: 'Records a query has output.', labelNames: ['query'], registers: [this.metrics] }),
      deadLetters: new Counter({ name: 'sluice_dead_letters_total', help: 'Rows sent to a query dead-letter stream.', labelNames: ['query'], registers: [this.metrics] }),
      expired: new Counter({ name: 'sluice_log_records_expired_total', help: 'Records removed from embedded-log topics by their retention.', labelNames: ['topic'], registers: [this.metrics] }),
      missed: new Counter({
        name: 'sluice_log_records_missed_total',
        help: 'Records a query could not read because retention had removed them before it got there.',
        labelNames: ['topic'],
        registers: [this.metrics],
      }),
      rowsIn: new Gauge({
        name: 'sluice_query_records_in_total',
        help: 'Records a query has read from its sources.',
        labelNames: ['query'],
        registers: [this.metrics],
        collect: () => {
          for (const q of this.running.values()) this.counters.rowsIn.set({ query: q.name ?? q.id }, q.rowsIn);
        },
      }),
      operatorOut: new Gauge({
        name: 'sluice_operator_records_out_total',
        help: 'Records an operator has emitted (its parent operator reads them).',
        labelNames: ['query', 'operator'],
        registers: [this.metrics],
        collect: () => {
          for (const q of this.running.values()) {
            for (const o of q.operatorStats()) this.counters.operatorOut.set({ query: q.name ?? q.id, operator: o.operator }, o.rowsOut);
          }
        },
      }),
      latency: new Histogram({
        name: 'sluice_end_to_end_latency_seconds',
        help: 'Output time minus event time of output rows (sampled), for queries whose output carries the source event time.',
        labelNames: ['query'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers: [this.metrics],
      }),
      lag: new Gauge({
        name: 'sluice_query_lag_records',
        help: 'Records available in a query source but not yet read.',
        labelNames: ['query'],
        registers: [this.metrics],
        collect: () => {
          for (const q of this.running.values()) {
            const lag = this.lagOf(q);
            if (lag !== undefined) this.counters.lag.set({ query: q.name ?? q.id }, lag);
          }
        },
      }),
    };
    registerModelMetrics(this.metrics, this.models);
    registerStateMetrics(this.metrics, this.stateCache, () => this.running.values());
  }

  static async open(opts: EngineOptions): Promise<Engine> {
    const dataDir = resolve(opts.dataDir);
    mkdirSync(dataDir, { recursive: true });
    const store = await Store.open(join(dataDir, 'state'));
    const log = await EmbeddedLog.open(store);
    const baseDir = resolve(opts.baseDir ?? process.cwd());
    const engine = new Engine(store, log, new CheckpointStore(store), {
      dataDir,
      checkpointIntervalMs: opts.checkpointIntervalMs ?? 500,
      baseDir,
      retentionCheckMs: opts.retentionCheckMs ?? 60_000,
      deadLetterRetentionMs: opts.deadLetterRetentionMs ?? 7 * 86_400_000,
      limits: opts.limits ?? {},
      kafkaAllow: opts.kafkaAllow ?? 'any',
      trustedFunctionsDir: opts.trustedFunctionsDir !== undefined ? resolve(baseDir, opts.trustedFunctionsDir) : undefined,
      functionMemoryBytes: opts.functionMemoryBytes ?? DEFAULT_SANDBOX_LIMITS.memoryBytes,
      functionCpuMsPerBatch: opts.functionCpuMsPerBatch ?? DEFAULT_SANDBOX_LIMITS.cpuMsPerBatch,
      maxFunctions: opts.maxFunctions ?? DEFAULT_MAX_FUNCTIONS,
      allowedPaths: (opts.allowedPaths ?? []).map((p) => resolve(baseDir, p)),
      maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      startQueries: opts.startQueries ?? true,
      stateCacheBytes: opts.stateCacheBytes ?? DEFAULT_STATE_CACHE_BYTES,
    });
    await engine.replay();
    await engine.adoptPushDlqs();
    engine.retentionTimer = setInterval(() => void engine.expireLogs(), engine.options.retentionCheckMs);
    engine.retentionTimer.unref();
    return engine;
  }

  /**
   * Statements of the catalog that could not be restored on open (a model file that is gone, a
   * view over a model dropped by an older version); the engine opens without them and keeps
   * them recorded, so they are tried again on the next open. `sluice serve` and `sluice run`
   * print them.
   */
  readonly restoreErrors: { readonly sql: string; readonly error: SluiceError }[] = [];

  /**
   * Views and sinks recorded in the data folder that are not running: they failed to restore
   * (status 'failed', with the reason) or the engine was opened with `startQueries: false`
   * (status 'not_started'). SHOW QUERIES lists them and DROP removes them; they are tried again
   * on the next open.
   */
  private readonly parked = new Map<string, ParkedQuery>();

  private async replay(): Promise<void> {
    const entries: (CatalogEntry & { key: string })[] = [];
    for await (const [key, e] of this.catalogKv.scan()) entries.push({ ...e, key });
    entries.sort((a, b) => a.seq - b.seq);
    this.seq = entries.reduce((m, e) => Math.max(m, e.seq), 0);
    this.replaying = true;
    try {
      for (const e of entries) {
        const kind = e.key.slice(0, e.key.indexOf(':'));
        const persistent = kind === 'view' || kind === 'sink' ? kind : undefined;
        if (persistent && !this.options.startQueries) {
          this.park(persistent, e.key, e.sql, 'not_started');
          continue;
        }
        try {
          await this.execute(e.sql);
        } catch (err) {
          const error = asSluiceError(err).withSql(e.sql);
          this.restoreErrors.push({ sql: e.sql, error });
          if (persistent) this.park(persistent, e.key, e.sql, 'failed', error);
        }
      }
    } finally {
      this.replaying = false;
    }
  }

  private park(kind: 'view' | 'sink', key: string, sql: string, status: ParkedQuery['status'], error?: SluiceError): void {
    const name = key.slice(key.indexOf(':') + 1);
    this.parked.set(name, { id: `${kind}_${name}`, kind, name, sql, status, ...(error ? { error } : {}) });
  }

  /** A recorded view or sink that is not running (see `parked`), by name. */
  parkedQuery(name: string): ParkedQuery | undefined {
    return this.parked.get(normalizeName(name));
  }

  /** DROP of a parked view or sink: forgets its statement and removes the state it left. */
  async dropParked(q: ParkedQuery): Promise<void> {
    await this.checkpoints.drop(q.id);
    if (q.kind === 'view') {
      await this.viewKv(q.name).clear();
      if (this.log.hasTopic(`${q.name}__changes`)) await this.log.dropTopic(`${q.name}__changes`);
    }
    await this.forget(q.kind, q.name);
    this.parked.delete(q.name);
  }

  /** Records a DDL statement so it is replayed on open. */
  async remember(kind: string, name: string, sql: string): Promise<void> {
    if (this.replaying) return;
    await this.catalogKv.upsert(`${kind}:${normalizeName(name)}`, { seq: ++this.seq, sql });
  }

  /** Whether a statement of this kind and name is recorded (restored or not). */
  async isRecorded(kind: string, name: string): Promise<boolean> {
    return (await this.catalogKv.get(`${kind}:${normalizeName(name)}`)) !== undefined;
  }

  async forget(kind: string, name: string): Promise<void> {
    await this.catalogKv.delete(`${kind}:${normalizeName(name)}`);
  }

  /**
   * Runs every statement in `sql`, in order. Errors carry the SQL so they render with a caret.
   * With `bounded`, push queries read their inputs as they are now and then end (finite runs,
   * tests): windows close at the end of input.
   */
  async execute(sql: string, opts: ExecuteOptions = {}): Promise<StatementResult[]> {
    const results: StatementResult[] = [];
    let parsed: readonly ParsedStatement[];
    try {
      parsed = parseStatements(sql);
      checkStatementCount(parsed, opts.maxStatements);
      // Checked on restore too: narrowing the list stops recorded statements from reaching other brokers.
      for (const p of parsed) checkKafkaAllowed(p.statement, this.options.kafkaAllow);
      // Restoring runs statements one at a time, already checked when they were first run.
      if (!this.replaying) {
        const prepared = prepareStatements(parsed, this.catalog, (name) => this.parkedQuery(name));
        opts.accept?.(prepared.map((p) => ({ text: p.text, mode: p.mode })));
      }
    } catch (err) {
      throw asSluiceError(err).withSql(sql);
    }
    for (const p of parsed) {
      try {
        const r = await this.executeOne(p.statement, p.text, opts);
        results.push(r);
        opts.onResult?.(r);
      } catch (err) {
        for (const r of results) if (r.kind === 'push') r.cancel();
        throw asSluiceError(err).withSql(sql);
      }
    }
    return results;
  }

  private async executeOne(s: Statement, text: string, opts: ExecuteOptions): Promise<StatementResult> {
    const ok = (message: string): StatementResult => ({ kind: 'ok', statement: text, message });
    switch (s.kind) {
      case 'CreateStream':
      case 'CreateTable':
      case 'CreateModel':
      case 'CreateFunction':
      case 'AlterModel':
      case 'Drop':
        return ok(await createDdl(this, s, text));
      case 'CreateMaterializedView':
      case 'CreateSink':
        return ok(await this.createPersistent(s, text));
      case 'Insert':
        return ok(await this.insert(s));
      case 'Query':
        return this.select(s, text, opts);
      case 'Show':
        return { statement: text, ...showStatement(this, s) };
      case 'Describe':
        return { statement: text, ...(await describeStatement(this, s)) };
      case 'Explain': {
        const inner = s.statement;
        const q = planQuery(inner.query, this.catalog, { exchange: isScaleOutSink(inner) });
        const header = inner.kind === 'CreateMaterializedView' ? `MaterializedView: ${inner.name.name}` : inner.kind === 'CreateSink' ? `Sink: ${inner.name.name}` : undefined;
        if (inner.kind === 'CreateSink' && isScaleOutSink(inner)) {
          const id = `sink_${normalizeName(inner.name.name)}`;
          const split = splitAtExchange(q.physical, `${scaleOutPrefix(Object.fromEntries(inner.options.map((o) => [o.key.toLowerCase(), o.value])), id)}-repartition`, `sink ${inner.name.name}`);
          return { kind: 'explain', statement: text, text: explainSplit(split, `${header} across processes`) };
        }
        return { kind: 'explain', statement: text, text: explainPlan(q.physical, header) };
      }
      default:
        return assertNever(s, 'statement');
    }
  }

  private nextQueryId(prefix: string): string {
    return `${prefix}_${++this.queryCounter}`;
  }

  private async select(s: Extract<Statement, { kind: 'Query' }>, text: string, opts: ExecuteOptions): Promise<StatementResult> {
    const from = s.query.from;
    if (from?.kind === 'TableRef') {
      const def = this.catalog.relation(from.name.name, from.name.span);
      if (def.kind === 'view' || def.kind === 'table') return this.pull(s, text, def);
    }
    const q = planQuery(s.query, this.catalog);
    const id = this.nextQueryId('push');
    const queue = new PushQueue(q.fields);
    const dlq = await this.ensureDlq(`${id}_dlq`);
    const rq = new RunningQuery(id, 'push', undefined, text, q.physical, q.fields, { kind: 'push', queue, ...(q.limit !== undefined ? { limit: q.limit } : {}) }, this.queryDeps(), dlq, opts.bounded === true, eventTimeColumn(q));
    this.running.set(id, rq);
    await rq.start();
    const ended = rq
      .stopped()
      .then(() => this.dropDlqIfEmpty(dlq))
      .catch(() => undefined)
      .finally(() => {
        this.ending.delete(ended);
        setTimeout(() => this.running.delete(id), 1000).unref();
      });
    this.ending.add(ended);
    return {
      kind: 'push',
      statement: text,
      queryId: id,
      columns: q.fields.map((f) => ({ name: f.name, type: typeToString(f.type) })),
      updating: q.updating,
      rows: queue,
      batches: queue.batches(),
      cancel: () => rq.stop('finished'),
    };
  }

  /** A pull query: answers now from a view's or table's current rows. */
  private async pull(s: Extract<Statement, { kind: 'Query' }>, text: string, def: RelationDef): Promise<StatementResult> {
    const q = planQuery(s.query, this.catalog, { pull: true });
    const rows: Record<string, unknown>[] = [];
    const kv = def.kind === 'table' ? this.table(def.name).kv : this.viewKv(def.name);
    for await (const [, r] of kv.scan()) pushCopies(rows, r as Record<string, unknown>);
    const result = await runBounded(this, q, batchFromRows(def.schema, rows));
    return { kind: 'rows', statement: text, columns: q.fields.map((f) => ({ name: f.name, type: typeToString(f.type) })), rows: result.rows, errors: result.errors };
  }

  queryDeps() {
    return {
      store: this.store,
      log: this.log,
      checkpoints: this.checkpoints,
      env: this.env,
      checkpointIntervalMs: this.options.checkpointIntervalMs,
      stateCache: this.stateCache,
      onDeadLetters: (id: string, n: number) => this.counters.deadLetters.inc({ query: this.running.get(id)?.name ?? id }, n),
      onRowsOut: (id: string, n: number) => this.counters.rowsOut.inc({ query: this.running.get(id)?.name ?? id }, n),
      onLatency: (id: string, seconds: readonly number[]) => {
        const query = this.running.get(id)?.name ?? id;
        for (const x of seconds) this.counters.latency.observe({ query }, x);
      },
    };
  }

  /** A push query's dead-letter stream goes when the query ends, unless it holds letters. */
  private async dropDlqIfEmpty(name: string): Promise<void> {
    if (this.store.isClosed || !this.log.hasTopic(name) || this.log.highWatermark(name, 0) > 0) return;
    await this.log.dropTopic(name);
    if (this.catalog.hasRelation(name)) this.catalog.removeRelation(name);
  }

  /**
   * Dead-letter topics of push queries from earlier runs: empty ones go, the others become
   * readable streams again; new push query ids start after them.
   */
  private async adoptPushDlqs(): Promise<void> {
    for (const topic of this.log.topics()) {
      const m = /^push_(\d+)_dlq$/.exec(topic);
      if (!m) continue;
      this.queryCounter = Math.max(this.queryCounter, Number(m[1]));
      if (this.log.highWatermark(topic, 0) === 0) await this.dropDlqIfEmpty(topic);
      else await this.ensureDlq(topic);
    }
  }

  /** Creates (idempotently) a dead-letter topic and its stream in the catalog. */
  async ensureDlq(name: string): Promise<string> {
    await this.log.createTopic(name, 1, { retentionMs: this.options.deadLetterRetentionMs });
    if (!this.catalog.hasRelation(name)) {
      this.catalog.addRelation({ kind: 'stream', name, schema: DLQ_FIELDS, options: { connector: 'log', dlq: true }, sql: '' });
    }
    return name;
  }

  private async createPersistent(s: Extract<Statement, { kind: 'CreateMaterializedView' | 'CreateSink' }>, text: string): Promise<string> {
    const name = s.name.name;
    if (this.catalog.hasRelation(name)) {
      if (s.ifNotExists) return `${name} already exists`;
      this.catalog.checkNameFree(name, s.name.span);
    }
    const q = planQuery(s.query, this.catalog, { exchange: isScaleOutSink(s) });
    const options = Object.fromEntries(s.options.map((o) => [o.key.toLowerCase(), o.value]));
    const connector = String(options['connector'] ?? 'log').toLowerCase();
    if (!this.replaying) {
      const what = s.kind === 'CreateSink' ? `sink ${name}` : `materialized view ${name}`;
      checkWithOptions(s.options, s.kind === 'CreateSink' ? 'sink' : 'view', connector, what);
    }
    const id = `${s.kind === 'CreateSink' ? 'sink' : 'view'}_${normalizeName(name)}`;
    const dlq = await this.ensureDlq(`${name}_dlq`);
    let rq: QueryHandle;
    if (s.kind === 'CreateMaterializedView') {
      const key = viewKey(q, options['key'], s.span);
      const kv = this.viewKv(name);
      const changelog = `${name}__changes`;
      await this.log.createTopic(changelog, 1, retentionOption(options));
      this.catalog.addRelation(
        { kind: 'view', name, schema: q.fields, key: key.map((k) => q.fields[k]!.name), ...viewChanges(q, key), queryId: id, changelog, ...(q.watermark ? { watermark: q.watermark } : {}), options, sql: text },
        s.name.span,
      );
      const multiset = isMultisetView(q, options['key']);
      rq = new RunningQuery(id, 'view', name, text, q.physical, q.fields, { kind: 'epoch', sink: new ViewSink(q.fields, key, kv, { log: this.log, topic: changelog }, multiset) }, { ...this.queryDeps(), env: withKafkaQueryGroup(this.env, id) }, dlq, false, eventTimeColumn(q));
    } else {
      if (connector === 'kafka') {
        rq = this.kafkaSinkQuery(id, name, text, q, options, s, dlq);
      } else if (connector !== 'log') {
        throw new SluiceError('UNSUPPORTED', `sink connector '${connector}' is not available in this build`, { span: s.span, hint: "use connector = 'log' (the embedded log) or 'kafka'" });
      } else {
        const topic = String(options['topic'] ?? name);
        await this.log.createTopic(topic, 1, retentionOption(options));
        this.catalog.addRelation({ kind: 'sink', name, schema: q.fields, queryId: id, options, sql: text }, s.name.span);
        if (!this.catalog.hasRelation(topic)) this.catalog.addRelation({ kind: 'stream', name: topic, schema: q.fields, options: { connector: 'log', topic }, sql: '' });
        rq = new RunningQuery(id, 'sink', name, text, q.physical, q.fields, { kind: 'epoch', sink: new LogSink(this.log, topic) }, this.queryDeps(), dlq, false, eventTimeColumn(q));
      }
    }
    this.running.set(id, rq);
    try {
      await rq.start();
    } catch (err) {
      // Undone, so that a failed start (or restore) leaves nothing half-made behind it.
      this.running.delete(id);
      this.catalog.removeRelation(name);
      rq.stop('failed');
      await rq.stopped().catch(() => undefined);
      throw err;
    }
    await this.remember(s.kind === 'CreateSink' ? 'sink' : 'view', name, text);
    // A new statement of the same name replaces a parked one's record.
    this.parked.delete(normalizeName(name));
    return `${s.kind === 'CreateSink' ? 'sink' : 'materialized view'} ${name} created (query ${id})`;
  }

  /** A sink query writing to a Kafka topic (exactly once unless `semantic = 'at_least_once'`). */
  private kafkaSinkQuery(id: string, name: string, text: string, q: QueryPlan, options: Record<string, string | number | boolean>, s: Extract<Statement, { kind: 'CreateSink' }>, dlq: string): QueryHandle {
    checkKafkaOptions(options, `sink ${name}`, 'sink', false);
    const defaultKey = q.keyColumns.length ? [...q.keyColumns] : q.streamKey !== undefined ? [q.streamKey] : [];
    if (isScaleOutSink(s)) {
      const query = this.scaleOutQuery(id, name, text, q, options, defaultKey, dlq);
      this.catalog.addRelation({ kind: 'sink', name, schema: q.fields, queryId: id, options, sql: text }, s.name.span);
      return query;
    }
    const sink = kafkaSink({ queryId: id, name, options, fields: q.fields, plan: q.physical, defaultKey, store: this.store, checkpoints: this.checkpoints });
    this.catalog.addRelation({ kind: 'sink', name, schema: q.fields, queryId: id, options, sql: text }, s.name.span);
    return new RunningQuery(id, 'sink', name, text, q.physical, q.fields, { kind: 'epoch', sink }, { ...this.queryDeps(), env: withKafkaQueryGroup(this.env, id) }, dlq, false, eventTimeColumn(q));
  }

  /** A Kafka sink query shared by every process that runs it (`'scale.out' = true`). */
  private scaleOutQuery(id: string, name: string, text: string, q: QueryPlan, options: Record<string, string | number | boolean>, defaultKey: readonly number[], dlq: string): ScaleOutQuery {
    const what = `sink ${name}`;
    let source: import('../planner/physical.js').SourceExec | undefined;
    const find = (p: import('../planner/physical.js').PhysicalPlan): void => {
      if (p.kind === 'SourceExec') source ??= p;
      else if (p.kind === 'IntervalJoinExec') [p.left, p.right].forEach(find);
      else find(p.input);
    };
    find(q.physical);
    const partitions = options['scale.out.partitions'];
    if (partitions !== undefined && !(Number.isInteger(Number(partitions)) && Number(partitions) > 0)) {
      throw new SluiceError('INVALID_ARGUMENT', `${what}: 'scale.out.partitions' must be a positive integer, got '${String(partitions)}'`, { hint: "omit it to use the input topic's partition count" });
    }
    const sourceOptions = source?.options ?? {};
    return new ScaleOutQuery({
      id,
      name,
      sql: text,
      plan: q.physical,
      fields: q.fields,
      brokers: kafkaBrokers(options, what),
      sinkTopic: kafkaTopic(options, name),
      keyColumns: sinkKeyColumns(options, q.fields, defaultKey, what),
      groupId: kafkaGroupId(sourceOptions, id),
      prefix: scaleOutPrefix(options, id),
      ...(partitions !== undefined ? { partitions: Number(partitions) } : {}),
      sourceTopic: source ? kafkaTopic(source.options, source.relation) : '',
      sessionTimeoutMs: sessionTimeout(sourceOptions),
      store: this.store,
      stateCache: this.stateCache,
      env: this.env,
      checkpointIntervalMs: this.options.checkpointIntervalMs,
      onRowsOut: (n) => this.counters.rowsOut.inc({ query: name }, n),
      onDeadLetters: (letters) => {
        this.counters.deadLetters.inc({ query: name }, letters.length);
        const at = Date.now();
        void this.log.append(dlq, 0, encodeBatch(dlqBatch(letters.map((l) => ({ ...l, at })))), letters.length).catch(() => undefined);
      },
    });
  }

  viewKv(name: string): KvTable {
    return new KvTable(this.store, `view:${normalizeName(name)}`);
  }

  table(name: string): TableState {
    const t = this.tables.get(normalizeName(name));
    if (!t) throw new SluiceError('UNKNOWN_RELATION', `unknown table '${name}'`);
    return t;
  }

  private async insert(s: Extract<Statement, { kind: 'Insert' }>): Promise<string> {
    const bound = bindInsert(s, this.catalog);
    const def = bound.def;
    const rows = bound.rows.map((values) => {
      const row: Record<string, unknown> = {};
      for (const { field, value, span } of values) row[field.name] = evaluateInsertValue(field, value, span, def);
      return row;
    });
    if (def.kind === 'table') {
      const t = this.table(def.name);
      const changes: TableChange[] = rows.map((row) => [keyOf(def.primaryKey.map((k) => row[def.schema.find((f) => normalizeName(f.name) === normalizeName(k))!.name])), row as StateRow]);
      await t.rows.apply(changes);
      return `inserted ${rows.length} row(s) into table ${def.name}`;
    }
    const connector = String(def.options['connector'] ?? 'log');
    if (connector !== 'log') {
      throw new SluiceError('UNSUPPORTED', `INSERT INTO a stream with connector '${connector}' is not supported`, { span: s.target.span, hint: 'INSERT works on streams kept in the embedded log' });
    }
    const topic = String(def.options['topic'] ?? def.name);
    const parts = this.log.partitions(topic);
    const byPart = new Map<number, Record<string, unknown>[]>();
    const keyCol = def.kind === 'stream' ? def.key : undefined;
    rows.forEach((row, i) => {
      const p = keyCol !== undefined ? hashString(String(row[keyCol] ?? '')) % parts : (this.log.highWatermark(topic, 0) + i) % parts;
      const list = byPart.get(p) ?? [];
      list.push(row);
      byPart.set(p, list);
    });
    const wb = this.store.batch();
    for (const [p, list] of byPart) this.log.append(topic, p, encodeBatch(batchFromRows(def.schema, list)), list.length, wb);
    await wb.write();
    return `inserted ${rows.length} row(s) into stream ${def.name}`;
  }

  queries(): QueryInfo[] {
    return [...[...this.running.values()].map((q) => q.info(this.lagOf(q))), ...[...this.parked.values()].map(parkedInfo)];
  }

  query(id: string): QueryInfo | undefined {
    const q = this.running.get(id);
    if (q) return q.info(this.lagOf(q));
    const p = [...this.parked.values()].find((x) => x.id === id);
    return p && parkedInfo(p);
  }

  private lagOf(q: QueryHandle): number | undefined {
    if (q.lag) return q.lag();
    let lag = 0;
    let any = false;
    for (const [k, pos] of Object.entries(q.positionsNow())) {
      const slash = k.lastIndexOf('/');
      if (slash < 0) continue;
      const topic = k.slice(0, slash);
      if (!this.log.hasTopic(topic)) continue;
      lag += Math.max(0, this.log.highWatermark(topic, Number(k.slice(slash + 1))) - pos);
      any = true;
    }
    return any ? lag : undefined;
  }

  cancelQuery(id: string): boolean {
    const q = this.running.get(id);
    if (!q) return false;
    q.stop('finished');
    this.running.delete(id);
    return true;
  }

  async viewRow(name: string, key: string): Promise<Record<string, unknown> | undefined> {
    const def = this.catalog.relation(name);
    const kv = def.kind === 'table' ? this.table(def.name).kv : def.kind === 'view' ? this.viewKv(def.name) : undefined;
    if (!kv) throw new SluiceError('INVALID_ARGUMENT', `'${name}' is a ${def.kind}, not a view or table`);
    const row = (await kv.get(key)) as Record<string, unknown> | undefined;
    return row && withoutCopies(row);
  }

  async viewScan(name: string, opts: { limit?: number; prefix?: string } = {}): Promise<Record<string, unknown>[]> {
    const def = this.catalog.relation(name);
    const kv = def.kind === 'table' ? this.table(def.name).kv : def.kind === 'view' ? this.viewKv(def.name) : undefined;
    if (!kv) throw new SluiceError('INVALID_ARGUMENT', `'${name}' is a ${def.kind}, not a view or table`);
    const out: Record<string, unknown>[] = [];
    for await (const [, r] of kv.scan({ ...(opts.limit !== undefined ? { limit: opts.limit } : {}), ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) })) pushCopies(out, r as Record<string, unknown>);
    return out;
  }

  completions(): string[] {
    return this.catalog.names();
  }

  /** Registers a model from an ONNX file, or adds a version when the model exists. */
  async registerModelFile(name: string, path: string, by: string): Promise<unknown> {
    if (!this.models.has(name)) {
      throw new SluiceError('UNKNOWN_MODEL', `model '${name}' is not declared`, { hint: `declare it first: CREATE MODEL ${name} INPUT (...) OUTPUT (...) WITH (path = '${path}')` });
    }
    const v = await this.models.alter(name, { path }, by);
    // Replayed on open like an ALTER MODEL, so the uploaded version stays active after a restart.
    await this.remember('model-alter', name, `ALTER MODEL ${quoteIdent(name)} SET (path = '${path.replace(/'/g, "''")}')`);
    return v;
  }

  /**
   * Waits until every persistent query has read all input available in the embedded log (or
   * `timeoutMs` passed), then checkpoints each, so its output is visible.
   */
  async checkpointAll(timeoutMs = 10_000): Promise<void> {
    const persistent = () => [...this.running.values()].filter((q) => q.kind !== 'push' && q.status === 'running');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && persistent().some((q) => (this.lagOf(q) ?? 0) > 0)) await new Promise((r) => setTimeout(r, 5));
    await Promise.all(persistent().map((q) => q.checkpoint()));
  }

  /** Drops the expired chunks of log topics with a retention now. */
  async expireLogs(now = Date.now()): Promise<void> {
    if (this.store.isClosed) return;
    try {
      for (const [topic, n] of await this.log.expire(now)) this.counters.expired.inc({ topic }, n);
    } catch {
      // The store closing under a running expiry; the next run retries.
    }
  }

  /** A query skipped records that retention had removed (counted per topic). */
  noteMissedRecords(topic: string, n: number): void {
    this.counters.missed.inc({ topic }, n);
  }

  async close(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    for (const q of this.running.values()) q.stop('finished');
    await Promise.all([...this.running.values()].map((q) => q.stopped()));
    await Promise.all([...this.ending]);
    this.running.clear();
    for (const t of this.tables.values()) await t.close?.().catch(() => undefined);
    await this.models.close();
    this.functions.close();
    await this.store.close();
  }

  /** Internal: new ids for persistent queries restored on replay keep their names. */
  static readonly version = '0.1.0';
}

/** Refuses a call with more than `max` statements, pointing at the first one too many. */
function checkStatementCount(parsed: readonly ParsedStatement[], max: number | undefined): void {
  if (max === undefined || parsed.length <= max) return;
  const first = parsed[max]!.statement;
  throw new SluiceError('LIMIT_EXCEEDED', `the request holds ${parsed.length} statements; the limit is ${max}`, {
    span: first.span,
    hint: 'send the statements in several requests; the limit is set by sluice serve --max-statements',
  });
}

/** Output index of the source's event-time column, when the query passes it through. */
function eventTimeColumn(q: QueryPlan): number | undefined {
  if (!q.watermark) return undefined;
  const i = q.fields.findIndex((f) => f.name === q.watermark!.column);
  return i < 0 ? undefined : i;
}

function quoteIdent(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}


/** Runs a plan over one in-memory batch (pull queries) and returns its rows. */
async function runBounded(engine: Engine, q: QueryPlan, batch: import('apache-arrow').RecordBatch): Promise<{ rows: unknown[][]; errors: RowError[] }> {
  const { runOnBatch } = await import('./run-on-batch.js');
  return runOnBatch(engine.env, q, batch, engine.store);
}

function registerModelMetrics(registry: Registry, models: ModelRegistry): void {
  const g = (name: string, help: string, read: (s: ModelStatsSnapshot) => number) => {
    const gauge: Gauge = new Gauge({
      name,
      help,
      labelNames: ['model'],
      registers: [registry],
      collect: () => {
        for (const [m, snap] of models.statsSnapshots()) gauge.set({ model: m }, read(snap));
      },
    });
  };
  g('sluice_model_rows_scored_total', 'Rows scored by a model.', (s) => s.rows);
  g('sluice_model_batches_total', 'Batches run by a model.', (s) => s.batches);
  g('sluice_model_latency_p50_ms', 'Median model batch latency (ms).', (s) => s.latencyMs.p50 ?? 0);
  g('sluice_model_latency_p99_ms', '99th percentile model batch latency (ms).', (s) => s.latencyMs.p99 ?? 0);
  g('sluice_model_errors_total', 'Model batches that failed.', (s) => s.errors);
  g('sluice_model_fallbacks_total', 'Rows scored by a fallback model.', (s) => s.fallbackRows);
}


