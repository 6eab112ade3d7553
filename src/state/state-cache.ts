/** Default budget of an engine's state cache: 256 MiB. */
export const DEFAULT_STATE_CACHE_BYTES = 256 * 1024 * 1024;

/** Counters of a state cache since it was created. */
export interface StateCacheStats {
  /** Budget in bytes. */
  readonly budget: number;
  /** Estimated heap bytes of the entries held now. */
  readonly bytes: number;
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
  /** State entries the tables reading through this cache read from RocksDB (looked up or scanned). */
  readonly diskReads: number;
}

/** A handle on a cached entry (see StateCache.entry). */
export type CacheEntry = object;

/** A cached value, linked into the cache's recency list. */
interface Entry {
  readonly key: string;
  /** False once the entry has left the cache (evicted, deleted, released). */
  live: boolean;
  value: unknown;
  bytes: number;
  /** The owner's entries, this one among them. */
  readonly entries: Map<string, Entry>;
  /** The next colder and next hotter entry (undefined at the ends of the list). */
  colder: Entry | undefined;
  hotter: Entry | undefined;
}

/**
 * Fixed heap cost assumed per cached entry (map slot, entry record with its recency links, the
 * decoded object's headers), on top of the key's and the encoded value's size. Measured: a
 * GROUP BY state row of a short key (`{ g: [key], c, a: [...] }`, 50 bytes encoded) takes about
 * 380 bytes of heap with its entry.
 */
const ENTRY_OVERHEAD = 224;
/** A decoded value takes about this many times its encoded size (see codec.ts) on the heap. */
const DECODED_FACTOR = 3;

/**
 * Estimated heap bytes of a cached entry whose key is `keyLength` characters long and whose
 * value encodes to `encodedBytes` bytes.
 */
export function entryBytes(keyLength: number, encodedBytes: number): number {
  return ENTRY_OVERHEAD + 2 * keyLength + DECODED_FACTOR * encodedBytes;
}

/** Most of the budget that one owner's own state (see StateCache.charge) may take. */
const CHARGE_SHARE = 1 / 2;

/**
 * Fixed heap cost assumed per entry that holds its value encoded, as a string of one character
 * per byte (see StateTable): map slot, entry record, the two strings' headers.
 */
const ENCODED_ENTRY_OVERHEAD = 160;

/** Estimated heap bytes of a cached entry whose value is held as its `encodedBytes` encoded bytes. */
export function encodedEntryBytes(keyLength: number, encodedBytes: number): number {
  return ENCODED_ENTRY_OVERHEAD + 2 * keyLength + encodedBytes;
}

/**
 * One bounded LRU cache of clean (durable) state entries, shared by every state table of an
 * engine, so that the heap state takes does not grow with the number of keys.
 *
 * Invariants:
 * - `bytes` (the sum of the entries' estimated sizes) stays at or below `budget` after every
 *   `set`: the least recently used entries are evicted first.
 * - An entry belongs to one owner (a state table instance, see `register`); owners never see
 *   each other's entries, and `release` drops all of an owner's entries.
 * - Only clean values are cached: what is here is also on disk, so eviction loses nothing.
 *   An owner's own state charged to the budget (`charge`) is clean when it is charged, and the
 *   owner drops it once it learns its entry was evicted.
 */
export class StateCache {
  /** The entries of each owner that has any, by key. */
  private readonly owners = new Map<number, Map<string, Entry>>();
  /** Per owner that holds state of its own in memory, the entry charged for it (see `charge`). */
  private readonly charged = new Map<number, Entry>();
  /** The recency list: `coldest` is evicted first, `hottest` was used last. */
  private coldest: Entry | undefined;
  private hottest: Entry | undefined;
  private count = 0;
  private nextOwner = 1;
  private used = 0;
  private hitCount = 0;
  private missCount = 0;
  private evictionCount = 0;
  private diskReadCount = 0;

  constructor(readonly budget: number = DEFAULT_STATE_CACHE_BYTES) {
    if (!Number.isFinite(budget) || budget < 0) throw new RangeError(`state cache budget must be a non-negative number of bytes, got ${budget}`);
  }

  /** A new owner id: one state table's own part of the cache. */
  register(): number {
    return this.nextOwner++;
  }

  /** The value cached for the owner's key (and marks it recently used), or undefined. */
  get(owner: number, key: string): unknown {
    const e = this.owners.get(owner)?.get(key);
    if (e === undefined) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    if (e !== this.hottest) {
      this.unlink(e);
      this.append(e);
    }
    return e.value;
  }

  /** Caches a clean value of `bytes` estimated heap bytes, evicting cold entries past the budget. */
  set(owner: number, key: string, value: unknown, bytes: number): void {
    let entries = this.owners.get(owner);
    if (entries === undefined) {
      if (bytes > this.budget) return;
      entries = new Map();
      this.owners.set(owner, entries);
    }
    const old = entries.get(key);
    if (old !== undefined) {
      this.replace(old, value, bytes);
      return;
    }
    if (bytes > this.budget) return;
    const e: Entry = { key, value, bytes, entries, live: true, colder: undefined, hotter: undefined };
    entries.set(key, e);
    this.append(e);
    this.count++;
    this.used += bytes;
    if (this.used > this.budget) this.evict();
  }

