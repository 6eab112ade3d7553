import { SluiceError } from '../common/errors.js';
import { decodeValue, encodeValue, type StateRow } from './codec.js';
import { encodeKey, prefixRange } from './keys.js';
import { queryStateParts } from './state-table.js';
import type { Store, WriteBatch } from './store.js';

/** What a query needs to resume: the epoch and the source positions its state reflects. */
export interface Checkpoint {
  readonly queryId: string;
  readonly epoch: number;
  /** Source position per input, e.g. `'orders/0' -> next offset to read`. */
  readonly offsets: Readonly<Record<string, number>>;
  readonly meta?: StateRow;
  /** Wall-clock milliseconds when the checkpoint was staged. */
  readonly stagedAt: number;
}

export interface CheckpointInput {
  readonly epoch: number;
  readonly offsets: Readonly<Record<string, number>>;
  readonly meta?: StateRow;
}

const CKPT = 'ckpt';

/**
 * Checkpoint records, one (the latest written) per query.
 *
 * Invariants: a checkpoint is staged into the same WriteBatch as the operator state
 * (`StateTable.flush`) and output (`EmbeddedLog.append`) of its epoch, so after any crash
 * `latest` describes exactly the state and output on disk. Epochs of a query must increase;
 * staging an epoch not above the last staged one is a STATE_ERROR.
 */
export class CheckpointStore {
  private readonly lastStaged = new Map<string, number>();

  constructor(private readonly store: Store) {}

  stage(wb: WriteBatch, queryId: string, input: CheckpointInput): void {
    const last = this.lastStaged.get(queryId);
    if (!Number.isInteger(input.epoch) || (last !== undefined && input.epoch <= last)) {
      throw new SluiceError('STATE_ERROR', `checkpoint epoch ${input.epoch} of query '${queryId}' must be an integer above ${last ?? '-'}`);
    }
    this.lastStaged.set(queryId, input.epoch);
    const record: Checkpoint = {
      queryId,
      epoch: input.epoch,
      offsets: { ...input.offsets },
      ...(input.meta !== undefined ? { meta: input.meta } : {}),
      stagedAt: Date.now(),
    };
    wb.put(encodeKey([CKPT, queryId]), encodeValue({ ...record }));
    wb.onAbort(() => {
      if (this.lastStaged.get(queryId) === input.epoch) {
        if (last === undefined) this.lastStaged.delete(queryId);
        else this.lastStaged.set(queryId, last);
      }
    });
  }

  /** The last written checkpoint of the query, or undefined if it never wrote one. */
  async latest(queryId: string): Promise<Checkpoint | undefined> {
    const bytes = await this.store.get(encodeKey([CKPT, queryId]));
    if (bytes === undefined) return undefined;
    const c = decodeValue<Checkpoint>(bytes);
    const last = this.lastStaged.get(queryId);
    if (last === undefined || last < c.epoch) this.lastStaged.set(queryId, c.epoch);
    return c;
  }

  /** Deletes the query's checkpoint and every StateTable namespace `queryId/...`. */
  async drop(queryId: string): Promise<void> {
    this.lastStaged.delete(queryId);
    await this.store.del(encodeKey([CKPT, queryId]));
    await this.store.clearRange(prefixRange(queryStateParts(queryId)));
  }
}
