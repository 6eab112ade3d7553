/**
 * A source over one partition of a topic, fed by a consumer that someone else runs: the
 * scale-out coordinator's group consumer hands each fetched batch of a partition to that
 * partition's feed.
 *
 * Invariants:
 * - A record is emitted once per position: records below the feed's position are skipped
 *   (the consumer re-delivers from the group's committed offset after a rebalance), and the
 *   position moves inside the pipeline lock, after downstream took the batch.
 * - `push` resolves when downstream has taken the records (back-pressure on the consumer), or
 *   at once when the feed's pipeline stopped.
 * - Watermarks: either from the event-time column (max seen minus the delay), or — for a feed
 *   that merges `sources` upstream partitions, like a repartition topic — the minimum of the
 *   latest watermark marker of every upstream partition (none until each has sent one).
 */
import type { RecordBatch } from 'apache-arrow';
import type { KafkaMessage } from 'kafkajs';
import type { Field } from '../../common/types.js';
import { emptyBatch, readColumn } from '../../exec/columns.js';
import type { DeadLetter } from '../../exec/message.js';
import { WatermarkTracker, type Source, type SourceContext } from '../../exec/source.js';
import { MAX_ROWS_PER_EMIT } from './kafka-source.js';

/** Turns fetched records of the partition into batches and dead letters. */
export type FeedDecoder = (chunk: readonly KafkaMessage[]) => {
  readonly batches: readonly RecordBatch[];
  readonly letters: readonly DeadLetter[];
  /** Watermark markers met in the chunk: [upstream partition, watermark]. */
  readonly marks?: readonly (readonly [number, number])[];
};

export interface FeedWatermarks {
  /** The event-time column and the delay behind the latest event time seen. */
  readonly column?: { readonly index: number; readonly delayMs: number };
  /** Upstream partitions whose markers are merged (min over all of them). */
  readonly sources?: number;
}

export class PartitionFeed implements Source {
  readonly name: string;
  private next = 0;
  /** The push in progress (see `push`). */
  private pushing: Promise<void> = Promise.resolve();
  private ctx: SourceContext | undefined;
  private started: () => void = () => undefined;
  private readonly running = new Promise<void>((r) => (this.started = r));
  private readonly wm: WatermarkTracker | undefined;
  /** Latest marker per upstream partition (merging feeds). */
  private readonly upstream = new Map<number, number>();
  private merged = -Infinity;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly fields: readonly Field[],
    private readonly decode: FeedDecoder,
    private readonly watermarks: FeedWatermarks = {},
  ) {
    this.name = `kafka:${topic}/${partition}`;
    this.wm = watermarks.column ? new WatermarkTracker(watermarks.column.delayMs) : undefined;
  }

  /** The latest marker of each upstream partition (a checkpoint keeps them). */
  upstreamWatermarks(): Record<string, number> {
    return Object.fromEntries(this.upstream);
  }

  restoreUpstreamWatermarks(marks: Readonly<Record<string, number>>): void {
    for (const [p, w] of Object.entries(marks)) this.upstream.set(Number(p), w);
  }

  /** The next offset to emit (the group's committed offset when the task starts). */
  get position(): number {
    return this.next;
  }

  startAt(offset: number): void {
    this.next = offset;
  }

  seek(positions: Readonly<Record<string, number>>): void {
    const p = positions[this.key()];
    if (p !== undefined) this.next = p;
  }

  positions(): Record<string, number> {
    return { [this.key()]: this.next };
  }

  async run(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.started();
    if (ctx.signal.aborted) return;
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  /**
   * Emits the records at or past the position; `live` says whether to go on (rebalance, shutdown).
   * Pushes run one after another: across a rebalance the consumer may hand over the partition's
   * records again (from the committed offset) while an earlier push is still emitting, and the
   * later one must see the position that push left, or it would emit the same records twice.
   */
  push(messages: readonly KafkaMessage[], live: () => boolean = () => true): Promise<void> {
    const done = this.pushing.then(() => this.emitFresh(messages, live));
    this.pushing = done.catch(() => undefined);
    return done;
  }

  private async emitFresh(messages: readonly KafkaMessage[], live: () => boolean): Promise<void> {
    await this.running;
    const ctx = this.ctx!;
    const from = this.next;
    const fresh = messages.filter((m) => Number(m.offset) >= from);
    for (let i = 0; i < fresh.length && live() && !ctx.signal.aborted; i += MAX_ROWS_PER_EMIT) {
      const chunk = fresh.slice(i, i + MAX_ROWS_PER_EMIT);
      const decoded = this.decode(chunk);
      const letters = decoded.letters;
      // The position moves with the last batch, so there is always one (possibly empty).
      const batches = decoded.batches.length ? decoded.batches : [emptyBatch(this.fields)];
      const nextOffset = Number(chunk[chunk.length - 1]!.offset) + 1;
      for (let b = 0; b < batches.length; b++) {
        const last = b === batches.length - 1;
        await ctx.emit({ kind: 'data', batch: batches[b]! }, () => {
          if (!last) return;
          this.next = nextOffset;
          for (const l of letters) ctx.deadLetter?.(l);
        });
      }
      const w = this.nextWatermark(batches, decoded.marks ?? []);
      if (w !== undefined) await ctx.emit({ kind: 'watermark', time: w });
    }
  }

  /** The watermark after a chunk, if it advanced. */
  private nextWatermark(batches: readonly RecordBatch[], marks: readonly (readonly [number, number])[]): number | undefined {
    const { column, sources } = this.watermarks;
    if (this.wm && column) {
      for (const batch of batches) if (batch.numRows > 0) this.wm.observe(readColumn(batch, column.index, this.fields[column.index]!.type));
      return this.wm.next();
    }
    if (sources === undefined) return undefined;
    for (const [p, w] of marks) this.upstream.set(p, Math.max(this.upstream.get(p) ?? -Infinity, w));
    if (this.upstream.size < sources) return undefined;
    const min = Math.min(...this.upstream.values());
    if (min <= this.merged) return undefined;
    this.merged = min;
    return min;
  }

  private key(): string {
    return `${this.topic}/${this.partition}`;
  }
}
