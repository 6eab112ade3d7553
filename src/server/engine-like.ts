/**
 * The part of the engine that the HTTP server, the shell's server and the CLI use. The real
 * `Engine` (src/engine/engine.ts) satisfies it structurally; tests pass small fakes.
 */
import type { Registry } from 'prom-client';
import type { CatalogSummary } from '../engine/catalog-summary.js';
import type { ExecuteOptions } from '../engine/engine-options.js';
import type { IngestOptions, IngestResult, IngestRow } from '../engine/ingest.js';
import type { QueryInfo, ResultColumn, StatementResult } from '../engine/types.js';
import type { ModelChange } from '../engine/statements/model-rollout.js';

export type { ExecuteOptions };

/** Options for `EngineLike.viewScan`. */
export interface ViewScanOptions {
  readonly limit?: number;
  /** Only rows whose key starts with this text. */
  readonly prefix?: string;
}

/** The model registry as the API sees it: entries are returned to clients as JSON. */
export interface ModelRegistryLike {
  list(): readonly unknown[];
  /** Each model with its serving version, candidate and the role of every version. */
  summaries(): readonly unknown[];
  /** Throws a SluiceError (UNKNOWN_MODEL) when no model has that name. */
  versions(name: string): readonly unknown[];
  /** Signature, active version, provider, versions and statistics; throws UNKNOWN_MODEL. */
  describe(name: string): unknown;
}

/**
 * A running engine.
 *
 * Invariants: `execute` parses and plans every statement before running any, so a syntax or
 * binding error changes nothing; it throws only SluiceError (with `.sql` set so `render()` can
 * draw the caret); a 'push' result streams until its `cancel()` is called or its input ends, and the
 * caller that received it owns that call.
 */
export interface EngineLike {
  execute(sql: string, opts?: ExecuteOptions): Promise<StatementResult[]>;
  queries(): QueryInfo[];
  query(id: string): QueryInfo | undefined;
  /** Stops a push query or a persistent query's runner; false when no query has that id. */
  cancelQuery(id: string): boolean;
  /**
   * Stops a view's or sink's query, keeping its state for a later start (status 'stopped'); a
   * push query is cancelled. Undefined when no query has that id.
   */
  stopQuery(id: string): Promise<QueryInfo | undefined>;
  /** Starts a stopped view or sink from its last checkpoint. Undefined when no query has that id. */
  startQuery(id: string): Promise<QueryInfo | undefined>;
  /**
   * Undefined when the view has no row with that key; throws UNKNOWN_RELATION for a missing view.
   * `key` is the encoded key (`keyOf` in src/exec/keys.ts), so NULL and the string '\u0000' differ.
   */
  viewRow(name: string, key: string): Promise<Record<string, unknown> | undefined>;
  viewScan(name: string, opts?: ViewScanOptions): Promise<Record<string, unknown>[]>;
  /**
   * Appends rows to a log stream in one write: rows that do not fit the schema are answered as
   * rejected and go to the stream's dead-letter stream. Throws UNKNOWN_RELATION, INVALID_ARGUMENT
   * (not a stream), UNSUPPORTED (not kept in the log) or BACKPRESSURE (`opts.maxLag` exceeded).
   */
  ingest(name: string, rows: readonly IngestRow[], opts?: IngestOptions): Promise<IngestResult>;
  /** The columns of a stream, table, view or sink, types as text; throws UNKNOWN_RELATION. */
  relationColumns(name: string): readonly ResultColumn[];
  /** A model's labels settings, recent quality windows and totals per version and role; throws UNKNOWN_MODEL. */
  modelQuality?(name: string): Promise<unknown>;
  readonly metrics: Registry;
  /** Relations with their kinds and columns, models, functions and WITH option keys (GET /v1/catalog). */
  catalogSummary(): CatalogSummary;
  /** Catalog names: streams, tables, views, sinks, models, functions. */
  completions(): string[];
  readonly models: ModelRegistryLike;
  /** Registers a model, or adds a version to an existing one, from an ONNX file on disk. */
  registerModelFile(name: string, path: string, by: string): Promise<unknown>;
  /**
   * Sets or drops a model's candidate, promotes it, or rolls back to a version (as ALTER MODEL
   * does, recorded the same way); throws UNKNOWN_MODEL, UNKNOWN_VERSION, NO_CANDIDATE, INVALID_ARGUMENT or MODEL_ERROR.
   */
  changeModel(name: string, change: ModelChange, origin: { readonly by?: string; readonly reason?: string }): Promise<unknown>;
  /** Scores JSON rows with a model (serving, or `version`); per-row errors in the answer. */
  predictRows(name: string, rows: unknown, version?: number): Promise<unknown>;
  close(): Promise<void>;
}
