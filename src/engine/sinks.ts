/**
 * Where a query's output goes. Persistent sinks (views, log topics) buffer an epoch's output
 * and stage it into the checkpoint's write batch, so it becomes visible exactly when the state
 * and source positions that produced it do. The push sink hands rows to a live client.
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError } from '../common/errors.js';
import type { EpochSink } from '../exec/epoch-sink.js';
import type { Field } from '../common/types.js';
import { batchFromRows, batchOfData, batchToRows, buildData, concatBatches, makeBatch, plain, readColumn } from '../exec/columns.js';
import { encodeBatch } from '../exec/ipc.js';
import { keyOf, keyOfValue } from '../common/keys.js';
import { ROW_KIND_NAMES, RowKind } from '../exec/message.js';
import type { EmbeddedLog, KvTable, WriteBatch } from '../state/index.js';
import type { StateRow } from '../state/index.js';
import type { PushBatch, PushRow } from './types.js';

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

/** An output batch of an epoch, its change kinds, and the rows of it a 'changes' view writes (see ViewSink.lastOfKeys). */
interface EpochChange {
  readonly batch: RecordBatch;
  readonly rowKinds: Uint8Array | undefined;
  readonly writes: Int32Array | undefined;
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
   * The epoch's output batches with their change kinds, for the changelog topic; a 'changes'
   * view's also with the rows it writes (the last of each key in the batch), staged from the
   * batch's columns, so that no object per row is held until the checkpoint.
   */
  private changes: EpochChange[] = [];
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
  }

  write(batch: RecordBatch, rowKinds: Uint8Array | undefined): void | Promise<void> {
    if (this.rows === 'multiset') return this.writeCounted(batch, rowKinds);
    if (this.rows === 'replacing') return this.writeReplacing(batch);
    this.changes.push({ batch, rowKinds, writes: this.lastOfKeys(batch) });
  }

  /** The rows of `batch` that are the last of their key in it, in order (see `stageWrites`). */
  private lastOfKeys(batch: RecordBatch): Int32Array {
    // A single key of a primitive type is told apart by its value; other values (each row's own
    // object) by their key.
    const last = new Map<unknown, number>();
    const keys = this.keyColumns.map((k) => readColumn(batch, k, this.fields[k]!.type));
    const single = keys.length === 1 ? keys[0]! : undefined;
    for (let i = 0; i < batch.numRows; i++) {
      const v = single?.[i];
      last.set(single ? (typeof v === 'object' && v !== null ? keyOfValue(v) : (v ?? null)) : keyOf(keys.map((col) => col[i])), i);
    }
    return Int32Array.from(last.values());
  }

  /**
   * Stages the rows `writes` of `batch` under their keys (deletes for -U and -D), but for the
   * keys in `staged` (those of later batches of the epoch, which win), adding its keys there.
   */
  private stageWrites(batch: RecordBatch, rowKinds: Uint8Array | undefined, writes: Int32Array, wb: WriteBatch, staged: Set<string> | undefined): void {
    const cols = this.fields.map((f, c) => readColumn(batch, c, f.type));
    const keys = this.keyColumns.map((k) => cols[k]!);
    const single = keys.length === 1 ? keys[0]! : undefined;
    // One array for every row: the write batch copies what is encoded from it at once.
    const row = new Array<unknown>(cols.length);
    for (let j = 0; j < writes.length; j++) {
      const i = writes[j]!;
      const key = single ? keyOfValue(single[i]) : keyOf(keys.map((col) => col[i]));
      if (staged) {
        if (staged.has(key)) continue;
        staged.add(key);
      }
      const kind = rowKinds ? rowKinds[i]! : RowKind.INSERT;
      if (kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE) {
        this.kv.delete(key, wb);
        continue;
      }
      for (let c = 0; c < cols.length; c++) row[c] = this.typed[c] ? plain(cols[c]![i]) : (cols[c]![i] ?? null);
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
    if (this.changelog) this.changes.push({ batch, rowKinds, writes: undefined });
  }

  /** The changelog batch of `changes`: their rows in order, with the change kind of each in `__op`. */
  private changelogBatch(changes: readonly EpochChange[]): RecordBatch {
    const rows = concatBatches(this.fields, changes.map((c) => c.batch));
    const kinds = new Int32Array(rows.numRows);
    let at = 0;
    for (const { batch, rowKinds } of changes) {
      if (rowKinds) kinds.set(rowKinds, at);
      at += batch.numRows;
    }
    return batchOfData(this.changelogFields, [...rows.data.children, buildData({ kind: 'INT' }, kinds, rows.numRows)], rows.numRows);
  }

  stage(wb: WriteBatch): void {
    this.staged = this.pending;
    const changes = this.changes;
    this.pending = new Map();
    this.changes = [];
    // forEach: a for-of loop over the entries would make an array per entry.
    this.staged.forEach((row, k) => {
      if (row === null) this.kv.delete(k, wb);
      else this.kv.upsert(k, row, wb);
    });
    // Last batch first, so that each key is written once, with its last row.
    const staged = changes.length > 1 ? new Set<string>() : undefined;
    for (let c = changes.length - 1; c >= 0; c--) {
      const { batch, rowKinds, writes } = changes[c]!;
      if (writes) this.stageWrites(batch, rowKinds, writes, wb, staged);
    }
    if (this.changelog) {
      // An epoch's changes go out in a few large batches: encoding one costs about as much as
      // encoding many small ones.
      for (let from = 0; from < changes.length; ) {
        let rows = 0;
        let to = from;
        while (to < changes.length && (to === from || rows + changes[to]!.batch.numRows <= CHANGELOG_CHUNK_ROWS)) rows += changes[to++]!.batch.numRows;
        const b = this.changelogBatch(changes.slice(from, to));
        this.changelog.log.append(this.changelog.topic, 0, encodeBatch(b), b.numRows, wb);
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
