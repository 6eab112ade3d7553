/**
 * The Connector interface: what a connector declares (its options per kind of relation, with
 * types, defaults and docs) and what it provides (sources for streams, sinks, table loaders).
 * Connectors live in the registry (registry.ts), the one place that knows their names.
 */
import type { Span } from '../common/span.js';
import type { Field } from '../common/types.js';
import type { EpochSink } from '../exec/epoch-sink.js';
import type { Source } from '../exec/source.js';
import type { TableDef } from '../planner/catalog.js';
import type { RowConstraints } from '../planner/constraints.js';
import type { PhysicalPlan, SourceExec } from '../planner/physical.js';
import type { CheckpointStore, EmbeddedLog, Store, TableRows } from '../state/index.js';
import type { OptionDecl, OptionMap } from './connector-options.js';

/** The kinds of relation a connector can back. */
export type ConnectorRelation = 'stream' | 'table' | 'sink';

/** What connectors reach of the engine's storage when a query runs. */
export interface ConnectorEnv {
  readonly log: EmbeddedLog;
  /** Records that `records` of `topic` were skipped because retention removed them. */
  noteMissedRecords(topic: string, records: number): void;
}

export interface SinkArgs {
  readonly queryId: string;
  readonly name: string;
  readonly options: OptionMap;
  readonly fields: readonly Field[];
  readonly plan: PhysicalPlan;
  /** Key columns when the sink names none (the query's key for updating results). */
  readonly defaultKey: readonly number[];
  readonly store: Store;
  readonly checkpoints: CheckpointStore;
  readonly log: EmbeddedLog;
}

export interface TableArgs {
  readonly def: TableDef;
  /** The table's rows by key (RocksDB through the state cache); the loader changes them with `rows.apply`. */
  readonly rows: TableRows;
  /** The table's CHECKs and DEFAULTs, which the loader applies to the rows it reads, when it declares any. */
  readonly constraints?: RowConstraints;
}

/** Keeps a table current from outside (a Kafka topic); stopped when the table is dropped. */
export interface TableLoader {
  stop(): Promise<void>;
  /** Records skipped since the start: values that do not decode into the table's columns, or break a CHECK. */
  readonly rejected?: number;
}

/** Facts about the relation a cross-option check may need. */
export interface CheckContext {
  /** "stream tx", "sink alerts": how errors name the relation. */
  readonly what: string;
  readonly hasWatermark: boolean;
  /** The relation's declared columns, with where each is written (a new CREATE STREAM; absent when a data folder's statements are replayed). */
  readonly columns?: readonly { readonly field: Field; readonly span: Span }[];
}

export interface Connector {
  /** The name written as `connector = '<name>'`. */
  readonly name: string;
  /** One paragraph for docs/connectors.md. */
  readonly doc: string;
  /** The options each kind of relation it backs takes; a kind absent here is not supported. */
  readonly options: { readonly [K in ConnectorRelation]?: readonly OptionDecl[] };
  /**
   * Checks that involve several options or the relation itself (run at CREATE after every
   * option was checked on its own). Throws INVALID_ARGUMENT.
   */
  check?(kind: ConnectorRelation, options: OptionMap, ctx: CheckContext): void;
  /** Reads a stream of this connector in a continuous query. */
  source?(plan: SourceExec, env: ConnectorEnv): Source;
  /** Writes a sink's output, exactly once with the query's checkpoints. */
  sink?(args: SinkArgs): EpochSink;
  /** Starts keeping a table current; undefined when INSERT alone fills it. */
  table?(args: TableArgs): Promise<TableLoader | undefined>;
  /** Creates what a new stream or sink keeps in the engine's storage (the embedded log's topic). */
  provision?(kind: ConnectorRelation, name: string, options: OptionMap, log: EmbeddedLog): Promise<void>;
  /** Removes what `provision` created, when the stream is dropped. */
  release?(kind: ConnectorRelation, name: string, options: OptionMap, log: EmbeddedLog): Promise<void>;
}