  /**
   * The owner's entry of `key`, if cached, as a handle for `updateEntry` (without marking it used
   * or counting a hit or miss): a caller that will replace the values of many keys it looked up
   * earlier finds each once.
   */
  entry(owner: number, key: string): CacheEntry | undefined {
    return this.owners.get(owner)?.get(key);
  }

  /**
   * Replaces the value of the entry, as `set` does, while it is cached; nothing once it has left
   * the cache. A key it does not hold stays out (for values written rather than read: see
   * StateTable).
   */
  updateEntry(handle: CacheEntry, value: unknown, bytes: number): void {
    const e = handle as Entry;
    if (e.live) this.replace(e, value, bytes);
  }

  delete(owner: number, key: string): void {
    const e = this.owners.get(owner)?.get(key);
    if (e !== undefined) this.remove(e);
  }

  /**
   * Charges `bytes` of state that the owner holds in memory in a form of its own (an operator
   * that keeps its hot groups between checkpoints) to the budget, as one entry, used now: the
   * least recently used entries make room for it, as for a value read. Returns whether the
   * owner may go on holding them: false when they are more than a quarter of the budget, or when
   * the entry charged before was evicted since (the cache needed the room more than the owner's
   * hot state was used). The owner must then drop what it holds; `charge(owner, 0)` uncharges.
   */
  charge(owner: number, bytes: number): boolean {
    const old = this.charged.get(owner);
    if (old !== undefined && !old.live) {
      this.charged.delete(owner);
      return bytes === 0;
    }
    if (bytes === 0 || bytes > this.chargeLimit) {
      if (old !== undefined) {
        this.remove(old);
        this.charged.delete(owner);
      }
      return bytes === 0;
    }
    if (old !== undefined) this.replace(old, undefined, bytes);
    else {
      const e: Entry = { key: '', value: undefined, bytes, entries: new Map(), live: true, colder: undefined, hotter: undefined };
      this.charged.set(owner, e);
      this.append(e);
      this.count++;
      this.used += bytes;
      if (this.used > this.budget) this.evict();
    }
    return true;
  }

  /** Most bytes one owner may charge (see `charge`). */
  get chargeLimit(): number {
    return Math.floor(this.budget * CHARGE_SHARE);
  }

  /** Drops every entry of the owner (a state table that is closed or cleared). */
  release(owner: number): void {
    this.charge(owner, 0);
    const entries = this.owners.get(owner);
    if (entries === undefined) return;
    for (const e of entries.values()) {
      e.live = false;
      this.unlink(e);
      this.used -= e.bytes;
      this.count--;
    }
    this.owners.delete(owner);
  }

  /** Estimated bytes the cache can take before it evicts. */
  free(): number {
    return this.budget - this.used;
  }

  /** Counts `n` state entries read from RocksDB by a table reading through this cache. */
  countDiskReads(n: number): void {
    this.diskReadCount += n;
  }

  stats(): StateCacheStats {
    return { budget: this.budget, bytes: this.used, entries: this.count, hits: this.hitCount, misses: this.missCount, evictions: this.evictionCount, diskReads: this.diskReadCount };
  }

  private evict(): void {
    while (this.used > this.budget && this.coldest !== undefined) {
      this.remove(this.coldest);
      this.evictionCount++;
    }
  }

  private replace(e: Entry, value: unknown, bytes: number): void {
    if (bytes > this.budget) {
      this.remove(e);
      return;
    }
    e.value = value;
    this.used += bytes - e.bytes;
    e.bytes = bytes;
    if (e !== this.hottest) {
      this.unlink(e);
      this.append(e);
    }
    if (this.used > this.budget) this.evict();
  }

  private remove(e: Entry): void {
    e.live = false;
    e.entries.delete(e.key);
    this.unlink(e);
    this.used -= e.bytes;
    this.count--;
  }

  private append(e: Entry): void {
    e.colder = this.hottest;
    e.hotter = undefined;
    if (this.hottest) this.hottest.hotter = e;
    else this.coldest = e;
    this.hottest = e;
  }

  private unlink(e: Entry): void {
    if (e.colder) e.colder.hotter = e.hotter;
    else this.coldest = e.hotter;
    if (e.hotter) e.hotter.colder = e.colder;
    else this.hottest = e.colder;
    e.colder = undefined;
    e.hotter = undefined;
  }
}

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/**
 * Parses a byte size such as `256MiB`, `64mb`, `1g`, `1TiB` or `1048576` (binary units). Returns
 * undefined for text that is not one.
 */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.floor(Number(m[1]) * unit);
}
