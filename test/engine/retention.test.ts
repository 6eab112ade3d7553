/**
 * Retention of embedded-log topics: `'retention'` on streams, sinks and views (their changelog),
 * seven days for dead-letter topics; expired chunks disappear, a query that had not read them
 * skips to what is left and the skip is counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { tempEngine } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function rowsOf(engine: Awaited<ReturnType<typeof tempEngine>>['engine'], sql: string): Promise<unknown[][]> {
  const [r] = await engine.execute(sql, { bounded: true });
  if (r?.kind !== 'push') throw new Error('expected a push result');
  const out: unknown[][] = [];
  for await (const b of r.rows) out.push(...b.map((x) => [...x.values]));
  return out;
}

describe('log retention', () => {
  it('expires old records of a stream with a retention; a reader skips them and the skip is counted', async () => {
    const t = await tempEngine();
    cleanup = t.cleanup;
    const { engine } = t;
    await engine.execute(`CREATE STREAM s (id INT) WITH (partitions = 1, 'retention' = '1h')`);
    await engine.execute(`CREATE STREAM forever (id INT) WITH (partitions = 1)`);
    await engine.execute(`INSERT INTO s VALUES (1), (2), (3)`);
    await engine.execute(`INSERT INTO forever VALUES (1)`);
    await new Promise((r) => setTimeout(r, 20));
    const cut = Date.now();
    await engine.execute(`INSERT INTO s VALUES (4), (5)`);
    await engine.execute(`INSERT INTO forever VALUES (2)`);
    expect(engine.log.retention('s')).toBe(3_600_000);
    // An hour after `cut`, the first insert has expired; the second is the newest chunk.
    await engine.expireLogs(cut + 3_600_000 - 1);
    expect(await rowsOf(engine, 'SELECT id FROM s')).toEqual([[4], [5]]);
    expect(await rowsOf(engine, 'SELECT id FROM forever')).toEqual([[1], [2]]);
    const metrics = await engine.metrics.metrics();
    expect(metrics).toContain('sluice_log_records_expired_total{topic="s"} 3');
    expect(metrics).toContain('sluice_log_records_missed_total{topic="s"} 3');
    expect(metrics).not.toContain('topic="forever"');
  });

  it('gives dead-letter topics seven days, views and log sinks their own retention, and rejects a bad one with its position', async () => {
    const t = await tempEngine();
    cleanup = t.cleanup;
    const { engine } = t;
    await engine.execute(`CREATE STREAM s (id INT) WITH (partitions = 1)`);
    await engine.execute(`CREATE MATERIALIZED VIEW latest WITH ('retention' = '12h') AS SELECT id, COUNT(*) AS n FROM s GROUP BY id`);
    await engine.execute(`CREATE SINK copies WITH (connector = 'log', topic = 'copies', 'retention' = '30m') AS SELECT id FROM s`);
    expect(engine.log.retention('latest__changes')).toBe(12 * 3_600_000);
    expect(engine.log.retention('copies')).toBe(30 * 60_000);
    expect(engine.log.retention('latest_dlq')).toBe(7 * 86_400_000);
    const err = await engine.execute(`CREATE STREAM bad (id INT) WITH ('retention' = 'forever')`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).message).toContain("option 'retention' must be a duration");
    expect((err as SluiceError).render()).toContain('LINE 1: CREATE STREAM bad');
  });
});
