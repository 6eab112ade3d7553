/**
 * Unwindowed GROUP BY: an updating table. Each input batch (or mini-batch of batches the source
 * already held) changes some groups; for each changed group the operator emits one change: +I
 * (new group), -U/+U (new values), or -D (its row count fell to zero).
 *
 * An aggregate without GROUP BY has exactly one row, as in SQL: COUNT(*) = 0 and SUM NULL before
 * any input, and it never disappears.
 */
import { DataType, Utf8, vectorFromArray, type RecordBatch } from 'apache-arrow';
import { stringifyExactJson } from '../../common/exact-json.js';
import { T, type Field } from '../../common/types.js';
import { columnsOf, type BoundExpr } from '../../planner/bound-expr.js';
import { decodeValue, encodeValue, type StateRow, type StateValue } from '../../state/index.js';
import { emitRows } from '../changes.js';
import { plain, readColumn, type Values } from '../columns.js';
import { compileExpr, type CompiledExpr } from '../compile-expr.js';
import { keyOf, keyOfValue, LONGEST_HASHED_STRING } from '../../common/keys.js';
import { RowKind, rowText, type Message } from '../message.js';
import { StreamOperator } from '../operator-driver.js';
import type { Accumulator } from './accumulators.js';
import { AggregateList, evaluateGroupKeys, usedColumns, type AggregateSpec, type ArgValues } from './aggregate-list.js';
import { ColumnAccumulators } from './column-accumulators.js';
import { decodeState } from './partial-state.js';
import { Utf8Slots } from './utf8-slots.js';

interface Group {
  readonly values: unknown[];
  count: number;
  /** With columns, none once the group has a slot: the columns hold its state (and `count`) until the barrier. */
  accs: Accumulator[];
  /** Whether it changed since the last barrier (and is to be written at the next). */
  dirty: boolean;
}

const TABLE = 'groups';
/** The key of the one group of an aggregate without GROUP BY. */
const GLOBAL_KEY = keyOf([]);
/**
 * Most input rows a mini-batch holds before its changes are emitted, however much more input
 * the source holds: bounds the delay of the output and the results held per touched group.
 */
export const MINI_BATCH_ROWS = 65_536;
/**
 * Heap bytes a held slot takes with columns (its key and text strings, group record and values,
 * table entries, column cells), charged to the state cache for the slots kept between barriers.
 */
const HELD_SLOT_BYTES = 320;
/** See flush: the slots are kept while one in this many of those a checkpoint interval added held a group found again. */
const KEEP_REFOUND = 16;

/** `fields`: the group values then the aggregate results. */
export interface GroupAggregateSpec extends AggregateSpec {
  /**
   * `final`: the input is LocalAggregateExec partials (group values, salt, net count, one
   * encoded state per aggregate), merged into the groups instead of added row by row.
   * Default `single`.
   */
  readonly phase?: 'single' | 'final';
}

/**
 * GroupAggregateExec.
 *
 * Invariants:
 * - The `groups` state table holds exactly the groups with a positive row count (as of the last
 *   barrier, plus the groups held since); the output downstream equals, after every batch, one
 *   row per group: group values then aggregate results (`fields`).
 * - The groups touched since the last barrier are held (with columns in the held slots, else in
 *   `working`, null: known not to exist); a batch reads the groups it needs and does not hold
 *   in one batched read of the state table, so memory grows with the keys touched per
 *   checkpoint interval, not with all keys. open() reads nothing but the global group.
 * - One change per group per mini-batch (its changes are coalesced); a group whose output did
 *   not change emits nothing. A mini-batch is one data message, or consecutive ones sent with
 *   the `more` hint (the source holds further input), up to MINI_BATCH_ROWS input rows; it ends
 *   at a message without the hint and before any control message, so the output of a
 *   mini-batch always moves on before the barrier, watermark or end that follows it.
 * - Rows whose group or argument expressions throw, and retractions the state cannot apply,
 *   go to the dead-letter stream and change nothing. In phase `final` the input rows are
 *   partials (see LocalAggregateExec) whose states are merged; retractions are checked per key
 *   over the whole batch, and a key whose net count goes negative is dead-lettered and dropped.
 * - On a barrier the groups changed since the last barrier are written to the `groups` state
 *   table before the barrier moves on, and `working` is emptied (the table's cache keeps them).
 *   With columns the held slots stay, their groups as written, as this table's cache (their
 *   reads and writes bypass the engine's): charged to the engine's cache budget, the most
 *   recently touched half kept where they outgrow what one table may charge, all dropped when
 *   the cache evicted the charge (see flush).
 * - Without group keys (`global`), the one group always exists: its row is emitted (+I) before
 *   the first message moves on, and a count of zero updates it instead of deleting it. Where the
 *   first message is rows, the row emitted is that of those rows (as a batch engine answers,
 *   and no transient row of no input that an expression over it might fail on, a division by
 *   COUNT(*)); before anything else, the results of no rows.
 */
