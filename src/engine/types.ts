/** The engine's public surface, used by the HTTP server, the shell and the CLI. */
import type { ErrorCode } from '../common/errors.js';
import type { RecordBatch } from 'apache-arrow';

/** One batch of a push query's output as Arrow: the rows and, for an updating result, each row's change kind. */
export interface PushBatch {
  readonly batch: RecordBatch;
  /** RowKind per row (0 = +I, 1 = -U, 2 = +U, 3 = -D); undefined when every row is an insert. */
  readonly rowKinds: Uint8Array | undefined;
}

export interface ResultColumn {
  readonly name: string;
  /** SQL type as text, e.g. 'DOUBLE', 'ARRAY<FLOAT>(30)'. */
  readonly type: string;
}

/** One row of a push query's output; `op` is +I insert, -U/+U update before/after, -D delete. */
export interface PushRow {
  readonly op: '+I' | '-U' | '+U' | '-D';
  readonly values: readonly unknown[];
}

/**
 * A statement of a request once planned, before it runs: its text and how it answers. A push
 * query streams until cancelled; a pull query (a SELECT on a view or table) answers now.
 */
export interface PlannedStatement {
  readonly text: string;
  readonly mode: 'push' | 'pull' | 'statement';
}

/** A row a pull query could not answer for: it went nowhere else, so the answer says so. */
export interface RowError {
  /** Why, e.g. `SELECT x := n / 0: division by zero`. */
  readonly reason: string;
  /** The operator that failed on it, e.g. `ProjectExec`. */
  readonly operator: string;
  /** The row as JSON text, as that operator saw it. */
  readonly row: string;
}

export type StatementResult =
  | { readonly kind: 'ok'; readonly statement: string; readonly message: string }
  | {
      readonly kind: 'rows';
      readonly statement: string;
      readonly columns: readonly ResultColumn[];
      readonly rows: readonly (readonly unknown[])[];
      /** Pull queries only: the rows that failed (never dropped silently); empty when none did. */
      readonly errors?: readonly RowError[];
    }
  | { readonly kind: 'explain'; readonly statement: string; readonly text: string }
  | {
      readonly kind: 'push';
      readonly statement: string;
      readonly queryId: string;
      readonly columns: readonly ResultColumn[];
      readonly updating: boolean;
      /** Batches of rows as they are produced; ends when the query is cancelled or its input ends. */
      readonly rows: AsyncIterable<readonly PushRow[]>;
      /**
       * The same output as Arrow record batches, with each row's change kind for an updating
       * result (no per-row conversion). Read either this or `rows`, not both.
       */
      readonly batches: AsyncIterable<PushBatch>;
      cancel(): void;
      /** Whether the query was cancelled by its id (`Engine.cancelQuery`, DELETE /v1/queries/:id) rather than by this caller or the end of its input. */
      cancelledElsewhere?(): boolean;
    };

export interface QueryInfo {
  readonly id: string;
  readonly kind: 'push' | 'view' | 'sink';
  readonly name?: string;
  readonly sql: string;
  /**
   * 'not_started': recorded in the data folder but not run (the engine was opened with
   * startQueries off); 'stopped': a view or sink stopped by POST /v1/queries/:id/stop (or DELETE),
   * kept with its state until started again or dropped.
   */
  readonly status: 'running' | 'failed' | 'finished' | 'not_started' | 'stopped';
  readonly error?: { readonly code: ErrorCode; readonly message: string };
  readonly startedAt: number;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly deadLetters: number;
  /** Records per second in and out over the last few seconds. */
  readonly rateIn: number;
  readonly rateOut: number;
  /** Records available in the source but not yet read (embedded log), or undefined. */
  readonly lag?: number;
  readonly lastCheckpointEpoch?: number;
  /**
   * Keyed state on disk (approximate bytes of flushed RocksDB files, measured after a
   * checkpoint at most every few seconds), in all and per stateful operator (by state id).
   */
  readonly state?: { readonly diskBytes: number; readonly operators: readonly { readonly operator: string; readonly bytes: number }[] };
}
