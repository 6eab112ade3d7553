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
  /**
   * As `batch`, made elsewhere (a worker thread): the source asks for the next few batches ahead
   * of the one it emits, so they are made while the query works on the current one. Called when
   * the source starts running; `close` when it stops.
   */
  batchesAhead?(): BatchMaker;
  readonly firstEvent: number;
  readonly maxEvents: number;
  /** 0 = as fast as downstream takes them. */
  readonly rowsPerSecond: number;
  readonly batchSize: number;
}

/** Makes a generator's batches elsewhere, for as long as its source runs. */
export interface BatchMaker {
  make(from: number, to: number): Promise<A.RecordBatch>;
  close(): void;
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
    const maker = this.spec.batchesAhead?.();
    try {
      await this.emitAll(ctx, bounded, maker && new BatchesAhead(maker, this.next, end, this.spec.batchSize));
    } finally {
      maker?.close();
    }
  }

  private async emitAll(ctx: SourceContext, bounded: boolean, ahead: BatchesAhead | undefined): Promise<void> {
    const end = this.spec.firstEvent + this.spec.maxEvents;
    const wm = this.watermark ? new WatermarkTracker(this.watermark.delayMs) : undefined;
    const started = Date.now();
    const startEvent = this.next;
    while (!ctx.signal.aborted && this.next < end) {
      const to = Math.min(end, this.next + this.spec.batchSize);
      const batch = ahead ? await ahead.take(this.next, to) : this.spec.batch ? this.spec.batch(this.next, to) : this.rows(this.next, to);
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

/** How many batches a source asks for ahead of the one it emits. */
const BATCHES_AHEAD = 3;

/** The next batches of a generator, asked for in order ahead of their turn. */
class BatchesAhead {
  private readonly queue: { readonly from: number; readonly to: number; readonly batch: Promise<A.RecordBatch> }[] = [];

  constructor(
    private readonly maker: BatchMaker,
    private planned: number,
    private readonly end: number,
    private readonly size: number,
  ) {}

  /** Events [from, to): the batch asked for ahead, after asking for the ones behind it. */
  take(from: number, to: number): Promise<A.RecordBatch> {
    const head = this.queue[0];
    if (head && (head.from !== from || head.to !== to)) {
      this.queue.length = 0;
      this.planned = from;
    }
    if (this.queue.length === 0) this.planned = from;
    while (this.queue.length < BATCHES_AHEAD && this.planned < this.end) {
      const next = Math.min(this.end, this.planned + this.size);
      this.queue.push({ from: this.planned, to: next, batch: this.maker.make(this.planned, next) });
      this.planned = next;
    }
    return this.queue.shift()!.batch;
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
