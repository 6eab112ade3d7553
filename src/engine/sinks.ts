/**
 * Where a query's output goes. Persistent sinks (views, log topics) buffer an epoch's output
 * and stage it into the checkpoint's write batch, so it becomes visible exactly when the state
 * and source positions that produced it do. The push sink hands rows to a live client.
 */
import { DataType, Utf8, vectorFromArray, type Data, type RecordBatch } from 'apache-arrow';
import { SluiceError } from '../common/errors.js';
import type { EpochSink } from '../exec/epoch-sink.js';
import type { Field } from '../common/types.js';
import { arrowSchema, batchFromRows, batchOfData, batchToRows, buildData, concatBatches, makeBatch, plain, readColumn, readColumnAt } from '../exec/columns.js';
import { encodeBatch, encodeBatchView, encodeConcatView } from '../exec/ipc.js';
import { keyOf, keyOfValue } from '../common/keys.js';
import { ROW_KIND_NAMES, RowKind } from '../exec/message.js';
import { Utf8Slots } from '../exec/operators/utf8-slots.js';
import { LOG_CHUNK_HEADER_BYTES, type EmbeddedLog, type KvTable, type WriteBatch } from '../state/index.js';
import type { StateRow } from '../state/index.js';
import type { PushBatch, PushRow } from './types.js';
import { ViewRowBytes } from './view-row-bytes.js';

export type { EpochSink } from '../exec/epoch-sink.js';
export { LogSink } from '../connectors/log-connector.js';

/** The columns of a view's changelog topic: the view's columns and the change kind. */
export function changelogFields(fields: readonly Field[]): Field[] {
  return [...fields, { name: '__op', type: { kind: 'INT' }, nullable: false }];
}

/** The property of a multiset view's stored row that counts its copies (no column name can hold NUL). */
export const VIEW_ROW_COUNT = '\u0000copies';

/** How many copies of a stored view or table row there are (1 unless the view is a multiset). */
export function viewRowCopies(row: Readonly<Record<string, unknown>>): number {
  const n = row[VIEW_ROW_COUNT];
  return typeof n === 'number' ? n : 1;
}

/** Appends a stored row once per copy it stands for (see ViewSink), without the count property. */
export function pushCopies(out: Record<string, unknown>[], row: Record<string, unknown>): void {
  const plain = withoutCopies(row);
  for (let n = viewRowCopies(row); n > 0; n--) out.push(plain);
}

/** Most committed rows a view's sink keeps in memory, so that keys written again are not read back from disk. */
export const VIEW_RECENT_ROWS = 16_384;

/** Most rows a view's changelog batch gathers from an epoch's output batches. */
export const CHANGELOG_CHUNK_ROWS = 16_384;

/** A stored view row as its columns alone. */
export function withoutCopies(row: Record<string, unknown>): Record<string, unknown> {
  if (!(VIEW_ROW_COUNT in row)) return row;
  const { [VIEW_ROW_COUNT]: _copies, ...plain } = row;
  return plain;
}

/** An output batch of an epoch and its change kinds. */
interface EpochChange {
  readonly batch: RecordBatch;
  readonly rowKinds: Uint8Array | undefined;
}

/**
 * Keeps the latest row per key in a KvTable, applying the changelog: +I and +U write the row
 * under its key, -U and -D delete the key of the row they carry (so a -U/+U pair whose halves
 * have different keys moves the row; one with the same key leaves the new row). With a changelog
 * topic it also appends every change (with its kind) there, in the same epoch batch, so the view
 * can be read as a stream. A write either takes the whole batch or, when it throws, nothing.
 *
 * A multiset view (an updating result without a key, keyed by all its columns) keeps how many
 * copies of each row it holds in the row's `VIEW_ROW_COUNT` property: +I/+U add one, -U/-D take
 * one away, and the row goes when none is left, so equal rows from different groups stay apart
 * as in SQL. Readers expand the copies with `viewRowCopies`.
 *
 * A replacing view (an append-only result under a key that does not tell its rows apart, see
 * isReplacingView) keeps the latest row per key too, and its changelog says so: a row whose key
 * the view holds goes there as -U of the row it replaces and +U of itself, so that a reader sees
 * what the view holds, not every row of the query.
 */
