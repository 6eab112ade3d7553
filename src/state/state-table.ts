import { decodeValue, encodeValue, type StateRow, type StateValue } from './codec.js';
import { decodeKey, encodeKey, prefixRange, stringPrefixRange, type KeyPart } from './keys.js';
import type { Store, WriteBatch } from './store.js';

export const STATE_PREFIX = 'state';

/** Key parts under which all state of a namespace (`queryId/operatorId`) lives. */
export function namespaceParts(namespace: string): KeyPart[] {
  const slash = namespace.indexOf('/');
  return slash < 0 ? [STATE_PREFIX, namespace, ''] : [STATE_PREFIX, namespace.slice(0, slash), namespace.slice(slash + 1)];
}

/** Key parts under which all state of a query lives (every namespace `queryId/...`). */
export function queryStateParts(queryId: string): KeyPart[] {
  return [STATE_PREFIX, queryId];
}

export interface StateTableOptions {
  /** Most clean (already durable) entries kept in memory; dirty entries are never evicted. */
  readonly cacheSize?: number;
}

interface Dirty<V> {
  /** undefined marks a delete. */
  readonly value: V | undefined;
  readonly version: number;
}

/**
 * Keyed operator state for one partition of one operator.
 *
 * Invariants:
 * - Reads see this table's own writes at once (dirty entries shadow disk; deletes hide keys).
 * - Nothing reaches disk until `flush(wb)` stages the dirty entries and `wb` is written; an entry
 *   leaves the dirty set only if it did not change again after the flush that staged it.
 * - Keys order by Unicode code point in `scan`.
 * - Stored values are shared with the cache: callers must not mutate a value after `put` or
 *   after `get` returns it.
 * - One StateTable per (namespace, partition) at a time; two would not see each other's
 *   unflushed writes.
 */
export class StateTable<V extends StateValue = StateRow> {
  private readonly dirty = new Map<string, Dirty<V>>();
  private readonly clean = new Map<string, V>();
  private readonly prefix: KeyPart[];
  private readonly cacheSize: number;
  private version = 0;
  /** Bumped whenever disk contents change under us, so that racing disk reads do not fill the cache. */
  private generation = 0;

  constructor(
    private readonly store: Store,
    readonly namespace: string,
    readonly partition: number,
    options: StateTableOptions = {},
  ) {
    this.prefix = [...namespaceParts(namespace), partition];
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  async get(key: string): Promise<V | undefined> {
    const d = this.dirty.get(key);
    if (d) return d.value;
    const c = this.clean.get(key);
    if (c !== undefined) {
      this.clean.delete(key);
      this.clean.set(key, c);
      return c;
    }
    const gen = this.generation;
    const bytes = await this.store.get(this.diskKey(key));
    const d2 = this.dirty.get(key);
    if (d2) return d2.value;
    const value = bytes === undefined ? undefined : decodeValue<V>(bytes);
    if (value !== undefined && gen === this.generation && !this.clean.has(key)) this.remember(key, value);
    return value;
  }

  put(key: string, value: V): void {
    this.dirty.set(key, { value, version: ++this.version });
    this.clean.delete(key);
  }

  delete(key: string): void {
    this.dirty.set(key, { value: undefined, version: ++this.version });
    this.clean.delete(key);
  }

  /** Number of entries changed since their last committed flush. */
  get dirtyCount(): number {
    return this.dirty.size;
  }

  /**
   * Entries whose key starts with `prefix`, in key order: disk merged with the dirty entries as
   * they were when the scan started.
   */
  async *scan(prefix = ''): AsyncGenerator<[string, V]> {
    const pending = [...this.dirty.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, d]) => ({ key: k, bytes: Buffer.from(k, 'utf8'), value: d.value }))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    let i = 0;
    for await (const [rawKey, rawValue] of this.store.iterate(stringPrefixRange(this.prefix, prefix))) {
      const key = decodeKey(rawKey)[this.prefix.length];
      if (typeof key !== 'string') continue;
      const keyBytes = Buffer.from(key, 'utf8');
      let shadowed = false;
      for (let p = pending[i]; p !== undefined; p = pending[i]) {
        const cmp = Buffer.compare(p.bytes, keyBytes);
        if (cmp > 0) break;
        i++;
        if (p.value !== undefined) yield [p.key, p.value];
        if (cmp === 0) {
          shadowed = true;
          break;
        }
      }
      if (!shadowed) yield [key, decodeValue<V>(rawValue)];
    }
    for (let p = pending[i]; p !== undefined; p = pending[++i]) {
      if (p.value !== undefined) yield [p.key, p.value];
    }
  }

  /** Stages every dirty entry into `wb`; they become clean when `wb` commits. */
  flush(wb: WriteBatch): void {
    const staged: Array<[string, number]> = [];
    for (const [key, d] of this.dirty) {
      if (d.value === undefined) wb.del(this.diskKey(key));
      else wb.put(this.diskKey(key), encodeValue(d.value));
      staged.push([key, d.version]);
    }
    if (staged.length === 0) return;
    wb.onCommit(() => {
      this.generation++;
      for (const [key, version] of staged) {
        const d = this.dirty.get(key);
        if (d?.version !== version) continue;
        this.dirty.delete(key);
        if (d.value !== undefined) this.remember(key, d.value);
      }
    });
  }

  /** Deletes every entry of this table, in memory and (immediately, durably) on disk. */
  async clear(): Promise<void> {
    this.dirty.clear();
    this.clean.clear();
    this.generation++;
    await this.store.clearRange(prefixRange(this.prefix));
  }

  private remember(key: string, value: V): void {
    this.clean.set(key, value);
    if (this.clean.size > this.cacheSize) {
      const oldest = this.clean.keys().next();
      if (!oldest.done) this.clean.delete(oldest.value);
    }
  }

  private diskKey(key: string): Buffer {
    return encodeKey([...this.prefix, key]);
  }
}
