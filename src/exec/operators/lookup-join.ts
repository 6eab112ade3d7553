/**
 * Stream-table lookup join: each stream row looks up the latest row of a TABLE by primary key,
 * at the time the row is processed. The keys of a batch are read together (one batched read of
 * the keys the state cache does not hold). INNER drops rows with no match; LEFT fills NULLs.
 */
import { DataType, type Data, type RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { BoundExpr } from '../../planner/bound-expr.js';
import { dropRows, keepRows } from '../changes.js';
import { batchOfData, buildDataChecked, takeColumn } from '../columns.js';
import { compileExpr, type CompiledExpr, type UdfResolver } from '../compile-expr.js';
import { hashableValue, keyOf, keyOfValue } from '../../common/keys.js';
import { Utf8Slots } from './utf8-slots.js';
import { rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';

/** Read access to a table's current rows (values in table schema order). */
export interface TableLookup {
  /** The rows of `keys` (undefined where absent), in order: one batched read per batch of rows. */
  getMany(keys: readonly string[]): Promise<(readonly unknown[] | undefined)[]>;
  /**
   * A number that changes whenever the table's rows may have changed (each write), so that a
   * reader may reuse what it read while the number stays the same. Absent: never reuse.
   */
  version?(): number;
}

/** Keys (and their rows) a lookup join keeps from one batch to the next while its table does not change (see TableLookup.version). */
const REMEMBERED_ROWS = 4096;

export interface LookupJoinSpec {
  readonly input: readonly Field[];
  /** Input fields ++ the table's fields taken (`tableColumns`). */
  readonly fields: readonly Field[];
  /** One expression over the input per table key column, in key order. */
  readonly keys: readonly BoundExpr[];
  /** The table's columns appended to each row, by position in the table's schema. */
  readonly tableColumns: readonly number[];
  readonly joinType: 'INNER' | 'LEFT';
  readonly table: TableLookup;
  readonly udfs: UdfResolver;
}

/**
 * StreamLookupJoinExec. Invariants: output = input columns ++ the table's columns, one row per
 * input row that matches (INNER) or every input row (LEFT, NULLs when nothing matches), in input
 * order with its change kind; a -U/+U pair of which one half finds no match (INNER) becomes -D or
 * +I (see keepRows). A row whose key expression throws, or whose table values a column cannot
 * hold, goes to the dead-letter stream. Watermarks and barriers pass unchanged.
 */
export class StreamLookupJoinOperator extends StreamOperator {
  readonly name = 'StreamLookupJoinExec';
  readonly fields: readonly Field[];
  private readonly input: readonly Field[];
  private readonly keys: CompiledExpr[];
  private readonly tableColumns: readonly number[];
  private readonly joinType: 'INNER' | 'LEFT';
  private readonly table: TableLookup;
  /** With a single key that is a STRING column: its index (rows are numbered by their key's UTF-8 bytes, see byBytes). */
  private readonly utf8Key: number | undefined;
  /**
   * With utf8Key: the keys seen, numbered by their bytes over batches (at most REMEMBERED_KEYS,
   * then forgotten), each key's text, and its row as read while the table's version was
   * `readAt` (undefined: absent). A key read once is not decoded nor read again while the
   * table does not change.
   */
  private readonly utf8 = new Utf8Slots();
  private keyTexts: string[] = [];
  private keyRows: (readonly unknown[] | undefined)[] = [];
  /** Per numbered key: 1 when keyRows holds its row at version `readAt`. */
  private keyRead = new Uint8Array(64);
  private readAt: number | undefined;
  /** Rows read (undefined: absent) by key text, at version `readAt`, for other keys (see byValue). */
  private readonly remembered = new Map<string, readonly unknown[] | undefined>();

  constructor(spec: LookupJoinSpec) {
    super();
    ({ input: this.input, fields: this.fields, tableColumns: this.tableColumns, joinType: this.joinType, table: this.table } = spec);
    this.keys = spec.keys.map((k) => compileExpr(k, spec.input, spec.udfs));
    const only = spec.keys.length === 1 ? spec.keys[0]! : undefined;
    this.utf8Key = only?.kind === 'Column' && only.type.kind === 'STRING' ? only.index : undefined;
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const n = batch.numRows;
    const column = this.utf8Key === undefined ? undefined : batch.data.children[this.utf8Key];
    const { slots, rows, failed } = column && DataType.isUtf8(column.type) ? await this.byBytes(column, n) : await this.byValue(batch, n);
    const matchOf = (i: number): readonly unknown[] | undefined => (slots[i]! < 0 ? undefined : rows[slots[i]!]);
    const kept = keepRows(n, rowKinds, (i) => !(failed.size > 0 && failed.has(i)) && (this.joinType === 'LEFT' || matchOf(i) !== undefined));
    const m = kept.count;
    if (m === 0) return;
    const idx = kept.indexes.subarray(0, m);
    const left = kept.all ? batch.data.children : this.input.map((f, c) => takeColumn(batch, c, f.type, idx, m));
    const n0 = this.input.length;
    const bad = new Map<number, string>();
    const right = this.tableColumns.map((tc, j) => {
      const f = this.fields[n0 + j]!;
      const built = buildDataChecked(f.type, Array.from(idx, (i) => matchOf(i)?.[tc] ?? null), m);
      for (const [row, reason] of built.bad) if (!bad.has(row)) bad.set(row, `table ${f.name}: ${reason}`);
      return built.data;
    });
    let out = batchOfData(this.fields, [...left, ...right], m);
    let kinds = kept.rowKinds;
    if (bad.size) {
      for (const [row, reason] of bad) this.ctx.deadLetter({ reason: `lookup join: ${reason}`, operator: this.name, row: rowText(batch, this.input, idx[row]!) });
      ({ batch: out, rowKinds: kinds } = dropRows(out, this.fields, kinds, bad));
      if (out.numRows === 0) return;
    }
    await this.ctx.emit({ kind: 'data', batch: out, ...(kinds ? { rowKinds: kinds } : {}) });
  }

  /**
   * The match of each row, evaluating the key expressions: each row's index into the rows read
   * (-1: no key), one per distinct key of the batch, read together. Rows whose key fails are in
   * `failed` (sent to the dead-letter stream).
   */
  private async byValue(batch: RecordBatch, n: number): Promise<Matches> {
    const keyVals = this.keys.map((k) => k.evaluate(batch));
    const failed = new Set<number>();
    for (const kv of keyVals) {
      for (const e of kv.errors) {
        if (failed.has(e.row)) continue;
        failed.add(e.row);
        this.ctx.deadLetter({ reason: `join key: ${e.message}`, operator: this.name, row: rowText(batch, this.input, e.row) });
      }
    }
    // Each row's index into `distinct` (-1: no key), so a key repeated in the batch is looked up once.
    const slots = new Int32Array(n).fill(-1);
    const distinct: string[] = [];
    // Keyed by the key, or for a single key of a primitive type by the value itself, so that its key is made once per distinct value.
    const slotOf = new Map<unknown, number>();
    const single = keyVals.length === 1 ? keyVals[0]!.values : undefined;
    const parts = new Array<unknown>(this.keys.length);
    for (let i = 0; i < n; i++) {
      if (failed.size > 0 && failed.has(i)) continue;
      let id: unknown;
      if (single) {
        const v = single[i];
        if (v === null || v === undefined) continue;
        id = typeof v === 'object' ? keyOfValue(v) : hashableValue(v);
      } else {
        let isNull = false;
        for (let k = 0; k < keyVals.length; k++) {
          const v = keyVals[k]!.values[i];
          if (v === null || v === undefined) isNull = true;
          parts[k] = v;
        }
        if (isNull) continue;
        id = keyOf(parts);
      }
      let slot = slotOf.get(id);
      if (slot === undefined) {
        slot = distinct.length;
        slotOf.set(id, slot);
        distinct.push(single && typeof single[i] !== 'object' ? keyOfValue(id) : (id as string));
      }
      slots[i] = slot;
    }
    return { slots, rows: distinct.length ? await this.lookUp(distinct) : [], failed };
  }

  /**
   * byValue for a single key that is a STRING column: rows are numbered by their key's UTF-8
   * bytes (NULL: no key), and only keys new to the operator are decoded; the keys whose row is
   * not known at the table's current version are read together.
   */
  private async byBytes(column: Data, n: number): Promise<Matches> {
    this.checkVersion();
    if (this.keyTexts.length > REMEMBERED_ROWS) {
      this.utf8.clear();
      this.keyTexts = [];
      this.keyRows = [];
      this.keyRead.fill(0);
    }
    const texts = this.keyTexts;
    const slots = new Int32Array(n);
    this.utf8.slotRows(column, slots, 0, () => -1, (text) => texts.push(keyOfValue(text)) - 1);
    if (this.keyRead.length < texts.length) {
      const grown = new Uint8Array(Math.max(texts.length, 2 * this.keyRead.length));
      grown.set(this.keyRead);
      this.keyRead = grown;
    }
    const read = this.keyRead;
    let unread: number[] | undefined;
    for (let i = 0; i < n; i++) {
      const s = slots[i]!;
      if (s < 0 || read[s] !== 0) continue;
      // 2: asked for in this batch.
      read[s] = 2;
      (unread ??= []).push(s);
    }
    const rows = this.keyRows;
    if (unread) {
      let found: (readonly unknown[] | undefined)[];
      try {
        found = await this.table.getMany(unread.map((s) => texts[s]!));
      } catch (err) {
        for (const s of unread) read[s] = 0;
        throw err;
      }
      // Known as of the version before the read: a write meanwhile changed the version, and the next batch reads them again.
      for (let j = 0; j < unread.length; j++) {
        rows[unread[j]!] = found[j];
        read[unread[j]!] = 1;
      }
    }
    return { slots, rows, failed: NO_ROWS };
  }

  /** Forgets the rows read when the table's version changed (or always, for a table without one). */
  private checkVersion(): void {
    const version = this.table.version?.();
    if (version !== undefined && version === this.readAt) return;
    this.readAt = version;
    this.remembered.clear();
    this.keyRead.fill(0);
  }

  /** The table's rows of `keys`, reusing those read at the table's current version. */
  private async lookUp(keys: readonly string[]): Promise<(readonly unknown[] | undefined)[]> {
    this.checkVersion();
    const version = this.readAt;
    if (version === undefined) return this.table.getMany(keys);
    const remembered = this.remembered;
    const out = new Array<readonly unknown[] | undefined>(keys.length);
    let unread: number[] | undefined;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const row = remembered.get(k);
      if (row !== undefined || remembered.has(k)) out[i] = row;
      else (unread ??= []).push(i);
    }
    if (!unread) return out;
    const rows = await this.table.getMany(unread.map((i) => keys[i]!));
    // Kept as of the version before the read: a write meanwhile changed the version, and the next batch reads them again.
    if (remembered.size + rows.length > REMEMBERED_ROWS) remembered.clear();
    for (let j = 0; j < unread.length; j++) {
      const i = unread[j]!;
      out[i] = rows[j];
      if (remembered.size < REMEMBERED_ROWS) remembered.set(keys[i]!, rows[j]);
    }
    return out;
  }
}

/** Each row's index into `rows` (-1: no key), the rows read (undefined: no match), and the rows whose key failed. */
interface Matches {
  readonly slots: Int32Array;
  readonly rows: readonly (readonly unknown[] | undefined)[];
  readonly failed: ReadonlySet<number>;
}

const NO_ROWS: ReadonlySet<number> = new Set();
