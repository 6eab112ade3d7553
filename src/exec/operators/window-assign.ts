/** TUMBLE/HOP without aggregation: stamps window_start and window_end on rows. */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../../common/types.js';
import type { WindowSpec } from '../../planner/physical.js';
import { emitRows } from '../changes.js';
import { gather, readColumn } from '../columns.js';
import { RowKind, rowText } from '../message.js';
import { StreamOperator } from '../operator-driver.js';
import { assignWindows, nullTimeReason, timeColumn, windowColumns } from './event-time.js';

/** Change kind of an output row by its input row's kind: pairs are split into -D and +I. */
const SPLIT_PAIR: readonly number[] = [RowKind.INSERT, RowKind.DELETE, RowKind.INSERT, RowKind.DELETE];

export interface WindowAssignSpec {
  readonly input: readonly Field[];
  /** TUMBLE or HOP. */
  readonly window: WindowSpec;
  readonly fields: readonly Field[];
}

/**
 * WindowAssignExec.
 *
 * Invariants: output = input ++ [window_start, window_end]; a TUMBLE row appears once, a HOP
 * row once per window containing its event time (ascending window_start), in input order.
 * Change kinds travel with their rows, -U as -D and +U as +I (see SPLIT_PAIR). Rows with a NULL event time go to the dead-letter
 * stream. Stateless: watermarks, barriers and `end` pass through unchanged.
 */
export class WindowAssignOperator extends StreamOperator {
  readonly name = 'WindowAssignExec';
  private readonly input: readonly Field[];
  private readonly window: WindowSpec;
  readonly fields: readonly Field[];

  constructor(spec: WindowAssignSpec) {
    super();
    ({ input: this.input, window: this.window, fields: this.fields } = spec);
  }

  protected async onData(batch: RecordBatch, rowKinds: Uint8Array | undefined): Promise<void> {
    const n = batch.numRows;
    const tc = this.window.timeColumn;
    const times = timeColumn(batch, this.input, tc);
    const { rowIdx, starts, identity } = assignWindows(this.window, times, n, {
      onNullTime: (i) => this.ctx.deadLetter({ reason: nullTimeReason(this.input[tc]!), operator: this.name, row: rowText(batch, this.input, i) }),
    });
    const m = rowIdx.length;
    if (m === 0) return;
    const cols = this.input.map((f, c) => {
      const v = readColumn(batch, c, f.type);
      return identity ? v : gather(v, rowIdx, m);
    });
    cols.push(...windowColumns(starts, this.window.sizeMs));
    // The old and new rows of an update can fall in different (HOP: several) windows, so the
    // halves of a pair no longer sit next to each other: each travels alone, as -D and +I.
    const kinds = rowKinds ? Uint8Array.from(rowIdx, (i) => SPLIT_PAIR[rowKinds[i] ?? RowKind.INSERT]!) : undefined;
    await emitRows(this.ctx, this.name, 'window bounds', this.fields, cols, m, kinds);
  }
}
