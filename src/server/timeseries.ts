/**
 * Bounded time series for the console: one ring buffer of (time, value) samples per metric.
 *
 * Invariants: a series never holds more than `capacity` samples, so memory stays bounded however
 * long the server runs; samples come out oldest first; a series that stops receiving samples (a
 * query that was dropped) is removed once its newest sample is older than the window.
 */

/** A fixed-size ring of samples; the oldest is overwritten when it is full. */
export class RingSeries {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`a series needs a capacity of at least 1 sample, not ${capacity}`);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The time of the newest sample, or -Infinity when empty. */
  get lastTime(): number {
    return this.count === 0 ? -Infinity : this.times[(this.start + this.count - 1) % this.capacity]!;
  }

  push(time: number, value: number): void {
    const at = (this.start + this.count) % this.capacity;
    this.times[at] = time;
    this.values[at] = value;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** Samples at or after `since`, oldest first, as two parallel arrays (uPlot's data layout). */
  since(since = -Infinity): { t: number[]; v: (number | null)[] } {
    const t: number[] = [];
    const v: (number | null)[] = [];
    for (let i = 0; i < this.count; i++) {
      const at = (this.start + i) % this.capacity;
      if (this.times[at]! < since) continue;
      t.push(this.times[at]!);
      const x = this.values[at]!;
      v.push(Number.isFinite(x) ? x : null);
    }
    return { t, v };
  }
}

/** Series by name, each a RingSeries covering `windowMs` at one sample per `intervalMs`. */
export class SeriesSet {
  private readonly series = new Map<string, RingSeries>();
  readonly capacity: number;

  constructor(
    readonly windowMs: number,
    readonly intervalMs: number,
  ) {
    this.capacity = Math.max(1, Math.ceil(windowMs / intervalMs));
  }

  /** Records one sample; NaN records a gap (the value was not known at that time). */
  record(name: string, time: number, value: number): void {
    let s = this.series.get(name);
    if (!s) {
      s = new RingSeries(this.capacity);
      this.series.set(name, s);
    }
    s.push(time, value);
  }

  /** Forgets series whose newest sample is older than the window. */
  prune(now: number): void {
    for (const [name, s] of this.series) if (s.lastTime < now - this.windowMs) this.series.delete(name);
  }

  names(): string[] {
    return [...this.series.keys()].sort();
  }

  get(name: string): RingSeries | undefined {
    return this.series.get(name);
  }

  get size(): number {
    return this.series.size;
  }
}
