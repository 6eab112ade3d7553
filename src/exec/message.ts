/**
 * What flows between operators: data batches (with a change kind per row for updating
 * results), watermarks, checkpoint barriers, and the end of a finite input — on one path, in order.
 */
import type { RecordBatch } from 'apache-arrow';
import { stringifyExactJson } from '../common/exact-json.js';
import type { Field } from '../common/types.js';
import { readColumn } from './columns.js';
import type { StateRow, StateTable } from '../state/index.js';

/**
 * The changelog contract (user-facing summary: docs/changelog.md).
 *
 * A data batch without `rowKinds` holds inserts only. With `rowKinds`, row i of the batch is a
 * change of kind `rowKinds[i]`:
 * - `+I` (INSERT): the row now exists.
 * - `-D` (DELETE): the row, exactly as it was emitted before, no longer exists.
 * - `-U` (UPDATE_BEFORE) then `+U` (UPDATE_AFTER): the row carried by -U is replaced by the row
 *   carried by +U. The two halves travel as a pair: adjacent, -U first, in the same batch. Of
 *   an upsert stream (src/planner/stream-kind.ts) both halves have the same key. Applying a pair
 *   is the same as -D of the old row then +I of the new one, so a consumer may treat a lone half
 *   that way.
 *
 * What operators do with a pair:
 * - Filter (WHERE, HAVING) evaluates both halves: kept/kept passes the pair; kept/dropped becomes
 *   -D of the old row; dropped/kept becomes +I of the new row; dropped/dropped emits nothing
 *   (src/exec/changes.ts keepRows). Every operator that drops rows (a failing row, an INNER
 *   lookup join without a match) rewrites pairs the same way.
 * - Project, lookup join and predict() keep the pair intact (one output row per input row, same
 *   kind). predict() retracts exactly the output it emitted for the row, not a new score.
 * - Window assignment sends the halves as -D and +I, since the old and new rows can fall into
 *   different windows.
 * - GROUP BY subtracts -U/-D rows from their group and adds +I/+U rows, and emits its own pairs.
 * - Views, upsert sinks and the HTTP and shell output apply the changes: -U/-D remove the row
 *   (by key where there is one), +I/+U write it.
 */

/** Change kind of a row: insert, the old row of an update, the new row of an update, delete. */
export const RowKind = { INSERT: 0, UPDATE_BEFORE: 1, UPDATE_AFTER: 2, DELETE: 3 } as const;
export type RowKind = (typeof RowKind)[keyof typeof RowKind];
export const ROW_KIND_NAMES = ['+I', '-U', '+U', '-D'] as const;

export type Message =
  | {
      readonly kind: 'data';
      readonly batch: RecordBatch;
      readonly rowKinds?: Uint8Array;
      /** Set by an exchange (operators/exchange.ts): the key partition the rows are bound for. */
      readonly partition?: number;
      /**
       * A hint from a source: it already holds further input and sends another data message
       * right after this one. A stateful operator may hold its output back across such batches
       * (a mini-batch) until a message without the hint, or any control message, arrives. An
       * operator that emits messages of its own does not pass the hint on; absent, nothing is
       * known, and nothing may wait for more input.
       */
      readonly more?: boolean;
    }
  | { readonly kind: 'watermark'; readonly time: number }
  | { readonly kind: 'barrier'; readonly epoch: number }
  | { readonly kind: 'end' };

/** A row that could not be processed, bound for the query's dead-letter stream. */
export interface DeadLetter {
  readonly reason: string;
  readonly operator: string;
  /** The row as JSON text (or the raw record text when it failed to decode). */
  readonly row: string;
  /** Where it came from, e.g. `tx/2@117` (topic/partition@offset), when known. */
  readonly source?: string;
}

/** Durable keyed state of one operator: named tables, flushed into each checkpoint's write batch. */
export interface OperatorState {
  /** The operator's table `name` (created on first use; the same object on every call). */
  table(name: string): StateTable<StateRow>;
}

/** Rows an operator writes to a stream of their own beside the query's output (a prediction log). */
export interface SideOutput {
  /** Embedded-log topic. */
  readonly topic: string;
  readonly batch: RecordBatch;
}

export interface OperatorContext {
  readonly state: OperatorState;
  /** Passes a message downstream; resolves when downstream has taken it (back-pressure). */
  emit(msg: Message): Promise<void>;
  deadLetter(letter: DeadLetter): void;
  /**
   * Writes rows to another stream in the same atomic checkpoint as the output emitted before
   * the next barrier (at once for a query without checkpoints). Absent where nothing takes them.
   */
  readonly sideOutput?: (out: SideOutput) => void;
  /** The running query's id, for rows that name it. */
  readonly queryId?: string;
  readonly signal: AbortSignal;
  /** Every input ends (a pull query, a bounded push query): an operator may wait for an input's end. */
  readonly bounded?: boolean;
}

/**
 * An operator: small and immutable in its plan; mutable state lives in objects it creates in
 * open(). `process` handles one message from input `port` (0 for single-input operators).
 * Operators extend StreamOperator (operator-driver.ts), which forwards the watermarks, barriers
 * and `end` an operator does not consume and aligns barriers across inputs.
 */
export interface Operator {
  readonly name: string;
  readonly fields: readonly Field[];
  open(ctx: OperatorContext): Promise<void>;
  process(msg: Message, port: number): Promise<void>;
  close(): Promise<void>;
}

/** Row `row` of `batch` as JSON text, for dead letters. */
export function rowText(batch: RecordBatch, fields: readonly Field[], row: number): string {
  return rowJson(fields, fields.map((f, c) => readColumn(batch, c, f.type)[row]));
}

/** Row as JSON text for dead letters; typed arrays become arrays, BIGINT exact digits. */
export function rowJson(fields: readonly Field[], values: readonly unknown[]): string {
  const o: Record<string, unknown> = {};
  fields.forEach((f, i) => {
    const v = values[i];
    o[f.name] = ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v;
  });
  return stringifyExactJson(o);
}
