/**
 * UNION ALL: the rows and changes of every input port, as they come; the inputs have the union's
 * column types (the planner casts where they differ).
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import { batchOfData } from '../columns.js';
import type { Message } from '../message.js';
import { StreamOperator } from '../operator-driver.js';

export interface UnionSpec {
  readonly inputs: number;
  readonly fields: readonly Field[];
}

/**
 * UnionExec.
 *
 * Invariants:
 * - Every data batch of every port goes downstream once, with its change kinds, under the
 *   union's column names; nothing is held, so the union keeps no state.
 * - The watermark downstream is the least of the latest watermark of each port, and moves only
 *   forward: until every port has sent one, none goes on (an input that never sends one holds
 *   back the windows above, as in Flink; a port that has ended no longer counts).
 * - Barriers are aligned and `end` waits for every port (the operator driver).
 */
export class UnionOperator extends StreamOperator {
  readonly name = 'UnionExec';
  readonly fields: readonly Field[];
  /** The latest watermark of each port (-Infinity: none yet). */
  private readonly marks: number[];
  private readonly closed: boolean[];
  private forwarded = -Infinity;

  constructor(spec: UnionSpec) {
    super(spec.inputs);
    this.fields = spec.fields;
    this.marks = Array.from({ length: spec.inputs }, () => -Infinity);
    this.closed = Array.from({ length: spec.inputs }, () => false);
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const renamed = batchOfData(this.fields, batch.data.children, batch.numRows);
    await this.ctx.emit({ kind: 'data', batch: renamed, ...(rowKinds ? { rowKinds } : {}) });
  }

  protected override onWatermark(time: number, port: number): number | undefined {
    this.marks[port] = Math.max(this.marks[port]!, time);
    return this.advance();
  }

  override async process(msg: Message, port = 0): Promise<void> {
    if (msg.kind === 'end' && !this.closed[port]) {
      // An ended input holds nothing back: the others' watermark may move on.
      this.closed[port] = true;
      const time = this.advance();
      if (time !== undefined) await this.ctx.emit({ kind: 'watermark', time });
    }
    return super.process(msg, port);
  }

  /** The new least watermark of the ports still open, when it moved forward. */
  private advance(): number | undefined {
    let least = Infinity;
    for (let p = 0; p < this.marks.length; p++) if (!this.closed[p]) least = Math.min(least, this.marks[p]!);
    if (least === Infinity || least === -Infinity || least <= this.forwarded) return undefined;
    this.forwarded = least;
    return least;
  }
}
