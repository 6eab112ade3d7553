/**
 * One reader for the scans of an input a query reads in several places (planner rule
 * share-scans): the reader reads the union of their columns, and every message it emits goes to
 * each scan's consumer in turn, data batches cut down to that scan's columns.
 */
import type { SourceExec } from '../planner/physical.js';
import { batchOfData } from './columns.js';
import type { Message } from './message.js';

/** The scan the reader of a shared scan runs: the group's columns, the watermark on the same column as `scan`'s. */
export function sharedReader(scan: SourceExec): SourceExec {
  const shared = scan.shared;
  if (!shared) return scan;
  const { shared: _shared, ...rest } = scan;
  const watermark = scan.watermark ? { ...scan.watermark, column: shared.columns.indexOf(scan.columns[scan.watermark.column]!) } : undefined;
  return { ...rest, columns: shared.columns, fields: shared.fields, ...(watermark ? { watermark } : {}) };
}

/**
 * Fans the messages of one reader out to the scans sharing it (or of one shared sub-plan out to
 * its uses), in the order they were added.
 * Every consumer has taken a message before the next one is sent, so a barrier reaches all of
 * them after the same rows.
 */
export class ScanFanout {
  private readonly consumers: ((m: Message) => Promise<void>)[] = [];

  /** Adds the consumer of `scan`: it receives `scan`'s columns of every batch. */
  add(scan: SourceExec, emit: (m: Message) => Promise<void>): void {
    const all = scan.shared?.columns ?? scan.columns;
    const pick = scan.columns.map((c) => all.indexOf(c));
    if (pick.length === all.length && pick.every((c, i) => c === i)) {
      this.addConsumer(emit);
      return;
    }
    this.consumers.push((m) => {
      if (m.kind !== 'data') return emit(m);
      const { batch } = m;
      const columns = pick.map((c) => batch.data.children[c]!);
      return emit({ ...m, batch: batchOfData(scan.fields, columns, batch.numRows) });
    });
  }

  /** Adds a consumer of every message as it is (the uses of a shared sub-plan). */
  addConsumer(emit: (m: Message) => Promise<void>): void {
    this.consumers.push(emit);
  }

  readonly emit = async (m: Message): Promise<void> => {
    for (const consumer of this.consumers) await consumer(m);
  };
}
