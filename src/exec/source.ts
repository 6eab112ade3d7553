/** Sources: where a query's rows come from. */
import type { Field } from '../common/types.js';
import type { DeadLetter, Message } from './message.js';

export interface SourceContext {
  /**
   * Emits downstream; serialised with barriers so an offset snapshot matches what was emitted.
   * `advance` runs inside the same critical section, after downstream took the message: move
   * positions there.
   */
  emit(msg: Message, advance?: () => void): Promise<void>;
  /**
   * Sends an input record that cannot become a row to the query's dead-letter stream. Call it
   * from `advance`, so the letter belongs to the same checkpoint as the position that skips it.
   */
  readonly deadLetter?: (letter: DeadLetter) => void;
  readonly signal: AbortSignal;
}

/**
 * A source reads from its current positions until its signal aborts, or — when bounded — until
 * the input as it was when the query started is exhausted, then emits `end`.
 */
export interface Source {
  readonly name: string;
  readonly fields: readonly Field[];
  /** Restores positions (e.g. from a checkpoint) before run(). Keys are source-specific. */
  seek(positions: Readonly<Record<string, number>>): void;
  /** Positions after everything emitted so far: what a checkpoint stores. */
  positions(): Record<string, number>;
  /** Makes ready what the source reads before the query counts as started (optional). */
  open?(): Promise<void>;
  run(ctx: SourceContext, bounded: boolean): Promise<void>;
}

/** Tracks the maximum event time and turns it into watermarks (max seen minus the delay). */
export class WatermarkTracker {
  private max = -Infinity;
  private emitted = -Infinity;
  constructor(private readonly delayMs: number) {}

  observe(times: ArrayLike<unknown>): void {
    let m = this.max;
    for (let i = 0; i < times.length; i++) {
      const t = times[i];
      if (typeof t === 'number' && t > m) m = t;
    }
    this.max = m;
  }

  /** The new watermark if it advanced, else undefined. */
  next(): number | undefined {
    const w = this.max - this.delayMs;
    if (w > this.emitted) {
      this.emitted = w;
      return w;
    }
    return undefined;
  }
}