export class ViewSink implements EpochSink {
  /** The epoch's rows by key (null: deleted) of a multiset or replacing view. */
  private pending = new Map<string, StateRow | null>();
  /** The rows of the epoch being committed (not on disk yet: `readHeld` reads them first). */
  private staged = new Map<string, StateRow | null>();
  /**
   * Rows of committed epochs as they are on disk (null: none), the latest written last, at most
   * VIEW_RECENT_ROWS of them: only this sink writes the view, so they stay what the disk holds.
   * Kept only by the views that read what they hold (multiset and replacing ones).
   */
  private readonly recent = new Map<string, StateRow | null>();
  /**
   * The epoch's output batches with their change kinds: for the changelog topic, and a 'changes'
   * view's rows, staged from the batches' columns so that no object per row is held until the
   * checkpoint.
   */
  private changes: EpochChange[] = [];
  /** Rows of the epoch's batches so far (a 'changes' view's). */
  private changeRows = 0;
  /**
   * A 'changes' view's last row of each key in the epoch, as its number among the epoch's rows
   * (see `changes`), by the key or, for a single key of a primitive type, the key's value.
   */
  private lastOfKey = new Map<unknown, number>();
  /**
   * With one STRING key column, `lastOfKey` stays empty: the epoch's keys are numbered by their
   * UTF-8 bytes, read from the batches' columns without making a string per row, and
   * `lastRows` holds the last row of each number.
   */
  private readonly utf8Keys: Utf8Slots | undefined;
  private lastRows = new Float64Array(1024);
  private keyCount = 0;
  /** The number of the NULL key in the epoch, once it has one. */
  private nullKey: number | undefined;
  /** Stages a 'changes' view's last rows from their columns where it can (see ViewRowBytes). */
  private readonly rowBytes: ViewRowBytes | undefined;
  /** The changelog topic's columns (one list, so its batches share one Arrow schema). */
  private readonly changelogFields: readonly Field[];
  private readonly names: readonly string[];
  /** The columns whose values may be typed arrays, stored as plain arrays (see `plain`). */
  private readonly typed: readonly boolean[];

  constructor(
    private readonly fields: readonly Field[],
    private readonly keyColumns: readonly number[],
    private readonly kv: KvTable,
    private readonly changelog?: { readonly log: EmbeddedLog; readonly topic: string },
    private readonly rows: 'changes' | 'multiset' | 'replacing' = 'changes',
  ) {
    this.changelogFields = changelogFields(fields);
    this.names = fields.map((f) => f.name);
    this.typed = fields.map((f) => f.type.kind === 'ARRAY' || f.type.kind === 'BYTES');
    if (keyColumns.length === 1 && fields[keyColumns[0]!]!.type.kind === 'STRING') {
      this.utf8Keys = new Utf8Slots();
      if (rows === 'changes') this.rowBytes = ViewRowBytes.of(fields, keyColumns[0]!);
    }
  }

  write(batch: RecordBatch, rowKinds: Uint8Array | undefined): void | Promise<void> {
    if (this.rows === 'multiset') return this.writeCounted(batch, rowKinds);
    if (this.rows === 'replacing') return this.writeReplacing(batch);
    this.noteLastOfKeys(batch);
    this.changes.push({ batch, rowKinds });
    this.changeRows += batch.numRows;
  }

  /** Records the rows of `batch` as the last of their keys so far in the epoch (see `lastOfKey`). */
  private noteLastOfKeys(batch: RecordBatch): void {
    if (this.utf8Keys) {
      this.noteLastOfUtf8Keys(batch, this.utf8Keys, this.keyColumns[0]!);
      return;
    }
    // A single key of a primitive type is told apart by its value; other values (each row's own
    // object) by their key.
    const keys = this.keyColumns.map((k) => readColumn(batch, k, this.fields[k]!.type));
    const single = keys.length === 1 ? keys[0]! : undefined;
    const ids = new Array<unknown>(batch.numRows);
    for (let i = 0; i < batch.numRows; i++) {
      const v = single?.[i];
      ids[i] = single ? (typeof v === 'object' && v !== null ? keyOfValue(v) : (v ?? null)) : keyOf(keys.map((col) => col[i]));
    }
    // Recorded only once every key is made: a write that throws leaves the epoch as it was.
    const last = this.lastOfKey;
    const base = this.changeRows;
    for (let i = 0; i < ids.length; i++) last.set(ids[i], base + i);
  }

