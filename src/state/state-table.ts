import { decodeValue, encodeValueView, type StateRow, type StateValue } from './codec.js';
import { decodeKey, encodeKey, encodeStringKey, encodeStringKeyView, prefixRange, stringPrefixRange, type KeyPart } from './keys.js';
import { KeyFilter } from './key-filter.js';
import { compareKeys, SortedKeys } from './sorted-keys.js';
import { encodedEntryBytes, StateCache, type CacheEntry } from './state-cache.js';
import type { Store, WriteBatch } from './store.js';
import { SluiceError } from '../common/errors.js';

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
  /**
   * The engine-wide cache of clean entries this table reads through (default: a private cache
   * of 16 MiB). Dirty entries are held by the table itself until the flush that writes them.
   */
  readonly cache?: StateCache;
  /**
   * The caller knows that the table holds nothing on disk now (a query that has no checkpoint
   * yet: state is only ever written with one). Then its point reads go to disk only for keys it
   * may have written (see KeyFilter).
   */
  readonly startsEmpty?: boolean;
  /**
   * The table is never flushed (a push query's, which takes no checkpoints): it starts empty and
   * a delete forgets the key instead of keeping a tombstone for a flush that never comes.
   */
  readonly ephemeral?: boolean;
}

/** A deleted key's entry in a table's dirty set. */
const DELETED = Symbol('deleted');

/**
 * Whether the flush that writes a value caches it (see putEncoded): as the table decides
 * (`policy`), never (`held`: the caller keeps it in memory itself) or always (`cache`).
 */
export type Caching = 'policy' | 'held' | 'cache';

/** A dirty entry put already encoded (see putEncoded): written as it is, decoded when read. */
class Encoded {
  constructor(
    readonly bytes: Buffer,
    readonly caching: Caching,
  ) {}
}

/** What a read gives for a dirty entry: undefined when deleted; bytes put encoded decoded, or not (`decode`). */
function dirtyValue<V>(d: V | Encoded | typeof DELETED, decode: boolean): V | Buffer | undefined {
  if (d === DELETED) return undefined;
  if (d instanceof Encoded) return decode ? decodeValue<V>(d.bytes) : d.bytes;
  return d;
}
/** What the cache holds for a key known to be absent: no encoded value is empty. */
const ABSENT = '';

const PRIVATE_CACHE_BYTES = 16 * 1024 * 1024;
/** See StateTable.admitsWrites. */
const ADMIT_REREADS = 16;

/**
 * Keyed operator state for one partition of one operator. RocksDB holds the state; this table
 * holds only the entries changed since the last flush, and reads everything else through a
 * bounded cache shared by the engine, so its heap does not grow with the number of keys. The
 * cache takes what the table reads (values and absences); a flush updates the keys it holds, and
 * adds the keys it writes only while keys written before are being read again (see
 * admitsWrites), so keys written and never read again (every key distinct) do not fill it. A
 * caller that keeps values in memory itself (charged to the cache, see `charge`) reads and writes
 * them past the cache, and hands them to it when it stops keeping them (see putEncoded).
 *
 * Invariants:
 * - Reads see this table's own writes at once (dirty entries shadow the cache and disk; deletes
 *   hide keys).
 * - Nothing reaches disk until `flush(wb)` stages the dirty entries and `wb` is written; an entry
 *   leaves the dirty set only if it still holds what the flush that staged it wrote (the same
 *   value object, or a delete), and then replaces the cache's entry of its key, if it has one.
 * - Keys order by Unicode code point in `scan`.
 * - A value put is held as it is until the flush encodes it, and a dirty one is returned as it
 *   is: callers must not mutate a value after `put` or after `get` returns it.
 * - One StateTable per (namespace, partition) at a time; two would not see each other's
 *   unflushed writes, nor flushed ones over what they cached (values and absences alike).
 *   Its cache entries are its own (see StateCache.register).
 */
