/**
 * Windowed GROUP BY over SESSION windows: per key of the non-window group columns, a list of
 * disjoint sessions that grow and merge as rows arrive; a session's row is emitted
 * (append-only) once the watermark passes its end.
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../../common/errors.js';
import type { StateRow, StateValue } from '../../state/index.js';
import { plain } from '../columns.js';
import { keyOf } from '../../common/keys.js';
import { AggregateList, evaluateGroupKeys, usedColumns, type Accumulator } from './accumulators.js';
import { lateReason, nullTimeReason, timeColumn } from './event-time.js';
import { WindowAggregateBase, retracts, type ClosedWindow, type WindowAggregateSpec } from './window-aggregate-base.js';

/** A session of one key: [start, last + gap). */
interface Session {
  start: number;
  last: number;
  readonly accs: Accumulator[];
}

interface SessionKey {
  /** Group values (the window columns are filled in at emission). */
  readonly values: unknown[];
  /** Disjoint sessions, ascending by start. */
  sessions: Session[];
}

const SESSIONS = 'sessions';

/**
 * WindowAggregateExec over SESSION windows.
 *
 * Invariants (beyond WindowAggregateBase's):
 * - Sessions are kept per key of the group columns other than window_start/window_end; a
 *   session spans [first row, last row + gap), and a row that falls within `gap` of one or more
 *   sessions of its key merges them into one.
 * - A row behind the watermark that falls in no open session, a row with a NULL event time and
 *   a row whose expressions throw go to the dead-letter stream; nothing else is dropped.
 * - Any retraction (-U/-D) goes to the dead-letter stream: taking a row out may split a
 *   session, which the merged accumulators cannot undo.
 */
export class SessionWindowAggregateOperator extends WindowAggregateBase {
  /** Group positions holding window_start / window_end, filled at emission. */
  private readonly startAt: number[] = [];
  private readonly endAt: number[] = [];
  /** Group positions that key a session list. */
  private readonly sessionKeyAt: number[] = [];
  private sessions = new Map<string, SessionKey>();
  /** Session keys changed since the last barrier. */
  private readonly dirty = new Set<string>();

  constructor(spec: WindowAggregateSpec) {
    super(spec);
    if (spec.window.fn !== 'SESSION') throw new SluiceError('INTERNAL', `${spec.window.fn} windows are aggregated by WindowAggregateOperator`);
    const n = spec.input.length;
    spec.groupBy.forEach((g, i) => {
      if (g.kind === 'Column' && g.index === n) this.startAt.push(i);
      else if (g.kind === 'Column' && g.index === n + 1) this.endAt.push(i);
      else this.sessionKeyAt.push(i);
    });
  }

  protected async restoreWindows(): Promise<void> {
    this.sessions = new Map();
    for await (const [key, row] of this.ctx.state.table(SESSIONS).scan()) {
      const r = row as { g: StateValue[]; s: [number, number, StateValue[]][] };
      this.sessions.set(key, { values: [...r.g], sessions: r.s.map(([start, last, a]) => ({ start, last, accs: this.aggs.restore(a) })) });
    }
  }

  protected onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): void {
    const n = batch.numRows;
    const { timeColumn: tc, gapMs } = this.window;
    const times = timeColumn(batch, this.input, tc);
    const cols = usedColumns(batch, this.input, this.used);
    cols[this.input.length] = times;
    cols[this.input.length + 1] = Array.from(times as ArrayLike<number | null>, (t) => (t === null ? null : t + gapMs));
    const errors = new Map<number, string>();
    const keyVals = evaluateGroupKeys(this.keys, cols, n, errors);
    const args = this.aggs.evaluate(cols, n, errors);
    for (let i = 0; i < n; i++) {
      const t = times[i];
      if (typeof t !== 'number') {
        this.reject(batch, i, nullTimeReason(this.input[tc]!));
        continue;
      }
      const reason = errors.get(i) ?? (retracts(rowKinds, i) ? 'SESSION windows cannot take back a row of an updating input' : undefined);
      if (reason !== undefined) {
        this.reject(batch, i, reason);
        continue;
      }
      const values = keyVals.map((k) => plain(k[i]));
      const key = keyOf(this.sessionKeyAt.map((k) => values[k]));
      const sk = this.sessions.get(key);
      const overlapping = sk ? sk.sessions.filter((s) => t < s.last + gapMs && s.start < t + gapMs) : [];
      if (t < this.watermark && overlapping.length === 0) {
        this.reject(batch, i, lateReason(t, this.watermark));
        continue;
      }
      const merged: Session = { start: t, last: t, accs: this.aggs.create() };
      const err = this.aggs.add(merged.accs, args, i, 1);
      if (err !== undefined) {
        this.reject(batch, i, err);
        continue;
      }
      let failed: string | undefined;
      for (const s of overlapping) {
        merged.start = Math.min(merged.start, s.start);
        merged.last = Math.max(merged.last, s.last);
        failed ??= AggregateList.merge(merged.accs, s.accs);
      }
      if (failed !== undefined) {
        this.reject(batch, i, failed);
        continue;
      }
      const rest = sk ? sk.sessions.filter((s) => !overlapping.includes(s)) : [];
      rest.push(merged);
      rest.sort((a, b) => a.start - b.start);
      if (sk) sk.sessions = rest;
      else this.sessions.set(key, { values, sessions: rest });
      this.dirty.add(key);
    }
  }

  protected takeClosed(limit: number): ClosedWindow[] {
    const closed: ClosedWindow[] = [];
    const gap = this.window.gapMs;
    for (const [key, sk] of this.sessions) {
      const keep: Session[] = [];
      for (const s of sk.sessions) {
        if (s.last + gap > limit) {
          keep.push(s);
          continue;
        }
        const row = [...sk.values, ...AggregateList.results(s.accs)];
        for (const p of this.startAt) row[p] = s.start;
        for (const p of this.endAt) row[p] = s.last + gap;
        closed.push({ start: s.start, end: s.last + gap, row });
      }
      if (keep.length === sk.sessions.length) continue;
      sk.sessions = keep;
      if (keep.length === 0) this.sessions.delete(key);
      this.dirty.add(key);
    }
    return closed;
  }

  protected flushWindows(): void {
    const table = this.ctx.state.table(SESSIONS);
    for (const key of this.dirty) {
      const sk = this.sessions.get(key);
      if (!sk) table.delete(key);
      else table.put(key, { g: sk.values as StateValue[], s: sk.sessions.map((s) => [s.start, s.last, AggregateList.save(s.accs)]) } satisfies StateRow);
    }
    this.dirty.clear();
  }

  get openWindows(): number {
    let n = 0;
    for (const sk of this.sessions.values()) n += sk.sessions.length;
    return n;
  }
}
