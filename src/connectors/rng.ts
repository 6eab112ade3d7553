/**
 * Seeded pseudo-random numbers for the data generators.
 *
 * Generators never carry random state from one event to the next: event `n` of a run with seed
 * `s` draws from its own stream, `rng.seedEvent(s, n)`. An event is therefore a pure function of
 * its number, so a run can be split over partitions or restarted from any event number and still
 * produce exactly the same rows.
 *
 * The stream is sfc32 (128-bit state, 32-bit outputs), seeded from murmur3-finalised words of
 * the seed and the event number. One `Rng` object is reseeded per event; nothing is allocated.
 */
import { fnv1a32 } from '../common/hash.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_21 = 2097152;
const TWO_POW_53_INV = 1 / 9007199254740992;
const TWO_POW_32_INV = 1 / TWO_POW_32;

/** murmur3's 32-bit finaliser: a bijective avalanche mix of one word. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a string (FNV-1a, then mixed); used to seed per-key streams. */
export function hashString32(s: string): number {
  return mix32(fnv1a32(s));
}

/**
 * A small, fast, seedable generator. Not cryptographic. Methods draw from the current stream;
 * `seedEvent` / `seed` start a new, independent stream in place.
 */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 1;
  private spare = 0;
  private hasSpare = false;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Starts the stream for a single integer seed (any safe integer). */
  seed(seed: number): this {
    return this.seedEvent(seed, 0);
  }

  /**
   * Starts the stream of event `eventNumber` (a non-negative safe integer) in a run seeded with
   * `seed`. Different (seed, event) pairs give statistically independent streams.
   */
  seedEvent(seed: number, eventNumber: number): this {
    const lo = eventNumber >>> 0;
    const hi = Math.floor(eventNumber / TWO_POW_32) >>> 0;
    const s = seed >>> 0;
    const sHi = Math.floor(seed / TWO_POW_32) >>> 0;
    this.a = mix32(lo ^ 0x9e3779b9) ^ mix32(s + 0x7f4a7c15);
    this.b = mix32(hi + 0x6a09e667) ^ mix32(sHi ^ 0xbb67ae85);
    this.c = mix32(this.a ^ Math.imul(this.b, 0x27d4eb2d) ^ 0x3c6ef372);
    this.d = 1;
    this.hasSpare = false;
    for (let i = 0; i < 8; i++) this.nextU32();
    return this;
  }

  /** The next 32 random bits as an unsigned integer in [0, 2^32). */
  nextU32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) * TWO_POW_53_INV;
  }

  /** A uniform double in [0, 1) with 32 random bits: cheaper when that is precise enough. */
  nextFloat(): number {
    return this.nextU32() * TWO_POW_32_INV;
  }

  /**
   * A uniform integer in [0, n) for a positive safe integer n (0 when n <= 1). One 32-bit draw
   * when n < 2^21, which keeps the product exact; otherwise a 53-bit draw.
   */
  nextInt(n: number): number {
    if (n <= 1) return 0;
    if (n < TWO_POW_21) return Math.floor(this.nextU32() * n * TWO_POW_32_INV);
    return Math.floor(this.nextDouble() * n);
  }

  /**
   * A standard normal draw (Marsaglia's polar method: a point drawn uniformly in the unit disc
   * gives two independent normals with one log and one square root, and no sine or cosine; the
   * second of each pair is kept for the next call).
   */
  nextGaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.nextFloat() - 1;
      v = 2 * this.nextFloat() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }
}

/**
 * The 32-bit seed of event `eventNumber`'s stream in a run seeded with `seed`: handy for callers
 * that want a single word per event (e.g. to pick a partition) without a full `Rng`.
 */
export function eventSeed(seed: number, eventNumber: number): number {
  const lo = eventNumber >>> 0;
  const hi = Math.floor(eventNumber / TWO_POW_32) >>> 0;
  return mix32(mix32(lo ^ (seed >>> 0)) + Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b));
}