export class GroupAggregateOperator extends StreamOperator {
  readonly name = 'GroupAggregateExec';
  readonly fields: readonly Field[];
  private readonly input: readonly Field[];
  private readonly phase: 'single' | 'final';
  private readonly keys: CompiledExpr[];
  private readonly aggs: AggregateList;
  /**
   * The aggregate state of the held slots in columns, when every call has them (phase
   * `single`). The groups of the slots then have no accumulators and a stale count, and the
   * barrier writes their state from the columns. The slots (with their key numbering) are
   * kept from one mini-batch to the next until the barrier, so a key seen again finds its
   * slot and state without `working` and without copying its state in and out.
   */
  private readonly columns: ColumnAccumulators | undefined;
  /**
   * With columns and one STRING column as the group key: that column's index. Rows then find
   * their slot by the column's bytes (`utf8`), and a key's text is decoded once per mini-batch.
   */
  private readonly utf8Key: number | undefined;
  private readonly utf8 = new Utf8Slots();
  private readonly used: number[];
  /**
   * Without columns: the groups touched since the last barrier (see the invariants). With
   * columns the held slots hold them, and this at most the global group, from its announcement
   * until its first input.
   */
  private working = new Map<string, Group | null>();
  /**
   * Without columns: keys whose group was deleted since the last barrier (a changed group is
   * marked `dirty` instead). With columns, HeldBatch.deleted.
   */
  private readonly deleted = new Set<string>();
  /** No GROUP BY: one group, present from the start (see the invariants). */
  private readonly global: boolean;
  /** Whether the global group's row has been emitted, or its first rows taken (always true for a keyed GROUP BY). */
  private announced = true;
  /** The global group has taken its first rows, and its row has not been emitted yet. */
  private unshown = false;
  private held = heldBatch();
  /** Input rows of the held mini-batch. */
  private heldRows = 0;
  /** Numbers the mini-batches (HeldBatch.seen). */
  private epoch = 0;
  /**
   * With columns, since the last barrier: the held slots kept at it (slots below `kept`), the
   * mini-batch it came before, and the groups the rows since found again (kept slots touched,
   * groups read that exist): whether the next barrier keeps the slots (see flush).
   */
  private kept = 0;
  private keptAt = 0;
  private cameBack = 0;
  /**
   * With columns: the last batch's rows being added, once its new groups are read and the rows
   * of the batch before it added (see onData). Settled before anything reads the columns.
   */
  private adding: Promise<void> = Promise.resolve();

  constructor(spec: GroupAggregateSpec) {
    super();
    const { input, groupBy, aggregates, udfs } = spec;
    this.input = input;
    this.fields = spec.fields;
    this.phase = spec.phase ?? 'single';
    const final = this.phase === 'final';
    const keyExprs: readonly BoundExpr[] = final ? groupBy.map((_, i) => ({ kind: 'Column', index: i, name: input[i]!.name, type: input[i]!.type })) : groupBy;
    this.keys = keyExprs.map((g) => compileExpr(g, input, udfs));
    this.global = keyExprs.length === 0;
    this.aggs = new AggregateList(final ? aggregates.map((a) => ({ ...a, args: [] })) : aggregates, input, udfs, spec.retractable);
    this.columns = final ? undefined : ColumnAccumulators.of(aggregates, spec.retractable);
    const key = keyExprs.length === 1 ? keyExprs[0] : undefined;
    this.utf8Key = this.columns && key?.kind === 'Column' && key.type.kind === 'STRING' ? key.index : undefined;
    const used = new Set<number>();
    if (this.utf8Key === undefined) for (const g of keyExprs) columnsOf(g, used);
    if (final) for (let c = groupBy.length + 1; c < input.length; c++) used.add(c);
    else for (const a of aggregates) for (const x of a.args) columnsOf(x, used);
    this.used = [...used].sort((a, b) => a - b);
  }

