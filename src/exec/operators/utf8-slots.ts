/**
 * Numbers distinct strings by their UTF-8 bytes, read straight from an Arrow Utf8 column, so a
 * GROUP BY over one STRING column finds each row's slot without decoding the row's string:
 * only a string seen for the first time is decoded. An open-addressing table of entries
 * over a byte arena; no JS object per string.
 */
import type * as A from 'apache-arrow';

export class Utf8Slots {
  /**
   * Open addressing, POSITION_INTS per position: the entry's hash, its bytes' start in `arena`,
   * its length + 1 (0: the position is free) and its slot. A lookup reads one position (and its
   * neighbours on the same cache line) and the entry's bytes, nothing else: with hundreds of
   * thousands of strings every other array it touched would be a cache miss of its own. The
   * number of positions is a power of two, at least twice the entries.
   */
  private table = new Int32Array(1024 * POSITION_INTS);
  /** Per entry, for rebuilding the table: its hash, its bytes' start (they end where the next entry's start) and its slot. */
  private hashes = new Int32Array(256);
  private starts = new Int32Array(257);
  private slots = new Int32Array(256);
  private arena = new Uint8Array(4096);
  private count = 0;

  /** Forgets every string. */
  clear(): void {
    if (this.count === 0) return;
    this.table.fill(0);
    this.count = 0;
  }

  /**
   * The slot of each row of `data` (a Utf8 column chunk) from `at` on in `out`; a NULL row gets
   * `nullSlot()`, a string seen for the first time `newSlot(text)`.
   */
  slotRows(data: A.Data, out: Int32Array, at: number, nullSlot: () => number, newSlot: (text: string) => number): void {
    // One Buffer over the column's bytes, made when the first new string needs it.
    let text: Buffer | undefined;
    this.number(data, out, at, nullSlot, (bytes, from, to) => newSlot((text ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8', from, to)));
  }

  /**
   * As `slotRows`, for a caller that needs no text: a string seen for the first time gets
   * `newSlot()`, and no row's string is decoded.
   */
  numberRows(data: A.Data, out: Int32Array, at: number, nullSlot: () => number, newSlot: () => number): void {
    this.number(data, out, at, nullSlot, newSlot);
  }

  private number(data: A.Data, out: Int32Array, at: number, nullSlot: () => number, newSlot: (bytes: Uint8Array, from: number, to: number) => number): void {
    const n = data.length;
    const offs = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
    for (let i = 0; i < n; i++) {
      if (bitmap) {
        const bit = data.offset + i;
        if (((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0) {
          out[at + i] = nullSlot();
          continue;
        }
      }
      const from = offs[i]!;
      const to = offs[i + 1]!;
      let h = 0x811c9dc5 | 0;
      for (let p = from; p < to; p++) h = Math.imul(h ^ bytes[p]!, 0x01000193);
      const b = this.find(bytes, from, to, h);
      out[at + i] = b >= 0 ? this.table[b + SLOT]! : this.add(bytes, from, to, h, newSlot(bytes, from, to));
    }
  }

  /** The table index of the position holding bytes[from, to) (hash `h`), or -1. */
  private find(bytes: Uint8Array, from: number, to: number, h: number): number {
    const table = this.table;
    const mask = table.length - POSITION_INTS;
    const stored = to - from + 1;
    for (let b = firstPosition(h, mask); ; b = (b + POSITION_INTS) & mask) {
      const l = table[b + LENGTH]!;
      if (l === 0) return -1;
      if (table[b] !== h || l !== stored) continue;
      const arena = this.arena;
      const start = table[b + START]!;
      let same = true;
      for (let k = 0; k < stored - 1; k++) {
        if (arena[start + k] !== bytes[from + k]) {
          same = false;
          break;
        }
      }
      if (same) return b;
    }
  }

  /** Adds bytes[from, to) (hash `h`) for `slot`; returns the slot. */
  private add(bytes: Uint8Array, from: number, to: number, h: number, slot: number): number {
    const e = this.count++;
    if (e + 1 >= this.hashes.length) {
      this.hashes = grown(this.hashes, 2 * this.hashes.length);
      this.slots = grown(this.slots, 2 * this.slots.length);
      this.starts = grown(this.starts, 2 * this.starts.length + 1);
    }
    const start = this.starts[e]!;
    const end = start + to - from;
    if (end > this.arena.length) {
      const arena = new Uint8Array(Math.max(2 * this.arena.length, end));
      arena.set(this.arena.subarray(0, start));
      this.arena = arena;
    }
    const arena = this.arena;
    // Byte by byte: most keys are short, and a subarray per key would be garbage.
    if (end - start <= 64) for (let i = from, p = start; i < to; i++, p++) arena[p] = bytes[i]!;
    else arena.set(bytes.subarray(from, to), start);
    this.starts[e + 1] = end;
    this.hashes[e] = h;
    this.slots[e] = slot;
    if (2 * this.count * POSITION_INTS > this.table.length) this.rehash(2 * this.table.length);
    else this.place(e);
    return slot;
  }

  /**
   * Keeps the strings whose slot `to` maps to a slot (not -1), now numbered that slot, and
   * forgets the others.
   */
  retain(to: Int32Array): void {
    const { hashes, slots, starts, arena } = this;
    let kept = 0;
    for (let e = 0; e < this.count; e++) {
      const slot = to[slots[e]!]!;
      if (slot < 0) continue;
      const start = starts[e]!;
      const end = starts[e + 1]!;
      const at = starts[kept]!;
      // Entries move only down, bytes only to lower offsets: in place, in order.
      arena.copyWithin(at, start, end);
      starts[kept + 1] = at + end - start;
      hashes[kept] = hashes[e]!;
      slots[kept] = slot;
      kept++;
    }
    this.count = kept;
    this.table.fill(0);
    for (let e = 0; e < kept; e++) this.place(e);
  }

  private place(e: number): void {
    const table = this.table;
    const mask = table.length - POSITION_INTS;
    const h = this.hashes[e]!;
    let b = firstPosition(h, mask);
    while (table[b + LENGTH] !== 0) b = (b + POSITION_INTS) & mask;
    const start = this.starts[e]!;
    table[b] = h;
    table[b + START] = start;
    table[b + LENGTH] = this.starts[e + 1]! - start + 1;
    table[b + SLOT] = this.slots[e]!;
  }

  private rehash(size: number): void {
    this.table = new Int32Array(size);
    for (let e = 0; e < this.count; e++) this.place(e);
  }
}

/** Ints per table position, and where each field sits in it (the hash at 0). */
const POSITION_INTS = 4;
const START = 1;
const LENGTH = 2;
const SLOT = 3;

/** The table index of the first position to probe for hash `h` (`mask`: the table's length minus POSITION_INTS). */
function firstPosition(h: number, mask: number): number {
  // The hash's bits mixed (FNV-1a's low bits alone cluster on keys that differ in their last byte).
  return Math.imul(h ^ (h >>> 16), 0x45d9f3b) & mask;
}

function grown(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}
