/**
 * Window functions (`fn(...) OVER (PARTITION BY ... ORDER BY ...)`) over a finished result: the
 * rows of a pull query or a bounded push query, once every change is folded in. Each window's
 * arguments, partition and order keys are columns of the rows (the planner adds them as hidden
 * columns, see plan-select.ts); its value goes into its own column.
 *
 * Semantics as DuckDB and the SQL standard with the default frame: without ORDER BY the frame is
 * the whole partition; with ORDER BY it runs from the partition's first row to the current row's
 * last peer (rows equal on every ORDER BY key), so running sums and LAST_VALUE include peers.
 * Rows of a partition without ORDER BY keep the order they came in.
 */
import { compareValues } from '../exec/sql-values.js';
import type { OrderKey } from '../planner/order-by.js';
import type { WindowSpec } from '../planner/window-spec.js';

/** Fills each window's column in `rows` (changed in place). */
export function computeWindows(rows: unknown[][], windows: readonly WindowSpec[]): void {
  for (const w of windows) {
    for (const part of partitions(rows, w.partitionBy)) {
      if (w.orderBy.length) stableSort(part, rows, w.orderBy);
      fillPartition(part.map((i) => rows[i]!), w);
    }
  }
}

/** Row indexes grouped by their partition key, each group in row order. */
function partitions(rows: readonly unknown[][], keys: readonly number[]): number[][] {
  if (keys.length === 0) return [rows.map((_, i) => i)];
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const key = JSON.stringify(keys.map((k) => row[k] ?? null), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.values()];
}

/** Compares two rows by ORDER BY keys in SQL value order: NULLs last in either direction unless NULLS FIRST (as DuckDB). */
export function compareRows(a: readonly unknown[], b: readonly unknown[], keys: readonly OrderKey[]): number {
  for (const { index, desc, nullsFirst } of keys) {
    const x = a[index] ?? null;
    const y = b[index] ?? null;
    if (x === null || y === null) {
      if (x !== y) return (x === null) === nullsFirst ? -1 : 1;
      continue;
    }
    const c = compareValues(x, y);
    if (c !== 0) return desc ? -c : c;
  }
  return 0;
}

function stableSort(part: number[], rows: readonly unknown[][], keys: readonly OrderKey[]): void {
  part.sort((i, j) => compareRows(rows[i]!, rows[j]!, keys) || i - j);
}

function fillPartition(part: unknown[][], w: WindowSpec): void {
  const n = part.length;
  const bigint = w.type.kind === 'BIGINT';
  const out = (row: unknown[], v: unknown) => {
    row[w.output] = bigint && typeof v === 'number' ? BigInt(v) : v;
  };
  // Peer groups: [start, end) of the rows equal to each row on the ORDER BY keys.
  const peerEnd = new Array<number>(n);
  const peerStart = new Array<number>(n);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && w.orderBy.length > 0 && compareRows(part[i]!, part[j]!, w.orderBy) === 0) j++;
    if (w.orderBy.length === 0) j = n;
    for (let k = i; k < j; k++) {
      peerStart[k] = i;
      peerEnd[k] = j;
    }
    i = j;
  }
  const arg = (row: readonly unknown[]) => row[w.args[0]!] ?? null;
  switch (w.fn) {
    case 'row_number':
      part.forEach((row, i) => out(row, i + 1));
      return;
    case 'rank':
      part.forEach((row, i) => out(row, peerStart[i]! + 1));
      return;
    case 'dense_rank': {
      let rank = 0;
      part.forEach((row, i) => {
        if (peerStart[i] === i) rank++;
        out(row, rank);
      });
      return;
    }
    case 'percent_rank':
      part.forEach((row, i) => out(row, n > 1 ? peerStart[i]! / (n - 1) : 0));
      return;
    case 'cume_dist':
      part.forEach((row, i) => out(row, peerEnd[i]! / n));
      return;
    case 'ntile': {
      // As the standard: the first n % buckets buckets hold one row more.
      const buckets = w.offset!;
      const size = Math.floor(n / buckets);
      const bigger = n % buckets;
      part.forEach((row, i) => {
        const cut = bigger * (size + 1);
        out(row, i < cut ? Math.floor(i / (size + 1)) + 1 : size === 0 ? i + 1 : bigger + Math.floor((i - cut) / size) + 1);
      });
      return;
    }
    case 'lag':
    case 'lead': {
      const step = (w.fn === 'lag' ? -1 : 1) * (w.offset ?? 1);
      const values = part.map(arg);
      part.forEach((row, i) => {
        const at = i + step;
        out(row, at >= 0 && at < n ? values[at] : (w.fallback ?? null));
      });
      return;
    }
    case 'first_value': {
      const first = n > 0 ? arg(part[0]!) : null;
      part.forEach((row) => out(row, first));
      return;
    }
    case 'last_value': {
      const values = part.map(arg);
      part.forEach((row, i) => out(row, values[peerEnd[i]! - 1]));
      return;
    }
    default:
      runningAggregate(part, w, peerEnd, out);
  }
}

/** COUNT, SUM, AVG, MIN, MAX over each row's frame: up to its last peer (the whole partition without ORDER BY). */
function runningAggregate(part: unknown[][], w: WindowSpec, peerEnd: readonly number[], out: (row: unknown[], v: unknown) => void): void {
  const star = w.args.length === 0;
  let count = 0;
  let sum: number | bigint | null = null;
  let best: unknown = null;
  let done = 0;
  const values = part.map((row) => (star ? 1 : (row[w.args[0]!] ?? null)));
  const results = new Array<unknown>(part.length);
  for (let i = 0; i < part.length; i++) {
    for (; done < peerEnd[i]!; done++) {
      const v = values[done];
      if (v === null) continue;
      count++;
      if (w.fn === 'sum' || w.fn === 'avg') {
        if (typeof v === 'bigint' || typeof sum === 'bigint') sum = BigInt(sum ?? 0) + BigInt(v as number);
        else sum = (sum ?? 0) + (v as number);
      } else if (w.fn === 'min' || w.fn === 'max') {
        const c = best === null ? 0 : compareValues(v, best);
        if (best === null || (w.fn === 'min' ? c < 0 : c > 0)) best = v;
      }
    }
    results[i] =
      w.fn === 'count' ? count
      : w.fn === 'sum' ? sum
      : w.fn === 'avg' ? (count === 0 ? null : Number(sum) / count)
      : best;
  }
  part.forEach((row, i) => out(row, results[i]));
}
