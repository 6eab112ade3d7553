/**
 * Keeping the changelog contract (src/exec/message.ts) when an operator drops some rows of a
 * batch: a -U/+U pair whose halves are not both kept is rewritten, so that downstream never
 * sees a lone half.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../common/types.js';
import { batchOfData, buildDataChecked, takeRows, type Values } from './columns.js';
import { RowKind, rowJson, type OperatorContext } from './message.js';

/** The rows an operator passes on, in input order, with their change kinds (absent: all inserts). */
export interface KeptRows {
  readonly indexes: Uint32Array;
  readonly count: number;
  readonly rowKinds?: Uint8Array;
  /** Every row kept with its own kind: the caller may pass the batch on as it is. */
  readonly all: boolean;
}

/**
 * Selects the rows of a batch of `n` rows for which `keep(i)` is true (asked once per row) and
 * rewrites the change kinds so pairs stay whole:
 * - -U kept, +U kept: the pair;  -U kept, +U dropped: -D of the old row;
 *   -U dropped, +U kept: +I of the new row;  both dropped: nothing.
 * - A -U not followed by its +U (or a +U not preceded by its -U) cannot be half of a pair; it
 *   passes as -D (+I), which a consumer applies the same way.
 */
export function keepRows(n: number, rowKinds: Uint8Array | undefined, keep: (row: number) => boolean): KeptRows {
  const indexes = new Uint32Array(n);
  const kinds = rowKinds ? new Uint8Array(n) : undefined;
  let count = 0;
  let all = true;
  const push = (row: number, kind: number) => {
    indexes[count] = row;
    if (kinds) kinds[count] = kind;
    if (row !== count || (rowKinds && rowKinds[row] !== kind)) all = false;
    count++;
  };
  for (let i = 0; i < n; i++) {
    const kind = rowKinds ? rowKinds[i]! : RowKind.INSERT;
    if (kind === RowKind.UPDATE_BEFORE && rowKinds && i + 1 < n && rowKinds[i + 1] === RowKind.UPDATE_AFTER) {
      const before = keep(i);
      const after = keep(i + 1);
      if (before && after) {
        push(i, RowKind.UPDATE_BEFORE);
        push(i + 1, RowKind.UPDATE_AFTER);
      } else if (before) {
        push(i, RowKind.DELETE);
      } else if (after) {
        push(i + 1, RowKind.INSERT);
      }
      if (!(before && after)) all = false;
      i++;
      continue;
    }
    if (!keep(i)) {
      all = false;
      continue;
    }
    push(i, kind === RowKind.UPDATE_BEFORE ? RowKind.DELETE : kind === RowKind.UPDATE_AFTER ? RowKind.INSERT : kind);
  }
  if (count !== n) all = false;
  return { indexes, count, ...(kinds ? { rowKinds: kinds.subarray(0, count) } : {}), all };
}

/** A batch built from plain columns, without the rows whose values a column could not hold. */
export interface BuiltRows {
  readonly batch: RecordBatch;
  readonly rowKinds?: Uint8Array;
  /** Input row -> reason, for each row left out. */
  readonly bad: ReadonlyMap<number, string>;
}

/**
 * Builds a batch of `n` rows from plain column values. A row that a column cannot hold (an
 * exception deep in Arrow or BigInt conversion) is left out and reported in `bad`, with pairs
 * rewritten as in keepRows; the caller dead-letters it and the query goes on.
 */
export function buildRows(fields: readonly Field[], columns: readonly Values[], n: number, rowKinds?: Uint8Array): BuiltRows {
  const bad = new Map<number, string>();
  const children = fields.map((f, c) => {
    const built = buildDataChecked(f.type, columns[c]!, n);
    for (const [row, reason] of built.bad) if (!bad.has(row)) bad.set(row, `column ${f.name}: ${reason}`);
    return built.data;
  });
  const batch = batchOfData(fields, children, n);
  if (bad.size === 0) return { batch, ...(rowKinds ? { rowKinds } : {}), bad };
  return { ...dropRows(batch, fields, rowKinds, bad), bad };
}

/** `batch` without the rows in `drop`, pairs rewritten as in keepRows (possibly no rows). */
export function dropRows(batch: RecordBatch, fields: readonly Field[], rowKinds: Uint8Array | undefined, drop: { has(row: number): boolean }): { batch: RecordBatch; rowKinds?: Uint8Array } {
  const kept = keepRows(batch.numRows, rowKinds, (i) => !drop.has(i));
  if (kept.all) return { batch, ...(rowKinds ? { rowKinds } : {}) };
  return { batch: takeRows(batch, fields, kept.indexes, kept.count), ...(kept.rowKinds ? { rowKinds: kept.rowKinds } : {}) };
}

/**
 * Builds a batch from plain columns (buildRows), sends each row a column could not hold to the
 * dead-letter stream as the output row it would have been, and emits the rest.
 */
export async function emitRows(ctx: OperatorContext, operator: string, what: string, fields: readonly Field[], columns: readonly Values[], n: number, rowKinds?: Uint8Array): Promise<void> {
  const built = buildRows(fields, columns, n, rowKinds);
  for (const [row, reason] of built.bad) {
    ctx.deadLetter({ reason: `${what}: ${reason}`, operator, row: rowJson(fields, fields.map((_, c) => columns[c]![row])) });
  }
  if (built.batch.numRows > 0) await ctx.emit({ kind: 'data', batch: built.batch, ...(built.rowKinds ? { rowKinds: built.rowKinds } : {}) });
}
