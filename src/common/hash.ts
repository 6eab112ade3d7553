/**
 * Hashing of keys: one function decides which partition a key belongs to, wherever rows are
 * partitioned by key (INSERT into a keyed stream on the embedded log, the exchange in front of a
 * keyed operator, the repartition topic of a query across processes, the records of a keyed
 * Kafka sink), so rows with equal keys meet, NULL keys included.
 */
import { keyOf } from './keys.js';

/** 32-bit FNV-1a over the UTF-16 code units of `s`; stable across processes and versions. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The hash of a row whose key columns hold `key`: FNV-1a of the key's encoded string (`keyOf`,
 * where NULL is its own value and differs from '').
 */
export function keyHash(key: readonly unknown[]): number {
  return fnv1a32(keyOf(key));
}

/** The partition (0 .. `partitions` - 1) of a row whose key columns hold `key`. */
export function partitionOf(key: readonly unknown[], partitions: number): number {
  return keyHash(key) % partitions;
}
