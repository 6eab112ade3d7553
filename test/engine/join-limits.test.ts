/**
 * A join may make far more rows than it reads: an answer built in memory stops at the result
 * limit with LIMIT_EXCEEDED, and a caller that goes away stops a long join of tables.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { Engine } from '../../src/engine/engine.js';

async function failure(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SluiceError) return e;
    throw e;
  }
  throw new Error('expected the statement to fail');
}

describe('joins within limits', () => {
  let dir: string;
  let engine: Engine;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-join-limits-'));
    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50, limits: { maxResultRows: 1000 } });
    const values = Array.from({ length: 40 }, (_, i) => `(${i}, ${i % 7})`).join(', ');
    await engine.execute(`CREATE TABLE t (id INT PRIMARY KEY, g INT); INSERT INTO t VALUES ${values};`);
  });
  afterEach(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers up to the limit and refuses an answer past it, naming the limit and its flag', async () => {
    const [small] = await engine.execute('SELECT a.id, b.id FROM t a JOIN t b ON a.g = b.g');
    // g = id % 7: five groups of 6 ids and two of 5.
    expect(small?.kind === 'rows' && small.rows.length).toBe(5 * 36 + 2 * 25);
    const [count] = await engine.execute('SELECT COUNT(*) FROM t a, t b');
    expect(count?.kind === 'rows' && count.rows).toEqual([[1600n]]);
    const err = await failure(engine.execute('SELECT a.id, b.id FROM t a CROSS JOIN t b'));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toContain('more than 1,000 rows');
    expect(err.hint).toContain('--max-result-rows');
    // The engine goes on answering.
    const [again] = await engine.execute('SELECT COUNT(*) AS n FROM t');
    expect(again?.kind === 'rows' && again.rows).toEqual([[40n]]);
  });

  it('stops a long join of tables when its caller goes away', async () => {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(new Error('client disconnected')), 100);
    // 40^5 = 102 million rows of five, counted: far longer than the 100 ms before the abort.
    const err = await failure(engine.execute('SELECT COUNT(*) FROM t a, t b, t c, t d, t e WHERE a.id + b.id + c.id + d.id + e.id >= 0', { signal: ac.signal }));
    expect(err.code).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
