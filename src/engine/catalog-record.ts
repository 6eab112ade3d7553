/**
 * The durable record of the catalog: every DDL statement that created or changed an object, in
 * order, so the engine replays them on open and views and sinks resume from their checkpoints.
 * Keys are `<kind>:<normalized name>` (kinds: stream, table, view, sink, model, model-alter,
 * function, and `stopped` marking a stopped view or sink); values hold a sequence number and the
 * statement's text.
 */
import { normalizeName } from '../parser/index.js';
import { KvTable, type StateRow, type Store, type WriteBatch } from '../state/index.js';

interface CatalogEntry extends StateRow {
  readonly seq: number;
  readonly sql: string;
}

/** A recorded statement, in the order it first ran. */
export interface RecordedStatement {
  /** `<kind>:<normalized name>`. */
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly sql: string;
}

export class CatalogRecord {
  private readonly kv: KvTable<CatalogEntry>;
  private seq = 0;
  private replayingNow = false;

  constructor(store: Store) {
    this.kv = new KvTable<CatalogEntry>(store, '__catalog');
  }

  /** Whether the recorded statements are being replayed (checks that only guard new statements are skipped). */
  get replaying(): boolean {
    return this.replayingNow;
  }

  /** Every recorded statement, oldest first. */
  async entries(): Promise<RecordedStatement[]> {
    const entries: (CatalogEntry & { key: string })[] = [];
    for await (const [key, e] of this.kv.scan()) entries.push({ ...e, key });
    entries.sort((a, b) => a.seq - b.seq);
    this.seq = entries.reduce((m, e) => Math.max(m, e.seq), this.seq);
    return entries.map((e) => {
      const colon = e.key.indexOf(':');
      return { key: e.key, kind: e.key.slice(0, colon), name: e.key.slice(colon + 1), sql: e.sql };
    });
  }

  /** Runs `replay` with `replaying` set; statements run meanwhile are not recorded again. */
  async replay(run: () => Promise<void>): Promise<void> {
    this.replayingNow = true;
    try {
      await run();
    } finally {
      this.replayingNow = false;
    }
  }

  /** Records a DDL statement so it is replayed on open (not while replaying); with `wb`, when that batch is written. */
  async remember(kind: string, name: string, sql: string, wb?: WriteBatch): Promise<void> {
    if (this.replayingNow) return;
    const key = `${kind}:${normalizeName(name)}`;
    if (wb) this.kv.upsert(key, { seq: ++this.seq, sql }, wb);
    else await this.kv.upsert(key, { seq: ++this.seq, sql });
  }

  /** Whether a statement of this kind and name is recorded (restored or not). */
  async isRecorded(kind: string, name: string): Promise<boolean> {
    return (await this.kv.get(`${kind}:${normalizeName(name)}`)) !== undefined;
  }

  /**
   * Runs `run` (which records the statement of `kind` and `name` again) and then puts back the
   * sequence number it had, so that it keeps its place in the replay order (views that read it
   * are replayed after it).
   */
  async keepingPlace<T>(kind: string, name: string, run: () => Promise<T>): Promise<T> {
    const key = `${kind}:${normalizeName(name)}`;
    const before = await this.kv.get(key);
    const result = await run();
    if (before !== undefined) await this.kv.upsert(key, before);
    return result;
  }

  /**
   * Records `sql` in place of the statement of `kind` and `name`, keeping that statement's place
   * in the replay order (CREATE OR REPLACE: what reads the object was recorded after it).
   */
  async replace(kind: string, name: string, sql: string): Promise<void> {
    if (this.replayingNow) return;
    const key = `${kind}:${normalizeName(name)}`;
    const before = await this.kv.get(key);
    await this.kv.upsert(key, { seq: before?.seq ?? ++this.seq, sql });
  }

  /** Forgets a recorded statement; with `wb`, when that batch is written. */
  async forget(kind: string, name: string, wb?: WriteBatch): Promise<void> {
    const key = `${kind}:${normalizeName(name)}`;
    if (wb) this.kv.delete(key, wb);
    else await this.kv.delete(key);
  }
}
