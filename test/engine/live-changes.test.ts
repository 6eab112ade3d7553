/**
 * A push query over rows that arrive one at a time sends a change for each of them: the GROUP BY
 * combines only input its source already holds (a mini-batch, docs/changelog.md), and HAVING
 * never lets half of an update pair through.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { PushRow } from '../../src/engine/types.js';
import { tempEngine } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const text = (r: PushRow) => `${r.op} ${r.values.join(' | ')}`;

/**
 * Runs `sql` as a live push query and inserts each value as its own statement; before the next
 * insert it waits until `seenAfter[i]` changes in all have arrived (so every insert is a batch of
 * its own). Returns every change seen.
 */
async function liveChanges(engine: Engine, sql: string, inserts: readonly number[], seenAfter: readonly number[]): Promise<string[]> {
  const [res] = await engine.execute(sql, { from: 'earliest' });
  if (res?.kind !== 'push') throw new Error('expected a push query');
  const it = res.rows[Symbol.asyncIterator]();
  const seen: string[] = [];
  const read = async (n: number) => {
    while (seen.length < n) {
      const r = await it.next();
      if (r.done) break;
      seen.push(...r.value.map(text));
    }
  };
  for (const [i, v] of inserts.entries()) {
    await engine.execute(`INSERT INTO h VALUES ('x', ${v})`);
    await read(seenAfter[i]!);
  }
  await it.return?.();
  return seen;
}

describe('a push query over rows arriving one at a time', () => {
  it('sends every change of a GROUP BY with HAVING as a whole pair', async () => {
    const { engine, cleanup } = await tempEngine();
    cleanups.push(cleanup);
    await engine.execute('CREATE STREAM h (g STRING, v INT) WITH (partitions = 1)');
    const changes = await liveChanges(engine, 'SELECT g, SUM(v) AS t FROM h GROUP BY g HAVING SUM(v) < 5', [1, 2, 10, -10], [1, 3, 4, 5]);
    expect(changes).toEqual(['+I x | 1', '-U x | 1', '+U x | 3', '-D x | 3', '+I x | 3']);
  });

  it('shows a group only while HAVING holds, and deletes it when it stops holding', async () => {
    const { engine, cleanup } = await tempEngine();
    cleanups.push(cleanup);
    await engine.execute('CREATE STREAM h (g STRING, v INT) WITH (partitions = 1)');
    const changes = await liveChanges(engine, 'SELECT g, SUM(v) AS t FROM h WHERE v <> 0 GROUP BY g HAVING SUM(v) > 5', [1, 2, 10, -10], [0, 0, 1, 2]);
    expect(changes).toEqual(['+I x | 13', '-D x | 13']);
  });
});