  protected override async onOpen(): Promise<void> {
    this.working = new Map();
    this.adding = Promise.resolve();
    this.forgetSlots();
    this.kept = 0;
    this.cameBack = 0;
    this.ctx.state.table(TABLE).charge(0);
    this.announced = !this.global || (await this.ctx.state.table(TABLE).get(GLOBAL_KEY)) !== undefined;
  }

  /**
   * The group of each of `keys` (distinct; undefined where none exists), reading those that
   * `working` does not hold from the state table in one batched read. Without columns the
   * groups read join `working`; with columns they go to their slots alone (see placeSlots), and
   * so does a group `working` holds (the global group announced before any input). With columns
   * a group read as its stored bytes comes as them, for placeSlots to load into its slot.
   */
  private async load(keys: readonly string[]): Promise<(Group | Buffer | undefined)[]> {
    const working = this.working;
    const hold = this.columns === undefined;
    const groups = new Array<Group | Buffer | undefined>(keys.length);
    // Without columns a key being read is held as absent meanwhile.
    const list: string[] = [];
    const at: number[] = [];
    for (let s = 0; s < keys.length; s++) {
      const k = keys[s]!;
      const g = working.size > 0 ? working.get(k) : undefined;
      if (g !== undefined) {
        groups[s] = g ?? undefined;
        if (!hold) working.delete(k);
        continue;
      }
      if (hold) working.set(k, null);
      list.push(k);
      at.push(s);
    }
    if (list.length === 0) return groups;
    let rows: (StateRow | Buffer | undefined)[];
    try {
      const table = this.ctx.state.table(TABLE);
      // With columns, while slots are kept (see flush) they keep what is read: the cache need not.
      rows = hold ? await table.getMany(list) : await table.getManyEncoded(list, this.kept === 0);
    } catch (err) {
      if (hold) for (const k of list) working.delete(k);
      throw err;
    }
    for (let i = 0; i < list.length; i++) {
      const r = rows[i];
      if (!r) continue;
      if (Buffer.isBuffer(r)) {
        groups[at[i]!] = r;
        continue;
      }
      const g = this.restored(r);
      if (hold) working.set(list[i]!, g);
      groups[at[i]!] = g;
    }
    return groups;
  }

  /** The group of a stored state. */
  private restored(r: StateRow): Group {
    const { g, c, a } = r as { g: StateValue[]; c: number; a: StateValue[] };
    return this.group([...g], c, this.aggs.restore(a));
  }

  override async process(msg: Message, port = 0): Promise<void> {
    if (!this.announced) {
      // Rows first: the global row is emitted with them (see the invariants).
      this.announced = true;
      if (msg.kind === 'data') this.unshown = true;
      else await this.announce();
    }
    if (msg.kind !== 'data') {
      await this.adding;
      await this.emitHeld();
      await this.showGlobal();
      return super.process(msg, port);
    }
    await super.process(msg, port);
    if (msg.more !== true || this.heldRows >= MINI_BATCH_ROWS) {
      await this.adding;
      await this.emitHeld();
      await this.showGlobal();
    }
  }

  /**
   * After a mini-batch, the global row where its first rows did not make it (none reached the
   * group, or every one was refused): the results of no rows, as `announce` emits them. With
   * columns the group's slot stays held, so the row goes out through it.
   */
  private showGlobal(): Promise<void> | undefined {
    if (!this.unshown) return undefined;
    this.unshown = false;
    const columns = this.columns;
    if (!columns || this.held.keys.length === 0) return this.announce();
    const held = this.held;
    held.groups[0] = this.group([], 0, NO_ACCS);
    held.touched.push(0);
    held.seen[0] = this.epoch;
    return this.emitColumns(columns);
  }

