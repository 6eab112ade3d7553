import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

/** How a SELECT over a view that is not materialized runs: as its query would, written in its name's place. */
describe('views that are not materialized', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-logical-views-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answer at once over a materialized view or tables (a pull query), and follow a stream (a push query)', async () => {
    const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    try {
      await engine.execute(`
        CREATE STREAM ev (k STRING, v INT) WITH (partitions = 1);
        CREATE TABLE names (k STRING PRIMARY KEY, name STRING);
        INSERT INTO names VALUES ('a', 'alpha');
        INSERT INTO ev VALUES ('a', 1), ('a', 2), ('b', 5);
        CREATE MATERIALIZED VIEW totals AS SELECT k, SUM(v) AS total FROM ev GROUP BY k;
        CREATE VIEW big AS SELECT k, total FROM totals WHERE total > 2;
        CREATE VIEW named AS SELECT k, name FROM names;
        CREATE VIEW events AS SELECT k, v FROM ev;
      `);
      await engine.checkpointAll();
      const [big] = await engine.execute('SELECT k, total FROM big ORDER BY k');
      expect(big?.kind).toBe('rows');
      expect(big?.kind === 'rows' && big.rows.map((r) => [r[0], Number(r[1])])).toEqual([['a', 3], ['b', 5]]);
      const [named] = await engine.execute('SELECT * FROM named');
      expect(named?.kind === 'rows' && named.rows).toEqual([['a', 'alpha']]);
      const [events] = await engine.execute('SELECT * FROM events');
      expect(events?.kind).toBe('push');
      if (events?.kind === 'push') events.cancel();
    } finally {
      await engine.close();
    }
  });
});
