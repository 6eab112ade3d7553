/**
 * The engine: parses statements, keeps the catalog, and runs queries on the embedded storage.
 * DDL is recorded in the store and replayed on open, so views and sinks resume from their
 * last checkpoints after a restart.
 *
 * Each statement runs in the handler of its kind (statements/), against the engine's session;
 * this class opens and closes that session and answers the HTTP API, the shell and the CLI.
 */
import { quoteIdent } from '../common/quote-ident.js';
import { storeReferences } from './model-references.js';
import { qualityReport, registerQualityMetrics, sessionReader, type QualityReport } from './model-quality.js';
import { checkGuards } from './model-guard.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { SluiceError, asSluiceError, throwIfCancelled } from '../common/errors.js';
import type { ExecEnv } from '../exec/pipeline.js';
import { parseStatementsOffThread, type ParsedStatement } from '../parser/index.js';
import { Catalog } from '../planner/catalog.js';
import { DEFAULT_PLAN_LIMITS } from '../planner/limits.js';
import { CheckpointStore, EmbeddedLog, KvTable, StateCache, Store } from '../state/index.js';
import { registerStateMetrics } from './state-metrics.js';
import { AllowedFiles } from '../udf/allowed-files.js';
import { FunctionRegistry } from '../udf/js-function.js';
import { ModelRegistry, type ChangeOrigin } from '../udf/model-registry.js';
import { InteractiveScoring, type ScoredRows } from './interactive-predict.js';
import { changeModel, createModelSql, rememberServing, type ModelChange, type ModelChangeResult } from './statements/model-rollout.js';
import { CatalogRecord } from './catalog-record.js';
import { adoptPushDlqs, ensureDlq } from './dead-letter-topics.js';
import { allowedRoots, resolveEngineOptions, type EngineOptions, type ExecuteOptions, type ResolvedEngineOptions } from './engine-options.js';
import { createExecEnv } from './exec-env.js';
import { checkKafkaAllowed } from './kafka-allow.js';
import { checkUpdatesBrokers, startTopicFeed } from './model-updates.js';
import { EngineMetrics } from './metrics.js';
import { parkedError, STOPPED_KIND, stoppedNames, type ParkedQuery } from './parked-query.js';
import { startQuery, stopQuery } from './query-control.js';
import { prepareStatements } from './prepare.js';
import { queryDeps } from './query-deps.js';
import { QueryRegistry } from './query-registry.js';
import { storedRows, TableRegistry, viewKv, type TableState } from './relation-storage.js';
import type { QueryHandle, QueryDeps } from './running-query.js';
import type { Session } from './session.js';
import { pushCopies, withoutCopies } from './sinks.js';
import { dropParked } from './statements/drop.js';
import { runStatement } from './statements/index.js';
import type { QueryInfo, ResultColumn, StatementResult } from './types.js';
import { catalogSummary, type CatalogSummary } from './catalog-summary.js';
import { ingestRows, type IngestOptions, type IngestResult, type IngestRow } from './ingest.js';
import { typeToString } from '../common/types.js';
import { SLUICE_VERSION } from '../common/version.js';

export type { EngineOptions, ExecuteOptions, ResolvedEngineOptions, TableState };

export class Engine {
  readonly catalog = new Catalog();
  readonly models: ModelRegistry;
  private readonly scoring: InteractiveScoring;
  /** The folders and size cap for files named in SQL. */
  readonly files: AllowedFiles;
  readonly functions: FunctionRegistry;
  readonly env: ExecEnv;
  /** The one bounded cache of keyed state shared by every query and table. */
  readonly stateCache: StateCache;
  /** What statement handlers work against. */
  readonly session: Session;
  private readonly record: CatalogRecord;
  private readonly queryRegistry: QueryRegistry;
  private readonly tableRegistry = new TableRegistry();
  private readonly engineMetrics: EngineMetrics;
  private retentionTimer: NodeJS.Timeout | undefined;
  private guardTimer: NodeJS.Timeout | undefined;
  private guardCheck: Promise<void> | undefined;
  private markRestored: () => void = () => undefined;
  /** Resolves once the recorded catalog was replayed on open. */
  private readonly restored = new Promise<void>((r) => (this.markRestored = r));

  /**
   * Statements of the catalog that could not be restored on open (a model file that is gone, a
   * view over a model dropped by an older version); the engine opens without them and keeps
   * them recorded, so they are tried again on the next open. `sluice serve` and `sluice run`
   * print them.
   */
  readonly restoreErrors: { readonly sql: string; readonly error: SluiceError }[] = [];

