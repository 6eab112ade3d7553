import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import type { Engine } from '../../src/engine/engine.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';
import { tempEngine } from './helpers.js';

const FIELDS = [
  { name: 'id', type: T.BIGINT, nullable: false },
  { name: 'v', type: T.DOUBLE, nullable: false },
];

describe('back-pressure', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
    await engine.execute('CREATE STREAM s (id BIGINT, v DOUBLE) WITH (partitions = 1)');
    for (let c = 0; c < 100; c++) {
      const rows = Array.from({ length: 1000 }, (_, i) => ({ id: c * 1000 + i, v: i }));
      await engine.log.append('s', 0, encodeBatch(batchFromRows(FIELDS, rows)), rows.length);
    }
  });
  afterEach(async () => cleanup());

  it('a slow reader slows the source: rows read stay bounded while the reader waits', async () => {
    const [res] = await engine.execute('SELECT id, v * 2 AS w FROM s', { from: 'earliest' });
    if (res?.kind !== 'push') throw new Error('expected a push query');
    const it = res.rows[Symbol.asyncIterator]();
    await it.next();
    await new Promise((r) => setTimeout(r, 500));
    const q = engine.queries().find((x) => x.id === res.queryId)!;
    // 100,000 rows wait in the log; the push queue holds about 10,000 and one batch is in hand.
    expect(q.rowsIn).toBeLessThan(15_000);
    expect(q.lag).toBeGreaterThan(85_000);
    let seen = 0;
    for (;;) {
      const n = await it.next();
      if (n.done) break;
      seen += n.value.length;
      if (seen >= 99_000) break;
    }
    res.cancel();
    expect(seen).toBeGreaterThanOrEqual(99_000);
  });
});
