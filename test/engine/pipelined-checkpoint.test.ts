/**
 * Pipelined checkpoints: while an epoch's write is in flight the query goes on with the next
 * epoch's rows, at most one write is in flight, and each epoch commits exactly the rows before
 * its barrier. A write that fails fails the query, and a restart resumes from the last
 * committed epoch: no row lost or repeated, state included.
 */
import type { RecordBatch } from 'apache-arrow';
import { afterEach, describe, expect, it } from 'vitest';
import type { Field } from '../../src/common/types.js';
import { RunningQuery } from '../../src/engine/running-query.js';
import { VIEW_ROW_COUNT, ViewSink, type EpochSink } from '../../src/engine/sinks.js';
import { T } from '../../src/common/types.js';
import { batchFromRows, batchToRows } from '../../src/exec/columns.js';
import { RowKind } from '../../src/exec/message.js';
import { parseStatements } from '../../src/parser/index.js';
import { planQuery } from '../../src/planner/plan-query.js';
import { KvTable, type Store } from '../../src/state/index.js';
import { TempStores, collect, waitFor } from '../state/helpers.js';
import { tempEngine } from './helpers.js';

/** Keeps what reaches it: rows as written, and per committed epoch the rows it staged. */
class RecordingSink implements EpochSink {
  readonly written: unknown[][] = [];
  readonly commits: { epoch: number; rows: unknown[][] }[] = [];
  stages = 0;
  private pending: unknown[][] = [];
  private staged: unknown[][] = [];
  constructor(private readonly fields: readonly Field[]) {}
  write(batch: RecordBatch, rowKinds: Uint8Array | undefined): void {
    // The new value of each changed key (an updating GROUP BY: -U rows are dropped).
    const rows = batchToRows(batch, this.fields)
      .filter((_, i) => rowKinds?.[i] !== RowKind.UPDATE_BEFORE && rowKinds?.[i] !== RowKind.DELETE)
      .map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
    this.written.push(...rows);
    this.pending.push(...rows);
  }
  stage(): void {
    this.stages++;
    this.staged = this.pending;
    this.pending = [];
  }
  committed(epoch: number): void {
    this.commits.push({ epoch, rows: this.staged });
    this.staged = [];
  }
}

