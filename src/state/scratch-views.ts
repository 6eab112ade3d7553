/**
 * Views of the first n bytes of a scratch buffer, made once per length: a write batch takes
 * thousands of short keys and values from one scratch buffer, and a view made for each would be
 * one more object for the collector each time. Whoever writes the buffer calls `reset` when it
 * replaces it.
 */
export class ScratchViews {
  private readonly views = new Array<Buffer | undefined>(MAX_VIEW_LENGTH).fill(undefined);

  constructor(private buf: Buffer) {}

  /** The first `n` bytes of the buffer (the same object for the same `n` until `reset`). */
  of(n: number): Buffer {
    if (n >= MAX_VIEW_LENGTH) return this.buf.subarray(0, n);
    let v = this.views[n];
    if (v === undefined) this.views[n] = v = this.buf.subarray(0, n);
    return v;
  }

  /** Views of `buf` from now on. */
  reset(buf: Buffer): void {
    this.buf = buf;
    this.views.fill(undefined);
  }
}

/** Views this long or longer are made each time (see ScratchViews). */
const MAX_VIEW_LENGTH = 1024;