  /** noteLastOfKeys for one STRING key column (see `utf8Keys`). */
  private noteLastOfUtf8Keys(batch: RecordBatch, keys: Utf8Slots, column: number): void {
    const n = batch.numRows;
    let data = batch.data.children[column]!;
    if (!DataType.isUtf8(data.type)) data = vectorFromArray(readColumn(batch, column, this.fields[column]!.type) as (string | null)[], new Utf8()).data[0]!;
    const numbers = new Int32Array(n);
    const newKey = () => this.keyCount++;
    keys.numberRows(data, numbers, 0, () => (this.nullKey ??= newKey()), newKey);
    if (this.keyCount > this.lastRows.length) {
      const grown = new Float64Array(Math.max(2 * this.lastRows.length, this.keyCount));
      grown.set(this.lastRows);
      this.lastRows = grown;
    }
    const last = this.lastRows;
    const base = this.changeRows;
    for (let i = 0; i < n; i++) last[numbers[i]!] = base + i;
  }

  /**
   * The epoch's last row of each key (see noteLastOfKeys), in order, and forgets them for the
   * next epoch.
   */
  private takeLastRows(): Float64Array {
    if (!this.utf8Keys) {
      const rows = Float64Array.from(this.lastOfKey.values()).sort();
      this.lastOfKey = new Map();
      return rows;
    }
    const rows = this.lastRows.slice(0, this.keyCount).sort();
    this.utf8Keys.clear();
    this.keyCount = 0;
    this.nullKey = undefined;
    return rows;
  }

  /**
   * Stages the last row of each key in the epoch (`rowsOut`, in order) under its key, a delete
   * where it is a -U or -D: only those rows of the epoch's batches are read.
   */
  private stageLastRows(changes: readonly EpochChange[], rowsOut: Float64Array, wb: WriteBatch): void {
    // One array for every row: the write batch copies what is encoded from it at once.
    const row = new Array<unknown>(this.fields.length);
    let e = 0;
    let base = 0;
    for (const { batch, rowKinds } of changes) {
      const end = base + batch.numRows;
      let to = e;
      while (to < rowsOut.length && rowsOut[to]! < end) to++;
      if (to > e) {
        const idx = Int32Array.from(rowsOut.subarray(e, to), (r) => r - base);
        if (!this.rowBytes?.stage(batch, rowKinds, idx, this.kv, wb)) this.stageRowValues(batch, rowKinds, idx, row, wb);
      }
      e = to;
      base = end;
    }
  }

  /** Stages rows `idx` of `batch` (see stageLastRows) from their values, read into `row` one at a time. */
  private stageRowValues(batch: RecordBatch, rowKinds: Uint8Array | undefined, idx: Int32Array, row: unknown[], wb: WriteBatch): void {
    const cols = this.fields.map((f, c) => readColumnAt(batch, c, f.type, idx));
    const keys = this.keyColumns.map((k) => cols[k]!);
    const single = keys.length === 1 ? keys[0]! : undefined;
    for (let j = 0; j < idx.length; j++) {
      const key = single ? keyOfValue(single[j]) : keyOf(keys.map((col) => col[j]));
      const kind = rowKinds ? rowKinds[idx[j]!]! : RowKind.INSERT;
      if (kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE) {
        this.kv.delete(key, wb);
        continue;
      }
      for (let c = 0; c < cols.length; c++) row[c] = this.typed[c] ? plain(cols[c]![j]) : (cols[c]![j] ?? null);
      this.kv.upsertValues(key, this.names, row, wb);
    }
  }


  private async writeCounted(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const rows = batchToRows(batch, this.fields);
    const keys = rows.map((values) => keyOf(this.keyColumns.map((k) => values[k])));
    const next = await this.readHeld(keys);
    for (let i = 0; i < rows.length; i++) {
      const values = rows[i]!;
      const key = keys[i]!;
      const kind = rowKinds ? rowKinds[i]! : RowKind.INSERT;
      const held = this.held(key, next);
      const copies = (held ? viewRowCopies(held) : 0) + (kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE ? -1 : 1);
      if (copies <= 0) {
        next.set(key, null);
        continue;
      }
      const row: Record<string, unknown> = { [VIEW_ROW_COUNT]: copies };
      this.fields.forEach((f, c) => (row[f.name] = values[c]));
      next.set(key, row as StateRow);
    }
    this.recordChanges(batch, rowKinds);
    for (const [key, row] of next) this.pending.set(key, row);
  }

