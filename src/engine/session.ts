/**
 * What a statement handler works with: the catalog, the storage, the registries of queries,
 * tables, models and functions, and the metrics. The engine owns one session; handlers in
 * statements/ receive it instead of the engine itself.
 */
import type { ExecEnv } from '../exec/pipeline.js';
import type { Catalog } from '../planner/catalog.js';
import type { CheckpointStore, EmbeddedLog, StateCache, Store } from '../state/index.js';
import type { FunctionRegistry } from '../udf/js-function.js';
import type { ModelRegistry } from '../udf/model-registry.js';
import type { CatalogRecord } from './catalog-record.js';
import type { ResolvedEngineOptions } from './engine-options.js';
import type { EngineMetrics } from './metrics.js';
import type { QueryRegistry } from './query-registry.js';
import type { TableRegistry } from './relation-storage.js';

/** The embedded storage: the RocksDB store, the log on it, query checkpoints and the state cache. */
export interface Storage {
  readonly store: Store;
  readonly log: EmbeddedLog;
  readonly checkpoints: CheckpointStore;
  /** The one bounded cache of keyed state shared by every query and table of the engine. */
  readonly stateCache: StateCache;
}

export interface Session {
  readonly catalog: Catalog;
  /** The durable record of DDL statements, replayed on open. */
  readonly record: CatalogRecord;
  readonly storage: Storage;
  readonly queries: QueryRegistry;
  readonly tables: TableRegistry;
  readonly models: ModelRegistry;
  readonly functions: FunctionRegistry;
  readonly metrics: EngineMetrics;
  /** How queries reach sources, tables, models and functions. */
  readonly env: ExecEnv;
  readonly options: ResolvedEngineOptions;
}
