/** Event-time helpers shared by the window and join operators: window bounds and late-row reasons. */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { WindowSpec } from '../../planner/physical.js';
import { readColumn } from '../columns.js';

/** `2024-01-01 00:00:05.000` for an epoch-ms time (UTC); the number itself when out of range. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) return String(ms);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export function lateReason(time: number, watermark: number): string {
  return `late row: event time ${formatTime(time)} is behind the watermark ${formatTime(watermark)}`;
}

export function nullTimeReason(field: Field): string {
  return `event time ${field.name} is NULL`;
}

/**
 * Starts of the TUMBLE/HOP windows containing `t`, ascending. TUMBLE windows are epoch-aligned
 * ([floor(t / size) * size, + size)); HOP windows of length `size` start at multiples of `slide`.
 */
export function windowStarts(w: WindowSpec, t: number, out: number[]): number[] {
  out.length = 0;
  if (w.fn === 'TUMBLE') {
    out.push(Math.floor(t / w.sizeMs) * w.sizeMs);
    return out;
  }
  const last = Math.floor(t / w.slideMs) * w.slideMs;
  for (let s = last; s > t - w.sizeMs; s -= w.slideMs) out.push(s);
  return out.reverse();
}

/** The time column of a batch as numbers (null for NULL). */
export function timeColumn(batch: RecordBatch, fields: readonly Field[], column: number): ArrayLike<unknown> {
  return readColumn(batch, column, fields[column]!.type);
}

/**
 * Rows expanded into (row, window start) pairs: a row appears once per window it falls in.
 * `identity` is true only when `rowIdx` is exactly 0..n-1; a caller may then read the input
 * columns without gathering. The count of assignments equalling the row count is not enough:
 * under HOP one row can take two windows while a late row takes none.
 */
export interface WindowAssignment {
  readonly rowIdx: number[];
  readonly starts: number[];
  readonly identity: boolean;
}

/** The window_start and window_end columns of the windows starting at `starts`. */
export function windowColumns(starts: readonly number[], sizeMs: number): [Float64Array, Float64Array] {
  const start = new Float64Array(starts.length);
  const end = new Float64Array(starts.length);
  for (let j = 0; j < starts.length; j++) {
    start[j] = starts[j]!;
    end[j] = starts[j]! + sizeMs;
  }
  return [start, end];
}

/**
 * Assigns TUMBLE/HOP windows to each row's time. Rows whose time is NULL go to `onNullTime`;
 * windows failing `isOpen` are skipped, and a row left with none goes to `onAllClosed`.
 */
export function assignWindows(
  w: WindowSpec,
  times: ArrayLike<unknown>,
  n: number,
  on: { onNullTime(row: number): void; isOpen?(start: number): boolean; onAllClosed?(row: number, t: number): void },
): WindowAssignment {
  const rowIdx: number[] = [];
  const starts: number[] = [];
  const buf: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = times[i];
    if (typeof t !== 'number') {
      on.onNullTime(i);
      continue;
    }
    let open = 0;
    for (const s of windowStarts(w, t, buf)) {
      if (on.isOpen && !on.isOpen(s)) continue;
      rowIdx.push(i);
      starts.push(s);
      open++;
    }
    if (open === 0) on.onAllClosed?.(i, t);
  }
  return { rowIdx, starts, identity: rowIdx.length === n && rowIdx.every((r, j) => r === j) };
}
