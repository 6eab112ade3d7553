/**
 * Windowed GROUP BY over SESSION windows: per key of the non-window group columns, a list of
 * disjoint sessions that grow and merge as rows arrive; a session's row is emitted
 * (append-only) once the watermark passes its end.
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../../common/errors.js';
import { TimeIndex, type StateRow, type StateValue } from '../../state/index.js';
import { plain } from '../columns.js';
import { keyOf } from '../../common/keys.js';
import type { Accumulator } from './accumulators.js';
import { AggregateList, evaluateGroupKeys, usedColumns } from './aggregate-list.js';
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

interface SavedSessions {
  readonly g: StateValue[];
  readonly s: [start: number, last: number, accs: StateValue[]][];
}

/** Session lists by key (`SavedSessions`). */
const SESSIONS = 'sessions';
/** Time index of the session ends: what the watermark closes is found here. */
const ENDS = 'session-ends';
/** The number of open sessions (`open` -> { n }), written with every barrier. */
const COUNT = 'session-count';
/** Keys of sessions closed by a watermark are read and rewritten this many at a time. */
const CLOSE_CHUNK = 1024;

/**
 * WindowAggregateExec over SESSION windows.
 *
 * Invariants (beyond WindowAggregateBase's):
 * - Sessions are kept per key of the group columns other than window_start/window_end; a
 *   session spans [first row, last row + gap), and a row that falls within `gap` of one or more
 *   sessions of its key merges them into one.
 * - The session lists live in state alone: a batch reads the lists of the keys it touches in
 *   one batched read and writes back those it changed; open() reads the watermark and the count
 *   of open sessions only. Every open session's end has an entry in a time index, so the
 *   sessions a watermark closes are one range scan of that index, never a scan of all sessions.
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
  /** Open sessions, over all keys. */
  private openCount = 0;
  private endIndex: TimeIndex | undefined;

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
    const saved = await this.ctx.state.table(COUNT).get('open');
    if (typeof saved?.['n'] === 'number') {
      this.openCount = saved['n'];
      return;
    }
    // State written before the session ends were indexed: index them once.
    this.openCount = 0;
    const ends = this.ends();
    for await (const [key, row] of this.ctx.state.table(SESSIONS).scan()) {
      for (const [, last] of (row as unknown as SavedSessions).s) ends.add(last + this.window.gapMs, key);
      this.openCount += (row as unknown as SavedSessions).s.length;
    }
  }

  /** The session lists of `keys` (undefined where a key has none), in one batched read. */
  private async load(keys: readonly string[]): Promise<Map<string, SessionKey | undefined>> {
    const rows = await this.ctx.state.table(SESSIONS).getMany(keys);
    const out = new Map<string, SessionKey | undefined>();
    keys.forEach((key, i) => {
      const r = rows[i] as unknown as SavedSessions | undefined;
      out.set(key, r && { values: [...r.g], sessions: r.s.map(([start, last, a]) => ({ start, last, accs: this.aggs.restore(a) })) });
    });
    return out;
  }

  /** Writes the session lists of `keys` back (a key without sessions is deleted). */
  private store(keys: Iterable<string>, lists: ReadonlyMap<string, SessionKey | undefined>): void {
    const table = this.ctx.state.table(SESSIONS);
    for (const key of keys) {
      const sk = lists.get(key);
      if (!sk || sk.sessions.length === 0) table.delete(key);
      else table.put(key, { g: sk.values as StateValue[], s: sk.sessions.map((s) => [s.start, s.last, AggregateList.save(s.accs)]) } satisfies StateRow);
    }
  }

  private ends(): TimeIndex {
    return (this.endIndex ??= new TimeIndex(this.ctx.state.table(ENDS)));
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const n = batch.numRows;
    const { timeColumn: tc, gapMs } = this.window;
    const times = timeColumn(batch, this.input, tc);
    const cols = usedColumns(batch, this.input, this.used);
    cols[this.input.length] = times;
    cols[this.input.length + 1] = Array.from(times as ArrayLike<number | null>, (t) => (t === null ? null : t + gapMs));
    const errors = new Map<number, string>();
    const keyVals = evaluateGroupKeys(this.keys, cols, n, errors);
    const args = this.aggs.evaluate(cols, n, errors);
    const rowValues = new Array<unknown[] | undefined>(n);
    const rowKeys = new Array<string | undefined>(n);
    for (let i = 0; i < n; i++) {
      if (typeof times[i] !== 'number' || errors.has(i) || retracts(rowKinds, i)) continue;
      const values = keyVals.map((k) => plain(k[i]));
      rowValues[i] = values;
      rowKeys[i] = keyOf(this.sessionKeyAt.map((k) => values[k]));
    }
    const lists = await this.load([...new Set(rowKeys.filter((k): k is string => k !== undefined))]);
    const changed = new Set<string>();
    const ends = this.ends();
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
      const values = rowValues[i]!;
      const key = rowKeys[i]!;
      const sk = lists.get(key);
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
      for (const s of overlapping) ends.delete(s.last + gapMs, key);
      ends.add(merged.last + gapMs, key);
      this.openCount += 1 - overlapping.length;
      const rest = sk ? sk.sessions.filter((s) => !overlapping.includes(s)) : [];
      rest.push(merged);
      rest.sort((a, b) => a.start - b.start);
      if (sk) sk.sessions = rest;
      else lists.set(key, { values, sessions: rest });
      changed.add(key);
    }
    this.store(changed, lists);
  }

  /** Closes the sessions whose end is <= `limit`, found through the index of session ends. */
  protected async takeClosed(limit: number): Promise<ClosedWindow[]> {
    const closed: ClosedWindow[] = [];
    const gap = this.window.gapMs;
    const ends = this.ends();
    for await (const chunk of ends.take(limit, true, CLOSE_CHUNK)) {
      const keys = [...new Set(chunk.map(([, k]) => k))];
      const lists = await this.load(keys);
      for (const sk of lists.values()) {
        if (!sk) continue;
        const keep: Session[] = [];
        for (const s of sk.sessions) {
          if (s.last + gap > limit) {
            keep.push(s);
            continue;
          }
          const row = this.outputRow(sk.values, s.accs);
          for (const p of this.startAt) row[p] = s.start;
          for (const p of this.endAt) row[p] = s.last + gap;
          closed.push({ start: s.start, end: s.last + gap, row });
        }
        this.openCount -= sk.sessions.length - keep.length;
        sk.sessions = keep;
      }
      this.store(keys, lists);
    }
    return closed;
  }

  protected flushWindows(): void {
    this.endIndex?.stage();
    this.ctx.state.table(COUNT).put('open', { n: this.openCount });
  }

  get openWindows(): number {
    return this.openCount;
  }
}