export class StateTable<V extends StateValue = StateRow> {
  /** Entries changed since their last committed flush: the value, or DELETED. */
  private readonly dirty = new Map<string, V | Encoded | typeof DELETED>();
  /**
   * The keys of `dirty` in key order (and keys an ephemeral table forgot since): built by the
   * first ordered read (`scan`, `range`), then given every new key, so that an ordered read of
   * k dirty entries costs O(log n + k) instead of a sort of them all. Dropped when a flush
   * commits or most of its keys are forgotten; the next ordered read builds it again.
   */
  private ordered: SortedKeys | undefined;
  private readonly prefix: KeyPart[];
  /** `prefix` encoded: every disk key of this table starts with it. */
  private readonly encodedPrefix: Buffer;
  private readonly cache: StateCache;
  private readonly owner: number;
  /** Bumped whenever disk contents change under us, so that racing disk reads do not fill the cache. */
  private generation = 0;
  /** Counts the changes to `dirty` (puts, deletes, clears), so that a commit can tell whether any came after its flush. */
  private changes = 0;
  /** The keys written since a start with nothing on disk (see StateTableOptions.startsEmpty). */
  private readonly written: KeyFilter | undefined;
  /** See StateTableOptions.ephemeral. */
  private readonly ephemeral: boolean;
  /**
   * Reads since the last flush that found a value this table wrote before, in the cache (hits)
   * or on disk (found): whether the next flush should cache what it writes (see admitsWrites).
   */
  private hits = 0;
  private found = 0;

  constructor(
    private readonly store: Store,
    readonly namespace: string,
    readonly partition: number,
    options: StateTableOptions = {},
  ) {
    this.prefix = [...namespaceParts(namespace), partition];
    this.encodedPrefix = encodeKey(this.prefix);
    this.cache = options.cache ?? new StateCache(PRIVATE_CACHE_BYTES);
    this.owner = this.cache.register();
    this.ephemeral = options.ephemeral ?? false;
    if (!this.ephemeral && options.startsEmpty) this.written = new KeyFilter();
  }

  async get(key: string): Promise<V | undefined> {
    return (await this.getMany([key]))[0];
  }

