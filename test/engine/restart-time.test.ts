/**
 * Restart time does not grow with state: a view whose GROUP BY holds 400,000 groups answers a new
 * row within a few seconds of opening its data folder, because open reads the checkpoint, not
 * the groups (the state cache counts every state entry read from RocksDB: open reads none), and
 * a batch reads only the groups it touches.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { keyOf } from '../../src/exec/keys.js';
import { STATE_PREFIX } from '../../src/state/state-table.js';
import { decodeKey, encodeKey, prefixRange, type Store } from '../../src/state/index.js';
import { tempEngine } from './helpers.js';

const GROUPS = 400_000;
const VIEW = 'CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY k';

/**
 * Copies the one stored group of the view under `count` more keys `g0..g<count-1>`: state in the
 * operator's own format, generated far faster than the view could build it.
 */
async function generateGroups(store: Store, count: number): Promise<void> {
  let template: [Buffer, Buffer] | undefined;
  for await (const entry of store.iterate(prefixRange([STATE_PREFIX, 'view_per_k']))) {
    if (decodeKey(entry[0]).at(-1) === keyOf(['seed'])) template = entry;
  }
  if (!template) throw new Error('the view stored no group');
  const parts = decodeKey(template[0]).slice(0, -1);
  for (let from = 0; from < count; from += 20_000) {
    const wb = store.batch();
    for (let i = from; i < Math.min(count, from + 20_000); i++) {
      wb.put(encodeKey([...parts, keyOf([`g${i}`])]), template[1]);
    }
    await wb.write();
  }
}

describe('restart with a large state', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('answers a new row within 5 s of opening a folder whose view holds 400,000 groups', async () => {
    const { engine, dir } = await tempEngine(50);
    dirs.push(dir);
    await engine.execute('CREATE STREAM ev (k STRING, v INT) WITH (partitions = 1)');
    await engine.execute(VIEW);
    await engine.execute("INSERT INTO ev VALUES ('seed', 5)");
    await engine.checkpointAll();
    await generateGroups(engine.store, GROUPS);
    await engine.close();

    const t0 = performance.now();
    const again = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    try {
      const openSeconds = (performance.now() - t0) / 1000;
      const view = again.queries().find((q) => q.name === 'per_k');
      expect(view?.status).toBe('running');
      // The view restored its checkpoint without reading a group.
      expect(again.stateCache.stats().diskReads).toBe(0);
      await again.execute("INSERT INTO ev VALUES ('seed', 2), ('fresh', 1)");
      const kv = again.viewKv('per_k');
      for (;;) {
        const row = await kv.get(keyOf(['fresh']));
        if (row) break;
        if (performance.now() - t0 > 30_000) throw new Error('no output within 30 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      const seconds = (performance.now() - t0) / 1000;
      const { diskReads } = again.stateCache.stats();
      console.log(`restart with ${GROUPS} groups: open ${openSeconds.toFixed(2)} s, first output after ${seconds.toFixed(2)} s, state entries read ${diskReads}`);
      expect(seconds).toBeLessThan(5);
      // The batch looked up its two groups; nothing scanned the other 400,000.
      expect(diskReads).toBeLessThanOrEqual(2);
      await again.checkpointAll();
      // The restored group goes on from its state; the generated groups are there, untouched.
      expect(await kv.get(keyOf(['seed']))).toMatchObject({ k: 'seed', n: 2n, s: 7n });
      expect(again.stateCache.stats().entries).toBeLessThan(1000);
    } finally {
      await again.close();
    }
  }, 120_000);
});
