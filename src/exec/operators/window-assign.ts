/** TUMBLE/HOP without aggregation: stamps window_start and window_end on rows. */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { WindowSpec } from '../../planner/physical.js';
import { gather, makeBatch, readColumn } from '../columns.js';
import type { Message, Operator, OperatorContext } from '../message.js';
import { assignWindows, nullTimeReason, rowText, timeColumn } from './event-time.js';

/**
 * WindowAssignExec.
 *
 * Invariants: output = input ++ [window_start, window_end]; a TUMBLE row appears once, a HOP
 * row once per window containing its event time (ascending window_start), in input order.
 * Change kinds travel with their rows. Rows with a NULL event time go to the dead-letter
 * stream. Stateless: watermarks, barriers and `end` pass through unchanged.
 */
export class WindowAssignOperator implements Operator {
  readonly name = 'WindowAssignExec';
  private ctx!: OperatorContext;

  constructor(
    private readonly input: readonly Field[],
    private readonly window: WindowSpec,
    readonly fields: readonly Field[],
  ) {}

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
  }

  async process(msg: Message, _port = 0): Promise<void> {
    if (msg.kind !== 'data') return this.ctx.emit(msg);
    const out = this.assign(msg.batch, msg.rowKinds);
    if (out) await this.ctx.emit(out);
  }

  private assign(batch: RecordBatch, rowKinds: Uint8Array | undefined): Message | undefined {
    const n = batch.numRows;
    const tc = this.window.timeColumn;
    const times = timeColumn(batch, this.input, tc);
    const { rowIdx, starts, identity } = assignWindows(this.window, times, n, {
      onNullTime: (i) => this.ctx.deadLetter({ reason: nullTimeReason(this.input[tc]!), operator: this.name, row: rowText(batch, this.input, i) }),
    });
    const m = rowIdx.length;
    if (m === 0) return undefined;
    const cols = this.input.map((f, c) => {
      const v = readColumn(batch, c, f.type);
      return identity ? v : gather(v, rowIdx, m);
    });
    cols.push(Float64Array.from(starts), Float64Array.from(starts, (s) => s + this.window.sizeMs));
    const out = makeBatch(this.fields, cols, m);
    return rowKinds ? { kind: 'data', batch: out, rowKinds: Uint8Array.from(rowIdx, (i) => rowKinds[i] ?? 0) } : { kind: 'data', batch: out };
  }

  async close(): Promise<void> {}
}