/** The engine's store, whose write batches wait for `hold` (and fail with `fail`), counting writes in flight. */
class GatedStore {
  hold: Promise<void> | undefined;
  fail: Error | undefined;
  started = 0;
  inFlight = 0;
  maxInFlight = 0;
  constructor(readonly store: Store) {}
  proxy(): Store {
    return new Proxy(this.store, {
      get: (target, prop) => {
        if (prop === 'batch') return () => this.gated(target.batch());
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
  private gated(wb: ReturnType<Store['batch']>): ReturnType<Store['batch']> {
    const write = wb.write.bind(wb);
    wb.write = async () => {
      this.started++;
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      try {
        if (this.hold) await this.hold;
        if (this.fail) {
          wb.discard();
          throw this.fail;
        }
        await write();
      } finally {
        this.inFlight--;
      }
    };
    return wb;
  }
}

/** An engine that checkpoints only when the test asks. */
let opened: Awaited<ReturnType<typeof tempEngine>> | undefined;
const stores = new TempStores();
afterEach(async () => {
  await opened?.cleanup();
  opened = undefined;
  await stores.dispose();
});

describe('pipelined checkpoints', () => {
  it('run the next epoch while a write is in flight, one write at a time, and resume exactly after a failed one', async () => {
    opened = await tempEngine(600_000);
    const { engine } = opened;
    await engine.execute('CREATE STREAM s (id INT) WITH (partitions = 1)');
    const sql = 'SELECT id % 2 AS k, COUNT(*) AS c FROM s GROUP BY id % 2';
    const stmt = parseStatements(sql)[0]?.statement;
    if (stmt?.kind !== 'Query') throw new Error('expected a query');
    const q = planQuery(stmt.query, engine.catalog);
    const dlq = await engine.ensureDlq('counts_dlq');
    const gate = new GatedStore(engine.queryDeps().store);
    const query = (sink: RecordingSink) =>
      new RunningQuery({ id: 'view_counts', kind: 'view', name: 'counts', sql, plan: q.physical, fields: q.fields, output: { kind: 'epoch', sink }, deps: { ...engine.queryDeps(), store: gate.proxy() }, dlqTopic: dlq });
    const insert = (ids: number[]) => engine.execute(`INSERT INTO s VALUES ${ids.map((i) => `(${i})`).join(', ')}`);
    const latest = (rows: unknown[][]) => Object.fromEntries(rows.map(([k, c]) => [String(k), c]));

    const sink = new RecordingSink(q.fields);
    const rq = query(sink);
    await rq.start();
    await insert([1, 2, 3]);
    await waitFor(() => sink.written.length >= 2);
    await rq.checkpoint();
    expect(sink.commits).toEqual([{ epoch: 1, rows: [[1, 2], [0, 1]] }]);

    // Epoch 2's write is held: rows after its barrier still flow, and epoch 3 waits its turn.
    let release!: () => void;
    gate.hold = new Promise((r) => (release = r));
    await insert([4, 5]);
    await waitFor(() => sink.written.length >= 4);
    const second = rq.checkpoint();
    await waitFor(() => gate.started === 2);
    await insert([6, 7]);
    await waitFor(() => sink.written.length >= 6);
    const third = rq.checkpoint();
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.stages).toBe(2);
    expect(gate.inFlight).toBe(1);
    expect(rq.info(undefined).lastCheckpointEpoch).toBe(1);
    release();
    gate.hold = undefined;
    await second;
    await third;
    expect(gate.maxInFlight).toBe(1);
    expect(sink.commits.slice(1)).toEqual([
      { epoch: 2, rows: [[0, 2], [1, 3]] },
      { epoch: 3, rows: [[0, 3], [1, 4]] },
    ]);
    expect(rq.info(undefined).lastCheckpointEpoch).toBe(3);

    // Epoch 4's write fails: the query fails, and nothing of the epoch is on disk.
    gate.fail = new Error('disk full');
    await insert([8]);
    await waitFor(() => sink.written.length >= 7);
    await expect(rq.checkpoint()).rejects.toThrow(/checkpoint 4 .* could not be written: disk full/);
    await rq.stopped();
    expect(rq.info(undefined)).toMatchObject({ status: 'failed', error: { code: 'STATE_ERROR' }, lastCheckpointEpoch: 3 });
    expect((await engine.queryDeps().checkpoints.latest('view_counts'))?.epoch).toBe(3);

    // The restart resumes from epoch 3's positions and state: row 8 counted once, on top of 3.
    gate.fail = undefined;
    const again = new RecordingSink(q.fields);
    const rq2 = query(again);
    await rq2.start();
    await waitFor(() => again.written.length >= 1);
    await insert([9]);
    await waitFor(() => again.written.length >= 2);
    await rq2.checkpoint();
    rq2.stop();
    await rq2.stopped();
    expect(again.commits).toEqual([{ epoch: 4, rows: [[0, 4], [1, 5]] }]);
    expect(latest([...sink.commits.flatMap((c) => c.rows), ...again.commits.flatMap((c) => c.rows)])).toEqual({ '0': 4, '1': 5 });
  });

  it("a view's rows of the epoch being written count when the next epoch changes the same key", async () => {
    const store = await stores.open();
    const fields = [
      { name: 'k', type: T.STRING, nullable: true },
      { name: 'n', type: T.INT, nullable: true },
    ];
    const kv = new KvTable(store, 'view:v');
    // A multiset view: the key is every column, the row holds its copies.
    const sink = new ViewSink(fields, [0, 1], kv, undefined, 'multiset');
    const batch = batchFromRows(fields, [{ k: 'a', n: 1 }]);
    await sink.write(batch, undefined);
    const first = store.batch();
    sink.stage(first);
    // Epoch 2 adds the same row while epoch 1 is not on disk yet.
    await sink.write(batch, undefined);
    await first.write();
    sink.committed();
    const second = store.batch();
    sink.stage(second);
    await second.write();
    sink.committed();
    expect((await collect(kv.scan())).map(([, row]) => row)).toEqual([{ k: 'a', n: 1, [VIEW_ROW_COUNT]: 2 }]);
  });
});