  protected override onBarrier(): void {
    this.flush();
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const n = batch.numRows;
    const cols = usedColumns(batch, this.input, this.used);
    const errors = new Map<number, string>();
    const keyVals = this.utf8Key === undefined ? evaluateGroupKeys(this.keys, cols, n, errors) : [];
    const args = this.phase === 'final' ? undefined : this.aggs.evaluate(cols, n, errors);
    const partial = args ? undefined : partialColumns(cols, this.keys.length);
    const held = this.held;
    const first = held.keys.length;
    const slots = this.utf8Key === undefined ? this.slotRows(keyVals, n, errors) : this.slotUtf8(batch, this.utf8Key);
    this.heldRows += n;
    if (this.columns && args) {
      const columns = this.columns;
      const texts = held.texts;
      const valuesOf = this.utf8Key === undefined ? (row: number) => keyVals.map((col) => plain(col[row])) : (_row: number, slot: number) => [texts[slot] ?? null];
      // The new slots of a batch are keys no earlier batch since the barrier had, so their read
      // need not wait for the rows before them: it goes on while the next batch finds its slots.
      // Rows are still added batch by batch, in order; at most two batches are in flight.
      const found = first === held.keys.length ? undefined : this.load(held.keys.slice(first));
      const previous = this.adding;
      const adding = Promise.all([found, previous]).then(([groups]) => {
        if (groups) this.placeSlots(first, groups);
        this.addColumns(columns, batch, rowKinds, valuesOf, args, slots, errors);
      });
      // Awaited by the next batch or message; a failed read fails that one.
      adding.catch(() => undefined);
      this.adding = adding;
      return previous;
    }
    await this.loadSlots(first);
    const { keys, groups } = held;
    const parts = new Array<unknown>(this.keys.length);
    // Partials (final phase) of one key may arrive in any salt order, so only the net count
    // of a key over the whole mini-batch is checked, when it is emitted.
    for (let i = 0; i < n; i++) {
      const err = errors.size > 0 ? errors.get(i) : undefined;
      if (err !== undefined) {
        this.reject(batch, i, err);
        continue;
      }
      const kind = rowKinds ? rowKinds[i] : RowKind.INSERT;
      const delta = partial ? Number(partial.counts[i]) : kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE ? -1 : 1;
      const sign = delta < 0 ? -1 : 1;
      const slot = slots[i]!;
      let g = groups[slot];
      if (!partial && sign < 0 && (!g || g.count <= 0)) {
        this.reject(batch, i, 'retraction of a row in a group that does not exist');
        continue;
      }
      if (!g) {
        for (let k = 0; k < parts.length; k++) parts[k] = plain(keyVals[k]![i]);
        g = this.emptyGroup([...parts]);
        this.working.set(keys[slot]!, g);
        groups[slot] = g;
      }
      if (partial) {
        const states = partial.states.map((col) => decodeState(String(col[i])));
        const failed = AggregateList.merge(g.accs, this.aggs.restore(states));
        if (failed !== undefined) {
          this.reject(batch, i, failed);
          continue;
        }
        g.count += delta;
        continue;
      }
      const failed = this.aggs.add(g.accs, args!, i, sign);
      if (failed !== undefined) {
        this.reject(batch, i, failed);
        continue;
      }
      g.count += sign;
    }
  }