  private constructor(
    readonly store: Store,
    readonly log: EmbeddedLog,
    readonly checkpoints: CheckpointStore,
    readonly options: ResolvedEngineOptions,
  ) {
    this.files = new AllowedFiles({ roots: allowedRoots(options), baseDir: options.baseDir, maxBytes: options.maxFileBytes });
    this.models = new ModelRegistry({ baseDir: options.baseDir, files: this.files });
    this.scoring = new InteractiveScoring(this.models);
    // Versions from a watched folder or an updates topic are recorded like the ALTER they stand for, so a restart serves them.
    const sqlText = (t: string) => `'${t.replace(/'/g, "''")}'`;
    this.models.onArrived = (v) =>
      v.as === 'candidate'
        ? this.record.remember('model-candidate', v.model, `ALTER MODEL ${quoteIdent(v.model)} SET CANDIDATE (path = ${sqlText(v.path)}, mode = 'shadow'${v.metadata === undefined ? '' : `, metadata = ${sqlText(v.metadata)}`})`)
        : rememberServing(this.session, v.model, this.models.get(v.model));
    this.models.references = storeReferences(store);
    this.models.onArrivalFailed = (model, origin, error) => process.stderr.write(`sluice: model '${model}': ${origin} did not load, nothing changed: ${error.message}\n`);
    this.models.topicFeed = (model, o, arrive) =>
      startTopicFeed({ model, options: o, arrive, registry: this.models, store, dataDir: options.dataDir, report: (m) => process.stderr.write(`sluice: ${m}\n`), restored: this.restored, restoring: this.record.replaying });
    this.functions = new FunctionRegistry({
      ...(options.trustedFunctionsDir !== undefined ? { trustedDir: options.trustedFunctionsDir } : {}),
      limits: { memoryBytes: options.functionMemoryBytes, cpuMsPerBatch: options.functionCpuMsPerBatch },
      maxFunctions: options.maxFunctions,
    });
    this.catalog.limits = { ...DEFAULT_PLAN_LIMITS, ...options.limits };
    this.record = new CatalogRecord(store);
    this.stateCache = new StateCache(options.stateCacheBytes);
    this.queryRegistry = new QueryRegistry(log);
    this.engineMetrics = new EngineMetrics(this.queryRegistry, this.models, this.tableRegistry);
    this.catalog.whyAbsent = (name) => {
      const p = this.queryRegistry.parkedQuery(name);
      return p && parkedError(p);
    };
    registerStateMetrics(this.engineMetrics.registry, this.stateCache, () => this.queryRegistry.running.values());
    this.env = createExecEnv({ catalog: this.catalog, log, tables: this.tableRegistry, models: this.models, functions: this.functions, metrics: this.engineMetrics });
    this.session = {
      catalog: this.catalog,
      record: this.record,
      storage: { store, log, checkpoints, stateCache: this.stateCache },
      queries: this.queryRegistry,
      tables: this.tableRegistry,
      models: this.models,
      functions: this.functions,
      metrics: this.engineMetrics,
      env: this.env,
      options,
    };
    registerQualityMetrics(this.engineMetrics.registry, sessionReader(this.session));
  }

