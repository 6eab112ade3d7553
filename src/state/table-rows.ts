import { entryBytes, StateCache } from './state-cache.js';
import { KvTable } from './kv-table.js';
import type { StateRow } from './codec.js';
import type { Store, WriteBatch } from './store.js';

/** A change to a table: the row (by column name) under its key, or null to delete the key. */
export type TableChange = readonly [key: string, row: StateRow | null];

const ROW_COUNT = 'rows';
const OFFSET_PREFIX = 'offset:';
/** Set in the write that completes a changelog's first rows: the changelog holds the whole table. */
const CHANGELOG_MARK = 'changelog';

/** The kind of a change to a table row, as its changelog says it: 0 +I, 1 -U, 2 +U, 3 -D (RowKind). */
export type TableChangeKind = 0 | 1 | 2 | 3;

/**
 * Writes a table's changes to its changelog, into the write batch that applies them: the row
 * values in column order, and the kind of each.
 */
export type TableChangelogWriter = (rows: readonly (readonly unknown[])[], kinds: readonly TableChangeKind[], wb: WriteBatch) => void;

/**
 * The rows of a TABLE by primary key, for lookups: RocksDB holds them (a KvTable), read through
 * the engine's bounded state cache, so a table far larger than the heap can be joined against.
 *
 * Invariants:
 * - Every change goes through `apply`, one atomic write at a time; a lookup never sees a row
 *   that is not durable, and sees every applied row once `apply` resolved.
 * - `size` is the number of keys; it is kept in the same write batch as the rows, so opening a
 *   table reads one key, not its rows (a table written before the count existed is counted once).
 * - Source positions given to `apply` (a Kafka table's next offset per partition) are written
 *   with the rows they produced, so a restart resumes from exactly there.
 */
export class TableRows {
  private readonly owner: number;
  private lock: Promise<unknown> = Promise.resolve();
  /** Bumped by every write, so that a read racing it does not cache what it replaced. */
  private generation = 0;
  /** Set once the table keeps a changelog (see startChangelog): every write appends its changes. */
  private changelog: TableChangelogWriter | undefined;

  private constructor(
    readonly kv: KvTable,
    private readonly meta: KvTable,
    /** Column names in table order: a lookup returns the values in this order. */
    private readonly columns: readonly string[],
    private readonly cache: StateCache,
    private count: number,
  ) {
    this.owner = cache.register();
  }

  static async open(store: Store, name: string, columns: readonly string[], cache: StateCache): Promise<TableRows> {
    const kv = new KvTable(store, name);
    const meta = new KvTable(store, `${name}#meta`);
    let count = (await meta.get(ROW_COUNT))?.['n'];
    if (typeof count !== 'number') {
      count = await kv.count();
      await meta.upsert(ROW_COUNT, { n: count });
    }
    return new TableRows(kv, meta, columns, cache, count);
  }

  /** Changes with every write (apply, clear): rows read at one version are still the table's rows while it holds. */
  get version(): number {
    return this.generation;
  }

  /** Number of rows. */
  get size(): number {
    return this.count;
  }