  /**
   * onData when the aggregate state is in columns: accepts or refuses each row in order (its
   * group's running count in `columns.rows` decides whether a retraction applies), then adds
   * the accepted rows call by call.
   */
  private addColumns(columns: ColumnAccumulators, batch: RecordBatch, rowKinds: Uint8Array | undefined, valuesOf: (row: number, slot: number) => unknown[], args: ArgValues, slots: Int32Array, errors: ReadonlyMap<number, string>): void {
    const n = batch.numRows;
    const { groups, seen, touched } = this.held;
    const epoch = this.epoch;
    const rows = columns.rows;
    const signs = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      const err = errors.size > 0 ? errors.get(i) : undefined;
      if (err !== undefined) {
        this.reject(batch, i, err);
        continue;
      }
      const kind = rowKinds ? rowKinds[i] : RowKind.INSERT;
      const sign = kind === RowKind.UPDATE_BEFORE || kind === RowKind.DELETE ? -1 : 1;
      const slot = slots[i]!;
      if (sign < 0) {
        const failed = groups[slot] === undefined || rows[slot]! <= 0 ? 'retraction of a row in a group that does not exist' : columns.retractError(args, i);
        if (failed !== undefined) {
          this.reject(batch, i, failed);
          continue;
        }
      } else if (groups[slot] === undefined) groups[slot] = this.group(valuesOf(i, slot), 0, NO_ACCS);
      rows[slot] = rows[slot]! + sign;
      signs[i] = sign;
      if (seen[slot] !== epoch) {
        if (slot < this.kept && seen[slot]! < this.keptAt) this.cameBack++;
        seen[slot] = epoch;
        touched.push(slot);
      }
    }
    columns.add(args, slots, signs, n);
  }

  /** slotRows for the STRING key column `column` (see utf8Key): every row has a slot. */
  private slotUtf8(batch: RecordBatch, column: number): Int32Array {
    const n = batch.numRows;
    const slots = new Int32Array(n);
    const held = this.held;
    let data = batch.data.children[column]!;
    if (!DataType.isUtf8(data.type)) data = vectorFromArray(readColumn(batch, column, T.STRING) as (string | null)[], new Utf8()).data[0]!;
    const newSlot = (text: string | null): number => {
      held.texts.push(text);
      return held.keys.push(keyOfValue(text)) - 1;
    };
    this.utf8.slotRows(data, slots, 0, () => (held.nullSlot ??= newSlot(null)), newSlot);
    return slots;
  }

  /**
   * The slot of each row of a batch in the held mini-batch (rows in `errors` have none): the
   * index in `held.keys` of its group key, numbering keys the mini-batch has not seen yet. A
   * single key column of primitive values is numbered by value, so each distinct value is
   * turned into its key text once per mini-batch.
   */
  private slotRows(keyVals: readonly (readonly unknown[])[], n: number, errors: ReadonlyMap<number, string>): Int32Array {
    const slots = new Int32Array(n);
    const { keys, byKey, byValue } = this.held;
    const slotOf = (key: string): number => {
      let slot = byKey.get(key);
      if (slot === undefined) {
        slot = keys.length;
        keys.push(key);
        byKey.set(key, slot);
      }
      return slot;
    };
    const single = keyVals.length === 1 ? keyVals[0]! : undefined;
    const parts = new Array<unknown>(keyVals.length);
    for (let i = 0; i < n; i++) {
      if (errors.size > 0 && errors.has(i)) continue;
      if (single) {
        const v = single[i];
        // An object, or a string too long for V8 to hash (see hashable), goes by its key text.
        if ((v !== null && typeof v === 'object') || (typeof v === 'string' && v.length > LONGEST_HASHED_STRING)) {
          slots[i] = slotOf(keyOfValue(v));
          continue;
        }
        let slot = byValue.get(v);
        if (slot === undefined) {
          // Distinct primitives of one column have distinct key texts: no need for byKey.
          slot = keys.length;
          keys.push(keyOfValue(v));
          byValue.set(v, slot);
        }
        slots[i] = slot;
        continue;
      }
      for (let k = 0; k < parts.length; k++) parts[k] = keyVals[k]![i];
      slots[i] = slotOf(keyOf(parts));
    }
    return slots;
  }

  /**
   * Finds the groups of the held slots from `first` on (slots the last batch added), reading
   * those that `working` does not hold from the state table in one batched read, and records
   * the results downstream of each before the mini-batch (with columns, the columns hold
   * them: STALE stands for them).
   */
  private async loadSlots(first: number): Promise<void> {
    const { keys } = this.held;
    if (first === keys.length) return;
    this.placeSlots(first, await this.load(first === 0 ? keys : keys.slice(first)));
  }

  /** Records the groups `found` of the held slots from `first` on (see loadSlots). */
  private placeSlots(first: number, found: readonly (Group | Buffer | undefined)[]): void {
    const { groups, before, seen } = this.held;
    const columns = this.columns;
    for (let s = first; s < first + found.length; s++) {
      let g = found[s - first];
      if (g) this.cameBack++;
      if (Buffer.isBuffer(g)) {
        // Stored bytes (with columns only): straight into the slot, else decoded and loaded.
        const values = columns!.loadBytes(g);
        if (values !== undefined) {
          groups.push(this.group(values, 0, NO_ACCS));
          before.push(STALE);
          seen.push(-1);
          continue;
        }
        g = this.restored(decodeValue<StateRow>(g));
      }
      groups.push(g);
      if (!columns) before.push(g ? this.results(g) : null);
      else if (g) {
        before.push(STALE);
        columns.load(g.accs, g.count);
        g.accs = NO_ACCS;
      } else {
        before.push(null);
        columns.loadEmpty();
      }
      if (columns) seen.push(-1);
    }
  }

  /** Emits one change per group the held mini-batch touched and starts the next mini-batch. */
  private emitHeld(): Promise<void> | undefined {
    if (this.columns) return this.emitColumns(this.columns);
    const { keys, groups, before } = this.held;
    this.held = heldBatch();
    this.heldRows = 0;
    if (groups.length === 0) return undefined;
    const nv = this.keys.length;
    const out = this.fields.map(() => new Array<unknown>());
    const kinds = new Uint8Array(2 * groups.length);
    let m = 0;
    const push = (values: readonly unknown[], results: readonly unknown[], kind: number) => {
      for (let c = 0; c < nv; c++) out[c]!.push(values[c] ?? null);
      for (let c = 0; c < results.length; c++) out[nv + c]!.push(results[c] ?? null);
      kinds[m++] = kind;
    };
    for (let t = 0; t < groups.length; t++) {
      const key = keys[t]!;
      let g = groups[t];
      if (!g) continue;
      const old = before[t] ?? null;
      const values = g.values;
      if (g.count < 0) this.ctx.deadLetter({ reason: 'retraction of a row in a group that does not exist', operator: this.name, row: stringifyExactJson(g.values) });
      if (g.count <= 0) {
        // The global group outlives its last row, reset to the results of no rows.
        g = this.global ? this.emptyGroup([]) : undefined;
        this.working.set(key, g ?? null);
      }
      if (!g) {
        this.deleted.add(key);
        if (old) push(values, old, RowKind.DELETE);
        continue;
      }
      g.dirty = true;
      const now = this.results(g);
      if (!old) {
        push(values, now, RowKind.INSERT);
        this.unshown = false;
      }
      else if (!sameRow(old, now)) {
        push(values, old, RowKind.UPDATE_BEFORE);
        push(values, now, RowKind.UPDATE_AFTER);
      }
    }
    if (m === 0) return undefined;
    return emitRows(this.ctx, this.name, 'aggregate result', this.fields, out, m, kinds.subarray(0, m));
  }

  /**
   * emitHeld with columns: one change per slot the mini-batch touched, its results before (as
   * last shown) and after read from the columns; the slots stay for the next mini-batch.
   */
  private emitColumns(columns: ColumnAccumulators): Promise<void> | undefined {
    const held = this.held;
    const { groups, before, touched } = held;
    this.heldRows = 0;
    if (touched.length === 0) return undefined;
    held.touched = [];
    this.epoch++;
    const nv = this.keys.length;
    // Output row i: the group values `values[i]` and the results of slot `picks[i]`, as last shown where `shown[i]` is 1.
    const values: (readonly unknown[])[] = [];
    const picks = new Int32Array(2 * touched.length);
    const shown = new Uint8Array(2 * touched.length);
    const kinds = new Uint8Array(2 * touched.length);
    let m = 0;
    const push = (v: readonly unknown[], s: number, was: boolean, kind: number) => {
      values.push(v);
      picks[m] = s;
      shown[m] = was ? 1 : 0;
      kinds[m++] = kind;
    };
    for (const s of touched) {
      let g = groups[s];
      if (!g) continue;
      const existed = before[s] !== null;
      const count = columns.rowCount(s);
      if (count < 0) this.ctx.deadLetter({ reason: 'retraction of a row in a group that does not exist', operator: this.name, row: stringifyExactJson(g.values) });
      if (count <= 0) {
        // A deleted group's slot keeps the results it showed until the output is built.
        if (!this.global) {
          groups[s] = undefined;
          held.deleted.push(s);
          if (existed) push(g.values, s, true, RowKind.DELETE);
          before[s] = null;
          continue;
        }
        // The global group outlives its last row, reset to the results of no rows.
        columns.reset(s);
        g = this.group([], 0, NO_ACCS);
        groups[s] = g;
      }
      g.dirty = true;
      if (!existed) {
        push(g.values, s, false, RowKind.INSERT);
        this.unshown = false;
      }
      else if (columns.changed(s)) {
        push(g.values, s, true, RowKind.UPDATE_BEFORE);
        push(g.values, s, false, RowKind.UPDATE_AFTER);
      }
      before[s] = STALE;
    }
    const out: Values[] = [];
    for (let c = 0; c < nv; c++) out.push(values.map((v) => v[c] ?? null));
    for (let k = 0; k < columns.calls; k++) out.push(columns.output(k, picks, shown, m));
    for (const s of touched) {
      if (!groups[s]) columns.reset(s);
      columns.show(s);
    }
    if (m === 0) return undefined;
    return emitRows(this.ctx, this.name, 'aggregate result', this.fields, out, m, kinds.subarray(0, m));
  }

  /** Emits the global group's row for no input, before anything else leaves the operator. */
  private announce(): Promise<void> {
    this.announced = true;
    const g = this.emptyGroup([]);
    this.working.set(GLOBAL_KEY, g);
    g.dirty = true;
    const row = this.output(g);
    return emitRows(this.ctx, this.name, 'aggregate result', this.fields, this.fields.map((_, c) => [row[c] ?? null]), 1, Uint8Array.of(RowKind.INSERT));
  }

  private emptyGroup(values: unknown[]): Group {
    return this.group(values, 0, this.aggs.create());
  }

  private group(values: unknown[], count: number, accs: Accumulator[]): Group {
    return { values, count, accs, dirty: false };
  }

  private output(g: Group): unknown[] {
    return [...g.values, ...this.results(g)];
  }

  /** The aggregate results of `g`, in call order. */
  private results(g: Group): unknown[] {
    const accs = g.accs;
    const row = new Array<unknown>(accs.length);
    for (let k = 0; k < accs.length; k++) row[k] = accs[k]!.result();
    return row;
  }

  private reject(batch: RecordBatch, row: number, reason: string): void {
    this.ctx.deadLetter({ reason, operator: this.name, row: rowText(batch, this.input, row) });
  }

  private flush(): void {
    const table = this.ctx.state.table(TABLE);
    if (this.columns) {
      const { keys, groups } = this.held;
      // The slots keep their groups as written here, for the groups that come back (a hot key
      // needs no read), as the cache would, while groups do come back (one in KEEP_REFOUND of
      // the slots the interval added was found again) and the engine's cache has room for them:
      // where they are more than one table may charge, the half most recently used.
      // The groups it stops keeping go to the shared cache.
      const keep = this.cameBack * KEEP_REFOUND >= keys.length - this.kept;
      const most = Math.floor(table.chargeLimit / HELD_SLOT_BYTES);
      const to = keep && keys.length > most ? this.recentSlots(most >> 1) : undefined;
      for (let s = 0; s < groups.length; s++) {
        const g = groups[s];
        if (!g) continue;
        const dropped = to !== undefined && to[s]! < 0;
        if (!g.dirty && !dropped) continue;
        const bytes = this.columns.groupBytes(g.values, s) ?? encodeValue({ g: g.values as StateValue[], c: this.columns.rowCount(s), a: this.columns.save(s) } satisfies StateRow);
        if (!g.dirty) table.cacheValue(keys[s]!, bytes);
        else table.putEncoded(keys[s]!, bytes, !keep ? 'policy' : dropped ? 'cache' : 'held');
        g.dirty = false;
      }
      for (const s of this.held.deleted) if (!groups[s]) table.delete(keys[s]!);
      this.held.deleted = [];
      if (!keep) this.forgetSlots();
      else if (to) this.renumber(to);
      if (!table.charge(this.held.keys.length * HELD_SLOT_BYTES)) {
        this.forgetSlots();
        table.charge(0);
      }
      this.kept = this.held.keys.length;
      this.keptAt = this.epoch;
      this.cameBack = 0;
    }
    for (const key of this.deleted) if (!this.working.get(key)) table.delete(key);
    this.working.forEach((g, key) => {
      if (g?.dirty) table.put(key, { g: g.values as StateValue[], c: g.count, a: AggregateList.save(g.accs) } satisfies StateRow);
    });
    this.deleted.clear();
    this.working.clear();
  }

  /**
   * The new number of each held slot (with columns, at a barrier) when only the `most` whose
   * groups the latest mini-batches touched are kept, in their order; -1 for the others.
   */
  private recentSlots(most: number): Int32Array {
    const { groups, seen } = this.held;
    const to = new Int32Array(groups.length).fill(-1);
    const live: number[] = [];
    for (let s = 0; s < groups.length; s++) if (groups[s]) live.push(seen[s]!);
    if (live.length === 0 || most <= 0) return to;
    // The oldest mini-batch kept, and how many of the slots it last touched fit.
    const epochs = Int32Array.from(live).sort().reverse();
    const oldest = epochs[Math.min(most, epochs.length) - 1]!;
    let ties = 0;
    for (let i = Math.min(most, epochs.length) - 1; i >= 0 && epochs[i] === oldest; i--) ties++;
    let kept = 0;
    for (let s = 0; s < groups.length; s++) {
      if (!groups[s]) continue;
      const e = seen[s]!;
      if (e < oldest || (e === oldest && ties-- <= 0)) continue;
      to[s] = kept++;
    }
    return to;
  }

  /** Keeps the held slots that `to` numbers (see recentSlots), renumbered, and forgets the others. */
  private renumber(to: Int32Array): void {
    const held = this.held;
    const { keys, groups, seen } = held;
    const kept: number[] = [];
    for (let s = 0; s < to.length; s++) if (to[s]! >= 0) kept.push(s);
    const next = heldBatch();
    for (const s of kept) {
      next.keys.push(keys[s]!);
      next.groups.push(groups[s]);
      next.before.push(held.before[s]!);
      next.seen.push(seen[s]!);
      if (held.texts.length > 0) next.texts.push(held.texts[s]!);
    }
    for (const [k, s] of held.byKey) if (to[s]! >= 0) next.byKey.set(k, to[s]!);
    for (const [v, s] of held.byValue) if (to[s]! >= 0) next.byValue.set(v, to[s]!);
    if (held.nullSlot !== undefined && to[held.nullSlot]! >= 0) next.nullSlot = to[held.nullSlot];
    this.held = next;
    this.columns!.retain(Int32Array.from(kept));
    this.utf8.retain(to);
  }

  /** Forgets the held slots (with columns, flush writes their groups first). */
  private forgetSlots(): void {
    this.held = heldBatch();
    this.heldRows = 0;
    this.columns?.clear();
    this.utf8.clear();
  }

  /** Number of groups held in memory that exist: those touched since the last barrier, and with columns those kept from before it. */
  get size(): number {
    let n = 0;
    for (const g of this.working.values()) if (g) n++;
    if (this.columns) for (const g of this.held.groups) if (g) n++;
    return n;
  }
}

