/**
 * A source over a deterministic generator: event `n` is a pure function of `n`, so the position
 * is just the next event number and a restart resumes exactly. Optionally paced in real time
 * ('rows.per.second'), optionally finite ('max.events').
 */
import type * as A from 'apache-arrow';
import type { Field } from '../../common/types.js';
import { batchFromRows, readColumn } from '../columns.js';
import { WatermarkTracker, type Source, type SourceContext } from '../source.js';

export interface GeneratorSpec {
  readonly name: string;
  /** Row for event `n`, or undefined when event `n` belongs to another stream (Nexmark). */
  event(n: number): Record<string, unknown> | undefined;
  /**
   * Events [from, to) as one batch of the source's fields, for a generator that writes columns
   * itself: the rows `event` gives for them, in order. `event` is then not called.
   */
  batch?(from: number, to: number): A.RecordBatch;
  readonly firstEvent: number;
  readonly maxEvents: number;
  /** 0 = as fast as downstream takes them. */
  readonly rowsPerSecond: number;
  readonly batchSize: number;
}

export class GeneratorSource implements Source {
  readonly name: string;
  private next: number;

  constructor(
    private readonly spec: GeneratorSpec,
    /** Names of the generator's row fields to output, with their types. */
    readonly fields: readonly Field[],
    private readonly watermark?: { readonly column: number; readonly delayMs: number },
  ) {
    this.name = `gen:${spec.name}`;
    this.next = spec.firstEvent;
  }

  seek(positions: Readonly<Record<string, number>>): void {
    const v = positions[this.name];
    if (v !== undefined) this.next = v;
  }

  positions(): Record<string, number> {
    return { [this.name]: this.next };
  }

  async run(ctx: SourceContext, bounded: boolean): Promise<void> {
    const end = this.spec.firstEvent + this.spec.maxEvents;
    const wm = this.watermark ? new WatermarkTracker(this.watermark.delayMs) : undefined;
    const started = Date.now();
    const startEvent = this.next;
    while (!ctx.signal.aborted && this.next < end) {
      const to = Math.min(end, this.next + this.spec.batchSize);
      const batch = this.spec.batch ? this.spec.batch(this.next, to) : this.rows(this.next, to);
      await ctx.emit({ kind: 'data', batch }, () => {
        this.next = to;
      });
      if (wm && batch.numRows) {
        wm.observe(readColumn(batch, this.watermark!.column, this.fields[this.watermark!.column]!.type));
        const w = wm.next();
        if (w !== undefined) await ctx.emit({ kind: 'watermark', time: w });
      }
      if (this.spec.rowsPerSecond > 0) {
        const due = started + ((this.next - startEvent) * 1000) / this.spec.rowsPerSecond;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait, ctx.signal);
      } else {
        await new Promise((r) => setImmediate(r));
      }
    }
    if (!ctx.signal.aborted && (bounded || this.next >= end)) await ctx.emit({ kind: 'end' });
  }

  private rows(from: number, to: number): A.RecordBatch {
    const rows: Record<string, unknown>[] = [];
    for (let n = from; n < to; n++) {
      const r = this.spec.event(n);
      if (r) rows.push(r);
    }
    return batchFromRows(this.fields, rows);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