  /** The rows of `keys` (values in column order; undefined where absent), in one batched read for the keys not cached. */
  async getMany(keys: readonly string[]): Promise<(readonly unknown[] | undefined)[]> {
    const out = new Array<readonly unknown[] | undefined>(keys.length);
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const hit = this.cache.get(this.owner, keys[i]!) as readonly unknown[] | null | undefined;
      if (hit === undefined) missing.push(i);
      else out[i] = hit ?? undefined;
    }
    if (missing.length === 0) return out;
    const gen = this.generation;
    const found = await this.kv.getManyRaw(missing.map((i) => keys[i]!));
    for (let j = 0; j < missing.length; j++) {
      const i = missing[j]!;
      const f = found[j];
      const values = f ? this.columns.map((c) => f.row[c] ?? null) : null;
      out[i] = values ?? undefined;
      // Absent keys are cached too (as null): a LEFT join over keys a table lacks reads them once.
      if (gen === this.generation) this.cache.set(this.owner, keys[i]!, values, entryBytes(keys[i]!.length, f?.bytes ?? 0));
    }
    return out;
  }

  /** Whether a changelog was started (startChangelog completed), as stored. */
  async hasChangelog(): Promise<boolean> {
    return (await this.meta.get(CHANGELOG_MARK)) !== undefined;
  }

  /** Whether every write now goes to a changelog too. */
  get changelogAttached(): boolean {
    return this.changelog !== undefined;
  }

  /**
   * Makes every later write append its changes with `writer`. A changelog already started (it
   * holds the rows) is attached as it is; otherwise `seed` is first given every row, in batches
   * of `chunkRows`, as inserts, and the last of its writes marks the changelog started. All of
   * it runs between two writes, so the changelog and the rows agree. A start cut short (a crash)
   * leaves no mark, and a mark whose changelog is gone (`exists` says) counts for none: `reset`
   * makes an empty changelog before seeding.
   */
  startChangelog(writer: TableChangelogWriter, stored: { readonly exists: () => boolean; readonly reset: () => Promise<void> }, chunkRows = 16_384): Promise<void> {
    const run = this.lock.then(async () => {
      if (this.changelog) return;
      if (!stored.exists() || !(await this.hasChangelog())) {
        await stored.reset();
        let rows: unknown[][] = [];
        const flush = async (last: boolean) => {
          const wb = this.kv.batch();
          if (rows.length) writer(rows, rows.map(() => 0), wb);
          if (last) this.meta.upsert(CHANGELOG_MARK, { n: 1 }, wb);
          await wb.write();
          rows = [];
        };
        for await (const [, row] of this.kv.scan()) {
          rows.push(this.columns.map((c) => row[c] ?? null));
          if (rows.length >= chunkRows) await flush(false);
        }
        await flush(true);
      }
      this.changelog = writer;
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Source positions stored by `apply` (`offset:<partition>` -> next offset). */
  async offsets(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for await (const [k, v] of this.meta.scan({ prefix: OFFSET_PREFIX })) {
      const n = v['n'];
      if (typeof n === 'number') out.set(Number(k.slice(OFFSET_PREFIX.length)), n);
    }
    return out;
  }

  /** Writes the changes (and positions) in one atomic, durable write; one apply at a time. */
  apply(changes: readonly TableChange[], offsets?: ReadonlyMap<number, number>): Promise<void> {
    const run = this.lock.then(() => this.write(changes, offsets));
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Deletes every row and position, durably. */
  clear(): Promise<void> {
    const run = this.lock.then(async () => {
      await this.kv.clear();
      await this.meta.clear();
      await this.meta.upsert(ROW_COUNT, { n: 0 });
      this.count = 0;
      this.changelog = undefined;
      this.generation++;
      this.cache.release(this.owner);
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Frees the table's cache entries (the table was dropped or the engine closes). */
  release(): void {
    this.cache.release(this.owner);
  }

  private async write(changes: readonly TableChange[], offsets: ReadonlyMap<number, number> | undefined): Promise<void> {
    const keys = [...new Set(changes.map(([k]) => k))];
    const present = new Map<string, boolean>();
    const before = await this.kv.getManyRaw(keys);
    keys.forEach((k, i) => present.set(k, before[i] !== undefined));
    // The row under each key as the changes go, for the changelog's -U and -D.
    const current = this.changelog ? new Map(keys.map((k, i) => [k, before[i]?.row] as const)) : undefined;
    const logged: (readonly unknown[])[] = [];
    const kinds: TableChangeKind[] = [];
    const values = (row: StateRow) => this.columns.map((c) => row[c] ?? null);
    let count = this.count;
    const wb: WriteBatch = this.kv.batch();
    for (const [key, row] of changes) {
      const had = present.get(key)!;
      if (row === null) {
        this.kv.delete(key, wb);
        if (had) count--;
      } else {
        this.kv.upsert(key, row, wb);
        if (!had) count++;
      }
      present.set(key, row !== null);
      if (current) {
        const old = current.get(key);
        if (old) {
          logged.push(values(old));
          kinds.push(row === null ? 3 : 1);
        }
        if (row !== null) {
          logged.push(values(row));
          kinds.push(old ? 2 : 0);
        }
        current.set(key, row ?? undefined);
      }
    }
    if (this.changelog && logged.length) this.changelog(logged, kinds, wb);
    this.meta.upsert(ROW_COUNT, { n: count }, wb);
    for (const [p, o] of offsets ?? []) this.meta.upsert(`${OFFSET_PREFIX}${p}`, { n: o }, wb);
    await wb.write();
    this.generation++;
    this.count = count;
    for (const k of keys) this.cache.delete(this.owner, k);
  }
}
