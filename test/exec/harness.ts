/** Drives one operator in tests: collects its output and dead letters, keeps its state on a temp store. */
import type { RecordBatch } from 'apache-arrow';
import type { DataType, Field } from '../../src/common/types.js';
import { batchFromRows, batchToRows } from '../../src/exec/columns.js';
import { ROW_KIND_NAMES, type DeadLetter, type Message, type Operator, type OperatorContext } from '../../src/exec/message.js';
import { StateTable, type StateCache, type StateRow, type Store } from '../../src/state/index.js';
import { TempStores } from '../state/helpers.js';

export const TS: DataType = { kind: 'TIMESTAMP', precision: 3 };
export const f = (name: string, type: DataType): Field => ({ name, type, nullable: true });
export const t = (iso: string): number => Date.parse(`${iso}Z`);

export function data(fields: readonly Field[], rows: readonly Record<string, unknown>[], rowKinds?: number[]): Message {
  const batch: RecordBatch = batchFromRows(fields, rows);
  return rowKinds ? { kind: 'data', batch, rowKinds: Uint8Array.from(rowKinds) } : { kind: 'data', batch };
}

/** A seeded generator of small integers (mulberry32), so a failure replays. */
export function random(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

/** A row as JSON, BIGINTs as numbers. */
export const rowJsonText = (r: readonly unknown[]): string => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));

/**
 * Applies the harnesses' output changelogs in order: +I adds a row, -D takes one equal row away
 * (which must be there, or `expectHeld` fails). The rows left, as sorted JSON.
 */
export function foldRows(hs: readonly Harness[], fields: readonly Field[], expectHeld: (held: number, key: string) => void): string[] {
  const rows = new Map<string, number>();
  for (const [op, ...r] of hs.flatMap((h) => h.rows(fields, true))) {
    const key = rowJsonText(r);
    const n = rows.get(key) ?? 0;
    if (op === '+I') rows.set(key, n + 1);
    else {
      expectHeld(n, key);
      rows.set(key, n - 1);
    }
  }
  return [...rows].flatMap(([k, n]) => Array<string>(n).fill(k)).sort();
}

export class Harness {
  readonly out: Message[] = [];
  readonly letters: DeadLetter[] = [];
  private readonly tables = new Map<string, StateTable<StateRow>>();
  private readonly abort = new AbortController();
  /** What the context tells the operator: its inputs end (a pull query). */
  bounded = false;

  /** `cache`: the cache the state tables read through (default: a private one each). */
  constructor(
    private readonly store: Store,
    private readonly cache?: StateCache,
  ) {}

  static async create(stores: TempStores, cache?: StateCache): Promise<Harness> {
    return new Harness(await stores.open(), cache);
  }

  /** A fresh harness on the same store (a restarted query): committed state only. */
  restart(): Harness {
    return new Harness(this.store, this.cache);
  }

  ctx(): OperatorContext {
    return {
      emit: async (m) => {
        this.out.push(m);
      },
      deadLetter: (l) => this.letters.push(l),
      signal: this.abort.signal,
      bounded: this.bounded,
      state: {
        table: (name) => {
          let tb = this.tables.get(name);
          if (!tb) {
            tb = new StateTable<StateRow>(this.store, `q/op0.${name}`, 0, this.cache ? { cache: this.cache } : {});
            this.tables.set(name, tb);
          }
          return tb;
        },
      },
    };
  }

  async open(op: Operator): Promise<Operator> {
    await op.open(this.ctx());
    return op;
  }

  /** Commits every state table (what the sink does when a barrier reaches it). */
  async commit(): Promise<void> {
    const wb = this.store.batch();
    for (const tb of this.tables.values()) tb.flush(wb);
    await wb.write();
  }

  /** Output data rows as `[op, ...values]` (op omitted for insert-only batches when `ops` is false). */
  rows(fields: readonly Field[], ops = false): unknown[][] {
    const rows: unknown[][] = [];
    for (const m of this.out) {
      if (m.kind !== 'data') continue;
      batchToRows(m.batch, fields).forEach((r, i) => rows.push(ops ? [ROW_KIND_NAMES[m.rowKinds?.[i] ?? 0], ...r] : r));
    }
    return rows;
  }

  /** Non-data messages, e.g. `['watermark', 5]`, `['barrier', 1]`, `['end']`. */
  control(): unknown[][] {
    return this.out.filter((m) => m.kind !== 'data').map((m) => (m.kind === 'watermark' ? ['watermark', m.time] : m.kind === 'barrier' ? ['barrier', m.epoch] : [m.kind]));
  }

  clear(): void {
    this.out.length = 0;
    this.letters.length = 0;
  }
}