  /**
   * The values of `keys` (undefined where absent), in order: dirty entries and cache hits at
   * once, the rest in one batched read from RocksDB whose results, found or not, fill the cache.
   * A table that starts empty reads only the keys it may have written; an ephemeral one reads
   * nothing (what it has not flushed is all it has).
   */
  getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    return this.read(keys, true) as Promise<(V | undefined)[]>;
  }

  /**
   * `getMany`, giving each value found as its encoded bytes where the table has them (cached,
   * read from disk, or put encoded), for a caller that reads them piece by piece (codec's
   * valueReader); a value put as it is comes as it is. For tables whose values are not
   * Buffers themselves (those would read the same as encoded bytes).
   */
  getManyEncoded(keys: readonly string[], cache = true): Promise<(V | Buffer | undefined)[]> {
    return this.read(keys, false, cache);
  }

  /** `cache`: whether what is read from disk fills the cache (not for a caller that keeps it itself, see putEncoded). */
  private async read(keys: readonly string[], decode: boolean, cache = true): Promise<(V | Buffer | undefined)[]> {
    const out = new Array<V | Buffer | undefined>(keys.length);
    let missing: number[] | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      // A key this table cannot have written is not dirty, and it has never read it from disk
      // either (see `cacheBytes`), so the cache does not hold it.
      if (this.written !== undefined && !this.written.mayHold(key)) continue;
      const d = this.dirty.size > 0 ? this.dirty.get(key) : undefined;
      if (d !== undefined) {
        out[i] = dirtyValue(d, decode);
        continue;
      }
      // Only a cache hit can spare a disk read.
      if (this.ephemeral) continue;
      const c = this.cache.get(this.owner, key) as string | undefined;
      if (c === undefined) (missing ??= []).push(i);
      else if (c !== ABSENT) {
        this.hits++;
        const bytes = Buffer.from(c, 'latin1');
        out[i] = decode ? decodeValue<V>(bytes) : bytes;
      }
    }
    if (!missing) return out;
    const gen = this.generation;
    const bytes = await this.store.getMany(missing.map((i) => this.diskKey(keys[i]!)));
    this.cache.countDiskReads(missing.length);
    for (let j = 0; j < missing.length; j++) {
      const i = missing[j]!;
      const key = keys[i]!;
      const d = this.dirty.size > 0 ? this.dirty.get(key) : undefined;
      if (d !== undefined) {
        out[i] = dirtyValue(d, decode);
        continue;
      }
      const b = bytes[j];
      if (b !== undefined) {
        this.found++;
        out[i] = decode ? decodeValue<V>(b) : b;
      }
      if (cache && gen === this.generation) this.cacheBytes(key, b);
    }
    return out;
  }

  /** Writes `key` (the dirty entry shadows a cached older value until the flush commits). */
  put(key: string, value: V): void {
    this.set(key, value);
  }

  /**
   * `put` of a value given as the bytes `encodeValue` writes for it (see codec's valueBytes):
   * the flush writes them as they are, and a read before the flush decodes them. The table
   * keeps `bytes`: the caller must not change them. `caching`: whether the flush caches the value
   * as the table decides (see admitsWrites), not at all (`held`: the caller keeps it in memory
   * itself, charged, see `charge`, so the cache neither takes it nor keeps an older one), or in
   * any case (`cache`: the caller stops keeping it and expects it back).
   */
  putEncoded(key: string, bytes: Buffer, caching: Caching = 'policy'): void {
    this.set(key, new Encoded(bytes, caching));
  }

  /**
   * Caches the value of `key` as `bytes`, its encoding: what the table holds for it, flushed or
   * staged to be (a caller that kept it in memory itself and stops, see `charge`). Nothing while
   * the key has a change not flushed yet.
   */
  cacheValue(key: string, bytes: Buffer): void {
    if (this.ephemeral || this.dirty.has(key)) return;
    this.cacheBytes(key, bytes);
  }

  private set(key: string, value: V | Encoded): void {
    if (this.ordered !== undefined && !this.dirty.has(key)) this.ordered.add(key);
    this.dirty.set(key, value);
    this.changes++;
    this.written?.add(key);
  }

  delete(key: string): void {
    this.changes++;
    if (this.ephemeral) {
      if (this.dirty.delete(key) && this.ordered?.forget()) this.ordered = undefined;
      return;
    }
    if (this.ordered !== undefined && !this.dirty.has(key)) this.ordered.add(key);
    this.dirty.set(key, DELETED);
  }

  /** Number of entries changed since their last committed flush. */
  get dirtyCount(): number {
    return this.dirty.size;
  }

  /**
   * Entries whose key starts with `prefix`, in key order: disk merged with the dirty entries as
   * they were when the scan started.
   */
  scan(prefix = ''): AsyncGenerator<[string, V]> {
    return this.merged(stringPrefixRange(this.prefix, prefix), prefix, (k) => k.startsWith(prefix));
  }

  /**
   * Entries whose key is at or after `gte` and before `lt` (bounds absent: unbounded), in key
   * order, merged with the dirty entries like `scan`. Reads only that key range from disk.
   */
  range(bounds: { readonly gte?: string; readonly lt?: string }): AsyncGenerator<[string, V]> {
    const { gte, lt } = bounds;
    const all = stringPrefixRange(this.prefix, '');
    const disk = { gte: gte === undefined ? all.gte : this.diskKey(gte), lt: lt === undefined ? all.lt : this.diskKey(lt) };
    return this.merged(disk, gte, lt === undefined ? () => true : (k) => compareKeys(k, lt) < 0);
  }

  /**
   * Disk keys in `disk` merged with the dirty keys from `gte` on for which `within` holds (a
   * contiguous run in key order). An ephemeral table has nothing on disk to read.
   */
  private async *merged(disk: { gte: Buffer; lt: Buffer }, gte: string | undefined, within: (key: string) => boolean): AsyncGenerator<[string, V]> {
    this.ordered ??= SortedKeys.of(this.dirty.keys());
    const pending: string[] = [];
    const values: (V | undefined)[] = [];
    for (const key of this.ordered.from(gte, within)) {
      const d = this.dirty.get(key);
      if (d === undefined) continue;
      pending.push(key);
      values.push(dirtyValue(d, true) as V | undefined);
    }
    let i = 0;
    if (!this.ephemeral) {
      for await (const [rawKey, rawValue] of this.store.iterate(disk)) {
        this.cache.countDiskReads(1);
        const key = decodeKey(rawKey)[this.prefix.length];
        if (typeof key !== 'string') continue;
        let shadowed = false;
        for (; i < pending.length; i++) {
          const cmp = compareKeys(pending[i]!, key);
          if (cmp > 0) break;
          if (values[i] !== undefined) yield [pending[i]!, values[i]!];
          if (cmp === 0) {
            shadowed = true;
            i++;
            break;
          }
        }
        if (!shadowed) yield [key, decodeValue<V>(rawValue)];
      }
    }
    for (; i < pending.length; i++) if (values[i] !== undefined) yield [pending[i]!, values[i]!];
  }

  /**
   * Stages every dirty entry into `wb`; they become clean when `wb` commits: the written values
   * replace what the cache holds for their keys (it takes no others), deleted keys leave it.
   */
  flush(wb: WriteBatch): void {
    if (this.dirty.size === 0) return;
    if (this.ephemeral) throw new SluiceError('STATE_ERROR', `state table ${this.namespace} is never flushed (its query takes no checkpoints)`);
    const keys: string[] = [];
    const staged: (V | Encoded | typeof DELETED)[] = [];
    /**
     * The bytes written for each key the cache holds, as it caches them, and its cache entry
     * (undefined for the others). Until the commit no read of a dirty key reaches the cache, so
     * the keys it holds stay those, or leave it.
     */
    const cached: (string | undefined)[] = [];
    const entries: (CacheEntry | undefined)[] = [];
    const changes = this.changes;
    const admit = this.admitsWrites();
    this.hits = 0;
    this.found = 0;
    // forEach: a for-of loop over the entries would make an array per entry.
    this.dirty.forEach((d, key) => {
      let bytes: string | undefined;
      let entry: CacheEntry | undefined;
      const diskKey = encodeStringKeyView(this.encodedPrefix, key);
      if (d === DELETED) wb.del(diskKey);
      else {
        // The batch copies the encoder's scratch bytes, so they need no copy of their own.
        const view = d instanceof Encoded ? d.bytes : encodeValueView(d);
        wb.put(diskKey, view);
        entry = this.cache.entry(this.owner, key);
        // A held value leaves the cache (see putEncoded): `entry` without `bytes`.
        const caching = d instanceof Encoded ? d.caching : 'policy';
        if (caching === 'cache' || (caching === 'policy' && (entry !== undefined || admit))) bytes = view.toString('latin1');
      }
      keys.push(key);
      staged.push(d);
      cached.push(bytes);
      entries.push(entry);
    });
    wb.onCommit(() => {
      this.generation++;
      this.ordered = undefined;
      // Nothing changed since this flush: every dirty entry is one it staged, as it staged it.
      const all = this.changes === changes;
      if (all) this.dirty.clear();
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const d = staged[i];
        if (!all) {
          if (this.dirty.get(key) !== d) continue;
          this.dirty.delete(key);
        }
        const bytes = cached[i];
        if (d === DELETED || (bytes === undefined && entries[i] !== undefined)) this.cache.delete(this.owner, key);
        else if (bytes !== undefined) {
          const entry = entries[i];
          if (entry !== undefined) this.cache.updateEntry(entry, bytes, encodedEntryBytes(key.length, bytes.length));
          else this.cache.set(this.owner, key, bytes, encodedEntryBytes(key.length, bytes.length));
        }
      }
    });
  }

  /**
   * Whether a flush caches the keys it writes as well as updating those cached: when reads since
   * the last flush found keys written before often enough (one read in ADMIT_REREADS per key
   * written) that keys are seen again, and the cache either has room or serves more of those
   * reads than the disk does. Keys written once and never read again (every key distinct) then
   * stay out of the cache, keys that come back are served from memory the second time, not read
   * back from disk, and keys far more than the cache holds (whose admission would only push
   * out others as likely to come back) are read from disk as before.
   */
  private admitsWrites(): boolean {
    if ((this.hits + this.found) * ADMIT_REREADS < this.dirty.size) return false;
    return this.hits >= this.found || this.cache.free() >= this.cache.budget / 8;
  }

  /** Deletes every entry of this table, in memory and (immediately, durably) on disk. */
  async clear(): Promise<void> {
    this.dirty.clear();
    this.changes++;
    this.ordered = undefined;
    this.cache.release(this.owner);
    this.generation++;
    await this.store.clearRange(prefixRange(this.prefix));
  }

  /**
   * Charges `bytes` of this table's state that the caller holds in memory in a form of its own,
   * all of it written (flushed) as it holds it, to the engine's cache budget; returns whether
   * the caller may go on holding it (see StateCache.charge). 0 uncharges.
   */
  charge(bytes: number): boolean {
    return this.cache.charge(this.owner, bytes);
  }

  /** Most bytes `charge` takes. */
  get chargeLimit(): number {
    return this.cache.chargeLimit;
  }

  /** Drops this table's cached entries (the table is no longer used; disk is untouched). */
  release(): void {
    this.cache.release(this.owner);
  }

  /**
   * Caches a clean value as its encoded bytes in a latin1 string: one compact heap object per
   * entry (a decoded row is several), with no backing store of its own to outlive an eviction,
   * decoded again on each hit. A key read from disk and not found (`bytes` undefined) is cached
   * as ABSENT, so that it is not read again before it is written. A table that starts empty
   * caches none of the keys its `written` filter rules out: they are neither read from disk nor
   * written.
   */
  private cacheBytes(key: string, bytes: Buffer | undefined): void {
    if (bytes === undefined) this.cache.set(this.owner, key, ABSENT, encodedEntryBytes(key.length, 0));
    else this.cache.set(this.owner, key, bytes.toString('latin1'), encodedEntryBytes(key.length, bytes.length));
  }

  private diskKey(key: string): Buffer {
    return encodeStringKey(this.encodedPrefix, key);
  }
}
