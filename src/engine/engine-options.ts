/** How an engine is opened and how one `execute` call runs. */
import { join, resolve } from 'node:path';
import { DEFAULT_MAX_FILE_BYTES } from '../udf/allowed-files.js';
import { DEFAULT_MAX_FUNCTIONS } from '../udf/js-function.js';
import { DEFAULT_SANDBOX_LIMITS } from '../udf/js-sandbox.js';
import type { PlanLimits } from '../planner/limits.js';
import { DEFAULT_STATE_CACHE_BYTES } from '../state/index.js';
import type { KafkaAllowList } from './kafka-allow.js';
import type { StartFrom } from './start-position.js';
import type { PlannedStatement, StatementResult } from './types.js';

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

/** `opts` with every default filled in and every path absolute. */
export function resolveEngineOptions(opts: EngineOptions): ResolvedEngineOptions {
  const baseDir = resolve(opts.baseDir ?? process.cwd());
  return {
    dataDir: resolve(opts.dataDir),
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
  };
}

/** The folders files named in SQL may come from: the data folder, `<baseDir>/models` and the allowed paths. */
export function allowedRoots(options: ResolvedEngineOptions): string[] {
  return [options.dataDir, join(options.baseDir, 'models'), ...options.allowedPaths];
}

/**
 * Options of one `Engine.execute` call (the HTTP server, the shell's server and the CLI pass
 * the same type; see src/server/engine-like.ts).
 */
export interface ExecuteOptions {
  /**
   * Aborting it cancels the call: a statement not yet started does not run, one running stops
   * at its next step with CANCELLED (a view or sink being started is undone), and push queries
   * the call started are cancelled. Statements that finished stay done.
   */
  readonly signal?: AbortSignal;
  /** Push queries read their inputs as they are now and then end, instead of running on. */
  readonly bounded?: boolean;
  /** Where push queries start reading their streams (default 'latest', new rows only); bounded runs read from the earliest. */
  readonly from?: StartFrom;
  /** Most statements one call may hold; more is refused (LIMIT_EXCEEDED) before anything runs. */
  readonly maxStatements?: number;
  /** Sees the text of every statement once all have been parsed, before any is planned; throwing refuses the call with that error. */
  readonly parsed?: (statements: readonly string[]) => void;
  /**
   * Sees every statement once all have been parsed and planned, before any runs; throwing
   * refuses the call with that error, and nothing has changed.
   */
  readonly accept?: (statements: readonly PlannedStatement[]) => void;
  /** Receives each statement's result as soon as it has run, so a caller knows what ran before a failure. */
  readonly onResult?: (result: StatementResult) => void;
}
