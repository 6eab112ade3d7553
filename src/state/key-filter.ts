/**
 * The keys a state table has written, as a scalable Bloom filter, so that a table that started
 * empty does not read keys from disk that it never wrote.
 *
 * Invariants:
 * - `mayHold(k)` is true for every key added (no false negatives); for a key never added it is
 *   false but for about 0.005% per stage (24 bits and 12 probes a key, all in one cache line:
 *   a batch of a thousand new keys seldom needs a read from disk at all).
 * - Memory grows with the keys added (stages of doubling size, about 6 bytes a key in all) up
 *   to `maxBytes`; past that the filter stops adding and `mayHold` answers true for every key,
 *   so it never takes more than `maxBytes`.
 */
export class KeyFilter {
  /** One bit array per stage, each twice the size of the one before. */
  private readonly stages: Int32Array[] = [];
  /** Keys added to the last stage, and how many it takes. */
  private count = 0;
  private capacity = 0;
  private bytes = 0;
  private full = false;

  constructor(
    private readonly maxBytes = DEFAULT_MAX_BYTES,
    private readonly firstStageBytes = FIRST_STAGE_BYTES,
  ) {}

  add(key: string): void {
    if (this.full) return;
    if (this.count >= this.capacity && !this.grow()) return;
    hashKey(key);
    const bits = this.stages[this.stages.length - 1]!;
    const base = (h1 & (bits.length / BLOCK_WORDS - 1)) * BLOCK_WORDS;
    for (let i = 0, h = h2; i < PROBES; i++, h = Math.imul(h, PROBE_STEP)) {
      const b = h >>> (32 - BLOCK_BITS_LOG2);
      const w = base + (b >>> 5);
      bits[w] = bits[w]! | (1 << (b & 31));
    }
    this.count++;
  }

  mayHold(key: string): boolean {
    if (this.full) return true;
    hashKey(key);
    // Newest first: the stages double, so most keys are in the last ones.
    for (let s = this.stages.length - 1; s >= 0; s--) {
      const bits = this.stages[s]!;
      const base = (h1 & (bits.length / BLOCK_WORDS - 1)) * BLOCK_WORDS;
      let all = true;
      for (let i = 0, h = h2; i < PROBES; i++, h = Math.imul(h, PROBE_STEP)) {
        const b = h >>> (32 - BLOCK_BITS_LOG2);
        if ((bits[base + (b >>> 5)]! & (1 << (b & 31))) === 0) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }

  /** Bytes of the bit arrays. */
  get size(): number {
    return this.bytes;
  }

  private grow(): boolean {
    const next = this.stages.length === 0 ? this.firstStageBytes : this.stages[this.stages.length - 1]!.length * 8;
    if (this.bytes + next > this.maxBytes) {
      this.full = true;
      this.stages.length = 0;
      this.bytes = 0;
      return false;
    }
    this.stages.push(new Int32Array(next / 4));
    this.bytes += next;
    this.count = 0;
    this.capacity = (next * 8) / BITS_PER_KEY;
    return true;
  }
}

/** The first stage: 128 KiB, some 44k keys. */
const FIRST_STAGE_BYTES = 128 * 1024;
/** At most 64 MiB of filter (some 11 million keys). */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const BITS_PER_KEY = 24;
const PROBES = 12;
/**
 * A key's probes all fall in one block of 512 bits (a cache line), chosen by `h1`: one memory
 * access per stage instead of one per probe, at a slightly higher false-positive rate.
 */
const BLOCK_BITS_LOG2 = 9;
const BLOCK_WORDS = (1 << BLOCK_BITS_LOG2) / 32;
/** Each probe's bit is the top bits of `h2` times this, again (multiplicative hashing). */
const PROBE_STEP = 0x9e3779b9;

/** The two hashes of the last `hashKey`: `h1` picks the block, `h2` the bits in it. */
let h1 = 0;
let h2 = 0;

/** FNV-1a and a second, independent multiplicative hash of the key's UTF-16 code units, in one pass. */
function hashKey(key: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  h1 = a;
  // Odd, so that multiplying by the odd PROBE_STEP never reaches zero.
  h2 = (b ^ (b >>> 13)) | 1;
}
