/**
 * Window functions (`fn(...) OVER (PARTITION BY ... ORDER BY ...)`) over a finished result: the
 * rows of a pull query or a bounded push query, once every change is folded in. Each window's
 * arguments, partition and order keys are columns of the rows (the planner adds them as hidden
 * columns, see plan-select.ts); its value goes into its own column.
 *
 * Semantics as DuckDB and the SQL standard. The default frame: without ORDER BY the whole
 * partition; with ORDER BY from the partition's first row to the current row's last peer (rows
 * equal on every ORDER BY key), so running sums and LAST_VALUE include peers. A frame clause
 * (ROWS, RANGE, GROUPS) sets it for the aggregates and FIRST_VALUE, LAST_VALUE, NTH_VALUE.
 * Rows of a partition without ORDER BY keep the order they came in.
 */
import { hashable, hashableValue } from '../common/keys.js';
import { T } from '../common/types.js';
import { caster } from './casts.js';
import { accumulatorFactory } from './operators/accumulators.js';
import { compareValues } from './sql-values.js';
import type { OrderKey } from '../planner/order-by.js';
import type { WindowFn, WindowSpec } from '../planner/window-spec.js';

/**
 * Fills each window's column in `rows` (changed in place). `check` is called once a row of
 * every frame computed: it throws to stop the work (a statement's deadline, common/deadline.ts).
 */
export function computeWindows(rows: unknown[][], windows: readonly WindowSpec[], check: () => void = () => {}): void {
  for (const w of windows) {
    for (const part of partitions(rows, w.partitionBy)) {
      check();
      if (w.orderBy.length) stableSort(part, rows, w.orderBy);
      fillPartition(part.map((i) => rows[i]!), w, check);
    }
  }
}

