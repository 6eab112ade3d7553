/**
 * Reads a stream from the embedded log: all partitions, from stored positions, decoding each
 * chunk's Arrow batch once and keeping only the columns the query reads.
 */
import * as A from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { EmbeddedLog, LogChunk } from '../../state/index.js';
import { readColumn } from '../columns.js';
import { decodeBatches } from '../ipc.js';
import { WatermarkTracker, type Source, type SourceContext } from '../source.js';

export class LogSource implements Source {
  readonly name: string;
  private readonly next: number[];

  constructor(
    private readonly log: EmbeddedLog,
    private readonly topic: string,
    /** Indexes of the stream's columns to output. */
    private readonly columns: readonly number[],
    readonly fields: readonly Field[],
    private readonly watermark?: { readonly column: number; readonly delayMs: number },
  ) {
    this.name = `log:${topic}`;
    this.next = Array.from({ length: log.partitions(topic) }, () => 0);
  }

  seek(positions: Readonly<Record<string, number>>): void {
    this.next.forEach((_, p) => {
      const v = positions[`${this.topic}/${p}`];
      if (v !== undefined) this.next[p] = v;
    });
  }

  positions(): Record<string, number> {
    return Object.fromEntries(this.next.map((o, p) => [`${this.topic}/${p}`, o]));
  }

  async run(ctx: SourceContext, bounded: boolean): Promise<void> {
    const wm = this.watermark ? new WatermarkTracker(this.watermark.delayMs) : undefined;
    const onChunk = async (p: number, chunk: LogChunk) => {
      const from = this.next[p]!;
      if (chunk.baseOffset + chunk.count <= from) return;
      for (let batch of decodeBatches(chunk.payload)) {
        const skip = from - chunk.baseOffset;
        if (skip > 0) batch = batch.slice(skip);
        const out = this.project(batch);
        await ctx.emit({ kind: 'data', batch: out }, () => {
          this.next[p] = chunk.baseOffset + chunk.count;
        });
        if (wm) {
          wm.observe(readColumn(out, this.watermark!.column, this.fields[this.watermark!.column]!.type));
          const w = wm.next();
          if (w !== undefined) await ctx.emit({ kind: 'watermark', time: w });
        }
      }
    };
    const parts = this.next.map((_, p) => p);
    if (bounded) {
      const ends = parts.map((p) => this.log.highWatermark(this.topic, p));
      for (const p of parts) {
        while (this.next[p]! < ends[p]! && !ctx.signal.aborted) {
          const chunks = await this.log.read(this.topic, p, this.next[p]!, 64);
          if (chunks.length === 0) break;
          for (const c of chunks) {
            if (c.baseOffset >= ends[p]!) break;
            await onChunk(p, c);
          }
        }
      }
      if (!ctx.signal.aborted) await ctx.emit({ kind: 'end' });
      return;
    }
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
