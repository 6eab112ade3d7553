/**
 * The operator driver: every exec operator extends StreamOperator and overrides only the
 * messages it consumes. The driver turns the messages of the operator's input ports into calls
 * of its handlers and forwards each control message (watermark, barrier, end) downstream after
 * the handler ran, so no operator repeats the forwarding.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Field } from '../common/types.js';
import { checkMemory } from '../common/memory-guard.js';
import type { Message, Operator, OperatorContext } from './message.js';

/**
 * Invariants the driver keeps for every operator:
 * - A data batch without rows never reaches `onData`.
 * - A watermark goes downstream as `onWatermark` returns it (by default unchanged); when it
 *   returns undefined the watermark is held back.
 * - A barrier of an epoch reaches `onBarrier` once it has arrived from every input port (barrier
 *   alignment), and moves on right after; earlier copies wait.
 * - `end` reaches `onEnd` once every input port has ended, and moves on right after.
 * - Messages are handled one at a time, in arrival order; what a handler emits goes downstream
 *   before the control message that caused it.
 */
export abstract class StreamOperator implements Operator {
  abstract readonly name: string;
  abstract readonly fields: readonly Field[];
  protected ctx!: OperatorContext;
  /** Barrier copies seen per epoch, while not yet aligned (multi-input operators). */
  private readonly barriers = new Map<number, number>();
  private readonly ended = new Set<number>();

  /** @param ports input ports: 1, or 2 for a join (port 0 left, port 1 right). */
  constructor(private readonly ports = 1) {}

  async open(ctx: OperatorContext): Promise<void> {
    this.ctx = ctx;
    await this.onOpen();
  }

  /** Restores state; runs once, before any message. */
  protected onOpen(): Promise<void> | void {}

  /** A batch with at least one row from input `port`, with its change kinds (absent: inserts only). */
  protected abstract onData(batch: RecordBatch, rowKinds: Uint8Array | undefined, port: number): Promise<void> | void;

  /** The watermark to forward for `time` from `port`, or undefined to hold it back. */
  protected onWatermark(time: number, _port: number): Promise<number | undefined> | number | undefined {
    return time;
  }

  /** Writes the state changed since the last barrier; the barrier moves on when this resolves. */
  protected onBarrier(_epoch: number): Promise<void> | void {}

  /** Emits what a finite input leaves behind (e.g. open windows) before `end` moves on. */
  protected onEnd(): Promise<void> | void {}

  async process(msg: Message, port = 0): Promise<void> {
    switch (msg.kind) {
      case 'data':
        if (msg.batch.numRows === 0) return;
        checkMemory(this.name);
        return this.onData(msg.batch, msg.rowKinds, port);
      case 'watermark': {
        const time = await this.onWatermark(msg.time, port);
        if (time === undefined) return;
        return this.ctx.emit(time === msg.time ? msg : { kind: 'watermark', time });
      }
      case 'barrier': {
        if (this.ports > 1) {
          const seen = (this.barriers.get(msg.epoch) ?? 0) + 1;
          if (seen < this.ports) {
            this.barriers.set(msg.epoch, seen);
            return;
          }
          this.barriers.delete(msg.epoch);
        }
        await this.onBarrier(msg.epoch);
        return this.ctx.emit(msg);
      }
      case 'end':
        if (this.ended.has(port)) return;
        this.ended.add(port);
        if (this.ended.size < this.ports) return;
        await this.onEnd();
        return this.ctx.emit(msg);
    }
  }

  async close(): Promise<void> {}
}