  /** Writes each row (all inserts) under its key; the changelog gets -U/+U where it replaces one. */
  private async writeReplacing(batch: RecordBatch): Promise<void> {
    const rows = batchToRows(batch, this.fields);
    const keys = rows.map((values) => keyOf(this.keyColumns.map((k) => values[k])));
    const next = await this.readHeld(keys);
    const changed: Record<string, unknown>[] = [];
    const kinds: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const values = rows[i]!;
      const key = keys[i]!;
      const held = this.held(key, next);
      const row: Record<string, unknown> = {};
      this.fields.forEach((f, c) => (row[f.name] = values[c]));
      if (held) {
        changed.push(held, row);
        kinds.push(RowKind.UPDATE_BEFORE, RowKind.UPDATE_AFTER);
      } else {
        changed.push(row);
        kinds.push(RowKind.INSERT);
      }
      next.set(key, row as StateRow);
    }
    this.recordChanges(batchFromRows(this.fields, changed), Uint8Array.from(kinds));
    for (const [key, row] of next) this.pending.set(key, row);
  }

  /**
   * The rows the view holds under those of `keys` this epoch has not written (null: none), in
   * one batched read: the start of a batch's `next` (see `held`).
   */
  private async readHeld(keys: readonly string[]): Promise<Map<string, StateRow | null>> {
    const next = new Map<string, StateRow | null>();
    const unread: string[] = [];
    for (const k of new Set(keys)) {
      if (this.pending.has(k)) continue;
      // The epoch being committed is not on disk yet.
      if (this.staged.has(k)) next.set(k, this.staged.get(k) ?? null);
      else if (this.recent.has(k)) next.set(k, this.recent.get(k) ?? null);
      else unread.push(k);
    }
    if (unread.length > 0) (await this.kv.getManyRaw(unread)).forEach((found, j) => next.set(unread[j]!, found?.row ?? null));
    return next;
  }

  /** The row the view holds under `key` as of the rows written so far (`next`: this batch's, from `readHeld`). */
  private held(key: string, next: ReadonlyMap<string, StateRow | null>): StateRow | null {
    return (next.has(key) ? next.get(key) : this.pending.get(key)) ?? null;
  }

  /** Keeps the batch, with its change kinds, for the view's changelog topic. */
  private recordChanges(batch: RecordBatch, rowKinds: Uint8Array | undefined): void {
    if (this.changelog) this.changes.push({ batch, rowKinds });
  }

  /**
   * The changelog chunk of `changes` (see EmbeddedLog.appendFramed): their rows in order, with
   * the change kind of each in `__op`, as one batch; written from the batches' columns where
   * encodeConcatView can, else from the batch they make.
   */
  private changelogChunk(changes: readonly EpochChange[]): Buffer {
    let total = 0;
    for (const { batch } of changes) total += batch.numRows;
    const kinds = new Int32Array(total);
    const parts: Data[][] = [];
    for (let k = 0, at = 0; k < changes.length; k++) {
      const { batch, rowKinds } = changes[k]!;
      if (rowKinds) kinds.set(rowKinds, at);
      parts.push([...batch.data.children, buildData({ kind: 'INT' }, kinds.subarray(at, at + batch.numRows), batch.numRows)]);
      at += batch.numRows;
    }
    const direct = encodeConcatView(arrowSchema(this.changelogFields), parts, LOG_CHUNK_HEADER_BYTES);
    if (direct) return direct;
    const rows = concatBatches(this.fields, changes.map((c) => c.batch));
    return encodeBatchView(batchOfData(this.changelogFields, [...rows.data.children, buildData({ kind: 'INT' }, kinds, total)], total), LOG_CHUNK_HEADER_BYTES);
  }

  stage(wb: WriteBatch): void {
    this.staged = this.pending;
    const changes = this.changes;
    const last = this.rows === 'changes' ? this.takeLastRows() : undefined;
    this.pending = new Map();
    this.changes = [];
    this.changeRows = 0;
    // forEach: a for-of loop over the entries would make an array per entry.
    this.staged.forEach((row, k) => {
      if (row === null) this.kv.delete(k, wb);
      else this.kv.upsert(k, row, wb);
    });
    if (last) this.stageLastRows(changes, last, wb);
    if (this.changelog) {
      // An epoch's changes go out in a few large batches: encoding one costs about as much as
      // encoding many small ones.
      for (let from = 0; from < changes.length; ) {
        let rows = 0;
        let to = from;
        while (to < changes.length && (to === from || rows + changes[to]!.batch.numRows <= CHANGELOG_CHUNK_ROWS)) rows += changes[to++]!.batch.numRows;
        this.changelog.log.appendFramed(this.changelog.topic, 0, this.changelogChunk(changes.slice(from, to)), rows, wb);
        from = to;
      }
    }
  }

  committed(): void {
    if (this.staged.size === 0) return;
    for (const [k, row] of this.staged) {
      this.recent.delete(k);
      this.recent.set(k, row);
    }
    for (const k of this.recent.keys()) {
      if (this.recent.size <= VIEW_RECENT_ROWS) break;
      this.recent.delete(k);
    }
    this.staged = new Map();
  }
}

