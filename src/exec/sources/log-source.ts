/**
 * Reads a stream from the embedded log: all partitions, from stored positions, decoding each
 * chunk's Arrow batch once and keeping only the columns the query reads.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import * as A from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { EmbeddedLog, LogChunk } from '../../state/index.js';
import { readColumn } from '../columns.js';
import { decodeBatches } from '../ipc.js';
import type { Source, SourceContext } from '../source.js';

export class LogSource implements Source {
  readonly name: string;
  private readonly next: number[];
  /**
   * The largest event time read from each partition up to its position: stored with the
   * positions, so that a restarted query's watermark starts where the checkpoint left it (the
   * input may hold no more rows to move it; windows held at the checkpoint would never close).
   */
  private readonly maxTime: number[];

  constructor(
    private readonly log: EmbeddedLog,
    private readonly topic: string,
    /** Indexes of the stream's columns to output. */
    private readonly columns: readonly number[],
    readonly fields: readonly Field[],
    private readonly watermark?: { readonly column: number; readonly delayMs: number },
    /** Index of an INT change-kind column in the stored batches (a view's changelog). */
    private readonly opColumn?: number,
    /** Records the position skipped because retention removed them. */
    private readonly onMissed?: (records: number) => void,
  ) {
    this.name = `log:${topic}`;
    this.next = Array.from({ length: log.partitions(topic) }, () => 0);
    this.maxTime = this.next.map(() => -Infinity);
  }

  seek(positions: Readonly<Record<string, number>>): void {
    this.next.forEach((_, p) => {
      const v = positions[`${this.topic}/${p}`];
      if (v !== undefined) this.next[p] = v;
      const t = positions[maxTimeKey(this.topic, p)];
      if (t !== undefined) this.maxTime[p] = t;
    });
  }

  positions(): Record<string, number> {
    const out: Record<string, number> = {};
    this.next.forEach((o, p) => {
      out[`${this.topic}/${p}`] = o;
      if (this.watermark && Number.isFinite(this.maxTime[p])) out[maxTimeKey(this.topic, p)] = this.maxTime[p]!;
    });
    return out;
  }

  async run(ctx: SourceContext, bounded: boolean): Promise<void> {
    const parts = this.next.map((_, p) => p);
    const ends = bounded ? parts.map((p) => this.log.highWatermark(this.topic, p)) : undefined;
    const maxTime = this.maxTime;
    let emitted = -Infinity;
    const wmCol = this.watermark?.column;
    /**
     * The watermark is the minimum over partitions that still have unread data of the largest
     * event time seen there; a partition that is caught up does not hold it back.
     */
    const watermark = (): number | undefined => {
      if (!this.watermark) return undefined;
      let w = Infinity;
      let all = -Infinity;
      for (const p of parts) {
        all = Math.max(all, maxTime[p]!);
        const end = ends ? ends[p]! : this.log.highWatermark(this.topic, p);
        if (this.next[p]! < end) w = Math.min(w, maxTime[p]!);
      }
      const t = (w === Infinity ? all : w) - this.watermark.delayMs;
      if (t > emitted && Number.isFinite(t)) {
        emitted = t;
        return t;
      }
      return undefined;
    };
    const onChunk = async (p: number, chunk: LogChunk) => {
      const from = this.next[p]!;
      if (chunk.baseOffset + chunk.count <= from) return;
      // Retention removed the records between the position and this chunk.
      if (chunk.baseOffset > from) this.onMissed?.(chunk.baseOffset - from);
      // A chunk may hold several batches: each one's rows have their own offsets, and the
      // position passes a batch only once that batch is emitted.
      const batches = decodeBatches(chunk.payload);
      let start = chunk.baseOffset;
      for (let b = 0; b < batches.length; b++) {
        let batch = batches[b]!;
        const end = b === batches.length - 1 ? chunk.baseOffset + chunk.count : start + batch.numRows;
        const skip = from - start;
        start = end;
        if (skip >= batch.numRows && b < batches.length - 1) continue;
        if (skip > 0) batch = batch.slice(skip);
        const out = this.project(batch);
        const rowKinds = this.opColumn === undefined ? undefined : Uint8Array.from(readColumn(batch, this.opColumn, { kind: 'INT' }) as Int32Array);
        let m = maxTime[p]!;
        if (wmCol !== undefined) {
          const times = readColumn(out, wmCol, this.fields[wmCol]!.type);
          for (let i = 0; i < times.length; i++) {
            const t = times[i];
            if (typeof t === 'number' && t > m) m = t;
          }
        }
        // More input follows at once while any partition has records left to read: up to its
        // end when bounded, what its log already holds when tailing.
        const more = parts.some((q) => (q === p ? end : this.next[q]!) < (ends ? ends[q]! : this.log.highWatermark(this.topic, q)));
        // The largest event time moves with the position, so a checkpoint holds both or neither.
        await ctx.emit({ kind: 'data', batch: out, ...(rowKinds ? { rowKinds } : {}), ...(more ? { more } : {}) }, () => {
          this.next[p] = end;
          maxTime[p] = m;
        });
        if (wmCol !== undefined) {
          const w = watermark();
          if (w !== undefined) await ctx.emit({ kind: 'watermark', time: w });
        }
      }
    };
    // Restored from a checkpoint: the watermark it had reached, before any row is read.
    const restored = watermark();
    if (restored !== undefined) await ctx.emit({ kind: 'watermark', time: restored });
    if (ends) {
      // Round robin over partitions, a chunk at a time, so event time advances evenly; each
      // partition's scan reads ahead while the chunks already read are processed.
      const scans = parts.map((p) => this.log.scan(this.topic, p, this.next[p]!, ends[p]!));
      let active = parts.filter((p) => this.next[p]! < ends[p]!);
      try {
        while (active.length && !ctx.signal.aborted) {
          for (const p of active) {
            const step = await scans[p]!.next();
            if (step.done) {
              ends[p] = this.next[p]!;
              continue;
            }
            await onChunk(p, step.value);
          }
          active = active.filter((p) => this.next[p]! < ends[p]!);
        }
      } finally {
        await Promise.all(scans.map((s) => s.return(undefined)));
      }
      if (!ctx.signal.aborted) await ctx.emit({ kind: 'end' });
      return;
    }
    // Each partition's tail waits on the query's signal: one listener per partition, not a leak.
    setMaxListeners(getMaxListeners(ctx.signal) + parts.length, ctx.signal);
    await Promise.all(
      parts.map(async (p) => {
        for await (const chunk of this.log.tail(this.topic, p, this.next[p]!, ctx.signal)) await onChunk(p, chunk);
      }),
    );
  }

  private project(batch: A.RecordBatch): A.RecordBatch {
    const schema = new A.Schema(this.columns.map((c) => batch.schema.fields[c]!));
    const children = this.columns.map((c) => batch.data.children[c]!);
    const data = A.makeData({ type: new A.Struct(schema.fields), length: batch.numRows, nullCount: 0, children } as never) as unknown as A.Data<A.Struct>;
    return new A.RecordBatch(schema, data);
  }
}

/** The key of a partition's largest event time among a log source's positions (not an offset: no `topic/partition`). */
const maxTimeKey = (topic: string, partition: number): string => `max-time:${topic}:${partition}`;