/** Row indexes grouped by their partition key, each group in row order. */
function partitions(rows: readonly unknown[][], keys: readonly number[]): number[][] {
  if (keys.length === 0) return [rows.map((_, i) => i)];
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const key = hashable(JSON.stringify(keys.map((k) => row[k] ?? null), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
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

function fillPartition(part: unknown[][], w: WindowSpec, check: () => void): void {
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
      if (w.ignoreNulls) {
        // The offset counts rows with a value: the k-th non-NULL value before (after) the row.
        const present = values.flatMap((v, j) => (v === null || v === undefined ? [] : [j]));
        part.forEach((row, i) => {
          // Non-NULL rows before i: present[0 .. below - 1]; i itself is present[below] when it has a value.
          let below = 0;
          for (let lo = 0, hi = present.length; lo < hi; ) {
            const mid = (lo + hi) >> 1;
            if (present[mid]! < i) lo = below = mid + 1;
            else hi = mid;
          }
          const self = present[below] === i ? 1 : 0;
          const k = w.offset ?? 1;
          const at = k === 0 ? i : w.fn === 'lag' ? present[below - k] : present[below + self + k - 1];
          out(row, at !== undefined ? values[at] : (w.fallback ?? null));
        });
        return;
      }
      part.forEach((row, i) => {
        const at = i + step;
        out(row, at >= 0 && at < n ? values[at] : (w.fallback ?? null));
      });
      return;
    }
    default: {
      const { lo, hi } = frames(part, w, peerStart, peerEnd);
      if (w.fn === 'aggregate') {
        const keep = w.frame.exclude ? excluded(w.frame.exclude, peerStart, peerEnd) : undefined;
        aggregateFrames(w, part, lo, hi, check, keep).forEach((v, i) => out(part[i]!, v));
        break;
      }
      const values = part.map(arg);
      if (w.frame.exclude) {
        excludedFrames(w, values, lo, hi, peerStart, peerEnd, check).forEach((v, i) => out(part[i]!, v));
        break;
      }
      if ((w.fn === 'first_value' || w.fn === 'last_value' || w.fn === 'nth_value') && w.ignoreNulls) {
        part.forEach((row, i) => {
          check();
          out(row, nthPresent(w, values, lo[i]!, hi[i]!));
        });
      } else if (w.fn === 'first_value' || w.fn === 'last_value' || w.fn === 'nth_value') {
        part.forEach((row, i) => {
          const at = w.fn === 'first_value' ? lo[i]! : w.fn === 'last_value' ? hi[i]! - 1 : lo[i]! + w.offset! - 1;
          out(row, at >= lo[i]! && at < hi[i]! ? values[at] : null);
        });
      } else {
        frameAggregate(w.fn, w.args.length === 0 ? part.map(() => 1) : values, lo, hi, w.distinct, check).forEach((v, i) => out(part[i]!, v));
      }
    }
  }
}

/** Whether row j stays in row i's frame under EXCLUDE (the current row, its peer group, or its peers but itself). */
function excluded(mode: NonNullable<WindowSpec['frame']['exclude']>, peerStart: readonly number[], peerEnd: readonly number[]): (i: number, j: number) => boolean {
  if (mode === 'current row') return (i, j) => j !== i;
  return (i, j) => j < peerStart[i]! || j >= peerEnd[i]! || (mode === 'ties' && j === i);
}

/** Aggregates whose value depends on the order of their rows, not only on which rows they hold. */
const ORDERED: ReadonlySet<string> = new Set(['array_agg', 'string_agg', 'arg_max', 'arg_min', 'mode', 'any_value']);

/**
 * Any other aggregate (STRING_AGG, LIST, STDDEV, MEDIAN, ARG_MAX, ...) over each frame, by the
 * accumulator GROUP BY uses: rows entering a frame are added, rows leaving it retracted; where a
 * frame goes back, or an accumulator cannot retract, it is built again from the frame's rows.
 * With EXCLUDE each frame is built on its own. A row the accumulator refuses (an overflow)
 * leaves NULL for the frames that hold it.
 */
function aggregateFrames(w: WindowSpec, part: readonly unknown[][], lo: Int32Array, hi: Int32Array, check: () => void, keep?: (i: number, j: number) => boolean): unknown[] {
  const call = w.aggregate!;
  const factory = accumulatorFactory(call, true);
  const argAt = (k: number): ((row: readonly unknown[]) => unknown) => {
    const a = call.args[k];
    if (a === undefined) return () => null;
    if (a.kind !== 'Column') return () => (a.kind === 'Literal' ? a.value : null);
    // As GROUP BY feeds them: STRING_AGG joins text; ARRAY_AGG takes each value in a list of one.
    const text = call.fn === 'string_agg' && k === 0 && a.type.kind !== 'STRING' ? caster(a.type, T.STRING) : undefined;
    return (row) => {
      const v = row[a.index] ?? null;
      if (call.fn === 'array_agg' && k === 0) return [v];
      return text && v !== null ? text(v) : v;
    };
  };
  const [first, second] = [argAt(0), argAt(1)];
  const a = part.map(first);
  const b = part.map(second);
  const n = part.length;
  const results = new Array<unknown>(n);
  let acc = factory.create();
  let broken = false;
  let from = 0;
  let to = 0;
  const add = (j: number, sign: 1 | -1): boolean => acc.add(a[j], b[j], sign) === undefined;
  const rebuild = (i: number, x: number, y: number) => {
    acc = factory.create();
    broken = false;
    for (let j = x; j < y; j++) {
      check();
      if (!keep || keep(i, j)) broken = !add(j, 1) || broken;
    }
    from = x;
    to = y;
  };
  // Which of equal values a retraction takes is the accumulator's choice; where the order of the
  // values or their first one matters (LIST, STRING_AGG, ARG_MAX, MODE, ANY_VALUE), a frame whose
  // start moves is built again instead.
  const slides = !ORDERED.has(call.fn);
  for (let i = 0; i < n; i++) {
    check();
    const x = lo[i]!;
    const y = Math.max(x, hi[i]!);
    if (keep || broken || x < from || y < to || x >= to || (x > from && !slides)) rebuild(i, x, y);
    else {
      while (to < y) broken = !add(to++, 1) || broken;
      while (from < x) {
        if (!add(from, -1)) {
          rebuild(i, x, y);
          break;
        }
        from++;
      }
    }
    results[i] = broken ? null : acc.result();
  }
  return results;
}

/** FIRST_VALUE, LAST_VALUE or NTH_VALUE ... IGNORE NULLS over the frame [lo, hi): counting only values. */
function nthPresent(w: WindowSpec, values: readonly unknown[], lo: number, hi: number): unknown {
  const present = (j: number): boolean => values[j] !== null && values[j] !== undefined;
  if (w.fn === 'last_value') {
    for (let j = hi - 1; j >= lo; j--) if (present(j)) return values[j];
    return null;
  }
  let k = w.fn === 'first_value' ? 1 : w.offset!;
  for (let j = lo; j < hi; j++) if (present(j) && --k === 0) return values[j];
  return null;
}

/**
 * Each row's value over its frame without the rows EXCLUDE leaves out (the current row, its peer
 * group, or its peers but itself): the frame's remaining rows gathered and aggregated as one
 * frame, so the work per row grows with its frame (an EXCLUDE is written over small frames).
 */
function excludedFrames(w: WindowSpec, values: readonly unknown[], lo: Int32Array, hi: Int32Array, peerStart: readonly number[], peerEnd: readonly number[], check: () => void): unknown[] {
  return values.map((_, i) => {
    const [from, to] = w.frame.exclude === 'current row' ? [i, i + 1] : [peerStart[i]!, peerEnd[i]!];
    const kept: unknown[] = [];
    for (let j = lo[i]!; j < hi[i]!; j++) {
      check();
      if (j < from || j >= to || (w.frame.exclude === 'ties' && j === i)) kept.push(w.args.length === 0 ? 1 : values[j]);
    }
    if (w.fn === 'first_value' || w.fn === 'last_value' || w.fn === 'nth_value') {
      if (w.ignoreNulls) return nthPresent(w, kept, 0, kept.length);
      const at = w.fn === 'first_value' ? 0 : w.fn === 'last_value' ? kept.length - 1 : w.offset! - 1;
      return at >= 0 && at < kept.length ? kept[at] : null;
    }
    // A frame EXCLUDE empties is still a frame: [0, 0) of one placeholder (COUNT 0, SUM NULL).
    return frameAggregate(w.fn, kept.length ? kept : [null], Int32Array.of(0), Int32Array.of(kept.length), w.distinct)[0];
  });
}

/**
 * Each row's frame in its (sorted) partition, as [lo[i], hi[i]) row indexes (empty when lo >= hi):
 * ROWS counts rows from the current one; GROUPS counts peer groups from its own; RANGE takes the
 * rows whose one ORDER BY key lies within the offsets of the current row's (its peers for 0 or
 * CURRENT ROW). A row whose key is NULL has its NULL peers as the range of any offset, as in
 * PostgreSQL and DuckDB; other rows' ranges hold no NULL keys.
 */
function frames(part: readonly unknown[][], w: WindowSpec, peerStart: readonly number[], peerEnd: readonly number[]): { lo: Int32Array; hi: Int32Array } {
  const n = part.length;
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const { unit, start, end } = w.frame;
  const clamp = (x: number) => Math.max(0, Math.min(n, x));
  if (unit === 'rows') {
    for (let i = 0; i < n; i++) {
      lo[i] = start === -Infinity ? 0 : clamp(i + start);
      hi[i] = end === Infinity ? n : clamp(i + end + 1);
    }
    return { lo, hi };
  }
  if (unit === 'groups') {
    // The peer groups in order, and each row's group.
    const groupStarts: number[] = [];
    const group = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (peerStart[i] === i) groupStarts.push(i);
      group[i] = groupStarts.length - 1;
    }
    const groups = groupStarts.length;
    const groupStart = (g: number) => (g < 0 ? 0 : g >= groups ? n : groupStarts[g]!);
    for (let i = 0; i < n; i++) {
      lo[i] = start === -Infinity ? 0 : groupStart(group[i]! + start);
      hi[i] = end === Infinity ? n : groupStart(group[i]! + end + 1);
    }
    return { lo, hi };
  }
  const key = w.orderBy[0];
  const offsets = start !== -Infinity && start !== 0 || end !== Infinity && end !== 0;
  if (!offsets || key === undefined) {
    for (let i = 0; i < n; i++) {
      lo[i] = start === -Infinity ? 0 : peerStart[i]!;
      hi[i] = end === Infinity ? n : peerEnd[i]!;
    }
    return { lo, hi };
  }
  // Keys as numbers in the partition's order (TIMESTAMP: epoch ms; offsets of intervals in ms),
  // negated when descending so that they ascend; the non-NULL keys are one run of rows.
  const sign = key.desc ? -1 : 1;
  const keys = part.map((row) => {
    const v = row[key.index] ?? null;
    return v === null ? NaN : sign * Number(v);
  });
  let first = 0;
  while (first < n && Number.isNaN(keys[first]!)) first++;
  let last = first;
  while (last < n && !Number.isNaN(keys[last]!)) last++;
  /** The first row of the non-NULL run at or after `from` whose key is >= x (> x when `after`). */
  const search = (x: number, after: boolean): number => {
    let a = first;
    let b = last;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (after ? keys[m]! <= x : keys[m]! < x) a = m + 1;
      else b = m;
    }
    return a;
  };
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    const nulls = Number.isNaN(k);
    lo[i] = start === -Infinity ? 0 : nulls || start === 0 ? peerStart[i]! : search(k + start, false);
    hi[i] = end === Infinity ? n : nulls || end === 0 ? peerEnd[i]! : search(k + end, true);
  }
  return { lo, hi };
}

