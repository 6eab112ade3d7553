/**
 * The part of the engine that the HTTP server, the shell's server and the CLI use. The real
 * `Engine` (src/engine/engine.ts) satisfies it structurally; tests pass small fakes.
 */
import type { Registry } from 'prom-client';
import type { ExecuteOptions } from '../engine/engine-options.js';
import type { QueryInfo, StatementResult } from '../engine/types.js';

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
   * Undefined when the view has no row with that key; throws UNKNOWN_RELATION for a missing view.
   * `key` is the encoded key (`keyOf` in src/exec/keys.ts), so NULL and the string '\u0000' differ.
   */
  viewRow(name: string, key: string): Promise<Record<string, unknown> | undefined>;
  viewScan(name: string, opts?: ViewScanOptions): Promise<Record<string, unknown>[]>;
  readonly metrics: Registry;
  /** Catalog names: streams, tables, views, sinks, models, functions. */
  completions(): string[];
  readonly models: ModelRegistryLike;
  /** Registers a model, or adds a version to an existing one, from an ONNX file on disk. */
  registerModelFile(name: string, path: string, by: string): Promise<unknown>;
  close(): Promise<void>;
}
