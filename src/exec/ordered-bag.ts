/**
 * A multiset of values kept in order, for reads by position (the value at rank i) between
 * single insertions and removals: a window frame sliding by a row adds one value and removes
 * another, then reads a quantile. The values live in blocks of at most `BLOCK` values, each in
 * order, and the blocks in order, so an insertion or removal moves at most a block (not the whole
 * bag) and a read by position walks the block sizes.
 */
const BLOCK = 512;

export class OrderedBag<V> {
  private blocks: V[][] = [];
  private count = 0;

  constructor(private readonly compare: (a: V, b: V) => number) {}

  /** A bag of `values`, already in order. */
  static ofSorted<V>(values: readonly V[], compare: (a: V, b: V) => number): OrderedBag<V> {
    const bag = new OrderedBag(compare);
    for (let i = 0; i < values.length; i += BLOCK) bag.blocks.push(values.slice(i, i + BLOCK));
    bag.count = values.length;
    return bag;
  }

  get size(): number {
    return this.count;
  }

  /** The value at 0-based rank `i` in order, or undefined past the end. */
  at(i: number): V | undefined {
    if (i < 0 || i >= this.count) return undefined;
    for (const block of this.blocks) {
      if (i < block.length) return block[i];
      i -= block.length;
    }
    return undefined;
  }

  insert(v: V): void {
    const blocks = this.blocks;
    this.count++;
    if (blocks.length === 0) {
      blocks.push([v]);
      return;
    }
    const b = this.blockFor(v);
    const block = blocks[b]!;
    block.splice(this.lowerBound(block, v), 0, v);
    if (block.length > 2 * BLOCK) blocks.splice(b + 1, 0, block.splice(BLOCK));
  }

  /** Removes one value equal to `v`; false when there is none. */
  remove(v: V): boolean {
    const blocks = this.blocks;
    // The first block whose last value is not below v holds the first value equal to v, if any.
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = blocks[mid]!;
      if (this.compare(block[block.length - 1]!, v) < 0) lo = mid + 1;
      else hi = mid;
    }
    const block = blocks[lo];
    if (!block) return false;
    const at = this.lowerBound(block, v);
    if (at >= block.length || this.compare(block[at]!, v) !== 0) return false;
    block.splice(at, 1);
    this.count--;
    if (block.length === 0) blocks.splice(lo, 1);
    return true;
  }

  /** The block a new value `v` goes into: the last whose first value is not above it (or the first). */
  private blockFor(v: V): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(blocks[mid]![0]!, v) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(lo - 1, 0);
  }

  /** The first position in `block` whose value is not below `v`. */
  private lowerBound(block: readonly V[], v: V): number {
    let lo = 0;
    let hi = block.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(block[mid]!, v) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