/**
 * COUNT, SUM, AVG, MIN or MAX of `values` (NULLs skipped) over each frame [lo[i], hi[i]). The
 * frames of a partition move forward (neither bound goes back from one row to the next), so one
 * pass adds the rows entering and removes those leaving: sums keep a compensation term (and
 * start again from zero when the frame empties), MIN and MAX a queue of the candidates in order.
 * A frame that does go back is summed again from its start. With `distinct`, a value already in
 * the frame is counted once: it enters with its first copy and leaves with its last.
 */
function frameAggregate(fn: WindowFn, values: readonly unknown[], lo: Int32Array, hi: Int32Array, distinct = false, check: () => void = () => {}): unknown[] {
  const n = values.length;
  const results = new Array<unknown>(n);
  let from = 0;
  let to = 0;
  let count = 0;
  let sum = 0;
  let carry = 0;
  let bigSum: bigint | undefined;
  // MIN/MAX: indexes of the frame's rows that may still become its extreme, best first.
  const queue: number[] = [];
  let head = 0;
  const better = (a: unknown, b: unknown) => (fn === 'min' ? compareValues(a, b) < 0 : compareValues(a, b) > 0);
  // DISTINCT: copies of each value in the frame (MIN and MAX are the same without).
  const copies = distinct && fn !== 'min' && fn !== 'max' ? new Map<unknown, number>() : undefined;
  const add = (j: number) => {
    const v = values[j];
    if (v === null || v === undefined) return;
    if (copies) {
      const k = hashableValue(v);
      const c = copies.get(k) ?? 0;
      copies.set(k, c + 1);
      if (c > 0) return;
    }
    count++;
    if (fn === 'sum' || fn === 'avg') {
      if (typeof v === 'bigint' || bigSum !== undefined) bigSum = (bigSum ?? BigInt(sum)) + BigInt(v as number);
      else [sum, carry] = neumaier(sum, carry, v as number);
    } else if (fn === 'min' || fn === 'max') {
      while (queue.length > head && !better(values[queue[queue.length - 1]!], v)) queue.pop();
      queue.push(j);
    }
  };
  const remove = (j: number) => {
    const v = values[j];
    if (v === null || v === undefined) return;
    if (copies) {
      const k = hashableValue(v);
      const c = copies.get(k)!;
      if (c > 1) {
        copies.set(k, c - 1);
        return;
      }
      copies.delete(k);
    }
    count--;
    if (fn === 'sum' || fn === 'avg') {
      if (bigSum !== undefined) bigSum -= BigInt(v as number);
      else [sum, carry] = neumaier(sum, carry, -(v as number));
      if (count === 0) {
        sum = 0;
        carry = 0;
        bigSum = undefined;
      }
    } else if (fn === 'min' || fn === 'max') {
      if (queue[head] === j) head++;
    }
  };
  const reset = (at: number) => {
    from = to = at;
    count = 0;
    sum = carry = 0;
    bigSum = undefined;
    queue.length = head = 0;
    copies?.clear();
  };
  for (let i = 0; i < n; i++) {
    const a = lo[i]!;
    const b = Math.max(a, hi[i]!);
    if (a < from || b < to || a >= to) reset(a);
    while (to < b) {
      check();
      add(to++);
    }
    while (from < a) remove(from++);
    const total = bigSum ?? sum + carry;
    results[i] =
      fn === 'count' ? count
      : count === 0 ? null
      : fn === 'sum' ? total
      : fn === 'avg' ? Number(total) / count
      : values[queue[head]!];
  }
  return results;
}

/** `sum + v` with Neumaier's compensation: the running sum and the error it has lost so far. */
function neumaier(sum: number, carry: number, v: number): [number, number] {
  const t = sum + v;
  const lost = Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
  return [t, carry + lost];
}
