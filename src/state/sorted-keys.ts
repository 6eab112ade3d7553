/**
 * State keys kept in key order (see compareKeys), for ordered reads of a state table's unflushed
 * entries without sorting them all at every read.
 *
 * Invariants:
 * - `add` is a push: keys added since the last read are sorted and merged in by the next `from`,
 *   so a run of reads costs O(log n + k) each plus O(log a) per key added in between. Keys that
 *   grow (a time index) merge as appends.
 * - Merged keys sit in sorted chunks of at most MAX_CHUNK, none empty, every key of a chunk
 *   before every key of the next; a key is listed once however often it was added.
 * - Keys are compared as JavaScript strings until one holds a code unit at or above U+D800
 *   (where UTF-16 order and code point order can differ), and by compareKeys from then on.
 * - A key the owner no longer holds stays listed (the owner filters what `from` returns) until
 *   the owner builds a new set, which `forget` tells it to do once most listed keys are gone.
 */

const MAX_CHUNK = 512;
/** Code units whose UTF-16 order may differ from code point order. */
const BEYOND_UTF16_ORDER = /[\ud800-\uffff]/;

export class SortedKeys {
  private chunks: string[][] = [];
  private added: string[] = [];
  private merged = 0;
  private gone = 0;
  private byCodePoint = false;

  /** A set of `keys`, sorted at the first read. */
  static of(keys: Iterable<string>): SortedKeys {
    const out = new SortedKeys();
    out.added = [...keys];
    return out;
  }

  /** Keys listed, gone ones included. */
  get size(): number {
    return this.merged + this.added.length;
  }

  add(key: string): void {
    this.added.push(key);
  }

  /** Counts one listed key as gone; true once most listed keys are. */
  forget(): boolean {
    return ++this.gone * 2 > this.size;
  }

  /** The keys at or after `gte` (absent: from the first) for which `within` holds, up to the first for which it does not. */
  from(gte: string | undefined, within: (key: string) => boolean): string[] {
    this.mergeAdded();
    const out: string[] = [];
    let c = gte === undefined ? 0 : this.chunkOf(gte);
    let at = gte === undefined || c === this.chunks.length ? 0 : this.lowerBound(this.chunks[c]!, gte);
    for (; c < this.chunks.length; c++, at = 0) {
      const chunk = this.chunks[c]!;
      for (; at < chunk.length; at++) {
        const key = chunk[at]!;
        if (!within(key)) return out;
        out.push(key);
      }
    }
    return out;
  }

  private mergeAdded(): void {
    const added = this.added;
    if (added.length === 0) return;
    this.added = [];
    if (!this.byCodePoint && added.some((k) => BEYOND_UTF16_ORDER.test(k))) {
      this.byCodePoint = true;
      const all = this.chunks.flat();
      this.chunks = [];
      this.merged = 0;
      added.push(...all);
    }
    if (this.byCodePoint) added.sort(compareKeys);
    else added.sort();
    let tail = this.chunks[this.chunks.length - 1];
    let prev: string | undefined;
    for (const key of added) {
      if (key === prev) continue;
      prev = key;
      if (tail === undefined || this.compare(tail[tail.length - 1]!, key) < 0) {
        if (tail === undefined || tail.length >= MAX_CHUNK) this.chunks.push((tail = []));
        tail.push(key);
        this.merged++;
      } else {
        this.insert(key);
        tail = this.chunks[this.chunks.length - 1];
      }
    }
  }

  /** Inserts `key` where it belongs, unless it is listed already. */
  private insert(key: string): void {
    const c = this.chunkOf(key);
    const chunk = this.chunks[c]!;
    const at = this.lowerBound(chunk, key);
    if (chunk[at] === key) return;
    chunk.splice(at, 0, key);
    this.merged++;
    if (chunk.length > MAX_CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(MAX_CHUNK / 2));
  }

  private compare(a: string, b: string): number {
    return this.byCodePoint ? compareKeys(a, b) : a < b ? -1 : a > b ? 1 : 0;
  }

  /** The first chunk whose last key is at or after `key`, else the last chunk (the number of chunks when there is none). */
  private chunkOf(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (this.compare(chunk[chunk.length - 1]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.chunks.length && lo > 0 ? lo - 1 : lo;
  }

  /** The first index of `chunk` whose key is at or after `key`. */
  private lowerBound(chunk: readonly string[], key: string): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(chunk[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Orders state keys by Unicode code point (the order of their UTF-8 bytes, the order on disk). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Below the surrogates, UTF-16 order is code point order; past them, compare as UTF-8.
    if (x < 0xd800 && y < 0xd800) return x < y ? -1 : 1;
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
