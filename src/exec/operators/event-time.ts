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

/** The time column of a batch as numbers (null for NULL). */
export function timeColumn(batch: RecordBatch, fields: readonly Field[], column: number): ArrayLike<unknown> {
  return readColumn(batch, column, fields[column]!.type);
}

/**
 * Rows expanded into (row, window start) pairs: a row appears once per window it falls in, its
 * windows in ascending start order. `identity` is true only when `rowIdx` is exactly 0..n-1; a
 * caller may then read the input columns without gathering. The count of assignments equalling
 * the row count is not enough: under HOP one row can take two windows while a late row takes
 * none.
 */
export interface WindowAssignment {
  readonly rowIdx: Uint32Array;
  readonly starts: Float64Array;
  readonly identity: boolean;
}

/** The window_start and window_end columns of the windows starting at `starts`. */
export function windowColumns(starts: ArrayLike<number>, sizeMs: number): [Float64Array, Float64Array] {
  const start = Float64Array.from(starts);
  const end = new Float64Array(starts.length);
  for (let j = 0; j < starts.length; j++) end[j] = starts[j]! + sizeMs;
  return [start, end];
}

/**
 * Assigns TUMBLE/HOP windows to each row's time. TUMBLE windows are epoch-aligned
 * ([floor(t / size) * size, + size)); HOP windows of length `size` start at multiples of
 * `slide`. Rows whose time is NULL go to `onNullTime`; with `watermark`, windows that end at or
 * before it are skipped, and a row left with none goes to `onAllClosed`.
 */
export function assignWindows(
  w: WindowSpec,
  times: ArrayLike<unknown>,
  n: number,
  on: { onNullTime(row: number): void; watermark?: number; onAllClosed?(row: number, t: number): void },
): WindowAssignment {
  const size = w.sizeMs;
  const slide = w.fn === 'TUMBLE' ? size : w.slideMs;
  // No window ends at or before this start plus size (all are open without a watermark).
  const wm = on.watermark ?? -Infinity;
  const most = n * Math.max(1, Math.ceil(size / slide));
  const rowIdx = new Uint32Array(most);
  const starts = new Float64Array(most);
  let m = 0;
  let identity = true;
  for (let i = 0; i < n; i++) {
    const t = times[i];
    if (typeof t !== 'number') {
      on.onNullTime(i);
      identity = false;
      continue;
    }
    const last = Math.floor(t / slide) * slide;
    let count = 0;
    while (last - count * slide > t - size) count++;
    const from = m;
    for (let q = count - 1; q >= 0; q--) {
      const s = last - q * slide;
      if (s + size <= wm) continue;
      rowIdx[m] = i;
      starts[m++] = s;
    }
    if (m === from) on.onAllClosed?.(i, t);
    if (m !== from + 1 || m !== i + 1) identity = false;
  }
  return { rowIdx: rowIdx.subarray(0, m), starts: starts.subarray(0, m), identity: identity && m === n };
}