/** Appends output batches to an embedded log topic (one partition per key hash). */
/** Dead letters of a query, as rows of its `<name>_dlq` stream. */
export const DLQ_FIELDS: readonly Field[] = [
  { name: 'reason', type: { kind: 'STRING' }, nullable: false },
  { name: 'operator', type: { kind: 'STRING' }, nullable: false },
  { name: 'row', type: { kind: 'STRING' }, nullable: true },
  { name: 'source', type: { kind: 'STRING' }, nullable: true },
  { name: 'ts', type: { kind: 'TIMESTAMP', precision: 3 }, nullable: false },
];

/** A dead letter with the time it was sent. */
export interface DeadLetterAt {
  readonly reason: string;
  readonly operator: string;
  readonly row: string;
  readonly source?: string;
  readonly at: number;
}

export function dlqBatch(letters: readonly DeadLetterAt[]): RecordBatch {
  return makeBatch(
    DLQ_FIELDS,
    [letters.map((l) => l.reason), letters.map((l) => l.operator), letters.map((l) => l.row), letters.map((l) => l.source ?? null), letters.map((l) => l.at)],
    letters.length,
  );
}

/** Waits before the second and third try of a dead-letter write (ms). */
const DLQ_RETRY_MS = [50, 250];

/**
 * Appends dead letters to their topic on the embedded log outside a checkpoint (push queries,
 * and the local copy of a query across processes), trying three times. The last failure is
 * thrown as STATE_ERROR naming the query and the topic: the caller fails the query with it, so
 * letters never vanish unnoticed.
 */
export async function appendDeadLetters(log: EmbeddedLog, topic: string, letters: readonly DeadLetterAt[], owner: string): Promise<void> {
  const payload = encodeBatch(dlqBatch(letters));
  for (let attempt = 0; ; attempt++) {
    try {
      await log.append(topic, 0, payload, letters.length);
      return;
    } catch (err) {
      const wait = DLQ_RETRY_MS[attempt];
      if (wait === undefined) {
        throw new SluiceError('STATE_ERROR', `${owner}: cannot write ${letters.length} dead letter(s) to '${topic}' after ${attempt + 1} tries: ${err instanceof Error ? err.message : String(err)}`, {
          hint: 'check the data folder (disk space, permissions); the query stopped so that no bad row goes unrecorded',
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/**
 * A bounded queue of output batches for a live client. `push` waits while the queue is full, so
 * a slow client slows the query instead of growing memory. The queue holds Arrow batches; a
 * reader takes them as they are (`batches`) or as JavaScript rows (iterating the queue itself),
 * which are made only when read.
 */
export class PushQueue implements AsyncIterable<PushRow[]> {
  private readonly items: PushBatch[] = [];
  private waiters: (() => void)[] = [];
  private spaceWaiters: (() => void)[] = [];
  private done = false;
  private failure: unknown;
  private rows = 0;

  constructor(
    private readonly fields: readonly Field[],
    private readonly capacityRows = 10_000,
  ) {}

  async push(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    if (this.done) return;
    while (this.rows >= this.capacityRows && !this.done) await new Promise<void>((r) => this.spaceWaiters.push(r));
    this.items.push({ batch, rowKinds });
    this.rows += batch.numRows;
    this.wake();
  }

  end(err?: unknown): void {
    this.done = true;
    this.failure ??= err;
    this.wake();
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The output as Arrow batches, in order; ends when the query does (throws its error, if any). */
  async *batches(): AsyncGenerator<PushBatch> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        this.rows -= next.batch.numRows;
        for (const w of this.spaceWaiters.splice(0)) w();
        yield next;
        continue;
      }
      if (this.done) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PushRow[]> {
    for await (const { batch, rowKinds } of this.batches()) {
      yield batchToRows(batch, this.fields).map((values, i): PushRow => ({ op: ROW_KIND_NAMES[rowKinds ? rowKinds[i]! : 0]!, values }));
    }
  }
}
