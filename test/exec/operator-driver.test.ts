import type { RecordBatch } from 'apache-arrow';
import { afterEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { StreamOperator } from '../../src/exec/operator-driver.js';
import { TempStores } from '../state/helpers.js';
import { Harness, data, f } from './harness.js';

const IN = [f('n', T.INT)];

/** Records what reaches its handlers; overrides only what the options ask for. */
class Probe extends StreamOperator {
  readonly name = 'Probe';
  readonly fields = IN;
  readonly seen: string[] = [];

  constructor(
    ports: number,
    private readonly hold?: (time: number) => number | undefined,
  ) {
    super(ports);
  }

  protected onData(batch: RecordBatch, _kinds: Uint8Array | undefined, port: number): void {
    this.seen.push(`data:${port}:${batch.numRows}`);
  }

  protected override onWatermark(time: number, port: number): number | undefined {
    this.seen.push(`watermark:${port}:${time}`);
    return this.hold ? this.hold(time) : time;
  }

  protected override async onBarrier(epoch: number): Promise<void> {
    this.seen.push(`barrier:${epoch}`);
    await this.ctx.emit(data(IN, [{ n: epoch }]));
  }

  protected override onEnd(): void {
    this.seen.push('end');
  }
}

/** The smallest operator: data only; every control message must pass through by itself. */
class DataOnly extends StreamOperator {
  readonly name = 'DataOnly';
  readonly fields = IN;
  protected async onData(batch: RecordBatch): Promise<void> {
    await this.ctx.emit({ kind: 'data', batch });
  }
}

const stores = new TempStores();
afterEach(() => stores.dispose());

describe('StreamOperator (the operator driver)', () => {
  it('forwards watermarks, barriers and end of an operator that handles only data, in order', async () => {
    const h = await Harness.create(stores);
    const op = await h.open(new DataOnly());
    await op.process({ kind: 'watermark', time: 5 }, 0);
    await op.process(data(IN, [{ n: 1 }]), 0);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await op.process({ kind: 'end' }, 0);
    expect(h.out.map((m) => m.kind)).toEqual(['watermark', 'data', 'barrier', 'end']);
    expect(h.control()).toEqual([['watermark', 5], ['barrier', 1], ['end']]);
  });

  it('never hands an empty batch to onData', async () => {
    const h = await Harness.create(stores);
    const op = new Probe(1);
    await h.open(op);
    await op.process(data(IN, []), 0);
    await op.process(data(IN, [{ n: 1 }, { n: 2 }]), 0);
    expect(op.seen).toEqual(['data:0:2']);
  });

  it('forwards the watermark onWatermark returns and holds it back on undefined', async () => {
    const h = await Harness.create(stores);
    const op = new Probe(1, (t) => (t < 10 ? undefined : t - 1));
    await h.open(op);
    await op.process({ kind: 'watermark', time: 5 }, 0);
    await op.process({ kind: 'watermark', time: 20 }, 0);
    expect(h.control()).toEqual([['watermark', 19]]);
  });

  it('emits what onBarrier writes before the barrier itself', async () => {
    const h = await Harness.create(stores);
    const op = await h.open(new Probe(1));
    await op.process({ kind: 'barrier', epoch: 3 }, 0);
    expect(h.out.map((m) => m.kind)).toEqual(['data', 'barrier']);
    expect(h.rows(IN)).toEqual([[3]]);
  });

  it('aligns barriers across two inputs: one onBarrier and one barrier per epoch, after both copies', async () => {
    const h = await Harness.create(stores);
    const op = new Probe(2);
    await h.open(op);
    await op.process({ kind: 'barrier', epoch: 1 }, 0);
    await op.process(data(IN, [{ n: 1 }]), 1);
    expect(h.control()).toEqual([]);
    await op.process({ kind: 'barrier', epoch: 1 }, 1);
    await op.process({ kind: 'barrier', epoch: 2 }, 1);
    await op.process({ kind: 'barrier', epoch: 2 }, 0);
    expect(op.seen).toEqual(['data:1:1', 'barrier:1', 'barrier:2']);
    expect(h.control()).toEqual([
      ['barrier', 1],
      ['barrier', 2],
    ]);
  });

  it('forwards end once, after every input ended; a repeated end of one input changes nothing', async () => {
    const h = await Harness.create(stores);
    const op = new Probe(2);
    await h.open(op);
    await op.process({ kind: 'end' }, 1);
    await op.process({ kind: 'end' }, 1);
    expect(h.control()).toEqual([]);
    await op.process({ kind: 'watermark', time: 7 }, 0);
    await op.process({ kind: 'end' }, 0);
    expect(op.seen).toEqual(['watermark:0:7', 'end']);
    expect(h.control()).toEqual([['watermark', 7], ['end']]);
  });

  it('passes a failing handler error to the caller and forwards nothing', async () => {
    const h = await Harness.create(stores);
    class Failing extends DataOnly {
      protected override onBarrier(): void {
        throw new Error('state write failed');
      }
    }
    const op = await h.open(new Failing());
    await expect(op.process({ kind: 'barrier', epoch: 1 }, 0)).rejects.toThrow('state write failed');
    expect(h.out).toEqual([]);
  });
});
