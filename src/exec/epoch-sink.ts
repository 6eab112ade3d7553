/** Where a persistent query's output goes, epoch by epoch (views, log topics, Kafka topics). */
import type { RecordBatch } from 'apache-arrow';
import type { WriteBatch } from '../state/index.js';

/**
 * A sink whose output becomes visible only with the checkpoint that produced it: rows written
 * during an epoch are staged into the checkpoint's write batch, and `committed` runs once that
 * batch is durable.
 */
export interface EpochSink {
  /** Takes output rows (with change kinds for updating results). */
  write(batch: RecordBatch, rowKinds: Uint8Array | undefined): void | Promise<void>;
  /**
   * Stages the buffered output of the epoch into `wb`, and takes it out of the buffer: rows
   * written from then on belong to the next epoch, even before `committed` runs (the query may
   * go on while the batch is written).
   */
  stage(wb: WriteBatch): void;
  /**
   * Called after the batch was written. A sink that delivers to an external system does it
   * here, from what it staged (an outbox in the same batch), and the query waits for it before
   * the next epoch commits.
   */
  committed(epoch: number): void | Promise<void>;
  /** Called once before the query starts: deliver what a crash left staged but undelivered. */
  recover?(): Promise<void>;
  close?(): Promise<void>;
}