/**
 * The mini-batch being held, one slot per group key it touched, in the order it first touched
 * them: the key, the group (undefined while none exists), and the group's results downstream
 * before the mini-batch (null: the group did not exist). `byKey` and `byValue` number the keys
 * (see slotRows). With columns the slots are kept until the barrier: `touched` lists those the
 * held mini-batch touched, `seen` holds per slot the epoch of the last mini-batch that did, and
 * `deleted` the slots whose group was deleted (it may exist again since).
 */
interface HeldBatch {
  readonly keys: string[];
  touched: number[];
  readonly seen: number[];
  readonly groups: (Group | undefined)[];
  readonly before: (readonly unknown[] | null)[];
  readonly byKey: Map<string, number>;
  readonly byValue: Map<unknown, number>;
  deleted: number[];
  /** With utf8Key: the key text of each slot, and the slot of the NULL key. */
  readonly texts: (string | null)[];
  nullSlot: number | undefined;
}

/** The accumulators of a group whose state the columns hold. */
const NO_ACCS: Accumulator[] = [];

/** In HeldBatch.before with columns: the group exists downstream, with the results the columns last showed for its slot. */
const STALE: readonly unknown[] = [];

function heldBatch(): HeldBatch {
  return { keys: [], touched: [], seen: [], groups: [], before: [], byKey: new Map(), byValue: new Map(), deleted: [], texts: [], nullSlot: undefined };
}

/** The net-count and state columns of a partial batch whose first `groups` columns are the group. */
function partialColumns(cols: readonly (Values | undefined)[], groups: number): { counts: Values; states: Values[] } {
  const empty: Values = [];
  return { counts: cols[groups + 1] ?? empty, states: cols.slice(groups + 2).map((c) => c ?? empty) };
}

/** Whether a group's output row is unchanged: values equal as SQL sees them, NaN equal to NaN (as DuckDB), 0 to -0. */
function sameRow(a: readonly unknown[], b: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number') return typeof b === 'number' && a !== a && b !== b;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return false;
  const list = (x: object) => Array.isArray(x) || ArrayBuffer.isView(x);
  if (list(a) || list(b)) {
    if (!list(a) || !list(b)) return false;
    const x = a as ArrayLike<unknown>;
    const y = b as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameValue(x[i], y[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const names = Object.keys(x);
  if (names.length !== Object.keys(y).length) return false;
  return names.every((k) => Object.hasOwn(y, k) && sameValue(x[k], y[k]));
}
