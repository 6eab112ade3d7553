/**
 * A view's next epoch flows while an epoch commits, but its changes wait in memory for its own
 * commit: when a commit is slow (RocksDB stalling writes), the sources must wait for it rather
 * than read on, or the changes held grow with the commit's duration.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WriteBatch } from '../../src/state/store.js';
import { tempEngine } from './helpers.js';

afterEach(() => vi.restoreAllMocks());

describe('a view whose commit stalls', () => {
  it('stops reading its input while a commit runs past a second, and reads on once it ends', async () => {
    const { engine, cleanup } = await tempEngine(50);
    try {
      await engine.execute("CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE) WITH (connector = 'datagen', 'rows.per.second' = 0)");
      await engine.execute('CREATE MATERIALIZED VIEW per_card AS SELECT card_id, COUNT(*) AS n FROM tx GROUP BY card_id');
      const rowsIn = () => engine.queries().find((q) => q.name === 'per_card')?.rowsIn ?? 0;
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      while (rowsIn() < 50_000) await sleep(20);
      // From now on every commit's write takes until `release` is called.
      let release: () => void = () => undefined;
      const stalled = new Promise<void>((r) => (release = r));
      const write = WriteBatch.prototype.write;
      let stalls = 0;
      vi.spyOn(WriteBatch.prototype, 'write').mockImplementation(async function (this: WriteBatch) {
        stalls++;
        await stalled;
        return write.call(this);
      });
      while (stalls === 0) await sleep(10);
      // Within two checkpoint intervals plus the lag allowed (1 s), the input stops.
      await sleep(1500);
      const held = rowsIn();
      await sleep(1000);
      expect(rowsIn()).toBe(held);
      release();
      const resumed = held + 10_000;
      const deadline = Date.now() + 10_000;
      while (rowsIn() < resumed && Date.now() < deadline) await sleep(20);
      expect(rowsIn()).toBeGreaterThanOrEqual(resumed);
      await engine.checkpointAll();
    } finally {
      await cleanup();
    }
  }, 30_000);
});