  /** Acts on guarded candidates whose evidence calls for a promotion or a rollback (model-guard.ts); one check at a time. */
  checkModelGuards(): Promise<void> {
    this.guardCheck ??= checkGuards(this.session, sessionReader(this.session), this.engineMetrics.registry)
      .catch((err: unknown) => console.error(`sluice: model guard check failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.guardCheck = undefined));
    return this.guardCheck;
  }

  /** A model's labels settings, recent quality windows and totals per version and role (GET /v1/models/:name/quality). */
  modelQuality(name: string): Promise<QualityReport> {
    return qualityReport(sessionReader(this.session), name);
  }

  static async open(opts: EngineOptions): Promise<Engine> {
    const options = resolveEngineOptions(opts);
    mkdirSync(options.dataDir, { recursive: true });
    const store = await Store.open(join(options.dataDir, 'state'));
    const log = await EmbeddedLog.open(store);
    const engine = new Engine(store, log, new CheckpointStore(store), options);
    await engine.replay();
    engine.markRestored();
    await adoptPushDlqs(engine.session);
    engine.retentionTimer = setInterval(() => void engine.expireLogs(), options.retentionCheckMs);
    engine.retentionTimer.unref();
    engine.guardTimer = setInterval(() => void engine.checkModelGuards(), Math.max(options.checkpointIntervalMs, 100));
    engine.guardTimer.unref();
    return engine;
  }

  /** The Prometheus registry `GET /metrics` renders. */
  get metrics(): Registry {
    return this.engineMetrics.registry;
  }

  /** Running queries by id. */
  get running(): Map<string, QueryHandle> {
    return this.queryRegistry.running;
  }

  /** Tables by normalized name. */
  get tables(): Map<string, TableState> {
    return this.tableRegistry;
  }

  /** Whether the catalog is being restored on open (checks that only guard new statements are skipped). */
  get isReplaying(): boolean {
    return this.record.replaying;
  }

  private async replay(): Promise<void> {
    const entries = await this.record.entries();
    const stopped = stoppedNames(entries);
    await this.record.replay(async () => {
      for (const e of entries) {
        if (e.kind === STOPPED_KIND) continue;
        const persistent = e.kind === 'view' || e.kind === 'sink' ? e.kind : undefined;
        if (persistent && (!this.options.startQueries || stopped.has(e.name))) {
          this.queryRegistry.park(persistent, e.name, e.sql, stopped.has(e.name) ? 'stopped' : 'not_started');
          continue;
        }
        try {
          await this.execute(e.sql);
        } catch (err) {
          const error = asSluiceError(err).withSql(e.sql);
          this.restoreErrors.push({ sql: e.sql, error });
          if (persistent) this.queryRegistry.park(persistent, e.name, e.sql, 'failed', error);
        }
      }
    });
  }

  /** A recorded view or sink that is not running (failed to restore, or not started), by name. */
  parkedQuery(name: string): ParkedQuery | undefined {
    return this.queryRegistry.parkedQuery(name);
  }

  /** DROP of a parked view or sink: forgets its statement and removes the state it left. */
  dropParked(q: ParkedQuery): Promise<void> {
    return dropParked(this.session, q);
  }

  /** Records a DDL statement so it is replayed on open. */
  remember(kind: string, name: string, sql: string): Promise<void> {
    return this.record.remember(kind, name, sql);
  }

  /** Whether a statement of this kind and name is recorded (restored or not). */
  isRecorded(kind: string, name: string): Promise<boolean> {
    return this.record.isRecorded(kind, name);
  }

  forget(kind: string, name: string): Promise<void> {
    return this.record.forget(kind, name);
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
      parsed = await parseStatementsOffThread(sql);
      checkStatementCount(parsed, opts.maxStatements);
      opts.parsed?.(parsed.map((p) => p.text));
      // Checked on restore too: narrowing the list stops recorded statements from reaching other brokers.
      for (const p of parsed) checkKafkaAllowed(p.statement, this.options.kafkaAllow);
      // Restoring runs statements one at a time, already checked when they were first run.
      if (!this.record.replaying) {
        for (const p of parsed) checkUpdatesBrokers(p.statement, this.models);
        const prepared = prepareStatements(parsed, this.catalog, (name) => this.parkedQuery(name), { bounded: opts.bounded === true });
        opts.accept?.(prepared.map((p) => ({ text: p.text, mode: p.mode })));
      }
    } catch (err) {
      throw asSluiceError(err).withSql(sql);
    }
    for (const p of parsed) {
      try {
        throwIfCancelled(opts.signal, 'the statement', p.statement.span);
        const r = await runStatement(this.session, p.statement, p.text, opts);
        results.push(r);
        opts.onResult?.(r);
      } catch (err) {
        for (const r of results) if (r.kind === 'push') r.cancel();
        throw asSluiceError(err).withSql(sql);
      }
    }
    return results;
  }

  /** What a query started outside a statement needs of this engine (tests, benchmarks). */
  queryDeps(): QueryDeps {
    return queryDeps(this.session);
  }

  /** Creates (idempotently) a dead-letter topic and its stream in the catalog. */
  ensureDlq(name: string): Promise<string> {
    return ensureDlq(this.session, name);
  }

  viewKv(name: string): KvTable {
    return viewKv(this.store, name);
  }

  table(name: string): TableState {
    return this.tableRegistry.table(name);
  }

  queries(): QueryInfo[] {
    return this.queryRegistry.list();
  }

  query(id: string): QueryInfo | undefined {
    return this.queryRegistry.info(id);
  }

  cancelQuery(id: string): boolean {
    return this.queryRegistry.cancel(id);
  }

  /** Stops a view's or sink's query, keeping its state until started (see query-control.ts). */
  stopQuery(id: string): Promise<QueryInfo | undefined> {
    return stopQuery(this.session, id);
  }

  /** Starts a stopped (or failed, or not started) view or sink from its last checkpoint. */
  startQuery(id: string): Promise<QueryInfo | undefined> {
    return startQuery(this.session, id, (sql) => this.execute(sql));
  }

  async viewRow(name: string, key: string): Promise<Record<string, unknown> | undefined> {
    const kv = storedRows(this.store, this.tableRegistry, this.catalog.relation(name), name);
    const row = (await kv.get(key)) as Record<string, unknown> | undefined;
    return row && withoutCopies(row);
  }

  async viewScan(name: string, opts: { limit?: number; prefix?: string } = {}): Promise<Record<string, unknown>[]> {
    const kv = storedRows(this.store, this.tableRegistry, this.catalog.relation(name), name);
    const out: Record<string, unknown>[] = [];
    for await (const rows of kv.scanRows({ ...(opts.limit !== undefined ? { limit: opts.limit } : {}), ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) })) {
      for (const r of rows) pushCopies(out, r as Record<string, unknown>);
    }
    return out;
  }

  /** Appends rows posted over HTTP to a log stream; see ingest.ts. */
  ingest(name: string, rows: readonly IngestRow[], opts: IngestOptions = {}): Promise<IngestResult> {
    const session = {
      catalog: this.catalog,
      log: this.log,
      store: this.store,
      ensureDlq: (n: string) => this.ensureDlq(n),
      readerLag: (topic: string) => this.queryRegistry.readerLag(topic),
      countDeadLetters: (stream: string, n: number) => this.engineMetrics.ingestDeadLettered(stream, n),
    };
    return ingestRows(session, name, rows, opts);
  }

  /** The columns of a stream, table, view or sink, with their types as text; throws UNKNOWN_RELATION. */
  relationColumns(name: string): ResultColumn[] {
    return this.catalog.relation(name).schema.map((f) => ({ name: f.name, type: typeToString(f.type) }));
  }

  /** Relations with kinds and columns, models, functions and WITH option keys, for completion. */
  catalogSummary(): CatalogSummary {
    return catalogSummary(this.catalog);
  }

  completions(): string[] {
    return this.catalog.names();
  }

  /**
   * Registers a model from an ONNX file, or adds a version when the model exists. A new model
   * takes the signature its file declares (recorded as its CREATE MODEL).
   */
  async registerModelFile(name: string, path: string, by: string): Promise<unknown> {
    if (!this.models.has(name)) {
      await this.execute(await createModelSql(name, path, this.files));
      return this.models.get(name);
    }
    const v = await this.models.alter(name, { path }, by);
    // Replayed on open like an ALTER MODEL, so the uploaded version stays active after a restart.
    await rememberServing(this.session, name, v);
    return v;
  }

  /** A candidate, promotion or rollback from the HTTP API (ALTER MODEL does the same from SQL). */
  changeModel(name: string, change: ModelChange, origin: ChangeOrigin): Promise<ModelChangeResult> {
    return changeModel(this.session, name, change, origin);
  }

  /** Interactive scoring: POST /v1/models/:name/predict. */
  predictRows(name: string, rows: unknown, version?: number): Promise<ScoredRows> {
    return this.scoring.predict(name, rows, version);
  }

  /**
   * Waits until every persistent query has read all input available in the embedded log (or
   * `timeoutMs` passed), then checkpoints each, so its output is visible.
   */
  async checkpointAll(timeoutMs = 10_000): Promise<void> {
    const q = this.queryRegistry;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && q.persistentRunning().some((x) => (q.lagOf(x) ?? 0) > 0)) await new Promise((r) => setTimeout(r, 5));
    await Promise.all(q.persistentRunning().map((x) => x.checkpoint()));
  }

  /** Drops the expired chunks of log topics with a retention now. */
  async expireLogs(now = Date.now()): Promise<void> {
    if (this.store.isClosed) return;
    try {
      for (const [topic, n] of await this.log.expire(now)) this.engineMetrics.recordsExpired(topic, n);
    } catch {
      // The store closing under a running expiry; the next run retries.
    }
  }

  /** A query skipped records that retention had removed (counted per topic). */
  noteMissedRecords(topic: string, n: number): void {
    this.engineMetrics.recordsMissed(topic, n);
  }

  async close(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.guardTimer) clearInterval(this.guardTimer);
    await this.guardCheck;
    await this.queryRegistry.stopAll();
    await this.tableRegistry.closeAll();
    await this.scoring.close();
    await this.models.close();
    this.functions.close();
    await this.store.close();
  }

  /** Internal: new ids for persistent queries restored on replay keep their names. */
  static readonly version = SLUICE_VERSION;
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

